"""Weighted gather-accumulate: out[t, :] = sum_k scores[t, k] * tables[k, codes[t, k], :]."""
from __future__ import annotations

from lookup_tvm.ops import Operator, OpSpec
from lookup_tvm.ops.common import vector_lanes
from lookup_tvm.target import CpuProfile
from lookup_tvm.tvm_api import Schedule, te


def define_gather(spec: OpSpec):
    """codes [B, h] int32, scores [B, h], tables [h, rows, d_out] -> out [B, d_out]."""
    h, rows, d_out = spec["h"], spec["rows"], spec["d_out"]
    batch = te.var("batch")
    codes = te.placeholder((batch, h), "int32", name="codes")
    scores = te.placeholder((batch, h), "float32", name="scores")
    tables = te.placeholder((h, rows, d_out), "float32", name="tables")
    k = te.reduce_axis((0, h), "k")
    out = te.compute(
        (batch, d_out), lambda t, d: te.sum(scores[t, k] * tables[k, codes[t, k], d], axis=k), name="gather"
    )
    return te.create_prim_func([codes, scores, tables, out])


def gather_tiles(spec: OpSpec, profile: CpuProfile) -> tuple[int, int, int]:
    """(tokens, columns, tables) per tile: the output tile and the table rows it touches fit L2."""
    lanes = vector_lanes(spec["d_out"], profile)
    cols = lanes
    while cols * 2 <= min(spec["d_out"], 128) and spec["d_out"] % (cols * 2) == 0:
        cols *= 2
    tokens, tables = 32, min(16, spec["h"])
    while tables > 1 and spec["h"] % tables:
        tables //= 2
    return tokens, cols, tables


def schedule_gather(sch: Schedule, spec: OpSpec, profile: CpuProfile) -> None:
    """Parallel over token tiles; column chunks x table tiles inside; vector columns innermost."""
    tokens, cols, tables = gather_tiles(spec, profile)
    lanes = vector_lanes(spec["d_out"], profile)
    block = sch.get_sblock("gather")
    t, d, k = sch.get_loops(block)
    t_o, t_i = sch.split(t, [None, tokens])
    d_o, d_i = sch.split(d, [None, cols])
    d_io, d_ii = sch.split(d_i, [None, lanes])
    k_o, k_i = sch.split(k, [None, tables])
    sch.reorder(t_o, d_o, k_o, t_i, k_i, d_io, d_ii)
    sch.parallel(t_o)
    sch.vectorize(d_ii)
    sch.decompose_reduction(block, k_o)


OPERATORS = [Operator("gather", define_gather, schedule_gather)]
