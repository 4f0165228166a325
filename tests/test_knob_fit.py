"""Knob candidates sized from the target CPU, checked on simulated CPUs of both register
counts and of small and large caches: AVX2 with 16 registers and 256-512 KiB of L2
(``haswell``, ``znver3``), AVX-512 with 32 registers and 1-2 MiB (``znver4``,
``sapphirerapids``), NEON/SVE with 32 (``neoverse-v2``), each with 2, 16 and 128 cores.

For every kernel of several layer shapes, by the operator's own footprint
(:class:`lookup_tvm.kit.footprint.Footprint`): the default choice fits the CPU's vector
registers, L1d, L2 and L3 share; every candidate of every knob fits with the other knobs'
lightest candidates; every layout the tuner searches (hand-written kernels) fits; token
tiles are sized from L2 (:func:`lookup_tvm.ops.bh4.layout.default_token_tile`).
Schedules, not timings.
"""
from __future__ import annotations

import warnings

import pytest

from lookup_tvm.config import LayerConfig
from lookup_tvm.cpu.resolve import parse_target
from lookup_tvm.kernels import CompiledKernels, DefaultSchedules
from lookup_tvm.ops import operators
from lookup_tvm.ops.bh4.schedule import register_tile_tokens, register_tile_vectors

CPUS = ("znver3", "haswell", "znver4", "sapphirerapids", "neoverse-v2")
CORES = (2, 16, 128)
CONFIGS = (LayerConfig(), LayerConfig(d=1024, h=256, b=64), LayerConfig(d=256, h=64, b=32),
           LayerConfig(d=100, h=24, tau=4, b=32, d_out=37))
SIZED_BY_FOOTPRINT = ("bh4", "bh4_projection", "bh4_stage", "bh4_stage_grad", "bh4_weight_grad", "front_end",
                      "gather", "gather_small", "gather_table_grad", "gather_grad")


def _target(cpu: str, cores: int):
    triple = " -mtriple aarch64-linux-gnu" if cpu.startswith("neoverse") else ""
    return parse_target(f"llvm -mcpu={cpu} -num-cores {cores}{triple}")


TARGETS = [(f"{cpu}-{cores}c", _target(cpu, cores)) for cpu in CPUS for cores in CORES]


def _specs(target):
    kernels = CompiledKernels(target, DefaultSchedules(), check_isa=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {kernels.spec(op, **params) for config in CONFIGS for op, params in config.kernels()}


@pytest.mark.parametrize("name,target", TARGETS, ids=[t[0] for t in TARGETS])
def test_every_candidate_fits_the_cpu(name, target):
    profile = target.profile
    known = operators()
    problems = []
    checked = set()
    for spec in sorted(_specs(target), key=lambda s: s.name):
        operator = known[spec.op]
        if operator.footprint is None:
            continue
        checked.add(spec.op)
        knobs = operator.knobs(spec, profile)
        default = operator.default_choice(spec, profile)
        lightest = {knob: min(values) for knob, values in knobs.items()}
        if overflow := operator.footprint(spec, profile, default).overflows(profile):
            problems.append(f"{spec.name} default {default}: {overflow}")
        for knob, values in knobs.items():
            for value in values:
                if overflow := operator.footprint(spec, profile, {**lightest, knob: value}).overflows(profile):
                    problems.append(f"{spec.name} {knob}={value}: {overflow}")
        for layout in operator.layout_search(spec, profile) if operator.layout_search else []:
            if overflow := operator.footprint(spec.with_params(**layout), profile, {}).overflows(profile):
                problems.append(f"{spec.name} layout {layout}: {overflow}")
    assert checked == set(SIZED_BY_FOOTPRINT)
    assert not problems, "\n".join(problems)


# Token tiles of the default shape's stage (weights 256 KiB), its fused front end (1 MiB) and the
# d=1024 front end (2 MiB): the smallest tile where the weights stay in L2 beside its buffers, else
# the largest whose buffers (4 x tile x 4 KiB at d=512) fit L2.
TOKEN_TILES = {"znver3": (4, 16, 16), "haswell": (16, 16, 8), "znver4": (4, 16, 16), "sapphirerapids": (4, 4, 16),
               "neoverse-v2": (4, 4, 16)}


@pytest.mark.parametrize("name,target", TARGETS, ids=[t[0] for t in TARGETS])
def test_register_tiles_and_token_tiles_follow_the_cpu(name, target):
    profile = target.profile
    specs = _specs(target)
    stage = next(s for s in specs if s.op == "bh4_stage" and s["nb"] == 8 and s["b"] == 64 and not s.bf16)
    vectors = register_tile_vectors(stage, profile)
    assert (register_tile_tokens(stage) + 1) * vectors + 1 <= profile.vector_registers
    assert vectors == {16: 2, 32: 4}[profile.vector_registers]
    front, wide = (next(s for s in specs if s.op == "front_end" and s["d"] == d and not s.bf16) for d in (512, 1024))
    assert (stage.token_tile, front.token_tile, wide.token_tile) == TOKEN_TILES[name.rsplit("-", 1)[0]]


def test_the_checks_see_what_does_not_fit():
    """A register tile too big for AVX2, and a table slice of 64 whole tables, are caught."""
    target = _target("haswell", 2)
    profile = target.profile
    gather = operators()["gather"]
    spec = next(s for s in _specs(target) if s.op == "gather" and s["d_out"] == 512 and not s.bf16)
    choice = {**gather.default_choice(spec, profile), "tables": 64, "cols": 512}
    assert any(o.startswith("l2 ") for o in gather.footprint(spec, profile, choice).overflows(profile))
    weight_grad = operators()["bh4_weight_grad"]
    spec = next(s for s in _specs(target) if s.op == "bh4_weight_grad")
    assert weight_grad.footprint(spec, profile, {"tile_rows": 8, "tile_vectors": 8}).overflows(profile) == [
        "registers 73 > 16"]
