"""What one schedule candidate means to keep close to a core, and whether that fits a CPU.

An operator with knobs sized from registers or caches states, per choice, the vector
registers its innermost tile keeps live and the bytes it means to keep in L1d, in L2 and in
the core's share of L3 (:class:`Footprint`). Its knob candidates are the ones that fit
(:func:`largest_fitting`), and the tests check every candidate of every knob on simulated
CPUs of both register counts and of small and large caches.
"""
from __future__ import annotations

import dataclasses
from typing import Callable, Iterable

from lookup_tvm.cpu.target import CpuProfile


@dataclasses.dataclass(frozen=True)
class Footprint:
    """Vector registers live in a candidate's innermost tile, and the bytes it means to keep
    in L1d, L2 and the core's L3 share (0: nothing it relies on)."""

    registers: int = 0
    l1: int = 0
    l2: int = 0
    l3: int = 0

    def overflows(self, profile: CpuProfile) -> list[str]:
        """What does not fit ``profile``: [] when everything does."""
        limits = {"registers": profile.vector_registers, "l1": profile.l1d_bytes,
                  "l2": profile.l2_bytes, "l3": profile.l3_share_bytes}
        return [f"{name} {getattr(self, name)} > {limit}" for name, limit in limits.items()
                if getattr(self, name) > limit]


def largest_fitting(candidates: Iterable[int], footprint: Callable[[int], Footprint], profile: CpuProfile) -> list[int]:
    """The candidates whose footprint fits ``profile``, largest first; the smallest candidate
    alone when none does (a schedule must exist)."""
    ordered = sorted(set(candidates), reverse=True)
    return [c for c in ordered if not footprint(c).overflows(profile)] or ordered[-1:]
