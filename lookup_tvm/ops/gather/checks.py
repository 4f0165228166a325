"""The gather family's checks: the reference comparison the tuner runs, and the benchmark
workloads (PyTorch baseline: ``embedding_bag``) with their FLOP and byte counts."""
from __future__ import annotations

import torch

from lookup_tvm import reference as R
from lookup_tvm.ops.dispatch import SMALL_TOKENS
from lookup_tvm.kit.checks import relative_error
from lookup_tvm.kit.handles import handle_of
from lookup_tvm.kit.operator import OpSpec
from lookup_tvm.kit.workload import F32_BYTES, Workload
from lookup_tvm.ops.gather.torch_ops import (gather_accumulate, gather_grad, gather_grad_call, gather_score_grad,
                                             gather_table_grad)


def op_samples():
    """The family's custom ops on small valid arguments (for opcheck and bad-input tests)."""
    codes = torch.randint(0, 16, (5, 3), dtype=torch.int32)
    scores, tables, grad = torch.randn(5, 3), torch.randn(3, 16, 6), torch.randn(5, 6)
    return [(gather_accumulate, (codes, scores.clone().requires_grad_(), tables.clone().requires_grad_(), 0)),
            (gather_score_grad, (grad, codes, tables, 0)), (gather_table_grad, (grad, codes, scores, tables, 0)),
            (gather_grad, (grad, codes, scores, tables, 0))]


def check_gather_kernels(kernels, spec: OpSpec, tokens: int) -> float:
    """The gather and its gradients to scores and tables against the reference (bfloat16
    tables: the forward and the fused backward's float32 gradients, against the reference on
    the widened tables)."""
    h, rows, d_out = spec["h"], spec["rows"], spec["d_out"]
    handle = handle_of(kernels)
    codes = torch.randint(0, rows, (tokens, h), dtype=torch.int32)
    if spec.bf16:
        scores, tables = torch.randn(tokens, h, requires_grad=True), torch.randn(h, rows, d_out).bfloat16()
        wide = tables.float().requires_grad_()
        expected = R.gather_accumulate(codes, scores, wide)
        grad = torch.randn_like(expected)
        want = torch.autograd.grad(expected, (scores, wide), grad)
        with torch.no_grad():
            errors = [relative_error(gather_accumulate(codes, scores, tables, handle), expected)]
            got = gather_grad_call(kernels, grad, codes, scores, tables)
        return max(errors + [relative_error(g, w) for g, w in zip(got, want)])
    scores = torch.randn(tokens, h, requires_grad=True)
    tables = torch.randn(h, rows, d_out, requires_grad=True)
    out, expected = gather_accumulate(codes, scores, tables, handle), R.gather_accumulate(codes, scores, tables)
    grad = torch.randn_like(expected)
    errors = [relative_error(out, expected)]
    # both gradients (the fused backward), then each alone (its own kernel)
    for wrt in ((scores, tables), (scores,), (tables,)):
        frozen = {id(t) for t in (scores, tables)} - {id(t) for t in wrt}
        args = [t.detach() if id(t) in frozen else t for t in (scores, tables)]
        got = torch.autograd.grad(gather_accumulate(codes, *args, handle), wrt, grad)
        want = torch.autograd.grad(R.gather_accumulate(codes, *args), wrt, grad)
        errors += [relative_error(g, w) for g, w in zip(got, want)]
    return max(errors)


def check_small_gather(kernels, spec: OpSpec, tokens: int) -> float:
    """The small-batch gather against the reference at up to ``SMALL_TOKENS`` tokens (the
    tables in the spec's storage dtype, the reference on them widened)."""
    g = GatherInputs(spec, min(tokens, SMALL_TOKENS["gather"]))
    with torch.no_grad():
        got = gather_accumulate(g.codes, g.scores, g.tables, handle_of(kernels))
    return relative_error(got, R.gather_accumulate(g.codes, g.scores, g.tables.float()))


