"""Weighted gather-accumulate: out[t, :] = sum_k scores[t, k] * tables[k, codes[t, k], :]."""
from __future__ import annotations

from lookup_tvm.baselines import F32_BYTES, Workload
from lookup_tvm.ops import Choice, Knobs, Operator, OpSpec
from lookup_tvm.ops.common import (BF16, as_float32, batch_extent, divisors, relative_error, storage_dtype,
                                   storage_torch_dtype, vector_lanes)
from lookup_tvm.target import CpuProfile
from lookup_tvm.tvm_api import Schedule, te

TABLE_MAJOR, TOKEN_MAJOR = 0, 1


def define_gather(spec: OpSpec, batch=None):
    """codes [B, h] int32, scores [B, h] float32, tables [h, rows, d_out] (float32, or bfloat16
    with ``bf16=1``) -> out [B, d_out] float32 (accumulated in float32)."""
    h, rows, d_out = spec["h"], spec["rows"], spec["d_out"]
    batch = batch_extent(batch)
    codes = te.placeholder((batch, h), "int32", name="codes")
    scores = te.placeholder((batch, h), "float32", name="scores")
    tables = te.placeholder((h, rows, d_out), storage_dtype(spec), name="tables")
    k = te.reduce_axis((0, h), "k")
    out = te.compute(
        (batch, d_out), lambda t, d: te.sum(scores[t, k] * as_float32(tables[k, codes[t, k], d]), axis=k),
        name="gather"
    )
    return te.create_prim_func([codes, scores, tables, out])


def gather_knobs(spec: OpSpec, profile: CpuProfile) -> Knobs:
    """Column chunks up to 32 vectors wide; table tiles whose slice [tables, rows, cols] fits
    L2 (``profile.l2_bytes``, per core), so a table-major sweep over all tokens reads the rows
    from L2; token tiles (token-major: a tile's output rows stay in L1/L2 across the tables);
    the output in registers across a tile's tables; token blocks whose output stays in L3 across
    the table tiles (EPYC, 32768 tokens: bf16 208.6 -> 133.4 ms, fp32 192.4 -> 178.7 ms with
    4096-token blocks); lanes from the target. bfloat16 rows
    default to 8 output vectors in registers (EPYC Zen 4, 4096 tokens, 1 thread: 16.9 ms
    against 21.8 ms with the output in L1).

    Software prefetch of the next token's rows is not in the space: measured with hand-written
    TIR on the EPYC Zen 4 (4096 tokens, d_out 512, h 128, 1 thread), it only helped a structure
    whose slice overflows L2 (49.1 -> 35.0 ms) and slowed the L2-resident ones by 10-25%
    (e.g. 39.7 -> 44.9 ms), all behind the tuned schedule here (25.4 ms, 42 GB/s: 39% of the
    measured 108 GB/s L2 read bandwidth). For bfloat16 rows (4-table tiles, 1 MiB slices) it
    took hand-written TIR from 21.6 to 18.5-19.0 ms: level with the tuned schedule (17.3-21.2 ms
    in the same runs), not past it. Neither is a pair-interleaved bf16 layout (one load, then a
    shift and a mask give two float32 vectors: 18.4 vs 18.8 ms): with every code on one row the
    bf16 and fp32 gathers take the same time (9.7 vs 9.9 ms), the float32 output traffic per
    table tile and the FMAs, which bf16 storage does not shrink."""
    h, rows, d_out = spec["h"], spec["rows"], spec["d_out"]
    lanes = vector_lanes(d_out, profile)
    cols = divisors(d_out, [lanes * m for m in (32, 16, 8, 4, 2, 1)])
    bf16 = storage_dtype(spec) == BF16
    fitting = [t for t in divisors(h, [64, 32, 16, 8, 4, 2, 1]) if t * rows * cols[0] * (2 if bf16 else 4)
               <= profile.l2_bytes]
    knobs = {
        "order": [TABLE_MAJOR, TOKEN_MAJOR],
        "cols": cols,
        "tables": divisors(h, (fitting[:1] or [1]) + [1, 2, 4, 8, 16, 32, 64]),
        "tokens": [64, 16, 32, 128, 256],
        "unroll": [1, 0],
        "register_tables": [0, 1],
        "register_vectors": [1, 2, 4, 8],
        "l3_tokens": list(dict.fromkeys([l3_token_block(d_out, profile), 1024, 2048, 4096, 8192, 16384])),
    }
    if bf16:  # widening each row costs ALU work: keep 8 output vectors in registers across tables
        knobs.update(tokens=[256, 16, 32, 64, 128], register_tables=[1, 0], register_vectors=[8, 4, 2, 1])
    return knobs


def l3_token_block(d_out: int, profile: CpuProfile) -> int:
    """Tokens per block whose float32 output rows fill a quarter of L3 (``profile.l3_bytes``), a
    power of two, at least 4096: the tuning token count, so a record from before this knob
    (which swept all tokens at once) describes the same loops."""
    block = 4096
    while block * 2 * d_out * 4 <= profile.l3_bytes // 4:
        block *= 2
    return block


