"""The hash family's kernels: codes and scores from z, and the gradient of the scores with
respect to z.

code_k = sum_j [z_kj > 0] 2^(tau-1-j); score_k = sum_j |z_kj| / prod_j (1 + exp(-2|z_kj|)).
dscore/dz_kj = sign(z_kj) (1 + 2 A sigmoid(-2|z_kj|)) / P with A = sum|z_k|, P the product.
tau is small, so the sums over j are unrolled at definition time.

``exp`` is computed in the kernels by :func:`exp_nonpositive` (range reduction to
2**n * e**r, |r| <= ln2/2, and Cephes' degree-6 polynomial for e**r): relative error below
2e-7 over the whole range, so it vectorises instead of becoming one libm call per value.
Codes never depend on it; scores and their gradient match the reference within 1e-6.
"""
from __future__ import annotations

from lookup_tvm.cpu.target import CpuProfile
from lookup_tvm.cpu.tvm_api import Schedule, te, tirx
from lookup_tvm.kit.operator import Choice, Knobs, OpSpec
from lookup_tvm.kit.tir import batch_extent, tiles_for_every_core


_LOG2E, _LN2_HI, _LN2_LO = 1.4426950408889634, 0.693359375, -2.12194440e-4
_EXP_POLY = (1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1)


def exp_nonpositive(x):
    """e**x for float32 x <= 0 (values below -87.3 give about 1e-38): x = n ln2 + r,
    e**x = 2**n * p(r) with the exponent bits of 2**n set directly."""
    f32 = "float32"
    x = tirx.max(x, tirx.const(-87.3, f32))
    n = tirx.floor(x * tirx.const(_LOG2E, f32) + tirx.const(0.5, f32))
    r = x - n * tirx.const(_LN2_HI, f32) - n * tirx.const(_LN2_LO, f32)
    poly = tirx.const(_EXP_POLY[0], f32)
    for coefficient in _EXP_POLY[1:]:
        poly = poly * r + tirx.const(coefficient, f32)
    mantissa = poly * r * r + r + tirx.const(1.0, f32)
    scale = tirx.reinterpret(f32, tirx.shift_left(tirx.Cast("int32", n) + 127, tirx.const(23, "int32")))
    return mantissa * scale


def _abs_sum(z_at, tau):
    return sum((tirx.abs(z_at(j)) for j in range(1, tau)), tirx.abs(z_at(0)))


def _softmax_denominator(z_at, tau):
    one = tirx.const(1.0, "float32")
    terms = [one + exp_nonpositive(tirx.const(-2.0, "float32") * tirx.abs(z_at(j))) for j in range(tau)]
    product = terms[0]
    for term in terms[1:]:
        product = product * term
    return product


def code_and_score(z_at, tau):
    """The code (int32) and score (float32) expressions of one table's tau values ``z_at(j)``."""
    zero = tirx.const(0.0, "float32")
    bits = [tirx.Select(z_at(j) > zero, tirx.const(1 << (tau - 1 - j), "int32"), tirx.const(0, "int32"))
            for j in range(tau)]
    return sum(bits[1:], bits[0]), _abs_sum(z_at, tau) / _softmax_denominator(z_at, tau)


def define_hash(spec: OpSpec, batch=None):
    """z [B, h, tau] -> (codes [B, h] int32, scores [B, h] float32)."""
    h, tau = spec["h"], spec["tau"]
    batch = batch_extent(batch)
    z = te.placeholder((batch, h, tau), "float32", name="z")
    codes, scores = te.compute((batch, h), lambda b, k: code_and_score(lambda j: z[b, k, j], tau), name="hash")
    return te.create_prim_func([z, codes, scores])


def token_knobs(spec: OpSpec, profile: CpuProfile) -> Knobs:
    """``tokens``: tokens per parallel task (those that give every core a task at 4096 tokens)."""
    return {"tokens": tiles_for_every_core([16, 4, 64, 256], profile.cores)}


SAMPLED_KNOBS = frozenset({"tokens"})
SIZED = frozenset({"tokens"})  # candidates from the core count


