"""The measured FMA rate and L2 read bandwidth: the kernels compute what they claim, and logs
record the FMA figure for this machine only (never for a simulated host)."""
import torch

from hosts import simulated_hosts
from lookup_tvm.calibration import (CHAINS, L2_RESIDENT_BYTES, PASSES, STEPS, _fma_kernel, _read_kernel,
                                    fma_gflops_per_core, l2_read_gbytes_per_core)
from lookup_tvm.cpu.resolve import host_target
from lookup_tvm.tuning.provenance import measured_on


def test_the_fma_kernel_computes_its_sums():
    kernel, lanes = _fma_kernel(host_target())
    a, b, out = torch.rand(CHAINS, lanes), torch.rand(STEPS), torch.empty(CHAINS, lanes)
    kernel(a, b, out)
    assert torch.allclose(out, a * b.sum(), rtol=1e-4)


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
