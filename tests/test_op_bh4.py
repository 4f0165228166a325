"""BH4 kernels (fold, fused forward, stage forward, stage/weight backward) against the reference."""
import pytest
import torch

from conftest import assert_close
from lookup_tvm import functional as F
from lookup_tvm import kernel_calls as calls
from lookup_tvm import reference as R
from lookup_tvm.ops.bh4 import FOLD, FOLD_TRANSPOSED, UNFOLD

# (r, nb, b): the paper's h*tau=1024 at D=512 (r=2, b=64), one block (nb=1), tiny blocks, odd r.
SHAPES = [(2, 8, 64), (1, 1, 4), (3, 4, 8), (1, 16, 2), (2, 2, 16), (1, 1, 1)]
BATCHES = [1, 7, 1000]


def make(r, nb, b, batch, requires_grad=False):
    dim = nb * b
    x = torch.randn(batch, dim, requires_grad=requires_grad)
    weight = (torch.randn(r, 4, nb, b, b) / (b * dim) ** 0.5).requires_grad_(requires_grad)
    return x, weight


@pytest.mark.parametrize("r,nb,b", SHAPES)
@pytest.mark.parametrize("batch", BATCHES)
def test_bh4_inference_forward(r, nb, b, batch):
    x, weight = make(r, nb, b, batch)
    with torch.no_grad():
        assert_close(F.bh4(x, weight), R.bh4(x, weight))


@pytest.mark.parametrize("r,nb,b", SHAPES)
@pytest.mark.parametrize("batch", BATCHES)
def test_bh4_training_forward_and_backward(r, nb, b, batch):
    x, weight = make(r, nb, b, batch, requires_grad=True)
    out, expected = F.bh4(x, weight), R.bh4(x, weight)
    assert_close(out, expected)
    grad = torch.randn_like(expected)
    got = torch.autograd.grad(out, (x, weight), grad)
    want = torch.autograd.grad(expected, (x, weight), grad)
    assert_close(got[0], want[0])
    assert_close(got[1], want[1])


def test_bh4_gradient_to_weight_only():
    x, weight = make(2, 8, 64, 5)
    weight.requires_grad_(True)
    (got,) = torch.autograd.grad(F.bh4(x, weight).square().sum(), weight)
    (want,) = torch.autograd.grad(R.bh4(x, weight).square().sum(), weight)
    assert_close(got, want)


def test_bh4_gradcheck_float64_reference_agrees():
    """The reference's own gradients are right (float64 finite differences)."""
    x = torch.randn(3, 8, dtype=torch.float64, requires_grad=True)
    weight = torch.randn(2, 4, 2, 4, 4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(R.bh4, (x, weight))


@pytest.mark.parametrize("r,nb,b", [(2, 8, 64), (3, 2, 4)])
def test_fold_kernels(r, nb, b):
    """Folding H_b into the block weights, its transpose, and the gradient's unfold."""
    weight = torch.randn(r, 4, nb, b, b)
    hb = calls.hadamard_matrix(b)
    folded = torch.einsum("oj,rsnji->srnio", hb, weight)
    assert_close(calls.fold(F.kernels(), weight, FOLD), folded)
    assert_close(calls.fold(F.kernels(), weight, FOLD_TRANSPOSED), folded.transpose(-1, -2))
    grad_folded = torch.randn(4, r, nb, b, b)
    assert_close(calls.fold(F.kernels(), grad_folded, UNFOLD), torch.einsum("oj,srnio->rsnji", hb, grad_folded))


@pytest.mark.parametrize("r,nb,b,features", [(2, 8, 64, 1024), (3, 4, 8, 70), (1, 1, 4, 3), (2, 2, 16, 64)])
@pytest.mark.parametrize("batch", [1, 7, 1000])
def test_bh4_projection_fused_epilogue(r, nb, b, features, batch):
    x, weight = make(r, nb, b, batch)
    bias = torch.randn(features)
    with torch.no_grad():
        assert_close(F.bh4_projection(x, weight, bias), R.bh4_projection(x, weight, bias))


def test_bh4_projection_refuses_training():
    x, weight = make(1, 2, 4, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match="inference-only"):
        F.bh4_projection(x, weight, torch.zeros(8))
