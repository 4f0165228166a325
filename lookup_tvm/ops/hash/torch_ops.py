"""The hash family on torch tensors: argument checks, the kernel calls, and the custom ops
``lookup_tvm::hash_codes`` (differentiable in z through the scores) and ``hash_backward``."""
from __future__ import annotations

import torch
from torch import Tensor

from lookup_tvm.kit.buffers import reusable
from lookup_tvm.kit.checks import check_dims, check_tensor
from lookup_tvm.kit.handles import kernels_for
from lookup_tvm.ops.dispatch import serving_op
from lookup_tvm.spec import MAX_CODE_BITS


def check_hash_args(z: Tensor, grad_scores: Tensor | None = None) -> None:
    """z [B, h, tau] float32 with 1 <= tau <= 30; grad_scores [B, h] float32."""
    check_tensor("z", z, torch.float32, 3)
    if not 1 <= z.shape[2] <= MAX_CODE_BITS:
        raise ValueError(f"z.shape[2] = tau must be in [1, {MAX_CODE_BITS}] (int32 codes), got {z.shape[2]}")
    if z.shape[1] < 1:
        raise ValueError(f"z.shape[1] = h must be >= 1, got {z.shape[1]}")
    if grad_scores is not None:
        check_tensor("grad_scores", grad_scores, torch.float32, 2)
        check_dims("grad_scores", grad_scores, list(z.shape[:2]))


def hash_forward(ck, z: Tensor) -> tuple[Tensor, Tensor]:
    """z [B, h, tau] -> (codes [B, h] int32, scores [B, h])."""
    batch, h, tau = z.shape
    codes, scores = reusable((batch, h), torch.int32), reusable((batch, h), torch.float32)
    ck.get(serving_op("hash", batch, ck.target.profile.cores), h=h, tau=tau)(z, codes, scores)
    return codes, scores


def hash_backward_call(ck, z: Tensor, grad_scores: Tensor) -> Tensor:
    """z [B, h, tau], grad_scores [B, h] -> grad_z [B, h, tau]."""
    batch, h, tau = z.shape
    grad_z = reusable(z.shape, torch.float32)
    ck.get(serving_op("hash_grad", batch, ck.target.profile.cores), h=h, tau=tau)(z, grad_scores, grad_z)
    return grad_z


@torch.library.custom_op("lookup_tvm::hash_codes", mutates_args=())
def hash_codes(z: Tensor, handle: int) -> tuple[Tensor, Tensor]:
    check_hash_args(z)
    return hash_forward(kernels_for(handle), z)


@hash_codes.register_fake
def _(z, handle):
    return z.new_empty(z.shape[:2], dtype=torch.int32), z.new_empty(z.shape[:2])


@torch.library.custom_op("lookup_tvm::hash_backward", mutates_args=())
def hash_backward(z: Tensor, grad_scores: Tensor, handle: int) -> Tensor:
    check_hash_args(z, grad_scores)
    return hash_backward_call(kernels_for(handle), z, grad_scores)


hash_backward.register_fake(lambda z, grad_scores, handle: torch.empty_like(z))


def _hash_setup(ctx, inputs, output):
    ctx.save_for_backward(inputs[0])
    ctx.handle = inputs[1]
    ctx.mark_non_differentiable(output[0])


def _hash_grad(ctx, _grad_codes, grad_scores):
    (z,) = ctx.saved_tensors
    return hash_backward(z, grad_scores.contiguous(), ctx.handle), None


hash_codes.register_autograd(_hash_grad, setup_context=_hash_setup)
