"""The gather family's forward kernel, weighted gather-accumulate:
out[t, :] = sum_k scores[t, k] * tables[k, codes[t, k], :]."""
from __future__ import annotations

import math

from lookup_tvm.cpu.target import CpuProfile
from lookup_tvm.cpu.tvm_api import Schedule, te, tirx, with_reduction_start
from lookup_tvm.kit.footprint import Footprint
from lookup_tvm.kit.operator import Choice, Knobs, OpSpec
from lookup_tvm.kit.tir import as_float32, batch_extent, divisors, vector_lanes
from lookup_tvm.quantize import INT4_GROUP, packed_columns

TABLE_MAJOR, TOKEN_MAJOR = 0, 1


def define_gather(spec: OpSpec, batch=None, name: str = "gather"):
    """codes [B, h] int32, scores [B, h] float32, tables [h, rows, d_out] (float32, or bfloat16
    with ``bf16=1``) -> out [B, d_out] float32 (accumulated in float32); the block is ``name``.
    With ``table_bits`` (8 or 4) the tables are quantized (:mod:`lookup_tvm.quantize`): packed
    [h, rows, d_out * bits / 8] uint8, scales and offsets [h, rows] float32, and a row's value
    is ``offset + scale * q``: the sum starts from the token's ``sum_k score * offset`` (block
    ``<name>_shift``) and adds ``(score * scale) * q`` per table."""
    h, rows, d_out = spec["h"], spec["rows"], spec["d_out"]
    batch = batch_extent(batch)
    codes = te.placeholder((batch, h), "int32", name="codes")
    scores = te.placeholder((batch, h), "float32", name="scores")
    k = te.reduce_axis((0, h), "k")
    bits = spec.table_bits
    if bits:
        packed = te.placeholder((h, rows, packed_columns(d_out, bits)), "uint8", name="tables")
        scales = te.placeholder((h, rows), "float32", name="scales")
        offsets = te.placeholder((h, rows), "float32", name="offsets")
        value = _quantized_value(packed, bits)
        j = te.reduce_axis((0, h), "j")
        shift = te.compute((batch,), lambda t: te.sum(scores[t, j] * offsets[j, codes[t, j]], axis=j),
                           name=f"{name}_shift")
        out = te.compute((batch, d_out), lambda t, d: te.sum(
            scores[t, k] * scales[k, codes[t, k]] * value(k, codes[t, k], d), axis=k), name=name)
        return with_reduction_start(te.create_prim_func([codes, scores, packed, scales, offsets, shift, out]), name,
                                    f"{name}_shift")
    tables = te.placeholder((h, rows, d_out), spec.storage_dtype, name="tables")
    out = te.compute(
        (batch, d_out), lambda t, d: te.sum(scores[t, k] * as_float32(tables[k, codes[t, k], d]), axis=k), name=name)
    return te.create_prim_func([codes, scores, tables, out])


