"""The BH4 family's checks: the reference comparison the tuner runs (inference, projection,
training forward and backward), and the benchmark workloads (PyTorch baseline: batched
``torch.matmul`` per stage) with their FLOP and byte counts."""
from __future__ import annotations

import torch

from lookup_tvm import reference as R
from lookup_tvm.ops.dispatch import SMALL_TOKENS, small_limit
from lookup_tvm.kit.checks import bf16_dot_error, relative_error
from lookup_tvm.kit.handles import handle_of
from lookup_tvm.kit.operator import CHECK_TOLERANCE, OpSpec
from lookup_tvm.kit.workload import F32_BYTES, Workload, whole_tiles
from lookup_tvm.ops.bh4.compute import UNFOLD
from lookup_tvm.ops.bh4.torch_ops import bh4, bh4_backward, bh4_fold, bh4_projection, bh4_train
from lookup_tvm.spec import MIX_INPUT, MIX_PROJECTED, STAGES

BF16_DOT_TOLERANCE = 1.0
"""Checks of ``bf16_dot`` kernels measure :func:`~lookup_tvm.kit.checks.bf16_dot_error` against
the reference whose operands (and, in the input gradients, incoming gradients) are rounded where
the kernels round them: at most two roundings (2 x 2**-8) anywhere and 1/16 of one on average.
Each is the tightest power-of-two multiple of one rounding that the correct kernels meet: on the
Intel Xeon VM (``vdpbf16ps``, d=512, h=128, the tuner's 549 tokens, 30-130 seeds a kernel) they
reached max errors up to 1.8e-3 (stages) and 4.8e-3 (front-end scores: one rounding, 3.9e-3, is
not enough) and mean errors up to 1.4e-4 (1/32 of one, 1.2e-4, is not enough): at most 0.5 of
this bound (``scripts/bf16_bound.py``). Kernels that truncate instead of rounding reach about 97
(and wrong codes in the front end), kernels that leave the operands unrounded about 19-21."""


def bf16_dot_tolerance(spec: OpSpec) -> float:
    """The bound of a kernel's check: :data:`BF16_DOT_TOLERANCE` of ``bf16_dot_error`` for the
    ``bf16_dot`` variants, the float32 one of ``relative_error`` for the others."""
    return BF16_DOT_TOLERANCE if spec.bf16_dot else CHECK_TOLERANCE


def sample_weight() -> torch.Tensor:
    """A small BH4 weight [1, 4, 2, 8, 8]: D = 16 in two blocks of 8."""
    return torch.randn(1, STAGES, 2, 8, 8) / 8


def op_samples():
    """The family's custom ops on small valid arguments (for opcheck and bad-input tests)."""
    x, w = torch.randn(5, 16), sample_weight()
    _, acts = bh4_train(x, w, 0)
    return [(bh4, (x, w, 0)), (bh4_fold, (w, 0)), (bh4_projection, (x, w, torch.randn(12), 0)),
            (bh4_train, (x.clone().requires_grad_(), w.clone().requires_grad_(), 0)),
            (bh4_backward, (torch.randn(5, 16), x, w, acts, 0))]


def check_bh4_kernels(kernels, spec: OpSpec, tokens: int) -> float:
    """Every BH4 path at the spec's (r, nb, b) against the reference: inference forward,
    fused projection (when the spec has ``features``), training forward and backward; for a
    bfloat16 layer's variant (``bf16=1``) the training path only, against the reference with
    bf16 operands where the kernels use them (``bf16_dot``)."""
    r, nb, b = spec["r"], spec["nb"], spec["b"]
    handle = handle_of(kernels)
    reference = R.bh4_bf16_operands if spec.bf16_dot else R.bh4
    x = torch.randn(tokens, nb * b)
    weight = torch.randn(r, STAGES, nb, b, b) / (b * nb * b) ** 0.5
    errors = []
    with torch.no_grad():
        if not spec.bf16:
            errors.append(relative_error(bh4(x, weight, handle), R.bh4(x, weight)))
        if "features" in dict(spec.params):
            bias = torch.randn(spec["features"])
            errors.append(relative_error(bh4_projection(x, weight, bias, handle), R.bh4_projection(x, weight, bias)))
    xg, wg = x.clone().requires_grad_(), weight.clone().requires_grad_()
    out, expected = bh4_train(xg, wg, handle, spec.bf16)[0], reference(xg, wg)
    grad = torch.randn_like(expected)
    got = torch.autograd.grad(out, (xg, wg), grad)
    want = torch.autograd.grad(expected, (xg, wg), grad)
    measure = bf16_dot_error if spec.bf16_dot else relative_error
    errors += [measure(out, expected), *(measure(g, w) for g, w in zip(got, want))]
    return max(errors)


def check_tiled_stages(kernels, spec: OpSpec, tokens: int) -> float:
    """:func:`check_bh4_kernels` at more tokens than the small kernels take on the kernels'
    target (:func:`~lookup_tvm.ops.dispatch.small_limit`), so that the token-tiled kernels run."""
    return check_bh4_kernels(kernels, spec, max(tokens, small_limit("bh4_stage", kernels.target.profile.cores) + 1))


