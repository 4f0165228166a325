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
from lookup_tvm.ops.gather.torch_ops import (gather_accumulate, gather_grad, gather_grad_call, gather_quantized,
                                             gather_score_grad, gather_table_grad)
from lookup_tvm.quantize import format_name, gather_accumulate_quantized, packed_columns, quantize_tables


def op_samples():
    """The family's custom ops on small valid arguments (for opcheck and bad-input tests)."""
    codes = torch.randint(0, 16, (5, 3), dtype=torch.int32)
    scores, tables, grad = torch.randn(5, 3), torch.randn(3, 16, 6), torch.randn(5, 6)
    quantized = [quantize_tables(torch.randn(3, 16, 32), bits) for bits in (8, 4)]
    return [(gather_accumulate, (codes, scores.clone().requires_grad_(), tables.clone().requires_grad_(), 0)),
            (gather_score_grad, (grad, codes, tables, 0)), (gather_table_grad, (grad, codes, scores, tables, 0)),
            (gather_grad, (grad, codes, scores, tables, 0))] + [
        (gather_quantized, (codes, scores, q.packed, q.scale, q.offset, q.bits, 0)) for q in quantized]


def check_gather_kernels(kernels, spec: OpSpec, tokens: int) -> float:
    """The gather and its gradients to scores and tables against the reference (bfloat16
    tables: the forward and the fused backward's float32 gradients, against the reference on
    the widened tables; quantized tables: the forward, :func:`check_quantized_gather`)."""
    if spec.table_bits:
        return check_quantized_gather(kernels, spec, tokens)
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


def check_quantized_gather(kernels, spec: OpSpec, tokens: int) -> float:
    """The gather of quantized tables against its reference
    (:func:`~lookup_tvm.quantize.gather_accumulate_quantized`), on rows whose offsets are large
    against their spread (the shift and the scaled values must both be right)."""
    g = GatherInputs(spec, tokens)
    with torch.no_grad():
        got = gather_quantized(g.codes, g.scores, *g.quantized_args, spec.table_bits, handle_of(kernels))
    return relative_error(got, gather_accumulate_quantized(g.codes, g.scores, g.quantized))


def check_small_gather(kernels, spec: OpSpec, tokens: int) -> float:
    """The small-batch gather against the reference at up to ``SMALL_TOKENS`` tokens (the
    tables in the spec's storage dtype, the reference on them widened; quantized tables as
    :func:`check_quantized_gather`)."""
    if spec.table_bits:
        return check_quantized_gather(kernels, spec, min(tokens, SMALL_TOKENS["gather"]))
    g = GatherInputs(spec, min(tokens, SMALL_TOKENS["gather"]))
    with torch.no_grad():
        got = gather_accumulate(g.codes, g.scores, g.tables, handle_of(kernels))
    return relative_error(got, R.gather_accumulate(g.codes, g.scores, g.tables.float()))


class GatherInputs:
    """Random codes, scores, tables (in the spec's storage dtype, or quantized with its
    ``table_bits``: rows offset by up to 10x their spread) and output gradient of the gather
    family at ``tokens`` tokens, with the flat layout ``embedding_bag`` takes and the bytes of
    the rows read."""

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
        if spec.table_bits:
            offsets = torch.randn(h, rows, 1) * 0.2
            self.quantized = quantize_tables(self.tables + offsets, spec.table_bits)
            self.quantized_args = (self.quantized.packed, self.quantized.scale, self.quantized.offset)
            self.row_bytes = tokens * h * (packed_columns(d_out, spec.table_bits) + 2 * F32_BYTES)

    def bag(self, tables: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        """PyTorch's weighted gather: ``embedding_bag`` over the flat tables."""
        return torch.nn.functional.embedding_bag(self.flat_codes, tables, per_sample_weights=weights, mode="sum")


def gather_workload(spec: OpSpec, tokens: int) -> Workload:
    """The weighted gather; PyTorch: ``embedding_bag`` with per-sample weights, on tables (and
    weights) in the spec's storage dtype; quantized tables: FBGEMM's row-wise embedding bag of the
    same bits (:func:`quantized_bag`)."""
    g = GatherInputs(spec, tokens)
    if spec.table_bits:
        bag = quantized_bag(g.quantized.dequantize().view(-1, g.d_out), g.flat_codes, g.scores, spec.table_bits)
        return Workload([g.codes, g.scores, *g.quantized_args, torch.empty(tokens, g.d_out)], bag,
                        f"FBGEMM {format_name(spec.table_bits)} row-wise embedding bag", g.flops,
                        g.row_bytes + F32_BYTES * tokens * g.d_out)
    weights = g.scores.to(g.tables.dtype)
    return Workload([g.codes, g.scores, g.tables, torch.empty(tokens, g.d_out)], lambda: g.bag(g.flat_tables, weights),
                    f"embedding_bag ({g.tables.dtype})".replace("torch.", ""), g.flops,
                    g.row_bytes + F32_BYTES * tokens * g.d_out)


def quantized_bag(flat_tables: torch.Tensor, flat_codes: torch.Tensor, scores: torch.Tensor, bits: int):
    """FBGEMM's weighted row-wise quantized embedding bag (in the torch CPU wheel), the gather's
    baseline at ``bits`` bits: tables [h * rows, d_out] float32 prepacked (scale and offset per
    row, float32 for 8 bits and float16 for 4), bags of the h codes of each token; returns the
    call."""
    quantized = torch.ops.quantized
    prepack, bag = ((quantized.embedding_bag_byte_prepack, quantized.embedding_bag_byte_rowwise_offsets) if bits == 8
                    else (quantized.embedding_bag_4bit_prepack, quantized.embedding_bag_4bit_rowwise_offsets))
    packed, indices = prepack(flat_tables), flat_codes.reshape(-1)
    offsets = torch.arange(0, indices.numel(), flat_codes.shape[1])
    weights = scores.reshape(-1).contiguous()
    return lambda: bag(packed, indices, offsets, False, 0, False, weights)


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
