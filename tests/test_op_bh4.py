"""BH4 kernels (fold, fused forward, stage forward, stage/weight backward) against the reference."""
import pytest
import torch

from conftest import assert_close
from lookup_tvm import functional as F
from lookup_tvm.ops.bh4 import torch_ops as calls
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


@pytest.mark.parametrize("chunks", [1, 2, 8])
@pytest.mark.parametrize("tile_rows,tile_vectors", [(1, 1), (8, 4), (2, 2)])
@pytest.mark.parametrize("r_in", [1, 2])
def test_weight_gradient_for_every_split_and_register_tile(chunks, tile_rows, tile_vectors, r_in, tmp_path):
    """The K split with more chunks than token tiles and uneven ranges (5 tiles + a tail),
    and register tiles from one accumulator to a full one, against an einsum."""
    from lookup_tvm.kernels import CompiledKernels
    from lookup_tvm.ops import operators
    from lookup_tvm.ops import kernel_key
    from lookup_tvm.sources.chosen import ChosenSchedules

    r, nb, b, batch = 2, 2, 64, 5 * 64 + 13
    params = {"r": r, "r_in": r_in, "nb": nb, "b": b}
    choice = {"chunks": chunks, "tile_rows": tile_rows, "tile_vectors": tile_vectors}
    source = ChosenSchedules({kernel_key("bh4_weight_grad", params): {"choice": choice}}, "test", warn=False)
    ck = CompiledKernels("host", source, cache_dir=tmp_path)
    kernel = ck.get("bh4_weight_grad", **params)
    assert source.choice(operators()["bh4_weight_grad"], kernel.spec, ck.target) == choice
    grad_mm, stage_input = torch.randn(batch, r, nb, b), torch.randn(batch, r_in, nb, b)
    out = torch.empty(r, nb, b, b)
    calls.weight_grad(kernel, grad_mm, stage_input, out)
    expected = torch.einsum("trni,trno->rnio", stage_input.expand(batch, r, nb, b).double(), grad_mm.double())
    assert_close(out, expected.float())


@pytest.mark.parametrize("r,dim,features", [(2, 512, 1024), (3, 8, 20), (1, 16, 5), (2, 4, 8)])
def test_lean_residual_mix_matches_the_reference_and_its_gradients(r, dim, features):
    projected = torch.randn(33, r * dim, dtype=torch.float64, requires_grad=True)
    x_pad = torch.randn(33, dim, dtype=torch.float64, requires_grad=True)
    bias = torch.randn(features, dtype=torch.float64, requires_grad=True)
    got, want = F.residual_mix(projected, x_pad, bias), R.residual_mix(projected, x_pad, bias)
    assert got.shape == want.shape
    assert_close(got, want, 1e-12)
    grad = torch.randn_like(want)
    for g, w in zip(torch.autograd.grad(got, (projected, x_pad, bias), grad),
                    torch.autograd.grad(want, (projected, x_pad, bias), grad)):
        assert_close(g, w, 1e-12)
