"""The LookupFFN operators on TVM kernels, forward and backward, as autograd Functions.

Names and shapes match :mod:`lookup_tvm.reference`; all tensors float32 (codes int32)
on the CPU, contiguous. The token count B may be any value >= 0 without recompiling.
"""
from __future__ import annotations

import functools
from typing import Sequence

import torch

from lookup_tvm.kernels import CompiledKernels, Kernel, default_kernels
from lookup_tvm.ops.bh4 import FOLD, FOLD_TRANSPOSED, STAGES, UNFOLD
from lookup_tvm.reference import hadamard
from lookup_tvm.validation import check_codes_range, check_dims, check_tensor, is_power_of_two

__all__ = ["bh4", "hash_codes", "gather_accumulate"]

MAX_CODE_BITS = 30


def kernels() -> CompiledKernels:
    """The compiled kernels the functional API runs on by default (this host's)."""
    return default_kernels()


@functools.lru_cache(maxsize=None)
def hadamard_matrix(size: int) -> torch.Tensor:
    """The unnormalised Hadamard matrix [size, size] float32 (symmetric, entries +-1)."""
    return hadamard(torch.eye(size, dtype=torch.float32)).contiguous()


def run_tiled(kernel: Kernel, batched_in: Sequence[torch.Tensor], shared: Sequence[torch.Tensor],
              batched_out: Sequence[torch.Tensor]) -> None:
    """Call a kernel over all tokens; a token-tiled kernel gets whole tiles, the tail padded."""
    tile = kernel.token_tile
    if tile == 1:
        kernel(*batched_in, *shared, *batched_out)
        return
    batch = batched_out[0].shape[0]
    main = batch - batch % tile

    def tiles(t: torch.Tensor) -> torch.Tensor:
        return t.view(-1, tile, *t.shape[1:])

    if main:
        kernel(*[tiles(t[:main]) for t in batched_in], *shared, *[tiles(t[:main]) for t in batched_out])
    if main < batch:
        padded_in = [t.new_zeros((tile, *t.shape[1:])) for t in batched_in]
        for src, dst in zip(batched_in, padded_in):
            dst[: batch - main] = src[main:]
        padded_out = [t.new_empty((tile, *t.shape[1:])) for t in batched_out]
        kernel(*[tiles(t) for t in padded_in], *shared, *[tiles(t) for t in padded_out])
        for src, dst in zip(padded_out, batched_out):
            dst[main:] = src[: batch - main]


def _fold(ck: CompiledKernels, weight: torch.Tensor, mode: int) -> torch.Tensor:
    r, _, nb, b, _ = weight.shape if mode != UNFOLD else (weight.shape[1], *weight.shape[:1], *weight.shape[2:])
    out = torch.empty((r, STAGES, nb, b, b) if mode == UNFOLD else (STAGES, r, nb, b, b))
    ck.get("bh4_fold", r=r, nb=nb, b=b, mode=mode)(weight, hadamard_matrix(b), out)
    return out


class _BH4(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor, weight: torch.Tensor, training: bool, ck: CompiledKernels) -> torch.Tensor:
        r, _, nb, b, _ = weight.shape
        batch = x.shape[0]
        cross = hadamard_matrix(nb)
        ctx.kernels = ck
        folded = _fold(ck, weight, FOLD)
        if not training:
            out = x.new_empty((batch, r * nb * b))
            run_tiled(ck.get("bh4", r=r, nb=nb, b=b), [x.view(batch, 1, nb, b)], [folded, cross],
                      [out.view(batch, r, nb, b)])
            return out
        stage_inputs = [x.view(batch, 1, nb, b)]
        for s in range(STAGES):
            r_in = stage_inputs[-1].shape[1]
            y = x.new_empty((batch, r, nb, b))
            run_tiled(ck.get("bh4_stage", r=r, r_in=r_in, nb=nb, b=b), [stage_inputs[-1]], [folded[s], cross], [y])
            stage_inputs.append(y)
        ctx.save_for_backward(weight, *stage_inputs[:STAGES])
        return stage_inputs[-1].view(batch, r * nb * b)

    @staticmethod
    def backward(ctx, grad_out: torch.Tensor):
        weight, *stage_inputs = ctx.saved_tensors
        r, _, nb, b, _ = weight.shape
        batch = grad_out.shape[0]
        ck, cross = ctx.kernels, hadamard_matrix(nb)
        folded_t = _fold(ck, weight, FOLD_TRANSPOSED)
        grad_folded = weight.new_empty((STAGES, r, nb, b, b))
        grad = grad_out.contiguous().view(batch, r, nb, b)
        for s in reversed(range(STAGES)):
            r_in = stage_inputs[s].shape[1]
            grad_mm = grad.new_empty((batch, r, nb, b))
            grad_in = grad.new_empty((batch, r_in, nb, b))
            run_tiled(ck.get("bh4_stage_grad", r=r, r_in=r_in, nb=nb, b=b), [grad], [folded_t[s], cross],
                      [grad_mm, grad_in])
            ck.get("bh4_weight_grad", r=r, r_in=r_in, nb=nb, b=b)(grad_mm, stage_inputs[s], grad_folded[s])
            grad = grad_in
        return grad.view(batch, nb * b), _fold(ck, grad_folded, UNFOLD), None, None


