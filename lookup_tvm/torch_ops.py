"""The kernels as ``torch.library`` custom ops (namespace ``lookup_tvm``), with fake
implementations and autograd formulas, so ``torch.compile`` and ``torch.export`` see each
operator as one node instead of breaking the graph.

Every op checks its arguments (dtype, shape, contiguity, code range) before any kernel runs
and raises TypeError/ValueError: a direct call or a compiled graph gets an exception, never
an out-of-bounds access. The checks run inside the op, so they cause no graph break.
Misaligned tensors are handled where they enter TVM (``Kernel``).

Which compiled kernels an op runs on is an integer handle (custom ops take no Python
objects): 0 is the process default (:func:`lookup_tvm.kernels.default_kernels`), others
come from :func:`kernels_handle`.
"""
from __future__ import annotations

import threading

import torch
from torch import Tensor

from lookup_tvm import kernel_calls as calls
from lookup_tvm.kernels import CompiledKernels, default_kernels
from lookup_tvm.tvm_api import set_num_threads
from lookup_tvm.validation import (STORAGE_DTYPES, check_bh4_args, check_bh4_grad_args, check_bias,
                                   check_front_end_args, check_gather_args, check_hash_args, check_lookup_ffn_args)

_HANDLES: list[CompiledKernels] = []
_HANDLES_LOCK = threading.Lock()


def kernels_handle(kernels: CompiledKernels | None) -> int:
    """The handle of a kernel set (registered on first use); 0 for the process default."""
    if kernels is None:
        return 0
    with _HANDLES_LOCK:
        for index, known in enumerate(_HANDLES):
            if known is kernels:
                return index + 1
        _HANDLES.append(kernels)
        return len(_HANDLES)


_THREADS = threading.local()


def _kernels(handle: int) -> CompiledKernels:
    """The kernel set of a handle; first sizes TVM's pool (per OS thread) to torch's thread count."""
    wanted = torch.get_num_threads()
    if getattr(_THREADS, "count", None) != wanted:
        set_num_threads(wanted)
        _THREADS.count = wanted
    return default_kernels() if handle == 0 else _HANDLES[handle - 1]


# ---- BH4 ---------------------------------------------------------------------------------

@torch.library.custom_op("lookup_tvm::bh4", mutates_args=())
def bh4(x: Tensor, weight: Tensor, handle: int) -> Tensor:
    check_bh4_args(x, weight)
    return calls.bh4_forward(_kernels(handle), x, weight)


@bh4.register_fake
def _(x, weight, handle):
    return x.new_empty((x.shape[0], weight.shape[0] * weight.shape[2] * weight.shape[3]))


@torch.library.custom_op("lookup_tvm::bh4_projection", mutates_args=())
def bh4_projection(x: Tensor, weight: Tensor, bias: Tensor, handle: int) -> Tensor:
    r, nb, b = check_bh4_args(x, weight)
    check_bias(bias, r * nb * b)
    return calls.bh4_projection(_kernels(handle), x, weight, bias)


@bh4_projection.register_fake
def _(x, weight, bias, handle):
    return x.new_empty((x.shape[0], bias.shape[0]))


@torch.library.custom_op("lookup_tvm::bh4_train", mutates_args=())
def bh4_train(x: Tensor, weight: Tensor, handle: int, bf16: bool = False) -> tuple[Tensor, Tensor]:
    check_bh4_args(x, weight)
    return calls.bh4_forward_train(_kernels(handle), x, weight, bf16)


@bh4_train.register_fake
def _(x, weight, handle, bf16=False):
    r, _, nb, b, _ = weight.shape
    return x.new_empty((x.shape[0], r * nb * b)), x.new_empty((3, x.shape[0], r, nb, b))


@torch.library.custom_op("lookup_tvm::bh4_backward", mutates_args=())
def bh4_backward(grad_out: Tensor, x: Tensor, weight: Tensor, acts: Tensor, handle: int,
                 bf16: bool = False) -> tuple[Tensor, Tensor]:
    check_bh4_grad_args(grad_out, x, weight, acts)
    return calls.bh4_backward(_kernels(handle), grad_out, x, weight, acts, bf16)


@bh4_backward.register_fake
def _(grad_out, x, weight, acts, handle, bf16=False):
    return torch.empty_like(x), torch.empty_like(weight)


def _bh4_setup(ctx, inputs, output):
    x, weight, handle, bf16 = inputs
    ctx.save_for_backward(x, weight, output[1])
    ctx.handle, ctx.bf16 = handle, bf16
    ctx.mark_non_differentiable(output[1])
    ctx.set_materialize_grads(False)  # no zero-filled gradient for the stage inputs (3 x [B, r*D])


def _bh4_grad(ctx, grad_out, _grad_acts):
    if grad_out is None:  # the output did not reach the loss
        return None, None, None, None
    x, weight, acts = ctx.saved_tensors
    grad_x, grad_weight = bh4_backward(grad_out.contiguous(), x, weight, acts, ctx.handle, ctx.bf16)
    return grad_x, grad_weight, None, None


bh4_train.register_autograd(_bh4_grad, setup_context=_bh4_setup)


