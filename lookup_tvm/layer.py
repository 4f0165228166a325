"""Ops that compose families into the layer: the whole no-gradient forward in one custom op
(front end kernel, then gather kernel), and the training path's residual mix."""
from __future__ import annotations

import threading

import torch
from torch import Tensor

from lookup_tvm import reference
from lookup_tvm.cpu import threads
from lookup_tvm.cpu.tvm_api import set_num_threads
from lookup_tvm.kit.buffers import reusable
from lookup_tvm.kit.checks import STORAGE_DTYPES, TVM_ALIGNMENT, check_dims, check_tensor, is_power_of_two
from lookup_tvm.kit.handles import kernels_for
from lookup_tvm.kit.operator import storage_variant, table_variant
from lookup_tvm.kit.tiling import run_tiled
from lookup_tvm.ops.bh4 import hadamard_matrix
from lookup_tvm.ops.dispatch import FRONT_END, GATHER, serving_op
from lookup_tvm.ops.front_end import check_front_end_args
from lookup_tvm.quantize import QuantizedTables
from lookup_tvm.spec import MIX_INPUT, MIX_PROJECTED


def check_lookup_ffn_args(x: Tensor, norm_weight: Tensor, norm_bias: Tensor, folded_weight: Tensor,
                          proj_bias: Tensor, tables: Tensor, out_bias: Tensor) -> None:
    """The whole layer's arguments: as the front end's (with folded weights), with tau from
    tables [h, 2**tau, d_out] (h*tau = proj_bias length) and out_bias [d_out]; folded_weight
    float32, the others all float32 or all bfloat16."""
    check_tensor("tables", tables, STORAGE_DTYPES, 3)
    h, rows, d_out = tables.shape
    if not is_power_of_two(rows) or rows < 2:
        raise ValueError(f"tables.shape[1] must be 2**tau rows (tau >= 1), got {rows}")
    tau = rows.bit_length() - 1
    check_front_end_args(x, norm_weight, norm_bias, folded_weight, proj_bias, tau, folded=True)
    if proj_bias.shape[0] != h * tau:
        raise ValueError(f"proj_bias has {proj_bias.shape[0]} values, the tables need h * tau = {h * tau}")
    check_tensor("x", x, tables.dtype, 2)
    check_tensor("out_bias", out_bias, tables.dtype, 1)
    check_dims("out_bias", out_bias, [d_out])


class InferencePlan:
    """The whole layer without gradients, bound once to a kernel set and the layer's tensors:
    front end kernel, gather kernel, bias added in place. A call looks up the two kernels its
    token count runs and calls them directly; up to ``KEPT_TOKENS`` tokens the codes and scores
    between them live in buffers kept per thread, so a decode step spends a few microseconds
    outside the kernels (:class:`lookup_tvm.LookupFFN` keeps one plan while its parameters are
    unchanged).

    folded_weight [4, r, nb, b, b] float32 (``bh4_fold``), norm_weight/norm_bias [d], proj_bias
    [h*tau], tables [h, 2**tau, d_out] (or :class:`~lookup_tvm.quantize.QuantizedTables` of that
    shape), out_bias [d_out], all float32 or all bfloat16. Tensors off TVM's 64-byte alignment
    are bound as aligned copies (inputs only: never written)."""

    KEPT_TOKENS = 64

    def __init__(self, ck, norm_weight: Tensor, norm_bias: Tensor, folded_weight: Tensor, proj_bias: Tensor,
                 tables: Tensor | QuantizedTables, out_bias: Tensor):
        self.ck = ck
        self.out_bias = _bound(out_bias)
        bits = tables.bits if isinstance(tables, QuantizedTables) else 0
        self.gather_args = ([_bound(t) for t in (tables.packed, tables.scale, tables.offset)] if bits
                            else [_bound(tables)])
        h, rows, self.d_out = tables.shape
        self.h, self.tau, nb = h, rows.bit_length() - 1, folded_weight.shape[2]
        self.folded_weight = _bound(folded_weight)
        self.shared = [_bound(norm_weight), _bound(norm_bias), self.folded_weight, hadamard_matrix(nb),
                       _bound(proj_bias)]
        self.shape = {"r": folded_weight.shape[1], "nb": nb, "b": folded_weight.shape[3], "h": h, "tau": self.tau}
        bf16 = out_bias.dtype == torch.bfloat16
        self.variant, self.gather_variant = storage_variant(bf16), table_variant(bf16, bits)
        self._local = threading.local()

    def _step(self, batch: int, d: int) -> tuple:
        """What a call of ``batch`` tokens runs: the front end kernel and its token tile, the
        gather kernel, and the codes and scores between them (with their views as tiles, None
        where the batch is not whole tiles), kept per thread for up to ``KEPT_TOKENS`` tokens."""
        kept = getattr(self._local, "steps", None)
        if kept is None:
            kept = self._local.steps = {}
        step = kept.get(batch)
        if step is None:
            cores = self.ck.target.profile.cores
            front = self.ck.get(serving_op(FRONT_END, batch, cores), d=d, **self.shape, **self.variant)
            gather = self.ck.get(serving_op(GATHER, batch, cores), h=self.h, rows=1 << self.tau, d_out=self.d_out,
                                 **self.gather_variant)
            tile = front.token_tile
            codes, scores = reusable((batch, self.h), torch.int32), reusable((batch, self.h), torch.float32)
            tiles = [None, None] if batch % tile else [t.view(-1, tile, self.h) for t in (codes, scores)]
            step = (front, tile, gather, codes, scores, *tiles)
            if batch <= self.KEPT_TOKENS:
                kept[batch] = step
        return step

    def __call__(self, x: Tensor) -> Tensor:
        """x [B, d] in the output bias's dtype -> y [B, d_out] (float32 sums, rounded once for
        bfloat16)."""
        threads.follow_torch(set_num_threads)
        batch, d = x.shape
        if x.data_ptr() % TVM_ALIGNMENT:
            x = x.clone()
        front, tile, gather, codes, scores, code_tiles, score_tiles = self._step(batch, d)
        if batch % tile:
            run_tiled(front, [x], self.shared, [codes, scores])
        elif batch:
            front.func(x.view(-1, tile, d), *self.shared, code_tiles, score_tiles)
        if x.dtype == torch.float32:
            out = torch.empty((batch, self.d_out)) if batch <= self.KEPT_TOKENS else reusable((batch, self.d_out),
                                                                                                torch.float32)
            gather.func(codes, scores, *self.gather_args, out)
            return out.add_(self.out_bias)
        summed = reusable((batch, self.d_out), torch.float32)
        gather.func(codes, scores, *self.gather_args, summed)
        return torch.add(summed, self.out_bias, out=reusable((batch, self.d_out), x.dtype))


