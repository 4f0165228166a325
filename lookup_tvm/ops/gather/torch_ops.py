"""The gather family on torch tensors: argument checks, the kernel calls, and the custom ops
``lookup_tvm::gather_accumulate`` (differentiable in scores and tables), ``gather_score_grad``,
``gather_table_grad`` and ``gather_grad`` (both gradients in one pass), and
``gather_quantized`` (quantized tables, inference)."""
from __future__ import annotations

import torch
from torch import Tensor

from lookup_tvm.ops.dispatch import serving_op
from lookup_tvm.kit.buffers import reusable
from lookup_tvm.kit.checks import STORAGE_DTYPES, check_codes_range, check_dims, check_tensor
from lookup_tvm.kit.handles import kernels_for
from lookup_tvm.kit.operator import storage_variant, table_variant
from lookup_tvm.quantize import QuantizedTables


def check_gather_args(codes: Tensor, tables: Tensor, scores: Tensor | None = None, grad_out: Tensor | None = None,
                      table_dtypes: tuple[torch.dtype, ...] = (torch.float32,)) -> None:
    """codes [B, h] int32 in [0, rows), tables [h, rows, d_out] of one of ``table_dtypes``,
    scores [B, h] and grad_out [B, d_out] float32 when given."""
    check_tensor("codes", codes, torch.int32, 2)
    check_tensor("tables", tables, table_dtypes, 3)
    h, rows, d_out = tables.shape
    if min(h, rows, d_out) < 1:
        raise ValueError(f"tables must have non-empty shape [h, rows, d_out], got {tuple(tables.shape)}")
    check_dims("codes", codes, [None, h])
    if scores is not None:
        check_tensor("scores", scores, torch.float32, 2)
        check_dims("scores", scores, [codes.shape[0], h])
    if grad_out is not None:
        check_tensor("grad_out", grad_out, torch.float32, 2)
        check_dims("grad_out", grad_out, [codes.shape[0], d_out])
    check_codes_range(codes, rows)


def _shape(tables: Tensor) -> dict[str, int]:
    h, rows, d_out = tables.shape
    return {"h": h, "rows": rows, "d_out": d_out}


def gather_forward(ck, codes: Tensor, scores: Tensor, tables: Tensor) -> Tensor:
    """codes [B, h] int32, scores [B, h] float32, tables float32 or bfloat16 -> [B, d_out] float32;
    small calls on ``gather_small`` (:mod:`lookup_tvm.ops.dispatch`)."""
    out = reusable((codes.shape[0], tables.shape[2]), torch.float32)
    kernel = ck.get(serving_op("gather", codes.shape[0], ck.target.profile.cores), **_shape(tables),
                    **storage_variant(tables.dtype == torch.bfloat16))
    kernel(codes, scores, tables, out)
    return out


def check_quantized_gather_args(codes: Tensor, scores: Tensor, tables: QuantizedTables) -> None:
    """codes [B, h] int32 in [0, rows), scores [B, h] float32, tables checked by
    :meth:`~lookup_tvm.quantize.QuantizedTables.check`."""
    h, rows, _ = tables.check().shape
    check_tensor("codes", codes, torch.int32, 2)
    check_dims("codes", codes, [None, h])
    check_tensor("scores", scores, torch.float32, 2)
    check_dims("scores", scores, [codes.shape[0], h])
    check_codes_range(codes, rows)


def quantized_gather_forward(ck, codes: Tensor, scores: Tensor, tables: QuantizedTables,
                             out: Tensor | None = None) -> Tensor:
    """codes [B, h] int32, scores [B, h] float32, quantized tables -> [B, d_out] float32 (into
    ``out`` when given); small calls on ``gather_small``."""
    h, rows, d_out = tables.shape
    out = reusable((codes.shape[0], d_out), torch.float32) if out is None else out
    kernel = ck.get(serving_op("gather", codes.shape[0], ck.target.profile.cores), h=h, rows=rows, d_out=d_out,
                    **table_variant(False, tables.bits))
    kernel(codes, scores, tables.packed, tables.scale, tables.offset, out)
    return out


def gather_score_grad_call(ck, grad_out: Tensor, codes: Tensor, tables: Tensor) -> Tensor:
    """-> grad_scores [B, h] float32 (float32 tables)."""
    grad_scores = reusable((codes.shape[0], tables.shape[0]), torch.float32)
    ck.get("gather_score_grad", **_shape(tables))(grad_out, codes, tables, grad_scores)
    return grad_scores


def gather_grad_call(ck, grad_out: Tensor, codes: Tensor, scores: Tensor, tables: Tensor,
                     in_tables_dtype: bool = False) -> tuple[Tensor, Tensor]:
    """Both gradients of the gather in one pass over the rows: (grad_scores [B, h] float32,
    grad_tables [h, rows, d_out]), accumulated in float32 even for bfloat16 tables. With
    ``in_tables_dtype`` the table gradient comes in the tables' dtype (bfloat16 tables: summed in
    float32, rounded once). Every buffer is pooled (:mod:`lookup_tvm.kit.buffers`)."""
    grad_scores = reusable((codes.shape[0], tables.shape[0]), torch.float32)
    grad_tables = reusable(tables.shape, torch.float32)
    ck.get("gather_grad", **_shape(tables), **storage_variant(tables.dtype == torch.bfloat16))(
        codes, scores, grad_out, tables, grad_scores, grad_tables)
    if in_tables_dtype and tables.dtype != torch.float32:
        return grad_scores, reusable(tables.shape, tables.dtype).copy_(grad_tables)
    return grad_scores, grad_tables


