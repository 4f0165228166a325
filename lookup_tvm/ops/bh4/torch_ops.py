"""The BH4 family on torch tensors: argument checks, the kernel calls (the folds, the fused
forward and projection, the stage chain of training and its backward), and the custom ops
``lookup_tvm::bh4``, ``bh4_projection``, ``bh4_train`` (differentiable in x and the weight)
and ``bh4_backward``."""
from __future__ import annotations

import functools

import torch
from torch import Tensor

from lookup_tvm.ops.dispatch import runs_small, serving_op
from lookup_tvm.kit.buffers import reusable
from lookup_tvm.kit.checks import check_dims, check_tensor, is_power_of_two
from lookup_tvm.kit.handles import kernels_for
from lookup_tvm.kit.operator import storage_variant
from lookup_tvm.kit.tiling import run_tiled
from lookup_tvm.ops.bh4.compute import FOLD, FOLD_TRANSPOSED, UNFOLD
from lookup_tvm.reference import hadamard
from lookup_tvm.spec import MIX_INPUT, MIX_PROJECTED, STAGES


def check_weight(weight: Tensor, folded: bool = False) -> tuple[int, int, int]:
    """BH4 weights [r, 4, nb, b, b] float32 (``folded``: the folded weights [4, r, nb, b, b]);
    returns (r, nb, b)."""
    name, layout = (("folded_weight", f"[{STAGES}, r, D//b, b, b]") if folded
                    else ("weight", f"[r, {STAGES}, D//b, b, b]"))
    check_tensor(name, weight, torch.float32, 5)
    stages, r = weight.shape[:2] if folded else weight.shape[1::-1]
    _, _, nb, b, b2 = weight.shape
    if stages != STAGES or b != b2 or min(r, nb, b) < 1:
        raise ValueError(f"{name} must have shape {layout}, got {tuple(weight.shape)}")
    return r, nb, b


