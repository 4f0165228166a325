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

from lookup_tvm.cpu.target import CpuProfile
from lookup_tvm.cpu.tvm_api import Schedule, te
from lookup_tvm.kit.operator import Choice, OpSpec
from lookup_tvm.kit.tir import batch_extent, divisors, vector_lanes
from lookup_tvm.ops.bh4.bf16_dot import bf16_bits, from_bf16_bits
from lookup_tvm.spec import MIX_INPUT, MIX_PROJECTED, STAGES

FOLD, FOLD_TRANSPOSED, UNFOLD = 0, 1, 2


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
