"""The measured FMA rate: the kernel computes what it claims, and logs record the figure for
this machine only (never for a simulated host)."""
import torch

from hosts import simulated_hosts
from lookup_tvm.calibration import CHAINS, STEPS, _fma_kernel, fma_gflops_per_core
from lookup_tvm.host import host_target
from lookup_tvm.tuning.logs import measured_on


def test_the_fma_kernel_computes_its_sums():
    kernel, lanes = _fma_kernel(host_target())
    a, b, out = torch.rand(CHAINS, lanes), torch.rand(STEPS), torch.empty(CHAINS, lanes)
    kernel(a, b, out)
    assert torch.allclose(out, a * b.sum(), rtol=1e-4)


def test_fma_rate_is_measured_for_this_host_only():
    assert fma_gflops_per_core(host_target(), seconds=0.05) > 0
    assert measured_on()["fma_gflops_per_core"] > 0
    assert measured_on(simulated_hosts()["haswell"])["fma_gflops_per_core"] is None
