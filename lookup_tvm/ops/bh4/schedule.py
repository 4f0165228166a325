"""The BH4 stage kernels' knobs and default schedules (token-tiled): loop orders, register tiles,
the bf16 dot-product and AMX tensorization of the block matmuls."""
from __future__ import annotations

import math

from lookup_tvm.cpu.target import CpuProfile
from lookup_tvm.cpu.tvm_api import Schedule
from lookup_tvm.kit.operator import Choice, Knobs, OpSpec
from lookup_tvm.kit.tir import vector_lanes
from lookup_tvm.ops.bh4 import amx
from lookup_tvm.ops.bh4.bf16_dot import LANES as DOT_LANES
from lookup_tvm.ops.bh4.bf16_dot import dot_intrinsic


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
