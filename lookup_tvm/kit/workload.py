"""Per-kernel benchmark workloads: realistic inputs, the best PyTorch formulation of the same
operator, and the FLOP and byte counts used to report GFLOP/s and GB/s. Each family defines
its operators' workloads (``Operator.workload``).

Arguments are laid out as the kernels take them (inputs, then outputs); token-tiled
kernels get ``[tiles, token_tile, ...]`` views.
"""
from __future__ import annotations

import dataclasses
from typing import Callable

import torch

from lookup_tvm.kit.operator import OpSpec

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
    tile = spec.token_tile

    def tiled(t: torch.Tensor) -> torch.Tensor:
        return t.view(-1, tile, *t.shape[1:]) if spec.tiled else t

    return max(tile, tokens - tokens % tile), tiled