def check_small_stages(kernels, spec: OpSpec, tokens: int) -> float:
    """:func:`check_bh4_kernels` at up to the small kernels' most tokens (calls the small stage kernels
    serve on any core count: the training stages and the inference BH4 and projection)."""
    return check_bh4_kernels(kernels, spec, min(tokens, SMALL_TOKENS["bh4_stage"]))


def fold_workload(spec: OpSpec, tokens: int) -> Workload:
    """Folding (or unfolding) the Hadamard into the weights; PyTorch: one batched matmul."""
    r, nb, b = spec["r"], spec["nb"], spec["b"]
    source, folded = (r, STAGES, nb, b, b), (STAGES, r, nb, b, b)
    if spec["mode"] == UNFOLD:
        source, folded = folded, source
    w, hb, out = torch.randn(source), R.hadamard(torch.eye(b)), torch.empty(folded)
    return Workload([w, hb, out], lambda: torch.matmul(hb, w), "torch.matmul", 2.0 * w.numel() * b,
                    2.0 * F32_BYTES * w.numel())


def stage_torch(y, w, cross):
    """One stage with batched matmuls on layout [r, nb, B, b]: (y @ W) then cross @ (.)."""
    r, nb = w.shape[:2]
    t = torch.matmul(y.expand(r, *y.shape[1:]), w)
    return torch.matmul(cross, t.reshape(r, nb, -1)).view_as(t)


def stage_flops(spec: OpSpec, tokens: int, stages: int) -> float:
    """Block matmul plus cross transform of ``stages`` stages."""
    r, nb, b = spec["r"], spec["nb"], spec["b"]
    return stages * 2.0 * tokens * r * nb * b * (b + nb)


def bh4_workload(spec: OpSpec, tokens: int) -> Workload:
    """The fused 4-stage BH4 (and its projection epilogue) or one stage; PyTorch: batched
    matmuls per stage on the layout that suits them."""
    r, nb, b = spec["r"], spec["nb"], spec["b"]
    tokens, tiled = whole_tiles(spec, tokens)
    fused = "r_in" not in dict(spec.params)
    r_in = 1 if fused else spec["r_in"]
    cross = R.hadamard(torch.eye(nb))
    x = torch.randn(tokens, r_in, nb, b)
    w = torch.randn(STAGES, r, nb, b, b) / b if fused else torch.randn(r, nb, b, b) / b
    outs = [torch.empty(tokens, r, nb, b)]
    y_t = x.permute(1, 2, 0, 3).contiguous()
    weights = [w[s] for s in range(STAGES)] if fused else [w]
    shared = [w, cross]
    features = dict(spec.params).get("features")
    if features:
        bias = torch.randn(features)
        shared, outs = [w, cross, bias], [torch.empty(tokens, features)]
        x_flat = x.view(tokens, -1)

    def run_torch():
        y = y_t
        for weight in weights:
            y = stage_torch(y, weight, cross)
        if features:
            z = MIX_PROJECTED * y.permute(2, 0, 1, 3).reshape(tokens, -1) + MIX_INPUT * x_flat.repeat(1, r)
            return z[:, :features] + bias
        return y

    return Workload([tiled(x), *shared, *map(tiled, outs)], run_torch, "torch.matmul (batched)",
                    stage_flops(spec, tokens, len(weights)), F32_BYTES * tokens * nb * b * (r_in + r))


def stage_grad_workload(spec: OpSpec, tokens: int) -> Workload:
    """One stage's input gradient; PyTorch: the stage's batched matmuls on the gradient."""
    r, r_in, nb, b = spec["r"], spec["r_in"], spec["nb"], spec["b"]
    tokens, tiled = whole_tiles(spec, tokens)
    cross = R.hadamard(torch.eye(nb))
    grad, w = torch.randn(tokens, r, nb, b), torch.randn(r, nb, b, b) / b
    outs = [torch.empty(tokens, r, nb, b), torch.empty(tokens, r_in, nb, b)]
    grad_t = grad.permute(1, 2, 0, 3).contiguous()
    return Workload([tiled(grad), w, cross, *map(tiled, outs)], lambda: stage_torch(grad_t, w, cross),
                    "torch.matmul (batched)", stage_flops(spec, tokens, 1),
                    F32_BYTES * tokens * nb * b * (r_in + 2 * r))


def weight_grad_workload(spec: OpSpec, tokens: int) -> Workload:
    """A stage's weight gradient, K = tokens; PyTorch: one batched matmul."""
    r, r_in, nb, b = spec["r"], spec["r_in"], spec["nb"], spec["b"]
    tokens, tiled = whole_tiles(spec, tokens)
    g, y = torch.randn(tokens, r, nb, b), torch.randn(tokens, r_in, nb, b)
    out = torch.empty(r, nb, b, b)
    g_t, y_t = g.permute(1, 2, 3, 0).contiguous(), y.permute(1, 2, 0, 3).contiguous()
    return Workload([tiled(g), tiled(y), out], lambda: torch.matmul(g_t, y_t.expand(r, nb, tokens, b)), "torch.matmul",
                    2.0 * tokens * r * nb * b * b, F32_BYTES * tokens * nb * b * (r + r_in))
