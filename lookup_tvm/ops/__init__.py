"""The kernel families, one package each: :mod:`.bh4`, :mod:`.front_end`, :mod:`.hash`,
:mod:`.gather`. A family holds everything about its kernels (definitions, knobs, default
schedules and layouts; argument checks, custom ops and autograd; reference checks,
benchmark workloads and baselines, FLOP and byte counts). This registry finds them: a new
family is one new package plus its line in :data:`FAMILIES`.
"""
from __future__ import annotations

from typing import Mapping

from lookup_tvm.kit.family import Family
from lookup_tvm.kit.operator import Operator, OpSpec
from lookup_tvm.kit.workload import Workload
from lookup_tvm.ops import bh4, front_end, gather, hash

FAMILIES: tuple[Family, ...] = (bh4.FAMILY, front_end.FAMILY, hash.FAMILY, gather.FAMILY)
"""In the order of a layer's forward pass (its backward runs them in reverse)."""

_OPERATORS = {op.name: op for family in FAMILIES for op in family.operators}


def operators() -> dict[str, Operator]:
    """Every operator of every family, by name."""
    return dict(_OPERATORS)


def operator(name: str) -> Operator:
    """One operator by name; ValueError for a name no family has."""
    if name not in _OPERATORS:
        raise ValueError(f"no operator {name!r}; the families have {sorted(_OPERATORS)}")
    return _OPERATORS[name]


def kernel_key(op: str, params: Mapping[str, int]) -> str:
    """A kernel's key in tuning results: operator and shape parameters (layout ones dropped)."""
    return operator(op).kernel_key(params)


def register_intrinsics(text: str) -> list[str]:
    """Register every tensor intrinsic of ours that ``text`` (a database's records) names, so
    that TVM can replay those records in this process; their names."""
    return bh4.register_intrinsics(text)


def register_known_intrinsics() -> list[str]:
    """Register the tensor intrinsics our default schedules can name (see
    :func:`lookup_tvm.ops.bh4.intrinsics.register_known`); their names."""
    return bh4.register_known_intrinsics()


def make_workload(spec: OpSpec, tokens: int) -> Workload:
    """Benchmark inputs for one kernel at ``tokens`` tokens and its PyTorch counterpart."""
    return operator(spec.op).workload(spec, tokens)
