"""Helpers shared by the default schedules."""
from __future__ import annotations

from lookup_tvm.target import CpuProfile


def vector_lanes(extent: int, profile: CpuProfile, dtype_bits: int = 32) -> int:
    """The widest power-of-two lane count <= the target's vector width that divides ``extent``."""
    lanes = profile.lanes(dtype_bits)
    while lanes > 1 and extent % lanes:
        lanes //= 2
    return lanes


def token_tile_for(row_bytes: int, profile: CpuProfile, cap: int = 64) -> int:
    """Tokens per tile so that one tile of rows fits in half of L1d (a power of two <= cap)."""
    tile = 1
    while tile * 2 <= cap and tile * 2 * row_bytes <= profile.l1d_bytes // 2:
        tile *= 2
    return tile
