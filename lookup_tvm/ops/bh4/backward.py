"""The BH4 family's backward kernels: per-stage input gradient and folded-weight gradient.

A forward stage is ``y_out = cross(mm(Wf, y_in))``. Backward, for gradient g of y_out:
``g_t = cross(g)`` (H is symmetric), ``g_in[k] = sum_o Wf[k, o] * g_t[o]`` (summed over
repeats when the stage input was the shared x), and ``dWf[k, o] = sum_tokens y_in[k] g_t[o]``.
Activations come as whole token tiles ``[tiles, token_tile, ...]`` (see :func:`lookup_tvm.kit.tiling.run_tiled`).
"""
from __future__ import annotations

from lookup_tvm.cpu.target import CpuProfile
from lookup_tvm.cpu.tvm_api import Schedule, te
from lookup_tvm.kit.footprint import Footprint
from lookup_tvm.kit.operator import Choice, Knobs, OpSpec
from lookup_tvm.kit.tir import batch_extent, divisors, vector_lanes
from lookup_tvm.ops.bh4.bf16_dot import bf16_bits, from_bf16_bits
from lookup_tvm.ops.bh4.compute import weight_pairs
from lookup_tvm.ops.bh4.schedule import (REGISTER_TILE, register_tile, schedule_pairs, tensorize_dot_matmul,
                                         tensorize_tile_matmul, tile_knobs)


def define_stage_grad(spec: OpSpec, batch=None):
    """g [tiles, tile, r, nb, b], transposed folded weight WfT[s] [r, nb, b_out, b_in], cross
    -> (g_t [tiles, tile, r, nb, b], g_in [tiles, tile, r_in, nb, b]), float32. With ``bf16_dot``
    (a bfloat16 layer's variant on targets with AVX512-BF16) g_in multiplies bf16-rounded g_t and
    weights (float32 accumulation); g_t stays float32 (the weight gradient reads it)."""
    r, r_in, nb, b, tile = spec["r"], spec["r_in"], spec["nb"], spec["b"], spec["token_tile"]
    tiles = batch_extent(batch)
    g = te.placeholder((tiles, tile, r, nb, b), "float32", name="grad")
    wt = te.placeholder((r, nb, b, b), "float32", name="folded_weight_t")
    cross = te.placeholder((nb, nb), "float32", name="cross")
    m = te.reduce_axis((0, nb), "m")
    g_t = te.compute(
        (tiles, tile, r, nb, b), lambda q, t, rr, n, o: te.sum(cross[n, m] * g[q, t, rr, m, o], axis=m), name="grad_mm"
    )
    if spec.bf16_dot:
        return te.create_prim_func([g, wt, cross, g_t, _bf16_dot_input_grad(g_t, wt, spec)])
    o = te.reduce_axis((0, b), "o")
    if r_in == r:
        g_in = te.compute(
            (tiles, tile, r, nb, b),
            lambda q, t, rr, n, i: te.sum(wt[rr, n, o, i] * g_t[q, t, rr, n, o], axis=o),
            name="grad_in",
        )
    else:
        rs = te.reduce_axis((0, r), "rs")
        g_in = te.compute(
            (tiles, tile, 1, nb, b),
            lambda q, t, _, n, i: te.sum(wt[rs, n, o, i] * g_t[q, t, rs, n, o], axis=[rs, o]),
            name="grad_in",
        )
    return te.create_prim_func([g, wt, cross, g_t, g_in])


