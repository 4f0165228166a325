"""The gather family's backward kernels: score gradient (indexed inner product), table
gradient (scatter-add), and both in one pass.

dscores[t, k] = <g[t, :], tables[k, codes[t, k], :]>;
dtables[k, codes[t, k], :] += scores[t, k] * g[t, :] over all tokens t.
"""
from __future__ import annotations

from lookup_tvm.cpu.target import CpuProfile
from lookup_tvm.cpu.tvm_api import Schedule, T, te, tirx
from lookup_tvm.kit.footprint import Footprint
from lookup_tvm.kit.operator import Choice, Knobs, OpSpec
from lookup_tvm.kit.tir import batch_extent, tiles_for_every_core, vector_lanes


def define_score_grad(spec: OpSpec, batch=None):
    """g [B, d_out], codes [B, h] int32, tables [h, rows, d_out] -> dscores [B, h]."""
    h, rows, d_out = spec["h"], spec["rows"], spec["d_out"]
    batch = batch_extent(batch)
    g = te.placeholder((batch, d_out), "float32", name="grad_out")
    codes = te.placeholder((batch, h), "int32", name="codes")
    tables = te.placeholder((h, rows, d_out), "float32", name="tables")
    d = te.reduce_axis((0, d_out), "d")
    out = te.compute((batch, h), lambda t, k: te.sum(g[t, d] * tables[k, codes[t, k], d], axis=d), name="score_grad")
    return te.create_prim_func([g, codes, tables, out])


def score_grad_knobs(spec: OpSpec, profile: CpuProfile) -> Knobs:
    """``tokens``: tokens per parallel task (those giving every core a task at 4096 tokens);
    ``lanes``: the d-reduction in vector lanes (or scalar)."""
    return {"tokens": tiles_for_every_core([16, 4, 64], profile.cores),
            "lanes": [vector_lanes(spec["d_out"], profile), 1]}


SCORE_GRAD_SAMPLED_KNOBS = frozenset({"tokens"})
SCORE_GRAD_SIZED = frozenset({"tokens"})  # candidates from the core count
SCATTER_SIZED = frozenset({"token_block", "table_block"})  # from L1d and the core count
SCATTER_LAYOUT = frozenset({"lanes", "token_block", "table_block"})  # the scatter-adds' layout parameters


def schedule_score_grad(sch: Schedule, spec: OpSpec, profile: CpuProfile, choice: Choice) -> None:
    """Parallel over tables x token tiles, table-major: a thread's consecutive tasks read rows
    of the same table (one table's rows, 512 KiB at d_out = 512, from L2 rather than 64 MiB
    of tables from DRAM: 1.48x faster than token-major at 4096 tokens, 1 thread, Zen 3), and
    one token's tables give every core work. Per (token, table) the d-reduction runs in vector
    lanes (rfactor) and the lanes are summed at the end."""
    block = sch.get_sblock("score_grad")
    lanes = choice["lanes"]
    partial = None
    if lanes > 1:
        _, d_i = sch.split(sch.get_loops(block)[2], [None, lanes])
        partial = sch.rfactor(d_i, 0)
        sch.compute_at(partial, sch.get_loops(block)[1], preserve_unit_loops=True)
    t_o, t_i = sch.split(sch.get_loops(block)[0], [None, choice["tokens"]])
    table = sch.get_loops(block)[2]
    sch.reorder(table, t_o, t_i)
    sch.parallel(sch.fuse(table, t_o))
    if partial is not None:
        *_, lane, d_o = sch.get_loops(partial)
        sch.reorder(d_o, lane)
        sch.vectorize(lane)
        sch.decompose_reduction(partial, d_o)


