"""The BH4 family's forward kernels: block-diagonal matmul + unnormalised Hadamard, 4 stages
(fused, fused with the projection's epilogue, or one stage at a time for training), and the
fold of the Hadamard into the weights.

The within-block Hadamard H_b is folded into each stage's block weights
(``H_D = H_(D/b) (x) H_b``), so a stage is a block matmul with the folded weights
followed by a cross-block transform with the small matrix H_(D/b) ("cross").

Layouts (float32): weights ``[r, 4, nb, b, b]`` ([out, in] per block, the spec's);
folded weights ``[4, r, nb, b_in, b_out]`` (stage-major, output lanes contiguous);
activations ``[tiles, token_tile, repeats, nb, b]``.
"""
from __future__ import annotations

import math

from lookup_tvm.cpu.target import CpuProfile
from lookup_tvm.cpu.tvm_api import Schedule, te
from lookup_tvm.kit.footprint import Footprint, largest_fitting
from lookup_tvm.kit.operator import Choice, Knobs, OpSpec
from lookup_tvm.kit.tir import batch_extent, divisors, vector_lanes
from lookup_tvm.ops.bh4 import amx
from lookup_tvm.ops.bh4.bf16_dot import LANES as DOT_LANES
from lookup_tvm.ops.bh4.bf16_dot import bf16_bits, dot_intrinsic, from_bf16_bits
from lookup_tvm.spec import MIX_INPUT, MIX_PROJECTED, STAGES

FOLD, FOLD_TRANSPOSED, UNFOLD = 0, 1, 2
TILE_LAYOUT = frozenset({"token_tile"})  # the layout parameters of token-tiled kernels
DOT_LAYOUT = frozenset({"token_tile", "bf16_dot", "amx"})  # and of those with a bf16 variant


def define_fold(spec: OpSpec, batch=None):
    """mode FOLD: W [r,4,nb,b,b] -> Wf [4,r,nb,in,out]; FOLD_TRANSPOSED: -> [4,r,nb,out,in];
    UNFOLD (weight gradient): dWf [4,r,nb,in,out] -> dW [r,4,nb,out,in]. Also takes H_b [b, b]."""
    r, nb, b, mode = spec["r"], spec["nb"], spec["b"], spec["mode"]
    hb = te.placeholder((b, b), "float32", name="hadamard")
    j = te.reduce_axis((0, b), "j")
    if mode == UNFOLD:
        g = te.placeholder((STAGES, r, nb, b, b), "float32", name="folded")
        out = te.compute(
            (r, STAGES, nb, b, b),
            lambda rr, s, n, o, i: te.sum(hb[j, o] * g[s, rr, n, i, j], axis=j),
            name="unfolded",
        )
        return te.create_prim_func([g, hb, out])
    w = te.placeholder((r, STAGES, nb, b, b), "float32", name="weight")
    if mode == FOLD:
        out = te.compute(
            (STAGES, r, nb, b, b),
            lambda s, rr, n, i, o: te.sum(hb[j, o] * w[rr, s, n, j, i], axis=j),
            name="folded",
        )
    else:
        out = te.compute(
            (STAGES, r, nb, b, b),
            lambda s, rr, n, o, i: te.sum(hb[o, j] * w[rr, s, n, j, i], axis=j),
            name="folded",
        )
    return te.create_prim_func([w, hb, out])