def _bound(tensor: Tensor) -> Tensor:
    """A tensor as a plan holds it: detached, on TVM's alignment (an aligned copy if not)."""
    tensor = tensor.detach()
    return tensor.clone() if tensor.data_ptr() % TVM_ALIGNMENT else tensor


def lookup_ffn_inference_call(ck, x: Tensor, norm_weight: Tensor, norm_bias: Tensor, folded_weight: Tensor,
                              proj_bias: Tensor, tables: Tensor, out_bias: Tensor) -> Tensor:
    """The whole layer without gradients, once (:class:`InferencePlan` bound for this call).
    x [B, d], folded_weight [4, r, nb, b, b] float32 (``bh4_fold``), tables [h, 2**tau, d_out],
    out_bias [d_out] -> y [B, d_out], all float32 or all bfloat16."""
    return InferencePlan(ck, norm_weight, norm_bias, folded_weight, proj_bias, tables, out_bias)(x)


@torch.library.custom_op("lookup_tvm::lookup_ffn_inference", mutates_args=())
def lookup_ffn_inference(x: Tensor, norm_weight: Tensor, norm_bias: Tensor, folded_weight: Tensor,
                         proj_bias: Tensor, tables: Tensor, out_bias: Tensor, handle: int) -> Tensor:
    """The whole layer without gradients (BH4 projection, weights folded by ``bh4_fold``):
    x [B, d] -> y [B, d_out]."""
    check_lookup_ffn_args(x, norm_weight, norm_bias, folded_weight, proj_bias, tables, out_bias)
    return lookup_ffn_inference_call(kernels_for(handle), x, norm_weight, norm_bias, folded_weight, proj_bias, tables,
                                     out_bias)


lookup_ffn_inference.register_fake(
    lambda x, norm_weight, norm_bias, folded_weight, proj_bias, tables, out_bias, handle: x.new_empty(
        (x.shape[0], tables.shape[2])))


def op_samples():
    """The layer's custom op on small valid arguments: d = 13 (D = 16), h = 3, tau = 4, d_out = 6."""
    folded = torch.randn(4, 1, 2, 8, 8) / 8
    return [(lookup_ffn_inference, (torch.randn(5, 13), torch.randn(13), torch.randn(13), folded, torch.randn(12),
                                    torch.randn(3, 16, 6), torch.randn(6), 0))]


def residual_mix(projected: Tensor, x_pad: Tensor, bias: Tensor) -> Tensor:
    """``reference.residual_mix`` (``(MIX_PROJECTED * projected + MIX_INPUT * tile(x_pad))[:, :F] +
    bias``), lean in memory for training at large token counts: x_pad is broadcast over the
    repeats instead of tiled, and the backward allocates only the gradients. projected [B, r*D],
    x_pad [B, D], bias [F] -> z [B, F]."""
    if bias.shape[0] % x_pad.shape[1]:
        return reference.residual_mix(projected, x_pad, bias)
    return _ResidualMix.apply(projected, x_pad, bias)


class _ResidualMix(torch.autograd.Function):
    """F a multiple of D: z.view(B, F/D, D) = bias + MIX_PROJECTED * projected[:, :F] + MIX_INPUT *
    x_pad (the output and gradients in pooled storages, :func:`lookup_tvm.kit.buffers.reusable`)."""

    @staticmethod
    def forward(ctx, projected, x_pad, bias):
        batch, dim = x_pad.shape
        features = bias.shape[0]
        ctx.shapes = projected.shape[1], features, dim
        z = torch.add(bias, projected[:, :features], alpha=MIX_PROJECTED,
                      out=reusable((batch, features), projected.dtype))
        z.view(batch, features // dim, dim).add_(x_pad.unsqueeze(1), alpha=MIX_INPUT)
        return z

    @staticmethod
    def backward(ctx, grad_z):
        projected_width, features, dim = ctx.shapes
        grad_projected = grad_x = grad_bias = None
        if ctx.needs_input_grad[0]:
            grad_projected = torch.mul(grad_z, MIX_PROJECTED, out=reusable(grad_z.shape, grad_z.dtype))
            if projected_width > features:
                grad_projected = torch.nn.functional.pad(grad_projected, (0, projected_width - features))
        if ctx.needs_input_grad[1]:  # summed over the repeats pairwise (a reduction over dim 1 zero-fills first)
            repeats = grad_z.view(-1, features // dim, dim)
            grad_x = torch.mul(repeats[:, 0], MIX_INPUT, out=reusable((repeats.shape[0], dim), grad_z.dtype))
            for k in range(1, repeats.shape[1]):
                grad_x.add_(repeats[:, k], alpha=MIX_INPUT)
        if ctx.needs_input_grad[2]:
            grad_bias = grad_z.sum(0)
        return grad_projected, grad_x, grad_bias