def check_bh4_args(x: Tensor, weight: Tensor, folded: bool = False) -> tuple[int, int, int]:
    """x [B, D] float32 (D a power of two), weight [r, 4, D//b, b, b] float32 (``folded``: the
    folded weights [4, r, D//b, b, b]); returns (r, nb, b)."""
    check_tensor("x", x, torch.float32, 2)
    r, nb, b = check_weight(weight, folded)
    dim = x.shape[1]
    if not is_power_of_two(dim):
        raise ValueError(f"x.shape[1] = D must be a power of two, got {dim}")
    if dim % b:
        raise ValueError(f"block size b = {b} (weight.shape[3]) must divide D = {dim}")
    name = "folded_weight" if folded else "weight"
    check_dims(name, weight, [STAGES, None, dim // b, b, b] if folded else [None, STAGES, dim // b, b, b])
    return r, nb, b


def check_bh4_grad_args(grad_out: Tensor, x: Tensor, weight: Tensor, acts: Tensor) -> None:
    """The BH4 backward's inputs: grad_out [B, r*D], acts [3, B, r, nb, b] (stage outputs)."""
    r, nb, b = check_bh4_args(x, weight)
    check_tensor("grad_out", grad_out, torch.float32, 2)
    check_dims("grad_out", grad_out, [x.shape[0], r * nb * b])
    check_tensor("acts", acts, torch.float32, 5)
    check_dims("acts", acts, [STAGES - 1, x.shape[0], r, nb, b])


def check_bias(bias: Tensor, width: int, dtype: torch.dtype = torch.float32) -> None:
    """bias [F] of ``dtype`` with 1 <= F <= width (= r*D)."""
    check_tensor("bias", bias, dtype, 1)
    if not 1 <= bias.shape[0] <= width:
        raise ValueError(f"bias length F must be in [1, r*D = {width}], got {bias.shape[0]}")


@functools.lru_cache(maxsize=None)
def hadamard_matrix(size: int) -> Tensor:
    """The unnormalised Hadamard matrix [size, size] float32 (symmetric, entries +-1)."""
    return hadamard(torch.eye(size, dtype=torch.float32)).contiguous()


def fold(ck, weight: Tensor, mode: int) -> Tensor:
    """Fold H_b into BH4 weights [r, 4, nb, b, b] (FOLD, FOLD_TRANSPOSED -> [4, r, nb, b, b]),
    or unfold a folded-weight gradient back (UNFOLD: [4, r, ...] -> [r, 4, ...]); float32."""
    if mode == UNFOLD:
        _, r, nb, b, _ = weight.shape
        out = weight.new_empty((r, STAGES, nb, b, b))
    else:
        r, _, nb, b, _ = weight.shape
        out = weight.new_empty((STAGES, r, nb, b, b))
    ck.get("bh4_fold", r=r, nb=nb, b=b, mode=mode)(weight, hadamard_matrix(b), out)
    return out


def bh4_forward(ck, x: Tensor, weight: Tensor) -> Tensor:
    """Inference BH4, the 4 stages fused: x [B, D], weight [r, 4, nb, b, b] -> [B, r*D]. Calls
    the small stage kernels serve (:mod:`lookup_tvm.ops.dispatch`) run the training forward
    instead, whose stage kernels are then the small ones."""
    r, _, nb, b, _ = weight.shape
    batch = x.shape[0]
    if runs_small("bh4_stage", batch, ck.target.profile.cores):
        return bh4_forward_train(ck, x, weight)[0]
    out = reusable((batch, r * nb * b), torch.float32)
    run_tiled(ck.get("bh4", r=r, nb=nb, b=b), [x.view(batch, 1, nb, b)], [fold(ck, weight, FOLD), hadamard_matrix(nb)],
              [out.view(batch, r, nb, b)])
    return out


def bh4_projection_call(ck, x: Tensor, weight: Tensor, bias: Tensor) -> Tensor:
    """Inference projection, fused: MIX_PROJECTED * BH4(x) + MIX_INPUT * tile(x), first F values,
    + bias. x [B, D], weight [r, 4, nb, b, b], bias [F] -> z [B, F]. Calls too small for the
    token tiles run the training forward (its small stage kernels), then the mix in torch."""
    r, _, nb, b, _ = weight.shape
    batch, features = x.shape[0], bias.shape[0]
    if runs_small("bh4_stage", batch, ck.target.profile.cores):
        y = bh4_forward_train(ck, x, weight)[0]
        return MIX_PROJECTED * y[:, :features] + MIX_INPUT * x.repeat(1, r)[:, :features] + bias
    out = reusable((batch, features), torch.float32)
    run_tiled(ck.get("bh4_projection", r=r, nb=nb, b=b, features=features), [x.view(batch, 1, nb, b)],
              [fold(ck, weight, FOLD), hadamard_matrix(nb), bias], [out])
    return out


def bh4_forward_train(ck, x: Tensor, weight: Tensor, bf16: bool = False) -> tuple[Tensor, Tensor]:
    """Training BH4, one kernel per stage: returns (out [B, r*D], stage inputs 1..3 [3, B, r, nb, b]),
    float32. ``bf16``: a bfloat16 layer's stage kernels (bf16 operands where the CPU has dot products)."""
    r, _, nb, b, _ = weight.shape
    batch = x.shape[0]
    folded, cross = fold(ck, weight, FOLD), hadamard_matrix(nb)
    acts = reusable((STAGES - 1, batch, r, nb, b), torch.float32)
    out = reusable((batch, r * nb * b), torch.float32)
    stage_in = x.view(batch, 1, nb, b)
    for s in range(STAGES):
        stage_out = acts[s] if s < STAGES - 1 else out.view(batch, r, nb, b)
        kernel = ck.get(serving_op("bh4_stage", batch, ck.target.profile.cores), r=r, r_in=stage_in.shape[1], nb=nb,
                        b=b, **storage_variant(bf16))
        run_tiled(kernel, [stage_in], [folded[s], cross], [stage_out])
        stage_in = stage_out
    return out, acts


def weight_grad(kernel, grad_mm: Tensor, stage_input: Tensor, out: Tensor) -> None:
    """out = sum over tokens of stage_input (x) grad_mm, whole tiles first, then the padded tail."""
    tile, batch = kernel.token_tile, grad_mm.shape[0]
    main = batch - batch % tile
    if main:
        kernel(grad_mm[:main].view(-1, tile, *grad_mm.shape[1:]),
               stage_input[:main].view(-1, tile, *stage_input.shape[1:]), out)
    if main < batch:
        pads = [t.new_zeros((tile, *t.shape[1:])) for t in (grad_mm, stage_input)]
        pads[0][: batch - main], pads[1][: batch - main] = grad_mm[main:], stage_input[main:]
        tail = out if not main else torch.empty_like(out)
        kernel(pads[0].view(1, tile, *grad_mm.shape[1:]), pads[1].view(1, tile, *stage_input.shape[1:]), tail)
        if main:
            out += tail
    elif not main:
        out.zero_()


def bh4_backward_call(ck, grad_out: Tensor, x: Tensor, weight: Tensor, acts: Tensor,
                      bf16: bool = False) -> tuple[Tensor, Tensor]:
    """Gradients of BH4 for x [B, D] and weight [r, 4, nb, b, b] from grad_out [B, r*D]. The
    stages' intermediate gradients live in three pooled buffers (:mod:`lookup_tvm.kit.buffers`),
    reused from stage to stage. ``bf16``: a bfloat16 layer's input-gradient kernels (as
    :func:`bh4_forward_train`)."""
    r, _, nb, b, _ = weight.shape
    batch = x.shape[0]
    folded_t, cross = fold(ck, weight, FOLD_TRANSPOSED), hadamard_matrix(nb)
    stage_inputs = [x.view(batch, 1, nb, b), *acts]
    grad_folded = weight.new_empty((STAGES, r, nb, b, b))
    grad_mm, *ping_pong = (reusable((batch, r, nb, b), torch.float32) for _ in range(3))
    grad = grad_out.view(batch, r, nb, b)
    for s in reversed(range(STAGES)):
        r_in = stage_inputs[s].shape[1]
        grad_in = ping_pong[s % 2] if s else reusable((batch, r_in, nb, b), torch.float32)
        kernel = ck.get(serving_op("bh4_stage_grad", batch, ck.target.profile.cores), r=r, r_in=r_in, nb=nb, b=b,
                        **storage_variant(bf16))
        run_tiled(kernel, [grad], [folded_t[s], cross], [grad_mm, grad_in])
        weight_grad(ck.get("bh4_weight_grad", r=r, r_in=r_in, nb=nb, b=b), grad_mm, stage_inputs[s], grad_folded[s])
        grad = grad_in
    return grad.view(batch, nb * b), fold(ck, grad_folded, UNFOLD)


@torch.library.custom_op("lookup_tvm::bh4_fold", mutates_args=())
def bh4_fold(weight: Tensor, handle: int) -> Tensor:
    """The folded weights [4, r, nb, b, b] of BH4 weights [r, 4, nb, b, b] (H_b folded in):
    what the forward kernels read, computed once by callers whose weights do not change."""
    check_weight(weight)
    return fold(kernels_for(handle), weight, FOLD)


bh4_fold.register_fake(lambda weight, handle: weight.new_empty((STAGES, weight.shape[0], *weight.shape[2:])))


@torch.library.custom_op("lookup_tvm::bh4", mutates_args=())
def bh4(x: Tensor, weight: Tensor, handle: int) -> Tensor:
    check_bh4_args(x, weight)
    return bh4_forward(kernels_for(handle), x, weight)


bh4.register_fake(
    lambda x, weight, handle: x.new_empty((x.shape[0], weight.shape[0] * weight.shape[2] * weight.shape[3])))


@torch.library.custom_op("lookup_tvm::bh4_projection", mutates_args=())
def bh4_projection(x: Tensor, weight: Tensor, bias: Tensor, handle: int) -> Tensor:
    r, nb, b = check_bh4_args(x, weight)
    check_bias(bias, r * nb * b)
    return bh4_projection_call(kernels_for(handle), x, weight, bias)


bh4_projection.register_fake(lambda x, weight, bias, handle: x.new_empty((x.shape[0], bias.shape[0])))


@torch.library.custom_op("lookup_tvm::bh4_train", mutates_args=())
def bh4_train(x: Tensor, weight: Tensor, handle: int, bf16: bool = False) -> tuple[Tensor, Tensor]:
    check_bh4_args(x, weight)
    return bh4_forward_train(kernels_for(handle), x, weight, bf16)


@bh4_train.register_fake
def _(x, weight, handle, bf16=False):
    r, _, nb, b, _ = weight.shape
    return x.new_empty((x.shape[0], r * nb * b)), x.new_empty((STAGES - 1, x.shape[0], r, nb, b))


@torch.library.custom_op("lookup_tvm::bh4_backward", mutates_args=())
def bh4_backward(grad_out: Tensor, x: Tensor, weight: Tensor, acts: Tensor, handle: int,
                 bf16: bool = False) -> tuple[Tensor, Tensor]:
    check_bh4_grad_args(grad_out, x, weight, acts)
    return bh4_backward_call(kernels_for(handle), grad_out, x, weight, acts, bf16)


bh4_backward.register_fake(lambda grad_out, x, weight, acts, handle, bf16=False: (torch.empty_like(x),
                                                                                 torch.empty_like(weight)))


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
