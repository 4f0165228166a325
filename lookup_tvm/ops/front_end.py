"""Inference front end, fused: from the layer input to codes and scores in one kernel.

LayerNorm (eps 1e-5), zero padding to D, the 4 BH4 stages, ``z = 0.7 * BH4 + 0.3 * tile(x)
+ bias`` for the first h*tau values, then the hash (spec steps 1-5). One parallel loop over
token tiles computes every step for its tile, so the normalised input, the stage outputs
and z live only in tile-sized buffers ([token_tile, r, D] floats: L1-resident at the default
tile) and z is never written to memory. Training keeps the separate kernels, which save z
and the stage inputs for the backward.

Layout parameter ``bf16_dot`` (bfloat16 variant, targets with AVX512-BF16 and b a multiple of
16): the stage matmuls multiply bfloat16 operands, the stage inputs and folded weights rounded
to bfloat16 as a bf16 matmul does, with float32 accumulation (``vdpbf16ps``, see
:mod:`~lookup_tvm.ops.bf16_dot`); the LayerNorm, cross transforms, residual mix and hash stay
float32. Elsewhere the bfloat16 variant widens its inputs and computes in float32.

Arguments (float32 unless noted): x [tiles, tile, d], norm weight and bias [d], folded
weights [4, r, nb, b, b], cross [nb, nb], bias [h*tau] -> codes [tiles, tile, h] int32,
scores [tiles, tile, h]. With ``bf16=1``, x, the norm weight and bias and the bias are
bfloat16 (widened on load; everything after is float32).
"""
from __future__ import annotations

from lookup_tvm.baselines import F32_BYTES, Workload, whole_tiles
from lookup_tvm.ops import Choice, Knobs, Operator, OpSpec
from lookup_tvm.ops.bh4 import (bf16_dot_layout, bf16_dot_tolerance, bh4_stages, order_stage_loops, root_block_names,
                                schedule_pairs, stage_block_names, stage_flops, stage_torch, uses_bf16_dot)
from lookup_tvm.ops.common import (batch_extent, relative_error, storage_dtype, storage_torch_dtype, vector_lanes,
                                   widened)
from lookup_tvm.ops.hashing import code_and_score
from lookup_tvm.target import CpuProfile
from lookup_tvm.tvm_api import Schedule, te, tirx
from lookup_tvm.validation import STAGES

LAYER_NORM_EPS = 1e-5