def schedule_hash(sch: Schedule, spec: OpSpec, profile: CpuProfile, choice: Choice) -> None:
    """Codes and scores share one loop nest: parallel over token tiles."""
    b, _ = sch.get_loops(sch.get_sblock("hash_v0"))
    b_o, _ = sch.split(b, [None, choice["tokens"]])
    sch.parallel(b_o)


SMALL_SIZED = frozenset({"tables"})


def table_knobs(spec: OpSpec, profile: CpuProfile) -> Knobs:
    """``tables``: tables per parallel task of the small-batch kernels (all tokens inside); the
    most that still gives every core a task, then the others."""
    sizes = [t for t in (16, 8, 4, 2, 1) if spec["h"] % t == 0]
    default = next((t for t in sizes if spec["h"] // t >= profile.cores), sizes[-1])
    return {"tables": [default] + [t for t in sizes if t != default]}


def schedule_small_hash(sch: Schedule, spec: OpSpec, profile: CpuProfile, choice: Choice) -> None:
    """Codes and scores for small batches: parallel over groups of ``tables`` tables, the tokens
    inside, so that every core has a share at 1 token."""
    b, k = sch.get_loops(sch.get_sblock("hash_v0"))
    group, k_i = sch.split(k, [None, choice["tables"]])
    sch.reorder(group, b, k_i)
    sch.parallel(group)


def define_hash_grad(spec: OpSpec, batch=None):
    """z [B, h, tau], dscores [B, h] -> dz [B, h, tau]."""
    h, tau = spec["h"], spec["tau"]
    batch = batch_extent(batch)
    z = te.placeholder((batch, h, tau), "float32", name="z")
    dscores = te.placeholder((batch, h), "float32", name="grad_scores")
    abs_sum = te.compute((batch, h), lambda b, k: _abs_sum(lambda j: z[b, k, j], tau), name="abs_sum")
    inv_den = te.compute((batch, h), lambda b, k: 1.0 / _softmax_denominator(lambda j: z[b, k, j], tau),
                         name="inv_denominator")

    def grad(b, k, j):
        mag = tirx.abs(z[b, k, j])
        sign = tirx.Select(z[b, k, j] > 0.0, tirx.const(1.0, "float32"),
                           tirx.Select(z[b, k, j] < 0.0, tirx.const(-1.0, "float32"), tirx.const(0.0, "float32")))
        decay = exp_nonpositive(tirx.const(-2.0, "float32") * mag)
        sigmoid = decay / (1.0 + decay)  # sigmoid(-2|z|), from e**(-2|z|) <= 1
        return dscores[b, k] * sign * (1.0 + 2.0 * abs_sum[b, k] * sigmoid) * inv_den[b, k]

    dz = te.compute((batch, h, tau), grad, name="grad_z")
    return te.create_prim_func([z, dscores, dz])


def schedule_hash_grad(sch: Schedule, spec: OpSpec, profile: CpuProfile, choice: Choice) -> None:
    """Parallel over token tiles; A and 1/P computed per token right before use."""
    block = sch.get_sblock("grad_z")
    b, _, _ = sch.get_loops(block)
    b_o, b_i = sch.split(b, [None, choice["tokens"]])
    sch.parallel(b_o)
    for name in ("inv_denominator", "abs_sum"):
        sch.compute_at(sch.get_sblock(name), b_i)


def schedule_small_hash_grad(sch: Schedule, spec: OpSpec, profile: CpuProfile, choice: Choice) -> None:
    """The score gradient for small batches: parallel over groups of ``tables`` tables, the
    tokens inside; A and 1/P computed per token for the group's tables right before use."""
    block = sch.get_sblock("grad_z")
    b, k, _ = sch.get_loops(block)
    group, k_i = sch.split(k, [None, choice["tables"]])
    sch.reorder(group, b, k_i)
    sch.parallel(group)
    for name in ("inv_denominator", "abs_sum"):
        sch.compute_at(sch.get_sblock(name), b)
