"""Per-kernel benchmark workloads: realistic inputs, the best PyTorch formulation of the same
operator, and the FLOP and byte counts used to report GFLOP/s and GB/s. Each operator's
module defines its own (``Operator.workload``); this module holds the record and the lookup.

Arguments are laid out as the kernels take them (inputs, then outputs); token-tiled
kernels get ``[tiles, token_tile, ...]`` views.
"""
from __future__ import annotations

import dataclasses
from typing import Callable

import torch

from lookup_tvm.ops import OpSpec, token_tile

F32_BYTES = 4


@dataclasses.dataclass
class Workload:
    args: list[torch.Tensor]
    torch_fn: Callable[[], object]
    torch_name: str
    flops: float
    bytes: float


def whole_tiles(spec: OpSpec, tokens: int) -> tuple[int, Callable[[torch.Tensor], torch.Tensor]]:
    """``tokens`` rounded down to whole tiles of the spec (at least one), and the view that
    lays a [tokens, ...] tensor out as the kernel takes it."""
    tile = token_tile(spec)

    def tiled(t: torch.Tensor) -> torch.Tensor:
        return t.view(-1, tile, *t.shape[1:]) if tile > 1 else t

    return max(tile, tokens - tokens % tile), tiled


def make_workload(spec: OpSpec, tokens: int) -> Workload:
    """Inputs for one kernel at ``tokens`` tokens and its PyTorch counterpart (imports TVM)."""
    from lookup_tvm.ops import registry

    operator = registry().get(spec.op)
    if operator is None or operator.workload is None:
        raise ValueError(f"no workload for operator {spec.op!r}")
    return operator.workload(spec, tokens)