def define_front_end(spec: OpSpec, batch=None):
    """x [tiles, tile, d] -> codes, scores [tiles, tile, h] (see the module docstring)."""
    d, r, nb, b, h, tau, tile = (spec[k] for k in ("d", "r", "nb", "b", "h", "tau", "token_tile"))
    dim = nb * b
    tiles = batch_extent(batch)
    storage = storage_dtype(spec)
    x_in = te.placeholder((tiles, tile, d), storage, name="x")
    gamma_in = te.placeholder((d,), storage, name="norm_weight")
    beta_in = te.placeholder((d,), storage, name="norm_bias")
    w = te.placeholder((STAGES, r, nb, b, b), "float32", name="folded_weight")
    cross = te.placeholder((nb, nb), "float32", name="cross")
    bias_in = te.placeholder((h * tau,), storage, name="bias")
    x, gamma, beta, bias = (widened(t) for t in (x_in, gamma_in, beta_in, bias_in))

    inv_d = tirx.const(1.0 / d, "float32")
    k = te.reduce_axis((0, d), "ln_k")
    mean = te.compute((tiles, tile), lambda q, t: te.sum(x(q, t, k) * inv_d, axis=k), name="ln_mean")
    k2 = te.reduce_axis((0, d), "ln_k2")
    var = te.compute((tiles, tile), lambda q, t: te.sum((x(q, t, k2) - mean[q, t]) * (x(q, t, k2) - mean[q, t]) * inv_d,
                                                        axis=k2), name="ln_var")

    def normalised(q, t, _, n, i):
        col = tirx.min(n * b + i, d - 1)
        value = (x(q, t, col) - mean[q, t]) * tirx.rsqrt(var[q, t] + LAYER_NORM_EPS) * gamma(col) + beta(col)
        return value if d == dim else tirx.if_then_else(n * b + i < d, value, tirx.const(0.0, "float32"))

    xn = te.compute((tiles, tile, 1, nb, b), normalised, name="ln")
    y = bh4_stages(xn, w, cross, spec, 1)

    def mixed(q, t, f):
        lane = f % dim
        return 0.7 * y[q, t, f // dim, lane // b, lane % b] + 0.3 * xn[q, t, 0, lane // b, lane % b] + bias(f)

    z = te.compute((tiles, tile, h * tau), mixed, name="z")
    codes, scores = te.compute((tiles, tile, h),
                               lambda q, t, table: code_and_score(lambda j: z[q, t, table * tau + j], tau), name="hash")
    return te.create_prim_func([x_in, gamma_in, beta_in, w, cross, bias_in, codes, scores])


def front_end_knobs(spec: OpSpec, profile: CpuProfile) -> Knobs:
    """The BH4 stage knobs, unrolled stage loops first: untuned, unrolling ran 15% faster in one
    interleaved run on the Zen 4 VM (58.8 vs 69.3 ms at 4096 tokens, 1 thread, machine under load)."""
    return {"mm_order": [0, 1], "cross_order": [0, 1], "unroll": [1, 0]}


def schedule_front_end(sch: Schedule, spec: OpSpec, profile: CpuProfile, choice: Choice) -> None:
    """One parallel loop over token tiles with every step computed inside it; the stage
    blocks ordered and vectorised as in the BH4 kernels (the same knobs). With ``bf16_dot``,
    the weights are rounded into bf16 pairs once per call, before the token tiles."""
    tiles = sch.get_loops(sch.get_sblock("hash_v0"))[0]
    sch.parallel(tiles)
    per_tile = [name for name in root_block_names(sch) if name != "weight_pairs" and not name.startswith("hash")]
    for name in reversed(per_tile):
        sch.compute_at(sch.get_sblock(name), tiles, preserve_unit_loops=True)
    for name, extent in (("ln", spec["b"]), ("z", spec["h"] * spec["tau"])):
        _, inner = sch.split(sch.get_loops(sch.get_sblock(name))[-1], [None, vector_lanes(extent, profile)])
        sch.vectorize(inner)
    if uses_bf16_dot(spec):
        schedule_pairs(sch)
    order_stage_loops(sch, [sch.get_sblock(name) for name in stage_block_names(sch)], spec, profile, choice)


def check_front_end_kernels(kernels, spec: OpSpec, tokens: int) -> float:
    """Codes (exactly, where no z of the code lies within 1e-3 of 0, or BF16_DOT_TOLERANCE) and
    all scores against the reference's LayerNorm + projection + hash (on the widened inputs for
    the bfloat16 variant, with the BH4 stages' operands rounded to bfloat16 for ``bf16_dot``);
    inf for a wrong code."""
    import torch

    from lookup_tvm import functional as F
    from lookup_tvm import reference as R

    d, r, nb, b, h, tau = (spec[k] for k in ("d", "r", "nb", "b", "h", "tau"))
    storage = storage_torch_dtype(spec)
    x, norm_weight, norm_bias, bias = (t.to(storage) for t in (
        torch.randn(tokens, d) * 3 + 1, 1 + 0.1 * torch.randn(d), 0.1 * torch.randn(d), 0.1 * torch.randn(h * tau)))
    weight = torch.randn(r, STAGES, nb, b, b) / (b * nb * b) ** 0.5
    with torch.no_grad():
        codes, scores = F.front_end(x, norm_weight, norm_bias, weight, bias, tau, kernels)
        want_codes, want_scores, z = R.front_end(x.float(), norm_weight.float(), norm_bias.float(), weight,
                                                 bias.float(), tau, bf16_operands=uses_bf16_dot(spec))
    clear = z.abs().amin(-1) > max(1e-3, bf16_dot_tolerance(spec))
    if not torch.equal(codes[clear], want_codes[clear]):
        return float("inf")
    return relative_error(scores, want_scores)


def front_end_workload(spec: OpSpec, tokens: int) -> Workload:
    """The fused front end; PyTorch: ``layer_norm``, the BH4 stages as batched matmuls, the
    residual mix and the reference hash. FLOPs: the 4 stages' (as the BH4 kernels count them)."""
    import torch

    from lookup_tvm.reference import hadamard, hash_codes

    d, r, nb, b, h, tau = (spec[k] for k in ("d", "r", "nb", "b", "h", "tau"))
    tokens, tiled = whole_tiles(spec, tokens)
    dim = nb * b
    storage = storage_torch_dtype(spec)
    x, gamma, beta = torch.randn(tokens, d).to(storage), torch.ones(d, dtype=storage), torch.zeros(d, dtype=storage)
    w, cross, bias = torch.randn(STAGES, r, nb, b, b) / b, hadamard(torch.eye(nb)), torch.randn(h * tau).to(storage)
    codes, scores = torch.empty(tokens, h, dtype=torch.int32), torch.empty(tokens, h)

    def run_torch():
        normed = torch.nn.functional.layer_norm(x.float(), (d,), gamma.float(), beta.float(), eps=1e-5)
        x_pad = torch.nn.functional.pad(normed, (0, dim - d))
        y = x_pad.view(tokens, nb, b).permute(1, 0, 2).unsqueeze(0)
        for s in range(STAGES):
            y = stage_torch(y, w[s], cross)
        z = 0.7 * y.permute(2, 0, 1, 3).reshape(tokens, -1) + 0.3 * x_pad.repeat(1, r)
        return hash_codes((z[:, : h * tau] + bias.float()).view(tokens, h, tau))

    return Workload([tiled(x), gamma, beta, w, cross, bias, tiled(codes), tiled(scores)], run_torch,
                    "layer_norm + torch.matmul (batched) + torch ops", stage_flops(spec, tokens, STAGES),
                    x.element_size() * tokens * d + F32_BYTES * tokens * 2 * h)


OPERATORS = [
    Operator("front_end", define_front_end, schedule_front_end, front_end_knobs, bf16_dot_layout,
             check_front_end_kernels, front_end_workload, bf16_dot_tolerance),
]
