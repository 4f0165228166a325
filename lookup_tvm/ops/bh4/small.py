"""The BH4 stages for small batches (decode): every stage block one task per repeat x block x
column chunk, the tokens inside each task, so that every core has work at one token (the inference
BH4 and projection run these through the training forward, and the small front end shares
:func:`small_stage_blocks`)."""
from __future__ import annotations

from lookup_tvm.cpu.target import CpuProfile
from lookup_tvm.cpu.tvm_api import Schedule
from lookup_tvm.kit.operator import Choice, Knobs, OpSpec
from lookup_tvm.kit.tir import vector_lanes
from lookup_tvm.ops.bh4.bf16_dot import LANES as DOT_LANES
from lookup_tvm.ops.bh4.bf16_dot import dot_intrinsic
from lookup_tvm.ops.bh4.layout import bf16_dot_layout
from lookup_tvm.ops.bh4.schedule import root_block_names



SMALL_STAGE_SIZED = frozenset({"column_vectors"})  # the small stages' knob sized from the core count


def small_layout(spec: OpSpec, profile: CpuProfile) -> OpSpec:
    """Kernels with small stages (:func:`small_stage_blocks`): tiles of one token (no tile padded
    with zero tokens), and ``bf16_dot`` as the token-tiled kernels choose it (never AMX tiles)."""
    if not spec.tiled:
        spec = spec.with_params(token_tile=1)
    return bf16_dot_layout(spec, profile)


def small_stage_knobs(spec: OpSpec, profile: CpuProfile) -> Knobs:
    """``column_vectors``: output vectors per task of a small stage (the tasks are repeats x
    blocks x column chunks); the widest chunk that still gives every core a task, then the
    others. A vector is 16 lanes with ``bf16_dot`` (one ``vdpbf16ps``)."""
    lanes = DOT_LANES if spec.bf16_dot else vector_lanes(spec["b"], profile)
    widths = [v for v in (8, 4, 2, 1) if spec["b"] % (lanes * v) == 0]
    repeats = min(spec["r"], spec.get("r_in", spec["r"]))  # a shared input's gradient has r_in = 1 repeat
    vector_tasks = repeats * spec["nb"] * spec["b"] // lanes
    default = next((v for v in widths if vector_tasks // v >= profile.cores), widths[-1])
    return {"column_vectors": [default] + [v for v in widths if v != default]}


def small_stage_blocks(sch: Schedule, spec: OpSpec, profile: CpuProfile, choice: Choice, producer_task=None):
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


def schedule_small_stages(sch: Schedule, spec: OpSpec, profile: CpuProfile, choice: Choice) -> None:
    """The stage kernels for small batches (``bh4_stage_small``, ``bh4_stage_grad_small``): every
    block split across (repeat, block, column chunk), :func:`small_stage_blocks`."""
    small_stage_blocks(sch, spec, profile, choice)


def _dot_columns(sch: Schedule, block, column_vectors: int):
    """A small stage's block matmul on bf16 pairs, one task per (repeat, block, column chunk)
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
