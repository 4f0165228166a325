"""Helpers the operator definitions and default schedules share (TE expressions, sizes from
the CPU profile)."""
from __future__ import annotations

import contextlib
from typing import Iterator

from lookup_tvm.cpu.target import CpuProfile
from lookup_tvm.cpu.tvm_api import te


def as_float32(value):
    """A TE expression widened to float32 (bf16 -> fp32 is exact: a 16-bit shift)."""
    return value if value.dtype == "float32" else value.astype("float32")


def widened(tensor):
    """A reader of a TE tensor that returns its elements widened to float32: ``widened(x)(i, j)``."""
    return lambda *index: as_float32(tensor[index])


def vector_lanes(extent: int, profile: CpuProfile, dtype_bits: int = 32) -> int:
    """The widest power-of-two lane count <= the target's vector width that divides ``extent``."""
    lanes = profile.lanes(dtype_bits)
    while lanes > 1 and extent % lanes:
        lanes //= 2
    return lanes


REFERENCE_TOKENS = 4096  # the batch every core must get work at from any candidate of a token tile


def tiles_for_every_core(candidates: list[int], cores: int) -> list[int]:
    """The token-tile candidates (order kept) that give each of ``cores`` cores at least one
    tile at :data:`REFERENCE_TOKENS` tokens, or the smallest one."""
    return [c for c in candidates if REFERENCE_TOKENS // c >= cores] or [min(candidates)]


def divisors(extent: int, candidates: list[int]) -> list[int]:
    """The candidates that divide ``extent`` (order kept, duplicates dropped), or [extent]."""
    out = []
    for value in candidates:
        if 1 <= value <= extent and extent % value == 0 and value not in out:
            out.append(value)
    return out or [extent]


def batch_extent(batch):
    """A symbolic token count when ``batch`` is None, else the fixed one (for tuning)."""
    return te.var("batch") if batch is None else batch


class Emulation:
    """A switch for a tensor intrinsic: kernels scheduled inside ``with switch.on():`` tensorize
    with the intrinsic's emulated form (its description's loops), so the same schedule runs on a
    CPU without the instruction. Nested blocks are fine; true while any is open."""

    def __init__(self) -> None:
        self._depth = 0

    def __bool__(self) -> bool:
        return self._depth > 0

    @contextlib.contextmanager
    def on(self) -> Iterator[None]:
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