def schedule_fold(sch: Schedule, spec: OpSpec, profile: CpuProfile, choice: Choice) -> None:
    """Parallel over blocks, and over row ranges of each block where there are more cores than
    blocks; vectorised over the output's last axis. UNFOLD reads its gradient block
    transposed, so each task first copies its block into [j, i] order (16 KiB at b = 64, in
    L1): the vector loads are then contiguous instead of b-strided (10x faster on the Zen 4 VM)."""
    block = sch.get_sblock("unfolded" if spec["mode"] == UNFOLD else "folded")
    a, s, n, row, col, red = sch.get_loops(block)
    blocks = STAGES * spec["r"] * spec["nb"]
    ranges = divisors(spec["b"], [-(-profile.cores // blocks), 2, 4, 8, 16, 32, 64])[0]
    row_o, row = sch.split(row, [ranges, None])
    tasks = sch.fuse(a, s, n, row_o)
    sch.parallel(tasks)
    if spec["mode"] == UNFOLD:
        staged = sch.cache_read(block, 1, "global")
        sch.compute_at(staged, tasks)
        sch.transform_layout(staged, ("write", 0), lambda st, rr, nn, i, j: (st, rr, nn, j, i))
    col_o, col_i = sch.split(col, [None, vector_lanes(spec["b"], profile)])
    sch.reorder(row, red, col_o, col_i)
    sch.vectorize(col_i)
    sch.decompose_reduction(block, red)


def stage(y, weight_at, cross, spec: OpSpec, r_in: int, name: str):
    """One stage on tiled activations y [tiles, tile, r_in, nb, b] -> [tiles, tile, r, nb, b].

    ``weight_at(rr, n, i, o)`` reads the folded block weight (input i, output o).
    """
    r, nb, b, tile = spec["r"], spec["nb"], spec["b"], spec["token_tile"]
    k = te.reduce_axis((0, b), f"{name}_k")
    mm = te.compute(
        (y.shape[0], tile, r, nb, b),
        lambda q, t, rr, n, o: te.sum(weight_at(rr, n, k, o) * y[q, t, rr if r_in > 1 else 0, n, k], axis=k),
        name=f"{name}_mm",
    )
    return _cross_blocks(mm, cross, nb, name)


def bf16_dot_stage(y, pair_weight_at, cross, spec: OpSpec, r_in: int, name: str):
    """One stage whose block matmul multiplies bfloat16 operands (float32 accumulation), for
    :mod:`~lookup_tvm.ops.bf16_dot`: y [tiles, tile, r_in, nb, b] float32 is rounded into
    bf16 pairs [tiles, tile, r_in, nb, b/2, 2] (block ``<name>_pairs``); ``pair_weight_at(rr,
    n, kk, o, p)`` reads the bf16 bits of folded weight (input 2*kk + p, output o).
    -> [tiles, tile, r, nb, b] float32."""
    r, nb, b, tile = spec["r"], spec["nb"], spec["b"], spec["token_tile"]
    pairs = te.compute((y.shape[0], tile, r_in, nb, b // 2, 2),
                       lambda q, t, rr, n, kk, p: bf16_bits(y[q, t, rr, n, kk * 2 + p]), name=f"{name}_pairs")
    kk, kp = te.reduce_axis((0, b // 2), f"{name}_kk"), te.reduce_axis((0, 2), f"{name}_kp")
    mm = te.compute(
        (y.shape[0], tile, r, nb, b),
        lambda q, t, rr, n, o: te.sum(from_bf16_bits(pair_weight_at(rr, n, kk, o, kp))
                                      * from_bf16_bits(pairs[q, t, rr if r_in > 1 else 0, n, kk, kp]), axis=[kk, kp]),
        name=f"{name}_mm",
    )
    return _cross_blocks(mm, cross, nb, name)


def bh4_stages(y, w, cross, spec: OpSpec, r_in: int):
    """The stages of folded weights ``w`` on tiled activations y [tiles, tile, r_in, nb, b]:
    w [S, r, nb, b, b] gives S stages (blocks ``s0_*``, ``s1_*``, ...), w [r, nb, b, b] one
    (``s0_*``). With ``bf16_dot`` in the spec the block matmuls multiply bf16 pairs
    (:func:`bf16_dot_stage`, weights rounded once by :func:`weight_pairs`), else float32
    (:func:`stage`). -> [tiles, tile, r, nb, b] float32."""
    single = len(w.shape) == 4
    dot = spec.bf16_dot
    weights, build = (weight_pairs(w), bf16_dot_stage) if dot else (w, stage)
    for s in range(1 if single else int(w.shape[0])):
        y = build(y, lambda *ix, s=s: weights[ix] if single else weights[(s, *ix)], cross, spec, r_in, f"s{s}")
        r_in = spec["r"]
    return y


def _cross_blocks(mm, cross, nb: int, name: str):
    """The cross-block transform of a stage's block-matmul output (none when nb == 1)."""
    if nb == 1:
        return mm
    m = te.reduce_axis((0, nb), f"{name}_m")
    return te.compute(
        mm.shape, lambda q, t, rr, n, o: te.sum(cross[n, m] * mm[q, t, rr, m, o], axis=m), name=f"{name}_cross"
    )


def _placeholders(spec: OpSpec, r_in: int, batch):
    nb, b, tile = spec["nb"], spec["b"], spec["token_tile"]
    tiles = batch_extent(batch)
    y = te.placeholder((tiles, tile, r_in, nb, b), "float32", name="x")
    cross = te.placeholder((nb, nb), "float32", name="cross")
    return y, cross


def define_bh4(spec: OpSpec, batch=None):
    """Fused 4-stage BH4: x [tiles, tile, 1, nb, b], Wf [4, r, nb, b, b], cross [nb, nb]
    -> out [tiles, tile, r, nb, b] (= [B, r*D] row-major)."""
    r, nb, b = spec["r"], spec["nb"], spec["b"]
    x, cross = _placeholders(spec, 1, batch)
    w = te.placeholder((STAGES, r, nb, b, b), "float32", name="folded_weight")
    return te.create_prim_func([x, w, cross, bh4_stages(x, w, cross, spec, 1)])


def define_bh4_projection(spec: OpSpec, batch=None):
    """The spec's projection, fused: BH4 as :func:`define_bh4`, then for the first
    ``features`` values ``z = MIX_PROJECTED * BH4(x) + MIX_INPUT * tile(x) + bias`` (0.7, 0.3).
    x [tiles, tile, 1, nb, b], Wf, cross, bias [features] -> z [tiles, tile, features]."""
    r, nb, b, features = spec["r"], spec["nb"], spec["b"], spec["features"]
    dim = nb * b
    x, cross = _placeholders(spec, 1, batch)
    w = te.placeholder((STAGES, r, nb, b, b), "float32", name="folded_weight")
    bias = te.placeholder((features,), "float32", name="bias")
    y = bh4_stages(x, w, cross, spec, 1)
    z = te.compute(
        (x.shape[0], spec["token_tile"], features),
        lambda q, t, f: MIX_PROJECTED * y[q, t, f // dim, (f % dim) // b, f % b]
        + MIX_INPUT * x[q, t, 0, (f % dim) // b, f % b] + bias[f],
        name="projection",
    )
    return te.create_prim_func([x, w, cross, bias, z])


def define_bh4_stage(spec: OpSpec, batch=None):
    """One stage: y [tiles, tile, r_in, nb, b], Wf[s] [r, nb, b, b], cross -> [tiles, tile, r, nb, b]
    (float32). With ``bf16_dot`` (the variant for bfloat16 layers, ``bf16=1``, on targets with
    AVX512-BF16) the block matmul multiplies bf16-rounded operands, as :func:`bf16_dot_stage`."""
    r, nb, b = spec["r"], spec["nb"], spec["b"]
    y, cross = _placeholders(spec, spec["r_in"], batch)
    w = te.placeholder((r, nb, b, b), "float32", name="folded_weight")
    return te.create_prim_func([y, w, cross, bh4_stages(y, w, cross, spec, spec["r_in"])])


def weight_pairs(w):
    """Block weights [..., K, N] (K reduced, N the output lanes) rounded into bf16 pairs along K:
    [..., K/2, N, 2] uint16 (block ``weight_pairs``, computed once per call)."""
    *lead, k, n = w.shape
    return te.compute((*lead, k // 2, n, 2), lambda *ix: bf16_bits(w[(*ix[:-3], ix[-3] * 2 + ix[-1], ix[-2])]),
                      name="weight_pairs")


def bf16_dot_layout(spec: OpSpec, profile: CpuProfile) -> OpSpec:
    """The token tile (:func:`default_token_tile`) and, for a bfloat16 layer's variant (``bf16=1``),
    ``bf16_dot``: 1 where the target has AVX512-BF16 dot products and the blocks hold whole
    16-lane vectors (elsewhere the variant computes in float32); with them, ``amx=1`` and tiles
    of :data:`~lookup_tvm.ops.bh4.amx.ROWS` tokens where the profile allows AMX tiles (only
    kernels not yet tiled: the decode front end's one-token tiles keep the dot products)."""
    usable = spec.bf16 and profile.bf16_dot_products and spec["b"] % DOT_LANES == 0
    tiles = spec.get("amx", int(usable and profile.amx_tiles and not spec.tiled))
    if tiles and not spec.tiled:
        spec = spec.with_params(amx=1, token_tile=amx.ROWS)
    spec = default_token_tile(spec, profile)
    if spec.bf16 and "bf16_dot" not in dict(spec.params):
        spec = spec.with_params(bf16_dot=int(usable))
    return spec


def schedule_pairs(sch: Schedule) -> None:
    """The bf16 pair blocks of a ``bf16_dot`` kernel: the weights', computed once per call
    (parallel), and each matmul input's, already computed inside the token-tile loop (vectorised)."""
    sch.parallel(sch.fuse(*sch.get_loops(sch.get_sblock("weight_pairs"))[:-3]))
    for name in root_block_names(sch):
        if name.endswith("_pairs") and name != "weight_pairs":
            sch.vectorize(sch.fuse(*sch.get_loops(sch.get_sblock(name))[-2:]))


REGISTER_TILE = 2  # mm_order: accumulators of a token tile x a few output vectors held in registers


def stage_knobs(spec: OpSpec, profile: CpuProfile) -> Knobs:
    """Loop orders of the block matmul (register tiles, :data:`REGISTER_TILE`, the default:
    2.8x faster than weights-outer on the Zen 3 VM, 1 thread, 4096 tokens; weights-outer;
    token-outer) and the cross transform, and unrolling of the output vectors: all structural
    (no split knobs)."""
    return {"mm_order": [REGISTER_TILE, 0, 1], "cross_order": [0, 1], "unroll": [0, 1], **tile_knobs(spec)}


def tile_knobs(spec: OpSpec) -> Knobs:
    """With ``amx``: tokens per tile row group (``amx_rows``: the tile's 16 rows first, then 8),
    outputs per A tile load (``amx_columns``, 1-4 C tiles, the most first) and bf16 pairs per
    ``tdpbf16ps`` (``amx_pairs``: a full 64-byte row first); none otherwise."""
    if not spec.amx:
        return {}
    rows = [r for r in (amx.ROWS, amx.ROWS // 2) if spec.token_tile % r == 0] or [spec.token_tile]
    columns = [c for c in (64, 32, 16) if spec["b"] % c == 0]
    pairs = [p for p in (amx.MAX_PAIRS, amx.MAX_PAIRS // 2) if (spec["b"] // 2) % p == 0]
    return {"amx_rows": rows, "amx_columns": columns, "amx_pairs": pairs}


def schedule_stages(sch: Schedule, spec: OpSpec, profile: CpuProfile, choice: Choice) -> None:
    """One parallel loop over token tiles; every stage (and the projection epilogue, if any)
    computed inside it, vectorised over b."""
    names = [name for name in root_block_names(sch) if name != "weight_pairs"]
    tiles = sch.get_loops(sch.get_sblock(names[-1]))[0]  # the output's: the last stage's or the epilogue's
    sch.parallel(tiles)
    for name in reversed(names[:-1]):
        sch.compute_at(sch.get_sblock(name), tiles, preserve_unit_loops=True)
    epilogue = sch.get_sblock("projection") if "features" in dict(spec.params) else None
    blocks = [sch.get_sblock(name) for name in stage_block_names(sch)]
    if spec.bf16_dot:
        schedule_pairs(sch)
    if epilogue is not None:
        f_outer, f_inner = sch.split(sch.get_loops(epilogue)[-1], [None, vector_lanes(spec["features"], profile)])
        sch.vectorize(f_inner)
    order_stage_loops(sch, blocks, spec, profile, choice)


def order_stage_loops(sch: Schedule, blocks, spec: OpSpec, profile: CpuProfile, choice: Choice) -> None:
    """Loop order (the ``mm_order``/``cross_order`` knobs), vectorisation over b and unrolling
    of stage blocks already computed inside a token-tile loop. Block matmuls with bf16 pairs
    (:func:`bf16_dot_stage`) are tensorized with ``vdpbf16ps`` instead: pairs outermost, the
    tile's tokens and output vectors unrolled inside, so their accumulators stay in registers."""
    lanes = vector_lanes(spec["b"], profile)
    for block in blocks:
        is_mm = sch.get(block).name_hint.endswith("_mm")
        if is_mm and spec.bf16_dot:
            tok, rr, n, o, pair, lane = sch.get_loops(block)[-6:]
            tensorize = tensorize_tile_matmul if spec.amx else tensorize_dot_matmul
            tensorize(sch, block, tok, rr, n, o, [pair, lane], spec, choice)
            continue
        tok, rr, n, o, red = sch.get_loops(block)[-5:]
        if is_mm and choice["mm_order"] == REGISTER_TILE:
            register_tile(sch, block, tok, rr, n, o, [red], spec, profile)
            continue
        o_outer, o_inner = sch.split(o, [None, lanes])
        if choice["mm_order" if is_mm else "cross_order"] == 0:
            order = (rr, n, red, tok, o_outer, o_inner) if is_mm else (tok, rr, n, red, o_outer, o_inner)
        else:
            order = (tok, rr, n, o_outer, red, o_inner) if is_mm else (rr, n, tok, red, o_outer, o_inner)
        sch.reorder(*order)
        sch.vectorize(o_inner)
        if choice["unroll"]:
            sch.unroll(o_outer)
        sch.decompose_reduction(block, red)


REGISTER_TOKENS = 4  # tokens per register tile: a token tile of more runs its register tiles in turn


def register_tile_tokens(spec: OpSpec) -> int:
    """Tokens per register tile of a block matmul: up to :data:`REGISTER_TOKENS` of the token tile."""
    return math.gcd(spec.token_tile, REGISTER_TOKENS)


def register_tile_vectors(spec: OpSpec, profile: CpuProfile) -> int:
    """Output vectors per register tile of a block matmul: the most (dividing b / lanes) whose
    tokens x vectors accumulators (:func:`register_tile_tokens`), the vectors' weights and one
    broadcast input fit the vector registers (AVX2's 16: 2 vectors at 4 tokens; AVX-512's 32: 4)."""
    lanes = vector_lanes(spec["b"], profile)
    tokens = register_tile_tokens(spec)
    fits = [v for v in range(1, spec["b"] // lanes + 1)
            if (spec["b"] // lanes) % v == 0 and (tokens + 1) * v + 1 <= profile.vector_registers]
    return max(fits or [1])


def register_tile(sch: Schedule, block, tok, rr, n, col, reductions, spec: OpSpec, profile: CpuProfile) -> None:
    """mm_order REGISTER_TILE for a block matmul (forward stage or input gradient) whose loops
    are the tile's tokens, repeat, block, output column and ``reductions``: per (repeat, block,
    group of output vectors) and group of :func:`register_tile_tokens` tokens, the reductions
    run outside those tokens and vectors (unrolled), so their accumulators stay in registers
    (:func:`register_tile_vectors`) and each weight vector loaded feeds one FMA per token; a
    token tile of more tokens reuses the group's weights (b x vectors, 4 KiB) from L1."""
    lanes = vector_lanes(spec["b"], profile)
    group, vector, lane = sch.split(col, [None, register_tile_vectors(spec, profile), lanes])
    tok_outer, tok = sch.split(tok, [None, register_tile_tokens(spec)])
    sch.reorder(rr, n, group, tok_outer, *reductions, tok, vector, lane)
    sch.unroll(tok)
    sch.unroll(vector)
    sch.vectorize(lane)
    sch.decompose_reduction(block, reductions[0])


def tensorize_dot_matmul(sch: Schedule, block, tok, rr, n, col, reductions, spec: OpSpec, choice: Choice) -> None:
    """Tensorize a block matmul on bf16 pairs (reduction loops ending with the pair's 2 lanes)
    with ``vdpbf16ps``: per group of :func:`register_tile_tokens` of the tile's tokens, the other
    reductions outermost, then those tokens and the 16-lane output vectors unrolled inside, so
    their accumulators stay in registers."""
    col_outer, col_inner = sch.split(col, [None, DOT_LANES])
    tok_outer, tok = sch.split(tok, [None, register_tile_tokens(spec)])
    sch.reorder(rr, n, tok_outer, *reductions[:-1], tok, col_outer, col_inner, reductions[-1])
    sch.unroll(tok)
    sch.unroll(col_outer)
    sch.decompose_reduction(block, reductions[0])
    sch.tensorize(col_inner, dot_intrinsic())


def tensorize_tile_matmul(sch: Schedule, block, tok, rr, n, col, reductions, spec: OpSpec, choice: Choice) -> None:
    """Tensorize a block matmul on bf16 pairs with AMX tiles (:mod:`~lookup_tvm.ops.bh4.amx`): per
    (repeat, block, ``amx_rows`` tokens of the tile, ``amx_columns`` outputs) one intrinsic call
    over the block's pairs (``amx_pairs`` per ``tdpbf16ps``); reductions other than the pairs'
    (the repeats summed into a shared input's gradient) run outside it, accumulating in the output."""
    rows = choice["amx_rows"]
    col_outer, col_inner = sch.split(col, [None, choice["amx_columns"]])
    tok_outer, tok_inner = sch.split(tok, [None, rows])
    *outer_reductions, pair, lane = reductions
    sch.reorder(rr, n, tok_outer, col_outer, *outer_reductions, tok_inner, col_inner, pair, lane)
    sch.decompose_reduction(block, outer_reductions[0] if outer_reductions else tok_inner)
    sch.tensorize(tok_inner, amx.tile_intrinsic(rows, choice["amx_columns"], spec["b"] // 2, choice["amx_pairs"]))


def stage_block_names(sch: Schedule) -> list[str]:
    """Names of the stage blocks in program order (``s0_mm``, ``s0_cross``, ...)."""
    names = []
    for stmt in root_block_names(sch):
        if stmt.endswith(("_mm", "_cross")):
            names.append(stmt)
    return names


def root_block_names(sch: Schedule) -> list[str]:
    """Names of the root block's child blocks (under loops too, not under other blocks), in
    program order."""
    root = sch.get_sblock("root")
    return [sch.get(child).name_hint for child in sch.get_child_blocks(root)]


TOKEN_TILES = (16, 8, 4)
STAGE_BUFFERS = 4  # [tile, r, nb, b] buffers a stage keeps warm: its input, matmul and cross outputs, the next input


def _kernel_weight_bytes(spec: OpSpec) -> int:
    """The float32 block weights a kernel reads per token tile: one stage's (kernels with
    ``r_in``) or all four (the fused BH4, projection and front end)."""
    stages = 1 if "r_in" in dict(spec.params) else STAGES
    return stages * spec["r"] * spec["nb"] * spec["b"] * spec["b"] * 4


def _weights_stay_in_l2(spec: OpSpec, profile: CpuProfile) -> bool:
    """Whether a kernel's weights fit L2 beside the stage buffers of the smallest token tile."""
    smallest = STAGE_BUFFERS * TOKEN_TILES[-1] * spec["r"] * spec["nb"] * spec["b"] * 4
    return _kernel_weight_bytes(spec) + smallest <= profile.l2_bytes


def stage_footprint(spec: OpSpec, profile: CpuProfile, choice: Choice | None = None) -> Footprint:
    """A token tile's stage buffers (:data:`STAGE_BUFFERS` of [tile, r, nb, b] float32) in L2,
    with the kernel's weights where they stay there (:func:`_weights_stay_in_l2`), and, with
    register tiles (or bf16 dot products), the accumulators, weight vectors and broadcast input
    in registers and a group's weights (b x its output vectors) in L1 across the tile's
    register tiles."""
    buffers = STAGE_BUFFERS * spec.token_tile * spec["r"] * spec["nb"] * spec["b"] * 4
    weights = _kernel_weight_bytes(spec) if _weights_stay_in_l2(spec, profile) else 0
    registers = group = 0
    if spec.amx:
        group = spec["b"] * spec["b"] * 2  # a block's weight pairs, read by every row group of the tile
    elif spec.bf16_dot:
        registers = register_tile_tokens(spec) * (spec["b"] // DOT_LANES) + 2
        group = spec["b"] * spec["b"] * 2
    elif choice is None or choice.get("mm_order", REGISTER_TILE) == REGISTER_TILE:
        vectors = register_tile_vectors(spec, profile)
        registers = (register_tile_tokens(spec) + 1) * vectors + 1
        group = spec["b"] * vectors * vector_lanes(spec["b"], profile) * 4
    return Footprint(registers=registers, l1=group, l2=weights + buffers)


def default_token_tile(spec: OpSpec, profile: CpuProfile) -> OpSpec:
    """Tokens per tile: each tile reads all the kernel's weights once. Where they stay in L2
    beside the buffers (one stage, 256 KiB at d = 512), the smallest tile of
    :data:`TOKEN_TILES` (its buffers stay in L1); where they do not (the fused four stages, 1
    MiB), the largest whose buffers fit L2 (:func:`stage_footprint`), so the weights stream in
    a quarter as often. The Zen 3 VM (512 KiB L2), tuned, 2 threads, 4096 tokens: front end
    21.8 -> 19.2 ms with 16 tokens, a stage 3.7 -> 4.2 and its input gradient 4.7 -> 5.7."""
    if spec.tiled:
        return spec
    sizes = largest_fitting(TOKEN_TILES, lambda tile: stage_footprint(spec.with_params(token_tile=tile), profile),
                            profile)
    return spec.with_params(token_tile=sizes[-1] if _weights_stay_in_l2(spec, profile) else sizes[0])


SPLIT_SIZED = frozenset({"column_vectors"})  # the split stages' knob sized from the core count


def split_layout(spec: OpSpec, profile: CpuProfile) -> OpSpec:
    """Kernels with split stages (:func:`split_stage_blocks`): tiles of one token (no tile padded
    with zero tokens), and ``bf16_dot`` as the token-tiled kernels choose it (never AMX tiles)."""
    if not spec.tiled:
        spec = spec.with_params(token_tile=1)
    return bf16_dot_layout(spec, profile)


def split_stage_knobs(spec: OpSpec, profile: CpuProfile) -> Knobs:
    """``column_vectors``: output vectors per task of a split stage (the tasks are repeats x
    blocks x column chunks); the widest chunk that still gives every core a task, then the
    others. A vector is 16 lanes with ``bf16_dot`` (one ``vdpbf16ps``)."""
    lanes = DOT_LANES if spec.bf16_dot else vector_lanes(spec["b"], profile)
    widths = [v for v in (8, 4, 2, 1) if spec["b"] % (lanes * v) == 0]
    repeats = min(spec["r"], spec.get("r_in", spec["r"]))  # a shared input's gradient has r_in = 1 repeat
    vector_tasks = repeats * spec["nb"] * spec["b"] // lanes
    default = next((v for v in widths if vector_tasks // v >= profile.cores), widths[-1])
    return {"column_vectors": [default] + [v for v in widths if v != default]}


def split_stage_blocks(sch: Schedule, spec: OpSpec, profile: CpuProfile, choice: Choice, producer_task=None):
    """Stages for small batches (one-token tiles), parallel over the work of one token so that
    every core has a share at any token count: each block matmul, cross transform or gradient
    block one task per (repeat, block, column chunk of ``column_vectors`` vectors) with the
    tokens inside (a task's weights, b x chunk floats, are read once per call and reused from
    L1 for every token; on many cores each core keeps its chunks in its own L2). With
    ``bf16_dot`` the weights are rounded into bf16 pairs once per call (parallel), each matmul
    input's pairs by the task that wrote those values (``producer_task``, then the previous
    block's column chunk; without one, their own task per token and block), and the block
    matmuls are tensorized with ``vdpbf16ps`` (:func:`_dot_columns`). -> the last task loop."""
    lanes = vector_lanes(spec["b"], profile)
    if spec.bf16_dot:
        weights = sch.get_sblock("weight_pairs")
        sch.parallel(sch.fuse(*sch.get_loops(weights)[:-3]))
        sch.vectorize(sch.fuse(*sch.get_loops(weights)[-2:]))
    for name in root_block_names(sch):
        block = sch.get_sblock(name)
        if name.endswith("_pairs") and name != "weight_pairs":
            if producer_task is None:
                sch.parallel(sch.fuse(*sch.get_loops(block)[:-2]))
            else:
                sch.reverse_compute_at(block, producer_task, preserve_unit_loops=True)
            sch.vectorize(sch.fuse(*sch.get_loops(block)[-2:]))
            continue
        if not name.endswith(("_mm", "_cross", "grad_in")):
            continue
        if spec.bf16_dot and name.endswith(("_mm", "grad_in")) and name != "grad_mm":
            task = _dot_columns(sch, block, choice["column_vectors"])
            producer_task = task if spec["nb"] > 1 else None  # a tensorized block cannot host its consumer
            continue
        token, tile, rr, n, column, *reductions = sch.get_loops(block)
        chunk, vector, lane = sch.split(column, [None, choice["column_vectors"], lanes])
        sch.reorder(rr, n, chunk, token, tile, *reductions, vector, lane)
        producer_task = sch.fuse(rr, n, chunk)
        sch.parallel(producer_task)
        sch.unroll(vector)
        sch.vectorize(lane)
        sch.decompose_reduction(block, reductions[0])
    return producer_task


def schedule_split_stages(sch: Schedule, spec: OpSpec, profile: CpuProfile, choice: Choice) -> None:
    """The stage kernels for small batches (``bh4_stage_small``, ``bh4_stage_grad_small``): every
    block split across (repeat, block, column chunk), :func:`split_stage_blocks`."""
    split_stage_blocks(sch, spec, profile, choice)


def _dot_columns(sch: Schedule, block, column_vectors: int):
    """A split stage's block matmul on bf16 pairs, one task per (repeat, block, column chunk)
    with the tokens inside; per token the pairs loop runs outside the chunk's 16-lane output
    vectors (unrolled, their accumulators in registers), each a ``vdpbf16ps``. -> the task loop."""
    token, tile, rr, n, column, *reductions, pair, lane_pair = sch.get_loops(block)
    chunk, vector, lane = sch.split(column, [None, column_vectors, DOT_LANES])
    sch.reorder(rr, n, chunk, token, tile, *reductions, pair, vector, lane, lane_pair)
    task = sch.fuse(rr, n, chunk)
    sch.parallel(task)
    sch.unroll(vector)
    sch.decompose_reduction(block, (reductions or [pair])[0])
    sch.tensorize(lane, dot_intrinsic())
    return task
