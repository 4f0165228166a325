"""The LookupFFN operators on TVM kernels, forward and backward: each family's custom ops
(torch ops with autograd formulas), with their arguments checked.

Names and shapes match :mod:`lookup_tvm.reference`; tensors on the CPU, contiguous, float32
unless a function says it takes bfloat16 too (codes int32). The token count B may be any
value >= 0 without recompiling. ``kernels``: the compiled kernels to run (default: this
host's, see :func:`lookup_tvm.use_tuning_logs`).
"""
from __future__ import annotations

import torch

from lookup_tvm.kernels import CompiledKernels, default_kernels
from lookup_tvm.kit.handles import handle_of
from lookup_tvm.layer import residual_mix
from lookup_tvm.ops import bh4 as bh4_ops
from lookup_tvm.ops import front_end as front_end_ops
from lookup_tvm.ops import gather as gather_ops
from lookup_tvm.ops import hash as hash_ops
from lookup_tvm.spec import MAX_CODE_BITS

__all__ = ["bh4", "bh4_projection", "residual_mix", "front_end", "hash_codes", "gather_accumulate", "MAX_CODE_BITS"]


def kernels() -> CompiledKernels:
    """The compiled kernels the functional API runs on by default (this host's)."""
    return default_kernels()


def bh4(x: torch.Tensor, weight: torch.Tensor, kernels: CompiledKernels | None = None,
        bf16: bool = False) -> torch.Tensor:
    """Raw BH4 (no residual, no bias).

    x: [B, D] float32, D a power of two. weight: [r, 4, D//b, b, b] float32 ([out, in]
    per block). Returns [B, r*D]. Differentiable in x and weight. ``bf16``: a bfloat16 layer's
    training stage kernels, which multiply bf16-rounded operands where the CPU has AVX512-BF16
    (as ``reference.bh4_bf16_operands``).
    """
    bh4_ops.check_bh4_args(x, weight)
    handle = handle_of(kernels)
    if bf16 or (torch.is_grad_enabled() and (x.requires_grad or weight.requires_grad)):
        return bh4_ops.bh4_train(x, weight, handle, bf16)[0]
    return bh4_ops.bh4(x, weight, handle)


def bh4_projection(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor,
                   kernels: CompiledKernels | None = None) -> torch.Tensor:
    """The spec's BH4 projection with its epilogue fused (inference; not differentiable):
    ``z = (0.7 * BH4(x) + 0.3 * tile(x))[:, :F] + bias``.

    x: [B, D] float32 (already zero-padded to D), weight: [r, 4, D//b, b, b], bias: [F] with
    F <= r*D. Returns z: [B, F]. For training, compose :func:`bh4` with :func:`residual_mix`.
    """
    r, nb, b = bh4_ops.check_bh4_args(x, weight)
    bh4_ops.check_bias(bias, r * nb * b)
    if torch.is_grad_enabled() and any(t.requires_grad for t in (x, weight, bias)):
        raise RuntimeError("bh4_projection is inference-only; compose bh4() with residual_mix() to train")
    return bh4_ops.bh4_projection(x, weight, bias, handle_of(kernels))


def front_end(x: torch.Tensor, norm_weight: torch.Tensor, norm_bias: torch.Tensor, weight: torch.Tensor,
              bias: torch.Tensor, tau: int,
              kernels: CompiledKernels | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """LayerNorm, BH4 projection and hash in one kernel (inference; not differentiable).

    x: [B, d] float32 or bfloat16; norm_weight, norm_bias: [d] and bias: [h*tau] in x's dtype;
    weight: [r, 4, D//b, b, b] float32 (D the power of two >= d). Returns (codes [B, h] int32,
    scores [B, h] float32), as ``reference.front_end``.
    """
    if torch.is_grad_enabled() and any(t.requires_grad for t in (x, norm_weight, norm_bias, weight, bias)):
        raise RuntimeError("front_end is inference-only; train with bh4() and hash_codes()")
    return front_end_ops.front_end(x, norm_weight, norm_bias, weight, bias, tau, handle_of(kernels))


def hash_codes(z: torch.Tensor, kernels: CompiledKernels | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Codes and scores. z: [B, h, tau] float32 -> (codes [B, h] int32, scores [B, h] float32).

    Gradients reach z through the scores only.
    """
    return hash_ops.hash_codes(z, handle_of(kernels))


def gather_accumulate(codes: torch.Tensor, scores: torch.Tensor, tables: torch.Tensor,
                      kernels: CompiledKernels | None = None) -> torch.Tensor:
    """y = sum_k scores[:, k] * tables[k, codes[:, k]].

    codes: [B, h] int32 in [0, rows); scores: [B, h] float32; tables: [h, rows, d_out]
    float32 or bfloat16. Returns [B, d_out] float32. Differentiable in scores and tables.
    """
    return gather_ops.gather_accumulate(codes, scores, tables, handle_of(kernels))
