"""The LookupFFN operators on TVM kernels, forward and backward (torch custom ops with
autograd formulas: see :mod:`lookup_tvm.torch_ops`).

Names and shapes match :mod:`lookup_tvm.reference`; all tensors float32 (codes int32)
on the CPU, contiguous. The token count B may be any value >= 0 without recompiling.
"""
from __future__ import annotations

import torch

from lookup_tvm import torch_ops
from lookup_tvm.buffers import reusable
from lookup_tvm.kernels import CompiledKernels, default_kernels
from lookup_tvm.validation import MAX_CODE_BITS, check_bh4_args, check_bias

__all__ = ["bh4", "bh4_projection", "residual_mix", "front_end", "hash_codes", "gather_accumulate", "MAX_CODE_BITS"]


def kernels() -> CompiledKernels:
    """The compiled kernels the functional API runs on by default (this host's)."""
    return default_kernels()


def bh4(x: torch.Tensor, weight: torch.Tensor, kernels: CompiledKernels | None = None,
        bf16: bool = False) -> torch.Tensor:
    """Raw BH4 (no residual, no bias).

    x: [B, D] float32, D a power of two. weight: [r, 4, D//b, b, b] float32 ([out, in]
    per block). Returns [B, r*D]. Differentiable in x and weight. ``kernels``: the
    compiled kernels to run (default: this host's, see :func:`lookup_tvm.use_tuning_logs`).
    ``bf16``: a bfloat16 layer's training stage kernels, which multiply bf16-rounded operands
    where the CPU has AVX512-BF16 (as ``reference.bh4_bf16_operands``).
    """
    check_bh4_args(x, weight)
    handle = torch_ops.kernels_handle(kernels)
    if bf16 or (torch.is_grad_enabled() and (x.requires_grad or weight.requires_grad)):
        return torch_ops.bh4_train(x, weight, handle, bf16)[0]
    return torch_ops.bh4(x, weight, handle)


def bh4_projection(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor,
                   kernels: CompiledKernels | None = None) -> torch.Tensor:
    """The spec's BH4 projection with its epilogue fused (inference; not differentiable):
    ``z = (0.7 * BH4(x) + 0.3 * tile(x))[:, :F] + bias``.

    x: [B, D] float32 (already zero-padded to D), weight: [r, 4, D//b, b, b], bias: [F] with
    F <= r*D. Returns z: [B, F]. For training, compose :func:`bh4` with torch ops.
    """
    r, nb, b = check_bh4_args(x, weight)
    check_bias(bias, r * nb * b)
    if torch.is_grad_enabled() and any(t.requires_grad for t in (x, weight, bias)):
        raise RuntimeError("bh4_projection is inference-only; compose bh4() with torch ops to train")
    return torch_ops.bh4_projection(x, weight, bias, torch_ops.kernels_handle(kernels))


def residual_mix(projected: torch.Tensor, x_pad: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """``reference.residual_mix`` (``(0.7 * projected + 0.3 * tile(x_pad))[:, :F] + bias``), lean
    in memory for training at large token counts: x_pad is broadcast over the repeats instead
    of tiled, and the backward allocates only the gradients. projected [B, r*D], x_pad [B, D],
    bias [F] -> z [B, F]."""
    if bias.shape[0] % x_pad.shape[1]:
        from lookup_tvm.reference import residual_mix as spec_formula

        return spec_formula(projected, x_pad, bias)
    return _ResidualMix.apply(projected, x_pad, bias)


class _ResidualMix(torch.autograd.Function):
    """F a multiple of D: z.view(B, F/D, D) = bias + 0.7 * projected[:, :F] + 0.3 * x_pad (the
    output and gradients in pooled storages, :func:`lookup_tvm.buffers.reusable`)."""

    @staticmethod
    def forward(ctx, projected, x_pad, bias):
        batch, dim = x_pad.shape
        features = bias.shape[0]
        ctx.shapes = projected.shape[1], features, dim
        z = torch.add(bias, projected[:, :features], alpha=0.7, out=reusable((batch, features), projected.dtype))
        z.view(batch, features // dim, dim).add_(x_pad.unsqueeze(1), alpha=0.3)
        return z

    @staticmethod
    def backward(ctx, grad_z):
        projected_width, features, dim = ctx.shapes
        grad_projected = grad_x = grad_bias = None
        if ctx.needs_input_grad[0]:
            grad_projected = torch.mul(grad_z, 0.7, out=reusable(grad_z.shape, grad_z.dtype))
            if projected_width > features:
                grad_projected = torch.nn.functional.pad(grad_projected, (0, projected_width - features))
        if ctx.needs_input_grad[1]:  # summed over the repeats pairwise (a reduction over dim 1 zero-fills first)
            repeats = grad_z.view(-1, features // dim, dim)
            grad_x = torch.mul(repeats[:, 0], 0.3, out=reusable((repeats.shape[0], dim), grad_z.dtype))
            for k in range(1, repeats.shape[1]):
                grad_x.add_(repeats[:, k], alpha=0.3)
        if ctx.needs_input_grad[2]:
            grad_bias = grad_z.sum(0)
        return grad_projected, grad_x, grad_bias


def front_end(x: torch.Tensor, norm_weight: torch.Tensor, norm_bias: torch.Tensor, weight: torch.Tensor,
              bias: torch.Tensor, tau: int, kernels: CompiledKernels | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """LayerNorm, BH4 projection and hash in one kernel (inference; not differentiable).

    x: [B, d] float32; norm_weight, norm_bias: [d]; weight: [r, 4, D//b, b, b] (D the power of
    two >= d); bias: [h*tau]. Returns (codes [B, h] int32, scores [B, h] float32), as
    ``reference.front_end``.
    """
    if torch.is_grad_enabled() and any(t.requires_grad for t in (x, norm_weight, norm_bias, weight, bias)):
        raise RuntimeError("front_end is inference-only; train with bh4() and hash_codes()")
    return torch_ops.front_end(x, norm_weight, norm_bias, weight, bias, tau, torch_ops.kernels_handle(kernels))


def hash_codes(z: torch.Tensor, kernels: CompiledKernels | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Codes and scores. z: [B, h, tau] float32 -> (codes [B, h] int32, scores [B, h] float32).

    Gradients reach z through the scores only.
    """
    return torch_ops.hash_codes(z, torch_ops.kernels_handle(kernels))


def gather_accumulate(codes: torch.Tensor, scores: torch.Tensor, tables: torch.Tensor,
                      kernels: CompiledKernels | None = None) -> torch.Tensor:
    """y = sum_k scores[:, k] * tables[k, codes[:, k]].

    codes: [B, h] int32 in [0, rows); scores: [B, h] float32; tables: [h, rows, d_out]
    float32. Returns [B, d_out]. Differentiable in scores and tables.
    """
    return torch_ops.gather_accumulate(codes, scores, tables, torch_ops.kernels_handle(kernels))
