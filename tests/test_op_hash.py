"""Hash kernels (codes/scores and the score gradient) against the reference."""
import pytest
import torch

from conftest import assert_close
from lookup_tvm import functional as F
from lookup_tvm import reference as R
from test_reference import GOLDEN_GRAD, GOLDEN_Z

SHAPES = [(128, 8), (1, 1), (1, 8), (3, 4), (5, 10), (64, 8)]


@pytest.mark.parametrize("h,tau", SHAPES)
@pytest.mark.parametrize("batch", [1, 7, 1000])
def test_hash_forward_and_backward(h, tau, batch):
    z = torch.randn(batch, h, tau, requires_grad=True)
    codes, scores = F.hash_codes(z)
    ref_codes, ref_scores = R.hash_codes(z)
    assert codes.dtype == torch.int32
    assert torch.equal(codes, ref_codes)
    assert_close(scores, ref_scores)
    grad = torch.randn_like(scores)
    assert_close(torch.autograd.grad(scores, z, grad)[0], torch.autograd.grad(ref_scores, z, grad)[0])


def test_golden_values():
    z = torch.tensor([[GOLDEN_Z]], requires_grad=True)
    codes, scores = F.hash_codes(z)
    assert codes.item() == 170
    assert scores.item() == pytest.approx(0.5454879538065946, rel=1e-6)
    (grad,) = torch.autograd.grad(scores.sum(), z)
    assert torch.allclose(grad.flatten(), torch.tensor(GOLDEN_GRAD), rtol=1e-5, atol=1e-6)


def test_zeros_and_large_magnitudes():
    """z == 0 gives bit 0 and zero gradient; |z| large saturates without inf/nan."""
    z = torch.tensor([[[0.0, -0.0, 60.0, -60.0], [1e-30, -1e-30, 0.0, 5.0]]], requires_grad=True)
    codes, scores = F.hash_codes(z)
    ref_codes, ref_scores = R.hash_codes(z)
    assert torch.equal(codes, ref_codes)
    assert_close(scores, ref_scores)
    grad = torch.autograd.grad(scores.sum(), z)[0]
    assert torch.isfinite(grad).all()
    assert_close(grad, torch.autograd.grad(ref_scores.sum(), z)[0])


def test_codes_only_need_no_grad():
    z = torch.randn(4, 2, 3, requires_grad=True)
    codes, _ = F.hash_codes(z)
    assert not codes.requires_grad


def test_exp_used_by_the_kernels_is_accurate():
    """exp_nonpositive (the kernels' exp): relative error < 2e-7 on [-87, 0]; finite below."""
    from lookup_tvm.cpu.resolve import host_target
    from lookup_tvm.ops.hash.compute import exp_nonpositive
    from lookup_tvm.cpu.tvm_api import build, te

    n = 1 << 18
    x = te.placeholder((n,), "float32", name="x")
    y = te.compute((n,), lambda i: exp_nonpositive(x[i]), name="y")
    kernel = build(te.create_prim_func([x, y]), host_target())["main"]
    xs = torch.cat([-torch.rand(n - 8) * 87, torch.tensor([0.0, -0.0, -1e-30, -1e-7, -87.0, -87.3, -100.0, -1e30])])
    out = torch.empty(n)
    kernel(xs, out)
    ref = torch.exp(xs.double())
    inside = xs >= -87
    assert float(((out.double() - ref) / ref)[inside].abs().max()) < 2e-7
    assert torch.isfinite(out).all() and (out[~inside] >= 0).all() and (out[~inside] < 2e-38).all()
