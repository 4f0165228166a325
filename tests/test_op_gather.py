"""Gather-accumulate kernels (forward, score gradient, table scatter-add) against the reference."""
import pytest
import torch

from conftest import assert_close
from lookup_tvm import functional as F
from lookup_tvm import reference as R

# (h, rows = 2**tau, d_out): the paper's, h = 1, tau in {1, 4, 10}, d_out not a power of two.
SHAPES = [(128, 256, 512), (1, 2, 1), (4, 16, 100), (3, 1024, 37), (2, 2, 3), (1, 256, 64)]


@pytest.mark.parametrize("h,rows,d_out", SHAPES)
@pytest.mark.parametrize("batch", [1, 7, 1000])
def test_gather_forward_and_backward(h, rows, d_out, batch):
    codes = torch.randint(0, rows, (batch, h), dtype=torch.int32)
    scores = torch.randn(batch, h, requires_grad=True)
    tables = torch.randn(h, rows, d_out, requires_grad=True)
    out, expected = F.gather_accumulate(codes, scores, tables), R.gather_accumulate(codes, scores, tables)
    assert_close(out, expected)
    grad = torch.randn_like(expected)
    got = torch.autograd.grad(out, (scores, tables), grad)
    want = torch.autograd.grad(expected, (scores, tables), grad)
    assert_close(got[0], want[0])
    assert_close(got[1], want[1])


def test_repeated_codes_accumulate_in_table_gradient():
    """Many tokens hitting the same row must all land (the scatter-add is race-free)."""
    codes = torch.zeros(5000, 4, dtype=torch.int32)
    scores = torch.ones(5000, 4)
    tables = torch.zeros(4, 2, 8, requires_grad=True)
    F.gather_accumulate(codes, scores, tables).sum().backward()
    assert torch.equal(tables.grad[:, 0], torch.full((4, 8), 5000.0))
    assert torch.equal(tables.grad[:, 1], torch.zeros(4, 8))


def test_gradient_to_tables_only():
    codes = torch.randint(0, 16, (9, 3), dtype=torch.int32)
    scores = torch.randn(9, 3)
    tables = torch.randn(3, 16, 5, requires_grad=True)
    (got,) = torch.autograd.grad(F.gather_accumulate(codes, scores, tables).sum(), tables)
    (want,) = torch.autograd.grad(R.gather_accumulate(codes, scores, tables).sum(), tables)
    assert_close(got, want)


def test_gradient_to_scores_only():
    codes = torch.randint(0, 16, (9, 3), dtype=torch.int32)
    scores = torch.randn(9, 3, requires_grad=True)
    tables = torch.randn(3, 16, 5)
    (got,) = torch.autograd.grad(F.gather_accumulate(codes, scores, tables).sum(), scores)
    (want,) = torch.autograd.grad(R.gather_accumulate(codes, scores, tables).sum(), scores)
    assert_close(got, want)


@pytest.mark.parametrize("h,rows,d_out", SHAPES)
def test_fused_backward_equals_the_separate_kernels(h, rows, d_out):
    """One pass over the rows (both gradients) against the score-gradient and scatter-add kernels."""
    ops = torch.ops.lookup_tvm
    codes = torch.randint(0, rows, (333, h), dtype=torch.int32)
    scores, tables, grad = torch.randn(333, h), torch.randn(h, rows, d_out), torch.randn(333, d_out)
    grad_scores, grad_tables = ops.gather_grad(grad, codes, scores, tables, 0)
    assert_close(grad_scores, ops.gather_score_grad(grad, codes, tables, 0))
    assert torch.equal(grad_tables, ops.gather_table_grad(grad, codes, scores, tables, 0))  # same summation order


@pytest.mark.parametrize("order", [0, 1])
@pytest.mark.parametrize("bf16", [0, 1])
def test_gather_token_blocks_with_a_tail(order, bf16, tmp_path):
    """Token blocks (``l3_tokens``) smaller than the batch, the last one partial, both loop
    orders and both storage dtypes, against the reference."""
    from lookup_tvm.kernels import CompiledKernels
    from lookup_tvm.ops import kernel_key
    from lookup_tvm.sources.chosen import ChosenSchedules

    params = {"h": 8, "rows": 16, "d_out": 64, **({"bf16": 1} if bf16 else {})}
    choice = {"order": order, "cols": 64, "tables": 4, "tokens": 16, "unroll": 0, "register_tables": 1,
              "register_vectors": 2, "l3_tokens": 1024}
    source = ChosenSchedules({kernel_key("gather", params): {"choice": choice}}, "test", warn=False)
    kernel = CompiledKernels("host", source, cache_dir=tmp_path).get("gather", **params)
    batch = 2 * 1024 + 77
    codes = torch.randint(0, 16, (batch, 8), dtype=torch.int32)
    scores, tables = torch.randn(batch, 8), torch.randn(8, 16, 64).to(torch.bfloat16 if bf16 else torch.float32)
    out = torch.empty(batch, 64)
    kernel(codes, scores, tables, out)
    assert_close(out, R.gather_accumulate(codes, scores, tables.float()))