@torch.library.custom_op("lookup_tvm::front_end", mutates_args=())
def front_end(x: Tensor, norm_weight: Tensor, norm_bias: Tensor, weight: Tensor, bias: Tensor, tau: int,
              handle: int) -> tuple[Tensor, Tensor]:
    check_front_end_args(x, norm_weight, norm_bias, weight, bias, tau)
    return calls.front_end(_kernels(handle), x, norm_weight, norm_bias, weight, bias, tau)


@front_end.register_fake
def _(x, norm_weight, norm_bias, weight, bias, tau, handle):
    h = bias.shape[0] // tau
    return x.new_empty((x.shape[0], h), dtype=torch.int32), x.new_empty((x.shape[0], h), dtype=torch.float32)


@torch.library.custom_op("lookup_tvm::lookup_ffn_inference", mutates_args=())
def lookup_ffn_inference(x: Tensor, norm_weight: Tensor, norm_bias: Tensor, weight: Tensor, proj_bias: Tensor,
                         tables: Tensor, out_bias: Tensor, handle: int) -> Tensor:
    """The whole layer without gradients (BH4 projection): x [B, d] -> y [B, d_out]."""
    check_lookup_ffn_args(x, norm_weight, norm_bias, weight, proj_bias, tables, out_bias)
    return calls.lookup_ffn_inference(_kernels(handle), x, norm_weight, norm_bias, weight, proj_bias, tables, out_bias)


@lookup_ffn_inference.register_fake
def _(x, norm_weight, norm_bias, weight, proj_bias, tables, out_bias, handle):
    return x.new_empty((x.shape[0], tables.shape[2]))


# ---- hash --------------------------------------------------------------------------------

@torch.library.custom_op("lookup_tvm::hash_codes", mutates_args=())
def hash_codes(z: Tensor, handle: int) -> tuple[Tensor, Tensor]:
    check_hash_args(z)
    return calls.hash_forward(_kernels(handle), z)


@hash_codes.register_fake
def _(z, handle):
    return z.new_empty(z.shape[:2], dtype=torch.int32), z.new_empty(z.shape[:2])


@torch.library.custom_op("lookup_tvm::hash_backward", mutates_args=())
def hash_backward(z: Tensor, grad_scores: Tensor, handle: int) -> Tensor:
    check_hash_args(z, grad_scores)
    return calls.hash_backward(_kernels(handle), z, grad_scores)


@hash_backward.register_fake
def _(z, grad_scores, handle):
    return torch.empty_like(z)


def _hash_setup(ctx, inputs, output):
    ctx.save_for_backward(inputs[0])
    ctx.handle = inputs[1]
    ctx.mark_non_differentiable(output[0])


def _hash_grad(ctx, _grad_codes, grad_scores):
    (z,) = ctx.saved_tensors
    return hash_backward(z, grad_scores.contiguous(), ctx.handle), None


hash_codes.register_autograd(_hash_grad, setup_context=_hash_setup)


# ---- gather ------------------------------------------------------------------------------

@torch.library.custom_op("lookup_tvm::gather_accumulate", mutates_args=())
def gather_accumulate(codes: Tensor, scores: Tensor, tables: Tensor, handle: int) -> Tensor:
    check_gather_args(codes, tables, scores=scores, table_dtypes=STORAGE_DTYPES)
    return calls.gather_forward(_kernels(handle), codes, scores, tables)


@gather_accumulate.register_fake
def _(codes, scores, tables, handle):
    return scores.new_empty((codes.shape[0], tables.shape[2]))


@torch.library.custom_op("lookup_tvm::gather_score_grad", mutates_args=())
def gather_score_grad(grad_out: Tensor, codes: Tensor, tables: Tensor, handle: int) -> Tensor:
    check_gather_args(codes, tables, grad_out=grad_out)
    return calls.gather_score_grad(_kernels(handle), grad_out, codes, tables)


@gather_score_grad.register_fake
def _(grad_out, codes, tables, handle):
    return grad_out.new_empty(codes.shape)


@torch.library.custom_op("lookup_tvm::gather_table_grad", mutates_args=())
def gather_table_grad(grad_out: Tensor, codes: Tensor, scores: Tensor, tables: Tensor, handle: int) -> Tensor:
    check_gather_args(codes, tables, scores=scores, grad_out=grad_out)
    return calls.gather_table_grad(_kernels(handle), grad_out, codes, scores, tables)


@gather_table_grad.register_fake
def _(grad_out, codes, scores, tables, handle):
    return torch.empty_like(tables)


@torch.library.custom_op("lookup_tvm::gather_grad", mutates_args=())
def gather_grad(grad_out: Tensor, codes: Tensor, scores: Tensor, tables: Tensor, handle: int) -> tuple[Tensor, Tensor]:
    """(grad_scores float32, grad_tables in the tables' dtype: summed in float32, rounded once;
    see kernel_calls.gather_grad)."""
    check_gather_args(codes, tables, scores=scores, grad_out=grad_out, table_dtypes=STORAGE_DTYPES)
    return calls.gather_grad(_kernels(handle), grad_out, codes, scores, tables, in_tables_dtype=True)


@gather_grad.register_fake
def _(grad_out, codes, scores, tables, handle):
    return grad_out.new_empty(codes.shape), torch.empty_like(tables)


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