def _scatter_parts(spec: OpSpec):
    """What both scatter-add kernels share: binding the per-token inputs codes [B, h], scores
    [B, h] and g [B, d_out] (B symbolic), zeroing a thread's table group, and adding
    ``scores[t, k] * g[t, d]`` to row ``codes[t, k]`` of table k."""
    h, rows, d_out = spec["h"], spec["rows"], spec["d_out"]
    lanes, kb = spec["lanes"], spec["table_block"]
    batch = tirx.Var("batch", "int32")

    def token_inputs(codes_h, scores_h, grad_h):
        return (T.match_buffer(codes_h, (batch, h), "int32"), T.match_buffer(scores_h, (batch, h), "float32"),
                T.match_buffer(grad_h, (batch, d_out), "float32"))

    @T.macro
    def zero_tables(dtables, group):
        for k0, s in T.grid(kb, rows):
            if group * kb + k0 < h:
                for d0 in range(d_out // lanes):
                    for d1 in T.vectorized(lanes):
                        dtables[group * kb + k0, s, d0 * lanes + d1] = T.float32(0)

    @T.macro
    def scatter_add(dtables, codes, scores, grad, k, t, d):
        dtables[k, codes[t, k], d] = dtables[k, codes[t, k], d] + scores[t, k] * grad[t, d]

    return batch, token_inputs, zero_tables, scatter_add


def define_table_grad(spec: OpSpec, batch=None):
    """codes [B, h] int32, scores [B, h], g [B, d_out] -> dtables [h, rows, d_out].

    Hand-scheduled (MetaSchedule cannot schedule a data-dependent scatter): race-free
    because each thread owns whole tables; ``token_block`` tokens of g are reused
    across ``table_block`` tables while they sit in cache.
    """
    h, rows, d_out = spec["h"], spec["rows"], spec["d_out"]
    lanes, tb, kb = spec["lanes"], spec["token_block"], spec["table_block"]
    groups = (h + kb - 1) // kb
    batch, token_inputs, zero_tables, scatter_add = _scatter_parts(spec)

    @T.prim_func
    def table_grad(codes_h: T.handle, scores_h: T.handle, grad_h: T.handle,
                   dtables: T.Buffer((h, rows, d_out), "float32")):
        T.func_attr({"global_symbol": "main", "tirx.noalias": True})
        codes, scores, grad = token_inputs(codes_h, scores_h, grad_h)
        for group in T.parallel(groups):
            zero_tables(dtables, group)
            for t0 in range((batch + tb - 1) // tb):
                for k0, t1 in T.grid(kb, tb):
                    if group * kb + k0 < h and t0 * tb + t1 < batch:
                        for d0 in range(d_out // lanes):
                            for d1 in T.vectorized(lanes):
                                scatter_add(dtables, codes, scores, grad, group * kb + k0, t0 * tb + t1,
                                            d0 * lanes + d1)

    return table_grad


def define_gather_grad(spec: OpSpec, batch=None):
    """codes [B, h] int32, scores [B, h], g [B, d_out], tables [h, rows, d_out] (float32, or
    bfloat16 with ``bf16=1``) -> (dscores [B, h], dtables [h, rows, d_out]) in one pass over the
    rows; all float32 but the tables. The table gradient stays float32 for bfloat16 tables:
    each row sums the contributions of ~B/rows tokens, which bfloat16 (8 bits of mantissa)
    would round away; the caller rounds the finished gradient once.

    The scatter-add of :func:`define_table_grad` (each thread owns whole tables, so it is
    race-free) also forms the score gradient from the row it touches: per (token, table)
    the inner product with g accumulates in vector lanes and is summed at the end. The rows
    and g are read once for both gradients.
    """
    h, rows, d_out = spec["h"], spec["rows"], spec["d_out"]
    lanes, tb, kb = spec["lanes"], spec["token_block"], spec["table_block"]
    groups = (h + kb - 1) // kb
    table_dtype = spec.storage_dtype
    batch, token_inputs, zero_tables, scatter_add = _scatter_parts(spec)

    @T.prim_func
    def gather_grad(codes_h: T.handle, scores_h: T.handle, grad_h: T.handle,
                    tables: T.Buffer((h, rows, d_out), table_dtype), dscores_h: T.handle,
                    dtables: T.Buffer((h, rows, d_out), "float32")):
        T.func_attr({"global_symbol": "main", "tirx.noalias": True})
        codes, scores, grad = token_inputs(codes_h, scores_h, grad_h)
        dscores = T.match_buffer(dscores_h, (batch, h), "float32")
        for group in T.parallel(groups):
            acc = T.decl_buffer((lanes,), "float32", scope="local")
            zero_tables(dtables, group)
            for t0 in range((batch + tb - 1) // tb):
                for k0, t1 in T.grid(kb, tb):
                    if group * kb + k0 < h and t0 * tb + t1 < batch:
                        for d1 in T.vectorized(lanes):
                            acc[d1] = T.float32(0)
                        for d0 in range(d_out // lanes):
                            for d1 in T.vectorized(lanes):
                                acc[d1] = acc[d1] + grad[t0 * tb + t1, d0 * lanes + d1] * T.Cast("float32", tables[
                                    group * kb + k0, codes[t0 * tb + t1, group * kb + k0], d0 * lanes + d1])
                                scatter_add(dtables, codes, scores, grad, group * kb + k0, t0 * tb + t1,
                                            d0 * lanes + d1)
                        dscores[t0 * tb + t1, group * kb + k0] = T.float32(0)
                        for d1 in range(lanes):
                            dscores[t0 * tb + t1, group * kb + k0] = dscores[t0 * tb + t1, group * kb + k0] + acc[d1]

    return gather_grad


def scatter_footprint(spec: OpSpec, profile: CpuProfile, choice: Choice) -> Footprint:
    """A block of g ([token_block, d_out] float32) in L2 while the table block's rows take it."""
    return Footprint(l2=spec["token_block"] * spec["d_out"] * 4)


def scatter_layout_search(spec: OpSpec, profile: CpuProfile) -> list[dict[str, int]]:
    """The scatter-adds' blocking candidates, measured by the tuner: tokens of g per block
    (blocks that fit L2, :func:`scatter_footprint`) x tables per thread (at most the tables
    each core gets)."""
    tables = [t for t in (1, 2, 4, 8, 16) if t <= max(1, spec["h"] // profile.cores)]
    blocks = [tb for tb in (16, 32, 64, 128, 256)
              if not scatter_footprint(spec.with_params(token_block=tb), profile, {}).overflows(profile)]
    return [{"token_block": tb, "table_block": kb} for tb in blocks or [16] for kb in tables]


def table_grad_layout(spec: OpSpec, profile: CpuProfile) -> OpSpec:
    """Default blocking of the scatter-adds (table gradient, fused gather backward), for the
    parameters the spec does not set: a token block of g fits half of L1d; enough table
    groups for all cores."""
    params = dict(spec.params)
    defaults = {"lanes": vector_lanes(params["d_out"], profile),
                "token_block": max(1, min(256, profile.l1d_bytes // 2 // (4 * params["d_out"]))),
                "table_block": max(1, min(8, params["h"] // max(1, profile.cores)))}
    return spec.with_params(**{**defaults, **params})