def gather_table_grad_call(ck, grad_out: Tensor, codes: Tensor, scores: Tensor, tables: Tensor) -> Tensor:
    """-> grad_tables [h, rows, d_out] float32 (float32 tables)."""
    grad_tables = reusable(tables.shape, torch.float32)
    ck.get("gather_table_grad", **_shape(tables))(codes, scores, grad_out, grad_tables)
    return grad_tables


@torch.library.custom_op("lookup_tvm::gather_accumulate", mutates_args=())
def gather_accumulate(codes: Tensor, scores: Tensor, tables: Tensor, handle: int) -> Tensor:
    check_gather_args(codes, tables, scores=scores, table_dtypes=STORAGE_DTYPES)
    return gather_forward(kernels_for(handle), codes, scores, tables)


gather_accumulate.register_fake(
    lambda codes, scores, tables, handle: scores.new_empty((codes.shape[0], tables.shape[2])))


@torch.library.custom_op("lookup_tvm::gather_quantized", mutates_args=())
def gather_quantized(codes: Tensor, scores: Tensor, packed: Tensor, scale: Tensor, offset: Tensor, bits: int,
                     handle: int) -> Tensor:
    """The gather of row-wise quantized tables (:mod:`lookup_tvm.quantize`), no gradients:
    codes [B, h] int32, scores [B, h] float32, packed [h, rows, d_out * bits / 8] uint8, scale and
    offset [h, rows] float32 -> [B, d_out] float32."""
    tables = QuantizedTables(packed, scale, offset, bits)
    check_quantized_gather_args(codes, scores, tables)
    return quantized_gather_forward(kernels_for(handle), codes, scores, tables)


gather_quantized.register_fake(lambda codes, scores, packed, scale, offset, bits, handle: scores.new_empty(
    (codes.shape[0], packed.shape[2] * 8 // bits)))


@torch.library.custom_op("lookup_tvm::gather_score_grad", mutates_args=())
def gather_score_grad(grad_out: Tensor, codes: Tensor, tables: Tensor, handle: int) -> Tensor:
    check_gather_args(codes, tables, grad_out=grad_out)
    return gather_score_grad_call(kernels_for(handle), grad_out, codes, tables)


gather_score_grad.register_fake(lambda grad_out, codes, tables, handle: grad_out.new_empty(codes.shape))


@torch.library.custom_op("lookup_tvm::gather_table_grad", mutates_args=())
def gather_table_grad(grad_out: Tensor, codes: Tensor, scores: Tensor, tables: Tensor, handle: int) -> Tensor:
    check_gather_args(codes, tables, scores=scores, grad_out=grad_out)
    return gather_table_grad_call(kernels_for(handle), grad_out, codes, scores, tables)


gather_table_grad.register_fake(lambda grad_out, codes, scores, tables, handle: torch.empty_like(tables))


@torch.library.custom_op("lookup_tvm::gather_grad", mutates_args=())
def gather_grad(grad_out: Tensor, codes: Tensor, scores: Tensor, tables: Tensor, handle: int) -> tuple[Tensor, Tensor]:
    """(grad_scores float32, grad_tables in the tables' dtype: summed in float32, rounded once)."""
    check_gather_args(codes, tables, scores=scores, grad_out=grad_out, table_dtypes=STORAGE_DTYPES)
    return gather_grad_call(kernels_for(handle), grad_out, codes, scores, tables, in_tables_dtype=True)


gather_grad.register_fake(lambda grad_out, codes, scores, tables, handle: (grad_out.new_empty(codes.shape),
                                                                          torch.empty_like(tables)))


def _gather_setup(ctx, inputs, output):
    codes, scores, tables, handle = inputs
    ctx.save_for_backward(codes, scores, tables)
    ctx.handle = handle


def _gather_grad(ctx, grad_out):
    codes, scores, tables = ctx.saved_tensors
    grad_out = grad_out.contiguous()
    if tables.dtype != torch.float32 or (ctx.needs_input_grad[1] and ctx.needs_input_grad[2]):
        grad_scores, grad_tables = gather_grad(grad_out, codes, scores, tables, ctx.handle)
        return (None, grad_scores if ctx.needs_input_grad[1] else None,
                grad_tables if ctx.needs_input_grad[2] else None, None)
    grad_scores = gather_score_grad(grad_out, codes, tables, ctx.handle) if ctx.needs_input_grad[1] else None
    grad_tables = gather_table_grad(grad_out, codes, scores, tables, ctx.handle) if ctx.needs_input_grad[2] else None
    return None, grad_scores, grad_tables, None


gather_accumulate.register_autograd(_gather_grad, setup_context=_gather_setup)