def schedule_gather(sch: Schedule, spec: OpSpec, profile: CpuProfile, choice: Choice) -> None:
    """Table-major: for a column chunk and a table tile, sweep a block of ``l3_tokens`` tokens
    (parallel), so the table slice stays in L2 and the block's output rows in L3. Token-major:
    per token tile, sweep column chunks and tables.
    ``register_tables`` puts the table loop inside each group of ``register_vectors`` output
    vectors, which then stay in registers across the tile's tables (one load and store per
    tile instead of per table)."""
    lanes = vector_lanes(spec["d_out"], profile)
    block = sch.get_sblock("gather")
    t, d, k = sch.get_loops(block)
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
        sch.reorder(t_b, d_o, k_o, t_o, t_i, *inner)
    else:
        sch.reorder(t_b, t_o, d_o, k_o, t_i, *inner)
    sch.parallel(t_o)
    sch.vectorize(d_ii)
    if choice["unroll"]:
        sch.unroll(d_io)
    sch.decompose_reduction(block, k_o)


def check_gather_kernels(kernels, spec: OpSpec, tokens: int) -> float:
    """The gather and its gradients to scores and tables against the reference (bfloat16
    tables: the forward and the fused backward's float32 gradients, against the reference on
    the widened tables)."""
    import torch

    from lookup_tvm import functional as F
    from lookup_tvm import kernel_calls
    from lookup_tvm import reference as R

    h, rows, d_out = spec["h"], spec["rows"], spec["d_out"]
    codes = torch.randint(0, rows, (tokens, h), dtype=torch.int32)
    if storage_dtype(spec) == BF16:
        scores, tables = torch.randn(tokens, h, requires_grad=True), torch.randn(h, rows, d_out).bfloat16()
        wide = tables.float().requires_grad_()
        expected = R.gather_accumulate(codes, scores, wide)
        grad = torch.randn_like(expected)
        want = torch.autograd.grad(expected, (scores, wide), grad)
        with torch.no_grad():
            errors = [relative_error(F.gather_accumulate(codes, scores, tables, kernels), expected)]
            got = kernel_calls.gather_grad(kernels, grad, codes, scores, tables)
        return max(errors + [relative_error(g, w) for g, w in zip(got, want)])
    scores = torch.randn(tokens, h, requires_grad=True)
    tables = torch.randn(h, rows, d_out, requires_grad=True)
    out, expected = F.gather_accumulate(codes, scores, tables, kernels), R.gather_accumulate(codes, scores, tables)
    grad = torch.randn_like(expected)
    errors = [relative_error(out, expected)]
    # both gradients (the fused backward), then each alone (its own kernel)
    for wrt in ((scores, tables), (scores,), (tables,)):
        frozen = {id(t) for t in (scores, tables)} - {id(t) for t in wrt}
        args = [t.detach() if id(t) in frozen else t for t in (scores, tables)]
        got = torch.autograd.grad(F.gather_accumulate(codes, *args, kernels), wrt, grad)
        want = torch.autograd.grad(R.gather_accumulate(codes, *args), wrt, grad)
        errors += [relative_error(g, w) for g, w in zip(got, want)]
    return max(errors)


class GatherInputs:
    """Random codes, scores, tables (in the spec's storage dtype) and output gradient of the
    gather family at ``tokens`` tokens, with the flat layout ``embedding_bag`` takes and the
    bytes of the rows read."""

    def __init__(self, spec: OpSpec, tokens: int):
        import torch

        h, rows, d_out = spec["h"], spec["rows"], spec["d_out"]
        self.tokens, self.h, self.rows, self.d_out = tokens, h, rows, d_out
        self.codes = torch.randint(0, rows, (tokens, h), dtype=torch.int32)
        self.scores, self.grad = torch.randn(tokens, h), torch.randn(tokens, d_out)
        self.tables = (torch.randn(h, rows, d_out) * 0.02).to(storage_torch_dtype(spec))
        self.flat_codes = (self.codes.long() + torch.arange(h) * rows).contiguous()
        self.flat_tables = self.tables.view(-1, d_out)
        self.row_bytes = self.tables.element_size() * tokens * h * d_out
        self.flops = 2.0 * tokens * h * d_out


def gather_workload(spec: OpSpec, tokens: int) -> Workload:
    """The weighted gather; PyTorch: ``embedding_bag`` with per-sample weights, on tables (and
    weights) in the spec's storage dtype."""
    import torch

    g = GatherInputs(spec, tokens)
    weights = g.scores.to(g.tables.dtype)
    return Workload(
        [g.codes, g.scores, g.tables, torch.empty(tokens, g.d_out)],
        lambda: torch.nn.functional.embedding_bag(g.flat_codes, g.flat_tables, per_sample_weights=weights, mode="sum"),
        f"embedding_bag ({g.tables.dtype})".replace("torch.", ""), g.flops, g.row_bytes + F32_BYTES * tokens * g.d_out)


OPERATORS = [Operator("gather", define_gather, schedule_gather, gather_knobs, check=check_gather_kernels,
                      workload=gather_workload)]
