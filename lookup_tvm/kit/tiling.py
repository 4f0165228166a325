"""Calling a compiled kernel on torch tensors of any token count."""
from __future__ import annotations

from typing import Any, Sequence

import torch


def run_tiled(kernel: Any, batched_in: Sequence[torch.Tensor], shared: Sequence[torch.Tensor],
              batched_out: Sequence[torch.Tensor]) -> None:
    """Call a kernel over all tokens; a token-tiled kernel gets whole tiles, the tail padded."""
    tile = kernel.spec.token_tile
    if not kernel.spec.tiled:
        kernel(*batched_in, *shared, *batched_out)
        return
    batch = batched_out[0].shape[0]
    main = batch - batch % tile

    def tiles(t: torch.Tensor) -> torch.Tensor:
        return t.view(-1, tile, *t.shape[1:])

    if main:
        kernel(*[tiles(t[:main]) for t in batched_in], *shared, *[tiles(t[:main]) for t in batched_out])
    if main < batch:
        padded_in = [t.new_zeros((tile, *t.shape[1:])) for t in batched_in]
        for src, dst in zip(batched_in, padded_in):
            dst[: batch - main] = src[main:]
        padded_out = [t.new_empty((tile, *t.shape[1:])) for t in batched_out]
        kernel(*[tiles(t) for t in padded_in], *shared, *[tiles(t) for t in padded_out])
        for src, dst in zip(padded_out, batched_out):
            dst[main:] = src[: batch - main]
