"""Every committed target whose code this host can run: every kernel of its exported
schedules (schedules/<target>/) against the pure-PyTorch reference, with a tail tile.
Targets this host cannot run are skipped with the extensions it lacks (compiled, never run)."""
import json
from pathlib import Path

import pytest

from conftest import REPO
from lookup_tvm.config import LayerConfig
from lookup_tvm.cpu.isa import missing_isa
from lookup_tvm.kernels import CompiledKernels
from lookup_tvm.ops import operators
from lookup_tvm.cpu.target import TargetSpec
from lookup_tvm.sources.chosen import exported_schedules
from lookup_tvm.tuning.tuner import verify_tokens

DIRECTORIES = sorted(p for p in (Path(REPO) / "schedules").iterdir() if p.is_dir())


def _target(directory):
    first = json.loads(next(directory.glob("*.json")).read_text())
    return TargetSpec.from_json(first)


@pytest.mark.parametrize("directory", DIRECTORIES, ids=lambda p: p.name)
def test_exported_schedules_match_the_reference(directory, tmp_path):
    target = _target(directory)
    missing = missing_isa(target)
    if missing:
        pytest.skip(f"this CPU cannot run code for {directory.name}: it lacks {', '.join(missing)}")
    kernels = CompiledKernels(target, exported_schedules(directory), cache_dir=tmp_path)
    known = operators()
    checked = set()
    for op, params in LayerConfig().kernels():
        spec = kernels.spec(op, **params)
        check = known[op].check
        if check in checked and op != "bh4_projection":
            continue  # one run of a check exercises every kernel of its family
        checked.add(check)
        error = check(kernels, spec, verify_tokens(spec))
        assert error <= known[op].tolerance(spec), f"{directory.name} {spec.name}: error {error:.3g}"
    assert {s.op for s in kernels.compiled_specs()} == {op for op, _ in LayerConfig().kernels()}