def bh4(x: torch.Tensor, weight: torch.Tensor, kernels: CompiledKernels | None = None) -> torch.Tensor:
    """Raw BH4 (no residual, no bias).

    x: [B, D] float32, D a power of two. weight: [r, 4, D//b, b, b] float32 ([out, in]
    per block). Returns [B, r*D]. Differentiable in x and weight. ``kernels``: the
    compiled kernels to run (default: this host's, see :func:`lookup_tvm.use_tuning_logs`).
    """
    check_tensor("x", x, torch.float32, 2)
    check_tensor("weight", weight, torch.float32, 5)
    r, stages, nb, b, b2 = weight.shape
    if stages != STAGES or b != b2 or r < 1 or nb < 1 or b < 1:
        raise ValueError(f"weight must have shape [r, 4, D//b, b, b], got {tuple(weight.shape)}")
    dim = x.shape[1]
    if not is_power_of_two(dim):
        raise ValueError(f"x.shape[1] = D must be a power of two, got {dim}")
    if dim % b:
        raise ValueError(f"block size b = {b} (weight.shape[3]) must divide D = {dim}")
    check_dims("weight", weight, [None, STAGES, dim // b, b, b])
    training = torch.is_grad_enabled() and (x.requires_grad or weight.requires_grad)
    return _BH4.apply(x, weight, training, kernels or default_kernels())


class _Hash(torch.autograd.Function):
    @staticmethod
    def forward(ctx, z: torch.Tensor, ck: CompiledKernels):
        batch, h, tau = z.shape
        codes = torch.empty((batch, h), dtype=torch.int32)
        scores = z.new_empty((batch, h))
        ctx.kernels = ck
        ck.get("hash", h=h, tau=tau)(z, codes, scores)
        ctx.mark_non_differentiable(codes)
        ctx.save_for_backward(z)
        return codes, scores

    @staticmethod
    def backward(ctx, _grad_codes, grad_scores: torch.Tensor):
        (z,) = ctx.saved_tensors
        batch, h, tau = z.shape
        grad_z = torch.empty_like(z)
        ctx.kernels.get("hash_grad", h=h, tau=tau)(z, grad_scores.contiguous(), grad_z)
        return grad_z, None


def hash_codes(z: torch.Tensor, kernels: CompiledKernels | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Codes and scores. z: [B, h, tau] float32 -> (codes [B, h] int32, scores [B, h] float32).

    Gradients reach z through the scores only.
    """
    check_tensor("z", z, torch.float32, 3)
    if not 1 <= z.shape[2] <= MAX_CODE_BITS:
        raise ValueError(f"z.shape[2] = tau must be in [1, {MAX_CODE_BITS}] (int32 codes), got {z.shape[2]}")
    if z.shape[1] < 1:
        raise ValueError(f"z.shape[1] = h must be >= 1, got {z.shape[1]}")
    return _Hash.apply(z, kernels or default_kernels())


class _Gather(torch.autograd.Function):
    @staticmethod
    def forward(ctx, codes: torch.Tensor, scores: torch.Tensor, tables: torch.Tensor, ck: CompiledKernels):
        h, rows, d_out = tables.shape
        out = scores.new_empty((codes.shape[0], d_out))
        ctx.kernels = ck
        ck.get("gather", h=h, rows=rows, d_out=d_out)(codes, scores, tables, out)
        ctx.save_for_backward(codes, scores, tables)
        return out

    @staticmethod
    def backward(ctx, grad_out: torch.Tensor):
        codes, scores, tables = ctx.saved_tensors
        h, rows, d_out = tables.shape
        grad_out = grad_out.contiguous()
        grad_scores = grad_tables = None
        if ctx.needs_input_grad[1]:
            grad_scores = torch.empty_like(scores)
            ctx.kernels.get("gather_score_grad", h=h, rows=rows, d_out=d_out)(grad_out, codes, tables, grad_scores)
        if ctx.needs_input_grad[2]:
            grad_tables = torch.empty_like(tables)
            ctx.kernels.get("gather_table_grad", h=h, rows=rows, d_out=d_out)(codes, scores, grad_out, grad_tables)
        return None, grad_scores, grad_tables, None


def gather_accumulate(codes: torch.Tensor, scores: torch.Tensor, tables: torch.Tensor,
                      kernels: CompiledKernels | None = None) -> torch.Tensor:
    """y = sum_k scores[:, k] * tables[k, codes[:, k]].

    codes: [B, h] int32 in [0, rows); scores: [B, h] float32; tables: [h, rows, d_out]
    float32. Returns [B, d_out]. Differentiable in scores and tables.
    """
    check_tensor("codes", codes, torch.int32, 2)
    check_tensor("scores", scores, torch.float32, 2)
    check_tensor("tables", tables, torch.float32, 3)
    h, rows, d_out = tables.shape
    if min(h, rows, d_out) < 1:
        raise ValueError(f"tables must have non-empty shape [h, rows, d_out], got {tuple(tables.shape)}")
    check_dims("codes", codes, [None, h])
    check_dims("scores", scores, [codes.shape[0], h])
    check_codes_range(codes, rows)
    return _Gather.apply(codes, scores, tables, kernels or default_kernels())
