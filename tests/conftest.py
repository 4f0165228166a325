"""Shared test set-up: a fresh kernel cache per run, and comparison helpers.

Tolerances: float32 kernels sum in another order than the reference, so values are
compared by the max-abs error relative to the reference's max magnitude
(``REL_TOL``); integer codes must match exactly.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import textwrap

import pytest
import torch

os.environ.setdefault("LOOKUP_TVM_CACHE", tempfile.mkdtemp(prefix="lookup_tvm_test_cache_"))

REL_TOL = 2e-5
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def max_rel_error(actual: torch.Tensor, expected: torch.Tensor) -> float:
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    scale = expected.detach().abs().max().clamp_min(1e-30)
    return float((actual.detach().double() - expected.detach().double()).abs().max() / scale)


def assert_close(actual: torch.Tensor, expected: torch.Tensor, tol: float = REL_TOL) -> None:
    err = max_rel_error(actual, expected)
    assert err <= tol, f"max relative error {err:.3g} > {tol:.1g}"


def run_python(code: str, env: dict[str, str] | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    """Run code in a fresh interpreter (a crash fails the calling test, not the suite)."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True, text=True, timeout=timeout, cwd=REPO,
        env={**os.environ, "PYTHONPATH": REPO, **(env or {})},
    )


def requires_target(target: str):
    """Skip (with the reason) a test that runs code for ``target`` where this CPU cannot run it,
    as ``tvm.testing.requires_*`` does; such code may still be compiled elsewhere."""
    from lookup_tvm.cpu.isa import missing_isa
    from lookup_tvm.cpu.resolve import parse_target

    missing = missing_isa(parse_target(target))
    return pytest.mark.skipif(bool(missing),
                              reason=f"this CPU cannot run code for {target}: lacks {', '.join(missing)}")


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


def pinned_kernels(op: str, params: dict, layout: dict, cache_dir, choice: dict | None = None):
    """Host kernels whose ``op`` at these shape ``params`` has the given layout (and knob choice):
    the kernel an operator's check runs through its family's path, where the host's own layout
    would differ (the bf16 dot-product and AMX variants checked on any CPU). The layout's
    ``bf16_dot`` holds for every bfloat16 kernel of the path, as on a CPU with (or without)
    AVX512-BF16, so that all its BH4 matmuls round their operands alike."""
    from lookup_tvm.kernels import CompiledKernels
    from lookup_tvm.kit.operator import OpSpec
    from lookup_tvm.ops import operators
    from lookup_tvm.sources.chosen import ChosenSchedules

    class Pinned(ChosenSchedules):
        def layout(self, operator, spec, target):
            if (self._entry(operator, spec) is None and "bf16_dot" in layout and dict(spec.params).get("bf16")
                    and "bf16_dot" in operator.layout_params):
                spec = spec.with_params(bf16_dot=layout["bf16_dot"])
            return super().layout(operator, spec, target)

    key = operators()[op].kernel_key(dict(OpSpec.make(op, **params).params))
    entry = {"layout": layout, **({"choice": choice} if choice else {})}
    return CompiledKernels("host", Pinned({key: entry}, "pinned for a test", warn=False), cache_dir=cache_dir)
