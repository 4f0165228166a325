"""The bound of the bf16 dot-product checks (``bf16_dot_error`` <= 1: at most two bfloat16
roundings anywhere and 1/16 of one on average, against the reference that rounds where the
kernels round): the correct kernels meet it over several seeds, and kernels that truncate
instead of rounding, or leave their operands unrounded, fail it. Dot products emulated, so on
any CPU; the layer shape of the default config."""
from __future__ import annotations

import pytest
import torch

from conftest import pinned_kernels
from lookup_tvm.cpu.tvm_api import tirx
from lookup_tvm.kit import operator as kit_operator
from lookup_tvm.kit.operator import verify_tokens
from lookup_tvm.ops import operators
from lookup_tvm.ops.bh4 import backward, compute
from lookup_tvm.ops.bh4.bf16_dot import emulated_dot_products

pytestmark = pytest.mark.slow  # leave out with -m 'not slow'

KERNELS = [("bh4_stage", {"r": 2, "r_in": 1, "nb": 8, "b": 64}),
           ("front_end", {"d": 512, "r": 2, "nb": 8, "b": 64, "h": 128, "tau": 8})]


def _errors(op, params, layout, cache_dir, seeds):
    """The check's error of ``op`` with the given layout against the bf16-dot spec, per seed."""
    kernels = pinned_kernels(op, {**params, "bf16": 1}, layout, cache_dir)
    with emulated_dot_products():
        spec = kernels.spec(op, **params, bf16=1).with_params(bf16_dot=1)
        errors = []
        for seed in seeds:
            torch.manual_seed(seed)
            errors.append(operators()[op].check(kernels, spec, verify_tokens(spec)))
    return errors, operators()[op].tolerance(spec)


@pytest.mark.parametrize("op,params", KERNELS, ids=[k[0] for k in KERNELS])
def test_correct_kernels_stay_within_the_bound(op, params, tmp_path):
    errors, tolerance = _errors(op, params, {"bf16_dot": 1}, tmp_path, range(3))
    assert max(errors) <= tolerance, errors


def _truncating(value):
    """bfloat16 bits of a float32 expression by truncation (the bug: no rounding)."""
    return (tirx.reinterpret("uint32", value) >> tirx.const(16, "uint32")).astype("uint16")


@pytest.mark.parametrize("op,params", KERNELS, ids=[k[0] for k in KERNELS])
def test_a_truncating_kernel_fails(op, params, tmp_path, monkeypatch):
    monkeypatch.setattr(compute, "bf16_bits", _truncating)
    monkeypatch.setattr(backward, "bf16_bits", _truncating)
    kit_operator._defined.cache_clear()  # definitions are cached per spec: define the mutant afresh
    try:
        errors, tolerance = _errors(op, params, {"bf16_dot": 1}, tmp_path, [0])
    finally:
        monkeypatch.undo()
        kit_operator._defined.cache_clear()
    assert errors[0] > 10 * tolerance, errors


@pytest.mark.parametrize("op,params", KERNELS, ids=[k[0] for k in KERNELS])
def test_a_kernel_with_unrounded_operands_fails(op, params, tmp_path):
    """The bf16 variant that multiplies in float32 (as on CPUs without AVX512-BF16), held to
    the bf16 dot-product reference."""
    errors, tolerance = _errors(op, params, {"bf16_dot": 0}, tmp_path, [0])
    assert errors[0] > 10 * tolerance, errors
