"""The measured FMA rate and L2 read bandwidth: the kernels compute what they claim, and logs
record the FMA figure for this machine only (never for a simulated host)."""
import pytest
import torch

from hosts import simulated_hosts
from lookup_tvm.calibration import (GROUPS, L2_RESIDENT_BYTES, PASSES, STEPS, _read_kernel, fma_module, fma_vectors,
                                    fma_gflops_per_core, l2_read_gbytes_per_core)
from lookup_tvm.cpu.resolve import host_target, parse_target
from lookup_tvm.tuning.provenance import measured_on


def test_the_fma_kernel_computes_its_sums():
    module, (vectors, lanes) = fma_module(host_target())
    kernel = module["main"]
    a, b, out = torch.rand(vectors, lanes), torch.rand(GROUPS, STEPS), torch.empty(GROUPS, vectors, lanes)
    kernel(a, b, out)
    assert torch.allclose(out, a[None] * b.sum(1)[:, None, None], rtol=1e-4)


@pytest.mark.parametrize("cpu,registers", [("haswell", 16), ("znver3", 16), ("znver4", 32), ("sapphirerapids", 32)])
def test_the_fma_kernel_keeps_its_operands_in_registers(cpu, registers):
    """No stack traffic in the FMA loop: its chains and multiplicands fit the target's registers."""
    target = parse_target(f"llvm -mcpu={cpu} -num-cores 2")
    assert GROUPS * fma_vectors(target) + fma_vectors(target) + 1 <= registers
    asm = fma_module(target)[0].inspect_source("asm").splitlines()
    first = next(i for i, line in enumerate(asm) if "vfmadd" in line)
    start = max(i for i in range(first) if asm[i].startswith(".LBB"))  # the loop's label
    end = next(i for i in range(first, len(asm)) if asm[i].strip().startswith("j"))  # its branch back
    loop = asm[start:end]
    assert sum("vfmadd" in line for line in loop) >= GROUPS * fma_vectors(target)
    assert not [line for line in loop if "(%rsp)" in line], (cpu, loop)


def test_fma_rate_is_measured_for_this_host_only():
    assert fma_gflops_per_core(host_target(), seconds=0.05) > 0
    assert measured_on()["fma_gflops_per_core"] > 0
    assert measured_on(simulated_hosts()["haswell"])["fma_gflops_per_core"] is None


def test_the_read_kernel_sums_its_whole_buffer_every_pass():
    kernel, shape = _read_kernel(host_target(), L2_RESIDENT_BYTES)
    assert 0 <= L2_RESIDENT_BYTES - 4 * shape[0] * shape[1] * shape[2] < 4 * shape[1] * shape[2]  # whole steps
    a, out = torch.rand(shape, dtype=torch.float32), torch.empty(shape[1:])
    kernel(a, out)
    assert torch.allclose(out, PASSES * a.double().sum(0).float(), rtol=1e-4)
    assert l2_read_gbytes_per_core(host_target(), seconds=0.05) > 0
