"""The gather for small batches (decode: see :mod:`lookup_tvm.ops.dispatch`), the same
operator as :mod:`.compute`'s with a schedule for few tokens.

The large-batch schedule blocks tokens in the thousands and runs its parallel loop over token
tiles: at one token it walks thousands of empty iterations and keeps one thread busy. Here the
parallel loop runs over column chunks of the output (every core gets columns whatever the token
count), and per token the ``register_vectors`` output vectors of a chunk stay in registers across
all h tables: each table's row segment is loaded once, the loads of the tables independent of
each other, so many are in flight.
"""
from __future__ import annotations

from lookup_tvm.cpu.target import CpuProfile
from lookup_tvm.cpu.tvm_api import Schedule
from lookup_tvm.kit.footprint import Footprint
from lookup_tvm.kit.operator import Choice, Knobs, OpSpec
from lookup_tvm.kit.tir import divisors, vector_lanes
from lookup_tvm.ops.gather.compute import compute_shift_at, define_gather

SAMPLED_KNOBS = frozenset({"cols", "register_vectors"})
SIZED = frozenset({"cols", "register_vectors", "table_groups"})  # from the core count


def define_small_gather(spec: OpSpec, batch=None):
    """As :func:`~lookup_tvm.ops.gather.compute.define_gather` (block ``gather_small``)."""
    return define_gather(spec, batch, name="gather_small")


def small_gather_knobs(spec: OpSpec, profile: CpuProfile) -> Knobs:
    """``cols``: output columns per parallel task, the default the widest chunk that gives every
    core one (on few cores a task reads whole rows: at decode sizes the rows come from DRAM, and
    1-2 KiB of a row in one go read 25-40% faster than 512 B pieces on the Zen 3 VM);
    ``register_vectors``: output vectors held in registers across the tables, the default half
    the vector registers; ``table_groups``: where there are more cores than column chunks, the
    tables in that many groups, each group's partial sums a task of its own, added up after
    (the default: enough groups for every core). Quantized tables keep one group (their sums start
    at the token's shift, which TVM's rfactor cannot split); where there are more cores than
    column vectors, their tasks take narrower vectors (8 columns each on 64 cores, 4 on 128) so
    that every core gets columns."""
    lanes = vector_lanes(spec["d_out"], profile)
    vectors = spec["d_out"] // lanes
    per_core = max(1, vectors // max(1, profile.cores))
    widths = [vectors >> shift for shift in range(vectors.bit_length()) if vectors % (vectors >> shift) == 0]
    chunk = max(v for v in widths if v <= per_core)
    cols = divisors(spec["d_out"], [lanes * m for m in (chunk, 64, 32, 16, 8, 4, 2, 1)])
    registers = [r for r in divisors(cols[0] // lanes, [profile.vector_registers // 2, 8, 4, 2, 1])
                 if not small_gather_footprint(spec, profile, {"register_vectors": r}).overflows(profile)]
    needed = -(-profile.cores // (vectors // chunk))
    groups = min(g for g in range(1, spec["h"] + 1) if spec["h"] % g == 0 and (g >= needed or g == spec["h"]))
    if spec.table_bits:  # the sum starts at the token's shift, not 0: TVM's rfactor splits only sums from 0
        if vectors < profile.cores:  # so below a vector per task, narrower vectors give every core columns
            return {"cols": [quantized_lanes(spec, profile)], "register_vectors": [1], "table_groups": [1]}
        return {"cols": cols, "register_vectors": registers or [1], "table_groups": [1]}
    return {"cols": cols, "register_vectors": registers or [1], "table_groups": list(dict.fromkeys([groups, 1, 2, 4]))}


def quantized_lanes(spec: OpSpec, profile: CpuProfile) -> int:
    """A quantized small gather's vector width: the target's, or where that leaves fewer column
    vectors than cores, the widest that gives each core one (at least 1 column)."""
    lanes = vector_lanes(spec["d_out"], profile)
    return next(c for c in (lanes >> shift for shift in range(lanes.bit_length()))
                if spec["d_out"] // c >= profile.cores or c == 1)


def small_gather_footprint(spec: OpSpec, profile: CpuProfile, choice: Choice) -> Footprint:
    """The output vectors held across the tables, a row vector and the broadcast score."""
    return Footprint(registers=choice["register_vectors"] + 2)


def schedule_small_gather(sch: Schedule, spec: OpSpec, profile: CpuProfile, choice: Choice) -> None:
    """Parallel over column chunks (and table groups); per token and group of
    ``register_vectors`` output vectors, the tables innermost but for the unrolled vectors and
    their lanes. With table groups, the groups' partial sums [groups, tokens, d_out] are then
    added, parallel over tokens x column vectors. Quantized tables: a token's shift is computed
    per task, before its sums."""
    lanes = vector_lanes(spec["d_out"], profile)
    if spec.table_bits:  # narrower on many cores (not from the choice: in a design space "cols" is sampled)
        lanes = quantized_lanes(spec, profile)
    block = sch.get_sblock("gather_small")
    t, d, k = sch.get_loops(block)
    groups = choice.get("table_groups", 1)
    if groups > 1:
        k_g, _ = sch.split(k, [groups, None])
        partial = sch.rfactor(k_g, 0)
        t_s, d_s, k_s = sch.get_loops(block)
        d_so, d_sv = sch.split(d_s, [None, lanes])
        sch.reorder(t_s, d_so, k_s, d_sv)
        sch.parallel(sch.fuse(t_s, d_so))
        sch.vectorize(d_sv)
        sch.decompose_reduction(block, k_s)
        block = partial
        t, d, k_g, k = sch.get_loops(block)
    d_o, d_i = sch.split(d, [None, choice["cols"]])
    d_io, d_iv, d_ii = sch.split(d_i, [None, choice["register_vectors"], lanes])
    if groups > 1:
        sch.reorder(k_g, d_o, t, d_io, k, d_iv, d_ii)
        sch.parallel(sch.fuse(k_g, d_o))
    else:
        sch.reorder(d_o, t, d_io, k, d_iv, d_ii)
        sch.parallel(d_o)
    sch.unroll(d_iv)
    sch.vectorize(d_ii)
    compute_shift_at(sch, spec, "gather_small", t)
    sch.decompose_reduction(block, k)
