"""Every committed target whose code this host can run: every variant of the kernels of its
exported schedules (schedules/<target>/) against the pure-PyTorch reference, with a tail tile.
Targets this host cannot run are skipped with the extensions it lacks; their bf16 dot-product
schedules are checked with the dot products emulated, on any CPU."""
import json
from pathlib import Path

import pytest

from conftest import REPO
from lookup_tvm.config import LayerConfig
from lookup_tvm.cpu.isa import has_bf16_dot_products, missing_isa
from lookup_tvm.kernels import CompiledKernels
from lookup_tvm.ops import operators
from lookup_tvm.cpu.target import TargetSpec
from lookup_tvm.kit.operator import OpSpec, verify_tokens
from lookup_tvm.ops.bh4.bf16_dot import emulated_dot_products
from lookup_tvm.sources.chosen import ChosenSchedules, exported_schedules

pytestmark = pytest.mark.slow  # leave out with -m 'not slow'

DIRECTORIES = sorted(p for p in (Path(REPO) / "schedules").iterdir() if p.is_dir())


def _target(directory):
    first = json.loads(next(directory.glob("*.json")).read_text())
    return TargetSpec.from_json(first)


def _variants(kernels):
    """(op, spec) of each kernel of the default layer whose check is not yet covered by an
    earlier kernel's: one per check function and variant (float32 or bfloat16 storage, float32
    or bf16 dot products; the small-batch and token-tiled kernels have checks of their own). One
    run of a check exercises every kernel of its family at that variant."""
    known, covered = operators(), set()
    for op, params in LayerConfig().kernels():
        spec = kernels.spec(op, **params)
        variant = (known[op].check, spec.bf16, spec.bf16_dot, op == "bh4_projection")
        if variant not in covered:
            covered.add(variant)
            yield op, spec


@pytest.mark.parametrize("directory", DIRECTORIES, ids=lambda p: p.name)
def test_exported_schedules_match_the_reference(directory, tmp_path):
    """Every variant of the target's kernels (float32, bfloat16, bf16 dot products where the
    target has them, small-batch and token-tiled) built from the exported choices, on this CPU."""
    target = _target(directory)
    missing = missing_isa(target)
    if missing:
        pytest.skip(f"this CPU cannot run code for {directory.name}: it lacks {', '.join(missing)} (its bf16 dot "
                    "schedules are checked emulated below)")
    kernels = CompiledKernels(target, exported_schedules(directory), cache_dir=tmp_path)
    known = operators()
    for op, spec in _variants(kernels):
        error = known[op].check(kernels, spec, verify_tokens(spec))
        assert error <= known[op].tolerance(spec), f"{directory.name} {spec.name}: error {error:.3g}"
    assert {s.op for s in kernels.compiled_specs()} == {op for op, _ in LayerConfig().kernels()}
    assert any(s.bf16_dot for s in kernels.compiled_specs()) == has_bf16_dot_products(dict(target.attrs))


class _ExportedLayouts(ChosenSchedules):
    """The exported choices with the exported layouts (bf16 dot products included), built for
    this host's target: the schedules of a CPU this host cannot run, checked with ``vdpbf16ps``
    emulated by its description's loops."""

    def layout(self, operator, spec, target):
        entry = self._entry(operator, spec)
        return OpSpec.from_json(entry["spec"]) if entry else super().layout(operator, spec, target)


DOT_DIRECTORIES = [d for d in DIRECTORIES if any(json.loads(p.read_text())["spec"].get("params", {}).get("bf16_dot")
                                                 for p in d.glob("*.json"))]


@pytest.mark.parametrize("directory", DOT_DIRECTORIES, ids=lambda p: p.name)
def test_exported_bf16_dot_schedules_match_the_reference_on_any_cpu(directory, tmp_path):
    """The bf16 dot-product kernels of a target with AVX512-BF16, emulated (so on any CPU), with
    the exported choices where they are candidates on this host's profile."""
    exported = exported_schedules(directory)
    source = _ExportedLayouts(exported.entries, str(directory), warn=False, tuned_for=exported.tuned_for)
    kernels = CompiledKernels("host", source, cache_dir=tmp_path)
    known = operators()
    with emulated_dot_products():
        checked = 0
        for op, spec in _variants(kernels):
            if spec.bf16_dot:
                error = known[op].check(kernels, spec, verify_tokens(spec))
                assert error <= known[op].tolerance(spec), f"{directory.name} {spec.name} (emulated): error {error:.3g}"
                checked += 1
    assert checked >= 3, f"{directory.name}: only {checked} bf16 dot-product kernels checked"
