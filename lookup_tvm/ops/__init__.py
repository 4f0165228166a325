"""Operator definitions: one module per operator (forward and its backward kernels).

Each kernel is an :class:`Operator`: a function of an :class:`OpSpec` (its static
shape parameters) returning an unscheduled PrimFunc with a symbolic token count,
plus a hand-written default schedule sized from the target's CPU profile.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Callable

from lookup_tvm.target import CpuProfile


@dataclasses.dataclass(frozen=True)
class OpSpec:
    """One kernel's identity: operator name and static parameters (dtype is float32)."""

    op: str
    params: tuple[tuple[str, int], ...]

    @classmethod
    def make(cls, op: str, **params: int) -> "OpSpec":
        return cls(op, tuple(sorted((k, int(v)) for k, v in params.items())))

    def __getitem__(self, name: str) -> int:
        return dict(self.params)[name]

    @property
    def name(self) -> str:
        """Readable and file-name safe, e.g. ``gather-d_out512-h128-rows256``."""
        return "-".join([self.op] + [f"{k}{v}" for k, v in self.params])

    def to_json(self) -> dict[str, Any]:
        return {"op": self.op, "params": dict(self.params)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "OpSpec":
        return cls.make(data["op"], **data["params"])


Knobs = dict[str, list[int]]
Choice = dict[str, int]

# Knobs that only size a split (sampled by MetaSchedule); every other knob changes the
# loop structure and gets a design space of its own.
SPLIT_KNOBS = frozenset({"tokens", "cols", "tables", "chunks", "tile_rows", "tile_vectors", "register_vectors",
                         "l3_tokens"})


CHECK_TOLERANCE = 1e-4  # float32 accumulation in another order than the reference's


@dataclasses.dataclass(frozen=True)
class Operator:
    """How to define and schedule one kernel.

    ``define(spec, batch)`` returns the PrimFunc, with a symbolic token count when
    ``batch`` is None (tiles of ``token_tile`` tokens for tiled kernels). ``knobs(spec,
    profile)`` lists each schedule knob's candidates, sized from the CPU profile, the
    default first; ``schedule(sch, spec, profile, choice)`` applies one choice in place.
    The default schedule is the first candidate of every knob; the MetaSchedule search
    space samples the same knobs. ``schedule`` is None for hand-written TIR, whose knobs
    are spec parameters (searched by measurement). ``layout(spec, profile)`` adds the
    layout parameters the caller does not choose (``token_tile``) to a spec; a spec with
    ``token_tile`` > 1 lays its batched arguments out as ``[tiles, token_tile, ...]``.
    ``check(kernels, spec, tokens)`` runs the kernel of ``spec`` from a
    :class:`~lookup_tvm.kernels.CompiledKernels`, through the functional API, on random
    inputs of ``tokens`` tokens and returns its error against the pure-PyTorch reference
    (max abs difference over the reference's max magnitude; inf for a wrong code), which
    ``tolerance(spec)`` bounds.
    ``workload(spec, tokens)`` gives the benchmark inputs, the PyTorch baseline and the FLOP
    and byte counts (:class:`lookup_tvm.baselines.Workload`).
    """

    name: str
    define: Callable[..., Any]
    schedule: Callable[[Any, OpSpec, CpuProfile, Choice], None] | None
    knobs: Callable[[OpSpec, CpuProfile], Knobs] = lambda spec, profile: {}
    layout: Callable[[OpSpec, CpuProfile], OpSpec] = lambda spec, profile: spec
    check: Callable[[Any, OpSpec, int], float] | None = None
    workload: Callable[[OpSpec, int], Any] | None = None
    tolerance: Callable[[OpSpec], float] = lambda spec: CHECK_TOLERANCE

    def default_choice(self, spec: OpSpec, profile: CpuProfile) -> Choice:
        return {name: values[0] for name, values in self.knobs(spec, profile).items()}


def token_tile(spec: OpSpec) -> int:
    """Tokens per tile of a kernel's batched arguments (1: any token count)."""
    return dict(spec.params).get("token_tile", 1)


def registry() -> dict[str, Operator]:
    """All operators by name (imports TVM)."""
    from lookup_tvm.ops import bh4, bh4_backward, front_end, gather, gather_backward, hashing

    ops = (bh4.OPERATORS + bh4_backward.OPERATORS + front_end.OPERATORS + hashing.OPERATORS + gather.OPERATORS
           + gather_backward.OPERATORS)
    return {op.name: op for op in ops}