def _bf16_dot_input_grad(g_t, wt, spec: OpSpec):
    """g_in = sum over outputs o (and repeats, for a shared input) of WfT[o, i] * g_t[o], both
    rounded into bf16 pairs along o."""
    r, r_in, nb, b, tile = spec["r"], spec["r_in"], spec["nb"], spec["b"], spec["token_tile"]
    tiles = g_t.shape[0]
    pairs = weight_pairs(wt)
    grad_pairs = te.compute((tiles, tile, r, nb, b // 2, 2),
                            lambda q, t, rr, n, kk, p: bf16_bits(g_t[q, t, rr, n, kk * 2 + p]), name="grad_pairs")
    kk, kp = te.reduce_axis((0, b // 2), "kk"), te.reduce_axis((0, 2), "kp")

    def product(q, t, rr, n, i):
        return from_bf16_bits(pairs[rr, n, kk, i, kp]) * from_bf16_bits(grad_pairs[q, t, rr, n, kk, kp])

    if r_in == r:
        return te.compute((tiles, tile, r, nb, b),
                          lambda q, t, rr, n, i: te.sum(product(q, t, rr, n, i), axis=[kk, kp]), name="grad_in")
    rs = te.reduce_axis((0, r), "rs")
    return te.compute((tiles, tile, 1, nb, b), lambda q, t, _, n, i: te.sum(product(q, t, rs, n, i), axis=[rs, kk, kp]),
                      name="grad_in")


def stage_grad_knobs(spec: OpSpec, profile: CpuProfile) -> Knobs:
    """``mm_order``: register tiles of a token tile x a few output vectors (:data:`REGISTER_TILE`,
    the default) or one token at a time; ``unroll`` of the output vectors (the latter order)."""
    return {"mm_order": [REGISTER_TILE, 0], "unroll": [0, 1], **tile_knobs(spec)}


def schedule_stage_grad(sch: Schedule, spec: OpSpec, profile: CpuProfile, choice: Choice) -> None:
    """Two parallel passes over token tiles (g_t is an output, so it cannot be inlined). With
    ``bf16_dot`` the input gradient's matmul is tensorized as the forward stages' are."""
    lanes = vector_lanes(spec["b"], profile)
    for name in ("grad_mm", "grad_in"):
        block = sch.get_sblock(name)
        tiles, tok, rr, n, col, *red = sch.get_loops(block)
        sch.parallel(tiles)
        if name == "grad_in" and spec.bf16_dot:
            sch.compute_at(sch.get_sblock("grad_pairs"), tiles, preserve_unit_loops=True)
            schedule_pairs(sch)
            tensorize = tensorize_tile_matmul if spec.amx else tensorize_dot_matmul
            tensorize(sch, block, tok, rr, n, col, red, spec, choice)
            continue
        if choice["mm_order"] == REGISTER_TILE:
            register_tile(sch, block, tok, rr, n, col, red, spec, profile)
            continue
        col_o, col_i = sch.split(col, [None, lanes])
        sch.reorder(tok, rr, n, *red, col_o, col_i)
        sch.vectorize(col_i)
        if choice["unroll"]:
            sch.unroll(col_o)
        sch.decompose_reduction(block, red[0])


def define_weight_grad(spec: OpSpec, batch=None):
    """g_t [tiles, tile, r, nb, b], y_in [tiles, tile, r_in, nb, b] -> dWf[s] [r, nb, b_in, b_out]
    (summed over all tokens; whole tiles, so the reduction carries no tail predicate)."""
    r, r_in, nb, b, tile = spec["r"], spec["r_in"], spec["nb"], spec["b"], spec["token_tile"]
    tiles = batch_extent(batch)
    g_t = te.placeholder((tiles, tile, r, nb, b), "float32", name="grad_mm")
    y = te.placeholder((tiles, tile, r_in, nb, b), "float32", name="stage_input")
    q = te.reduce_axis((0, tiles), "q")
    t = te.reduce_axis((0, tile), "t")
    dw = te.compute(
        (r, nb, b, b),
        lambda rr, n, i, o: te.sum(y[q, t, rr if r_in > 1 else 0, n, i] * g_t[q, t, rr, n, o], axis=[q, t]),
        name="grad_weight",
    )
    return te.create_prim_func([g_t, y, dw])


def weight_grad_footprint(spec: OpSpec, profile: CpuProfile, choice: Choice) -> Footprint:
    """The register tile: ``tile_rows`` x ``tile_vectors`` accumulators, a token's
    ``tile_vectors`` gradient vectors and one broadcast input; in L2 the task's [b, b] block of
    dWf and its block of a token tile of both inputs."""
    rows, vectors, b = choice["tile_rows"], choice["tile_vectors"], spec["b"]
    return Footprint(registers=rows * vectors + vectors + 1, l2=b * b * 4 + 2 * spec.token_tile * b * 4)


def weight_grad_knobs(spec: OpSpec, profile: CpuProfile) -> Knobs:
    """``chunks``: token ranges reduced in parallel into private copies of the gradient, then
    summed (the K split); each range x block of dWf is one parallel task, the default enough
    ranges that every core gets a task (``cores / (r nb)`` rounded up).
    ``tile_rows`` x ``tile_vectors``: the register tile of accumulators (input rows x output
    vectors of one block), the default filling about half of the vector registers; each
    candidate fits them with the other's smallest (:func:`weight_grad_footprint`; the tuner
    measures the pairs, and on the Zen 3 VM it kept 8 x 2, which spills 3 registers)."""
    lanes = vector_lanes(spec["b"], profile)
    fits = lambda rows, vectors: not weight_grad_footprint(  # noqa: E731
        spec, profile, {"tile_rows": rows, "tile_vectors": vectors}).overflows(profile)
    vectors = [v for v in divisors(spec["b"] // lanes, [4, 2, 1, 8]) if fits(1, v)] or [1]
    budget = max(1, profile.vector_registers // 2 // vectors[0])
    rows = [r for r in divisors(spec["b"], [r for r in (8, 6, 4, 3, 2, 1) if r <= budget] + [1, 2, 4, 8])
            if fits(r, min(vectors))]
    per_core = -(-profile.cores // (spec["r"] * spec["nb"]))
    return {"chunks": list(dict.fromkeys([per_core, 1, 2, 4, 8, 16, 32])), "tile_rows": rows,
            "tile_vectors": vectors}


WEIGHT_GRAD_SAMPLED_KNOBS = frozenset({"chunks", "tile_rows", "tile_vectors"})
WEIGHT_GRAD_SIZED = frozenset({"chunks"})  # from the core count


def schedule_weight_grad(sch: Schedule, spec: OpSpec, profile: CpuProfile, choice: Choice) -> None:
    """K split: the token tiles in ``chunks`` ranges, each reduced into its own copy of dWf
    (rfactor); one parallel task per range and [b, b] block of dWf (16 KiB at b = 64, in L2
    while the range's tokens stream through); per token tile, a ``tile_rows`` x
    ``tile_vectors`` register tile accumulates over the tile's tokens. Then the copies are
    summed (parallel over rows of dWf)."""
    lanes = vector_lanes(spec["b"], profile)
    block = sch.get_sblock("grad_weight")
    *_, q, _ = sch.get_loops(block)
    q_chunk, _ = sch.split(q, [choice["chunks"], None])
    partial = sch.rfactor(q_chunk, 0)
    rr, n, i, o, q_chunk, q_tile, t = sch.get_loops(partial)
    i_o, i_i = sch.split(i, [None, choice["tile_rows"]])
    o_o, o_v, o_l = sch.split(o, [None, choice["tile_vectors"], lanes])
    sch.reorder(q_chunk, rr, n, q_tile, i_o, o_o, t, i_i, o_v, o_l)
    sch.parallel(sch.fuse(q_chunk, rr, n))
    sch.unroll(i_i)
    sch.unroll(o_v)
    sch.vectorize(o_l)
    sch.decompose_reduction(partial, q_tile)
    rr, n, i, o, q_chunk = sch.get_loops(block)
    rows = sch.fuse(rr, n, i)
    o_o, o_l = sch.split(o, [None, lanes])
    sch.reorder(rows, q_chunk, o_o, o_l)
    sch.parallel(rows)
    sch.vectorize(o_l)
    sch.decompose_reduction(block, q_chunk)


def weight_grad_layout(spec: OpSpec, profile: CpuProfile) -> OpSpec:
    """Tiles of 64 tokens: a tile of both inputs stays in L1/L2 while it is reduced."""
    if spec.tiled:
        return spec
    return spec.with_params(token_tile=64)
