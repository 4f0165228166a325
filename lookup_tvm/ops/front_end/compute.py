"""The front-end family's kernel, inference fused: from the layer input to codes and scores.

LayerNorm (``LAYER_NORM_EPS``), zero padding to D, the 4 BH4 stages, ``z = MIX_PROJECTED * BH4
+ MIX_INPUT * tile(x) + bias`` for the first h*tau values, then the hash (spec steps 1-5). One parallel loop over
token tiles computes every step for its tile, so the normalised input, the stage outputs
and z live only in tile-sized buffers ([token_tile, r, D] floats: L1-resident at the default
tile) and z is never written to memory. Training keeps the separate kernels, which save z
and the stage inputs for the backward.

Layout parameter ``bf16_dot`` (bfloat16 variant, targets with AVX512-BF16 and b a multiple of
16): the stage matmuls multiply bfloat16 operands, the stage inputs and folded weights rounded
to bfloat16 as a bf16 matmul does, with float32 accumulation (``vdpbf16ps``, see
:mod:`~lookup_tvm.ops.bh4.bf16_dot`); the LayerNorm, cross transforms, residual mix and hash stay
float32. Elsewhere the bfloat16 variant widens its inputs and computes in float32.

Arguments (float32 unless noted): x [tiles, tile, d], norm weight and bias [d], folded
weights [4, r, nb, b, b], cross [nb, nb], bias [h*tau] -> codes [tiles, tile, h] int32,
scores [tiles, tile, h]. With ``bf16=1``, x, the norm weight and bias and the bias are
bfloat16 (widened on load; everything after is float32).
"""
from __future__ import annotations

from lookup_tvm.cpu.target import CpuProfile
from lookup_tvm.cpu.tvm_api import Schedule, te, tirx
from lookup_tvm.kit.operator import Choice, Knobs, OpSpec
from lookup_tvm.kit.tir import batch_extent, vector_lanes, widened
from lookup_tvm.ops.bh4.compute import bh4_stages
from lookup_tvm.ops.bh4.schedule import (REGISTER_TILE, order_stage_loops, root_block_names, schedule_pairs,
                                         stage_block_names, tile_knobs)
from lookup_tvm.ops.bh4.small import small_stage_blocks
from lookup_tvm.ops.hash.compute import code_and_score
from lookup_tvm.spec import LAYER_NORM_EPS, MIX_INPUT, MIX_PROJECTED, STAGES


def define_front_end(spec: OpSpec, batch=None):
    """x [tiles, tile, d] -> codes, scores [tiles, tile, h] (see the module docstring)."""
    d, r, nb, b, h, tau, tile = (spec[k] for k in ("d", "r", "nb", "b", "h", "tau", "token_tile"))
    dim = nb * b
    tiles = batch_extent(batch)
    storage = spec.storage_dtype
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
        return (MIX_PROJECTED * y[q, t, f // dim, lane // b, lane % b] + MIX_INPUT * xn[q, t, 0, lane // b, lane % b]
                + bias(f))

    z = te.compute((tiles, tile, h * tau), mixed, name="z")
    codes, scores = te.compute((tiles, tile, h),
                               lambda q, t, table: code_and_score(lambda j: z[q, t, table * tau + j], tau), name="hash")
    return te.create_prim_func([x_in, gamma_in, beta_in, w, cross, bias_in, codes, scores])


def front_end_knobs(spec: OpSpec, profile: CpuProfile) -> Knobs:
    """The BH4 stage knobs (:func:`lookup_tvm.ops.bh4.schedule.stage_knobs`), unrolled stage loops
    first (docs/design.md, "Kernel notes")."""
    return {"mm_order": [REGISTER_TILE, 0, 1], "cross_order": [0, 1], "unroll": [1, 0], **tile_knobs(spec)}


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
    if spec.bf16_dot:
        schedule_pairs(sch)
    order_stage_loops(sch, [sch.get_sblock(name) for name in stage_block_names(sch)], spec, profile, choice)


def schedule_decode_front_end(sch: Schedule, spec: OpSpec, profile: CpuProfile, choice: Choice) -> None:
    """The front end for decode-sized calls, parallel over the work of one token so that every
    core has a share at any token count: LayerNorm one task per token; each stage split across
    (repeat, block, column chunk) by :func:`~lookup_tvm.ops.bh4.small.small_stage_blocks`
    (the first stage's bf16 pairs made by the LayerNorm's task for its token); the residual
    mix and the hash one task per table."""
    lanes = vector_lanes(spec["b"], profile)
    ln = sch.get_sblock("ln")
    tokens = sch.get_loops(ln)[0]
    sch.parallel(tokens)
    for name in ("ln_var", "ln_mean"):
        sch.compute_at(sch.get_sblock(name), tokens, preserve_unit_loops=True)
    _, ln_lanes = sch.split(sch.get_loops(ln)[-1], [None, lanes])
    sch.vectorize(ln_lanes)
    small_stage_blocks(sch, spec, profile, choice, tokens)
    token, tile, table = sch.get_loops(sch.get_sblock("hash_v0"))
    sch.reorder(table, token, tile)
    sch.parallel(table)
    z = sch.get_sblock("z")
    sch.compute_at(z, table, preserve_unit_loops=True)
    sch.vectorize(sch.get_loops(z)[-1])
