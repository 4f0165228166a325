"""A kernel family: the operators of one kernel and its backward, and which of them a layer
config needs where. Every list of kernels (tuning, export, benchmarks' breakdowns) is made
from the families' own lists, so nothing outside a family names its kernels."""
from __future__ import annotations

import dataclasses
from typing import Any, Callable

from lookup_tvm.kit.operator import Operator

Kernels = list[tuple[str, dict[str, int]]]
Steps = list[tuple[str, dict[str, int], int]]
Samples = list[tuple[Any, tuple]]


def no_kernels(config: Any, *_: Any) -> list:
    return []


@dataclasses.dataclass(frozen=True)
class Family:
    """``kernels(config)``: every kernel a layer config needs (operator, shape parameters),
    forward and backward, fp32, bf16 and quantized-table variants. ``inference(config, bf16,
    tokens, cores, table_bits)``: the kernels the no-gradient forward of ``tokens`` tokens (None:
    many) runs on a target of ``cores`` cores, with tables quantized to ``table_bits`` (0: float),
    in order (:mod:`lookup_tvm.ops.dispatch` picks each).
    ``forward(config)`` / ``backward(config)``: the kernels one training step runs in its forward /
    backward, with their calls per step.
    ``samples()``: each of the family's custom ops with small valid arguments (the process
    default kernels), for ``torch.library.opcheck`` and the bad-input tests."""

    name: str
    operators: tuple[Operator, ...]
    samples: Callable[[], Samples]
    kernels: Callable[[Any], Kernels]
    inference: Callable[[Any, bool, int | None, int, int], Kernels] = no_kernels
    forward: Callable[[Any], Steps] = no_kernels
    backward: Callable[[Any], Steps] = no_kernels