class GatherInputs:
    """Random codes, scores, tables (in the spec's storage dtype) and output gradient of the
    gather family at ``tokens`` tokens, with the flat layout ``embedding_bag`` takes and the
    bytes of the rows read."""

    def __init__(self, spec: OpSpec, tokens: int):
        h, rows, d_out = spec["h"], spec["rows"], spec["d_out"]
        self.tokens, self.h, self.rows, self.d_out = tokens, h, rows, d_out
        self.codes = torch.randint(0, rows, (tokens, h), dtype=torch.int32)
        self.scores, self.grad = torch.randn(tokens, h), torch.randn(tokens, d_out)
        self.tables = (torch.randn(h, rows, d_out) * 0.02).to(getattr(torch, spec.storage_dtype))
        self.flat_codes = (self.codes.long() + torch.arange(h) * rows).contiguous()
        self.flat_tables = self.tables.view(-1, d_out)
        self.row_bytes = self.tables.element_size() * tokens * h * d_out
        self.flops = 2.0 * tokens * h * d_out

    def bag(self, tables: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        """PyTorch's weighted gather: ``embedding_bag`` over the flat tables."""
        return torch.nn.functional.embedding_bag(self.flat_codes, tables, per_sample_weights=weights, mode="sum")


def gather_workload(spec: OpSpec, tokens: int) -> Workload:
    """The weighted gather; PyTorch: ``embedding_bag`` with per-sample weights, on tables (and
    weights) in the spec's storage dtype."""
    g = GatherInputs(spec, tokens)
    weights = g.scores.to(g.tables.dtype)
    return Workload([g.codes, g.scores, g.tables, torch.empty(tokens, g.d_out)], lambda: g.bag(g.flat_tables, weights),
                    f"embedding_bag ({g.tables.dtype})".replace("torch.", ""), g.flops,
                    g.row_bytes + F32_BYTES * tokens * g.d_out)


def score_grad_workload(spec: OpSpec, tokens: int) -> Workload:
    """dscore = <dout, row>; PyTorch: ``embedding_bag``'s backward to its per-sample weights."""
    g = GatherInputs(spec, tokens)
    weights = g.scores.clone().requires_grad_()
    out = g.bag(g.flat_tables, weights)
    return Workload([g.grad, g.codes, g.tables, torch.empty(tokens, g.h)],
                    lambda: torch.autograd.grad(out, weights, g.grad, retain_graph=True),
                    "embedding_bag backward (weights)", g.flops, g.row_bytes + F32_BYTES * tokens * g.d_out)


def gather_grad_workload(spec: OpSpec, tokens: int) -> Workload:
    """Both gradients in one pass; PyTorch: ``embedding_bag``'s backward to its weights and table."""
    g = GatherInputs(spec, tokens)
    weights = g.scores.to(g.tables.dtype).requires_grad_()
    leaf = g.flat_tables.clone().requires_grad_()
    out = g.bag(leaf, weights)
    grad = g.grad.to(g.tables.dtype)
    return Workload([g.codes, g.scores, g.grad, g.tables, torch.empty(tokens, g.h), torch.empty(g.h, g.rows, g.d_out)],
                    lambda: torch.autograd.grad(out, (weights, leaf), grad, retain_graph=True),
                    f"embedding_bag backward (weights and table, {g.tables.dtype})".replace("torch.", ""), 2 * g.flops,
                    2 * g.row_bytes + F32_BYTES * (g.h * g.rows * g.d_out + tokens * g.d_out))


def table_grad_workload(spec: OpSpec, tokens: int) -> Workload:
    """The scatter-add of score * dout into the rows; PyTorch: ``embedding_bag``'s backward."""
    g = GatherInputs(spec, tokens)
    leaf = g.flat_tables.clone().requires_grad_()
    out = g.bag(leaf, g.scores)
    return Workload([g.codes, g.scores, g.grad, torch.empty(g.h, g.rows, g.d_out)],
                    lambda: torch.autograd.grad(out, leaf, g.grad, retain_graph=True), "embedding_bag backward",
                    g.flops, 2 * g.row_bytes + F32_BYTES * g.h * g.rows * g.d_out)
