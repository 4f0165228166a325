"""The front-end family on torch tensors: argument checks, the kernel call, and the custom op
``lookup_tvm::front_end`` (inference: LayerNorm, BH4 projection and hash in one kernel)."""
from __future__ import annotations

import torch
from torch import Tensor

from lookup_tvm.ops.dispatch import serving_op
from lookup_tvm.kit.buffers import reusable
from lookup_tvm.kit.checks import STORAGE_DTYPES, check_dims, check_tensor
from lookup_tvm.kit.handles import kernels_for
from lookup_tvm.kit.operator import storage_variant
from lookup_tvm.kit.tiling import run_tiled
from lookup_tvm.ops.bh4.compute import FOLD
from lookup_tvm.ops.bh4.torch_ops import check_bh4_args, check_bias, fold, hadamard_matrix
from lookup_tvm.reference import padded_dim
from lookup_tvm.spec import MAX_CODE_BITS


def check_front_end_args(x: Tensor, norm_weight: Tensor, norm_bias: Tensor, weight: Tensor, bias: Tensor,
                         tau: int, folded: bool = False) -> None:
    """x [B, d], norm_weight/norm_bias [d], weight [r, 4, D//b, b, b] (``folded``: [4, r, D//b,
    b, b]) with D the power of two >= d, bias [h*tau] with h*tau <= r*D, 1 <= tau <= 30; weight
    float32, the others float32 or all bfloat16."""
    check_tensor("x", x, STORAGE_DTYPES, 2)
    d = x.shape[1]
    for name, value in (("norm_weight", norm_weight), ("norm_bias", norm_bias)):
        check_tensor(name, value, x.dtype, 1)
        check_dims(name, value, [d])
    r, nb, b = check_bh4_args(torch.empty(0, padded_dim(d)), weight, folded)
    if not 1 <= tau <= MAX_CODE_BITS:
        raise ValueError(f"tau must be in [1, {MAX_CODE_BITS}] (int32 codes), got {tau}")
    check_bias(bias, r * nb * b, x.dtype)
    if bias.shape[0] % tau:
        raise ValueError(f"bias length {bias.shape[0]} must be h * tau, a multiple of tau = {tau}")


def front_end_spec(ck, config, bf16: bool):
    """The full spec (layout chosen by the kernel set's source) of a layer config's front end."""
    return ck.spec("front_end", **config.bh4_shape, d=config.d, h=config.h, tau=config.tau, **storage_variant(bf16))


def front_end_call(ck, x: Tensor, norm_weight: Tensor, norm_bias: Tensor, folded: Tensor, bias: Tensor,
                   tau: int) -> tuple[Tensor, Tensor]:
    """Inference front end in one kernel: LayerNorm, BH4 projection and hash.
    x [B, d], norm_weight/norm_bias [d], bias [h*tau]: float32 or bfloat16; folded weights [4, r,
    nb, b, b] float32 (:func:`~lookup_tvm.ops.bh4.torch_ops.fold`) -> (codes [B, h] int32, scores
    [B, h] float32). Small calls on ``front_end_small`` (:mod:`lookup_tvm.ops.dispatch`)."""
    _, r, nb, b, _ = folded.shape
    batch, d = x.shape
    h = bias.shape[0] // tau
    codes, scores = reusable((batch, h), torch.int32), reusable((batch, h), torch.float32)
    kernel = ck.get(serving_op("front_end", batch, ck.target.profile.cores), d=d, r=r, nb=nb, b=b, h=h, tau=tau,
                    **storage_variant(x.dtype == torch.bfloat16))
    run_tiled(kernel, [x], [norm_weight, norm_bias, folded, hadamard_matrix(nb), bias], [codes, scores])
    return codes, scores


@torch.library.custom_op("lookup_tvm::front_end", mutates_args=())
def front_end(x: Tensor, norm_weight: Tensor, norm_bias: Tensor, weight: Tensor, bias: Tensor, tau: int,
              handle: int) -> tuple[Tensor, Tensor]:
    check_front_end_args(x, norm_weight, norm_bias, weight, bias, tau)
    ck = kernels_for(handle)
    return front_end_call(ck, x, norm_weight, norm_bias, fold(ck, weight, FOLD), bias, tau)


@front_end.register_fake
def _(x, norm_weight, norm_bias, weight, bias, tau, handle):
    h = bias.shape[0] // tau
    return x.new_empty((x.shape[0], h), dtype=torch.int32), x.new_empty((x.shape[0], h), dtype=torch.float32)