def _quantized_value(packed, bits: int):
    """A reader of quantized values as float32: ``value(k, c, d)`` (4-bit: the nibble of column
    d in its packing group, :data:`~lookup_tvm.quantize.INT4_GROUP`)."""
    if bits == 8:
        return lambda k, c, d: packed[k, c, d].astype("float32")
    half = INT4_GROUP // 2

    def nibble(k, c, d):
        byte = packed[k, c, d // INT4_GROUP * half + d % half]
        return ((byte >> (d // half % 2 * 4).astype("uint8")) & tirx.const(15, "uint8")).astype("float32")
    return nibble


def gather_knobs(spec: OpSpec, profile: CpuProfile) -> Knobs:
    """``order``: table-major or token-major sweep. ``cols``: column chunks up to 32 vectors
    wide, the default one per core where rows are wide enough (:func:`column_chunk`).
    ``tables``: table tiles, the default the largest whose slice [tables, rows, cols] fits L2
    (``profile.l2_bytes``, per core), so a table-major sweep over a task's tokens reads the
    rows from L2. ``tokens``: token tiles (token-major: a tile's output rows stay in L1/L2
    across the tables). ``register_tables`` with ``register_vectors``: that many output
    vectors stay in registers across a tile's tables. ``l3_tokens``: blocks of a task's
    tokens whose output stays in its core's share of L3 across the table tiles (blocks under
    1024 tokens only where the widest chunk needs them, on many cores). ``unroll``:
    the column vectors. bfloat16 and quantized rows default to 8 output vectors in registers, at
    most a column chunk's (widening each row costs ALU work). Every candidate fits registers and caches
    with the other knobs' lightest (:func:`gather_footprint`). Measurements behind these
    defaults, and what was tried and left out: docs/design.md, "Kernel notes"."""
    h, d_out = spec["h"], spec["d_out"]
    lanes = vector_lanes(d_out, profile)
    cols = divisors(d_out, [column_chunk(d_out, lanes, profile.cores)] + [lanes * m for m in (32, 16, 8, 4)])
    widened = spec.bf16 or spec.table_bits  # rows widened to float32 on the way
    base = {"cols": min(cols), "tables": 1, "register_tables": 0, "register_vectors": 1, "l3_tokens": 1}
    small_blocks = [t for t in (64, 128, 256, 512) if 1024 * max(cols) * 4 > profile.l3_share_bytes]  # many cores

    def fitting(name, candidates, cols_for_default):
        """Candidates of one knob that fit with the lightest of the others; the first: the
        largest that fits with the default column chunk."""
        fits = [c for c in candidates if not gather_footprint(spec, profile, {**base, name: c}).overflows(profile)]
        widest = [c for c in fits if not gather_footprint(
            spec, profile, {**base, "cols": cols_for_default, name: c}).overflows(profile)]
        return list(dict.fromkeys(sorted(widest, reverse=True)[:1] + fits)) or [min(candidates)]

    knobs = {
        "order": [TABLE_MAJOR, TOKEN_MAJOR],
        "cols": cols,
        "tables": fitting("tables", divisors(h, [1, 2, 4, 8, 16, 32, 64]), cols[0]),
        "tokens": [64, 16, 32, 128, 256],
        "unroll": [1, 0],
        "register_tables": [0, 1],
        "register_vectors": [1, 2, 4, 8],
        "l3_tokens": fitting("l3_tokens", [l3_token_block(cols[0], profile), *small_blocks, 1024, 2048, 4096, 8192,
                                           16384], cols[0]),
    }
    if widened:
        chunk_vectors = max(1, cols[0] // lanes)
        knobs.update(tokens=[256, 16, 32, 64, 128], register_tables=[1, 0],
                     register_vectors=list(dict.fromkeys([min(8, chunk_vectors), 8, 4, 2, 1])))
    knobs["register_vectors"] = [v for v in knobs["register_vectors"] if not gather_footprint(
        spec, profile, {**base, "register_tables": 1, "register_vectors": v}).overflows(profile)]
    return knobs


def gather_footprint(spec: OpSpec, profile: CpuProfile, choice: Choice) -> Footprint:
    """A task's table slice [tables, rows, cols] in L2 (table-major, every token of a block
    reads it), the block's float32 output [l3_tokens, cols] in the core's L3 share, and with
    ``register_tables`` the output vectors held across the tables, a row vector and the
    broadcast score in registers."""
    slice_bytes = int(choice["tables"] * spec["rows"] * choice["cols"] * spec.table_bytes)
    registers = choice["register_vectors"] + 2 if choice["register_tables"] else 0
    return Footprint(registers=registers, l2=slice_bytes, l3=choice["l3_tokens"] * choice["cols"] * 4)


SAMPLED_KNOBS = frozenset({"tables", "tokens", "register_vectors", "l3_tokens"})  # cols: structural (the task count)
SIZED = frozenset({"cols", "register_vectors", "tables", "l3_tokens"})  # from the cores, L2 and the L3 share


def column_chunk(d_out: int, lanes: int, cores: int) -> int:
    """Columns per parallel chunk: the output split among the cores, each chunk at least 2
    cache lines of float32 (32 values) and at most 32 vectors. Splitting columns rather than
    tokens keeps each table row segment read by one core only: with tokens split instead,
    every core reads every table (16 cores: 16 times the table traffic)."""
    wanted = max(32, d_out // max(1, cores))
    chunk = lanes
    while chunk * 2 <= min(wanted, 32 * lanes) and d_out % (chunk * 2) == 0:
        chunk *= 2
    return chunk


def l3_token_block(cols: int, profile: CpuProfile) -> int:
    """Tokens per block whose float32 output [block, cols] fits one core's share of L3
    (:meth:`~lookup_tvm.cpu.target.CpuProfile.l3_share_bytes`), a power of two, at least 1024:
    each table tile's slice is read once per block."""
    block = 1024
    while block * 2 * cols * 4 <= profile.l3_share_bytes:
        block *= 2
    return block


def schedule_gather(sch: Schedule, spec: OpSpec, profile: CpuProfile, choice: Choice) -> None:
    """One parallel task per column chunk and token range, chunk-major, the tokens in as many
    equal ranges as make the task count a multiple of ``profile.cores`` (none where the chunks
    already are): each core gets the same share at any batch of at least that many tokens, a
    core's consecutive tasks share a column chunk (each table slice is read by as few cores as
    the split allows), and no range is sized for more tokens than the batch has. Per task,
    table-major: for a block of ``l3_tokens`` tokens and a table tile, sweep the block's
    tokens, so the table slice stays in L2 and the block's output in the core's L3 share.
    Token-major: per token tile, sweep the tables. Quantized tables: each block's token shifts
    are computed first (:func:`compute_shift_at`).
    ``register_tables`` puts the table loop inside each group of ``register_vectors`` output
    vectors, which then stay in registers across the tile's tables (one load and store per
    tile instead of per table)."""
    lanes = vector_lanes(spec["d_out"], profile)
    block = sch.get_sblock("gather")
    t, d, k = sch.get_loops(block)
    chunks = -(-spec["d_out"] // choice["cols"])
    t_p, t = sch.split(t, [profile.cores // math.gcd(profile.cores, chunks), None])
    t_b, t = sch.split(t, [None, choice["l3_tokens"]])
    t_o, t_i = sch.split(t, [None, choice["tokens"]])
    d_o, d_i = sch.split(d, [None, choice["cols"]])
    k_o, k_i = sch.split(k, [None, choice["tables"]])
    if choice["register_tables"]:
        d_io, d_iv, d_ii = sch.split(d_i, [None, choice["register_vectors"], lanes])
        sch.unroll(d_iv)
        inner = (d_io, k_i, d_iv, d_ii)
    else:
        d_io, d_ii = sch.split(d_i, [None, lanes])
        inner = (k_i, d_io, d_ii)
    if choice["order"] == TABLE_MAJOR:
        sch.reorder(d_o, t_p, t_b, k_o, t_o, t_i, *inner)
    else:
        sch.reorder(d_o, t_p, t_b, t_o, k_o, t_i, *inner)
    sch.parallel(sch.fuse(d_o, t_p))
    sch.vectorize(d_ii)
    if choice["unroll"]:
        sch.unroll(d_io)
    compute_shift_at(sch, spec, "gather", t_b)
    sch.decompose_reduction(block, k_o)


def compute_shift_at(sch: Schedule, spec: OpSpec, name: str, loop) -> None:
    """A quantized gather's token shifts (``<name>_shift``: sum_k score * offset) computed under
    ``loop``, for the tokens below it (each parallel task computes its own tokens')."""
    if spec.table_bits:
        sch.compute_at(sch.get_sblock(f"{name}_shift"), loop)
