"""Argument checks that turn bad input into clear exceptions before any kernel runs (each
family checks its own arguments with these), and the error measure of kernel checks."""
from __future__ import annotations

from typing import Sequence

import torch


STORAGE_DTYPES = (torch.float32, torch.bfloat16)  # what layer parameters and activations may be stored in


def check_tensor(name: str, value: object, dtype: torch.dtype | tuple[torch.dtype, ...], ndim: int) -> torch.Tensor:
    """A CPU, contiguous tensor of the given dtype (or one of them) and rank, or
    TypeError/ValueError naming ``name``."""
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
    allowed = dtype if isinstance(dtype, tuple) else (dtype,)
    if value.dtype not in allowed:
        names = " or ".join(str(d) for d in allowed)
        raise TypeError(f"{name} must have dtype {names}, got {value.dtype}")
    if value.device.type != "cpu":
        raise ValueError(f"{name} must be on the CPU, got device {value.device}")
    if value.dim() != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {tuple(value.shape)}")
    if not value.is_contiguous():
        raise ValueError(f"{name} must be contiguous (call .contiguous() first)")
    return value


TVM_ALIGNMENT = 64  # bytes: TVM's buffers (and so its compiled kernels) assume data starts on this boundary


def check_dims(name: str, value: torch.Tensor, expected: Sequence[int | None]) -> None:
    """Each non-None entry of ``expected`` must match the tensor's size on that axis."""
    for axis, size in enumerate(expected):
        if size is not None and value.shape[axis] != size:
            raise ValueError(
                f"{name} has shape {tuple(value.shape)}, expected size {size} on axis {axis} "
                f"(expected {tuple('*' if s is None else s for s in expected)})"
            )


def is_power_of_two(value: int) -> bool:
    return value >= 1 and value & (value - 1) == 0


def check_codes_range(codes: torch.Tensor, rows: int) -> None:
    """Every code must index a table row: 0 <= code < rows."""
    if codes.numel() == 0:
        return
    low, high = int(codes.min()), int(codes.max())
    if low < 0 or high >= rows:
        raise ValueError(f"codes must lie in [0, {rows}), got values in [{low}, {high}]")


BF16_ROUNDING = 2.0 ** -8
"""The largest relative error of one rounding to bfloat16 (8 significant bits)."""


def bf16_dot_error(actual: torch.Tensor, expected: torch.Tensor) -> float:
    """A ``bf16_dot`` kernel's result against the reference that rounds its operands where the
    kernel does. Where their float32 sums differ in the last bit, a rounded operand can land on
    the neighbouring bfloat16 value: a few values then differ by about one rounding, never most
    of them. So the error is the larger of the max error (:func:`relative_error`) in units of two
    roundings and the mean error (mean abs difference over the reference's mean magnitude) in
    units of 1/16 of one: at most 1 for a kernel that rounds as the reference does. A kernel that
    truncates, or skips the rounding of an operand, differs everywhere by about one rounding."""
    if not expected.numel():
        return 0.0
    diff = (actual.detach().double() - expected.detach().double()).abs()
    mean = float(diff.mean()) / max(float(expected.detach().double().abs().mean()), 1e-30)
    return max(relative_error(actual, expected) / (2 * BF16_ROUNDING), mean / (BF16_ROUNDING / 16))


def relative_error(actual: torch.Tensor, expected: torch.Tensor) -> float:
    """Max abs difference over the expected tensor's max magnitude."""
    scale = float(expected.detach().abs().max()) if expected.numel() else 0.0
    diff = float((actual.detach().double() - expected.detach().double()).abs().max()) if expected.numel() else 0.0
    return diff / max(scale, 1e-30)
