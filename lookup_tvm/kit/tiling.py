"""Calling a compiled kernel on torch tensors of any token count."""
from __future__ import annotations

from typing import Any, Sequence

import torch

SPLIT_TOKENS = 64  # calls of at most this many tokens run a family's split kernels (BH4 stages, hashes) ...
SPLIT_TILE_TOKENS = 4  # ... as do calls too small to give every core a token tile of this many tokens


def split_limit(cores: int) -> int:
    """The most tokens a call on ``cores`` cores may have and still run the split kernels: up to
    :data:`SPLIT_TOKENS`, and while the token-tiled kernels' smallest tiles would leave cores
    idle (256 tokens on 64 cores, 512 on 128)."""
    return max(SPLIT_TOKENS, SPLIT_TILE_TOKENS * cores)


def runs_split(tokens: int | None, cores: int) -> bool:
    """Whether a call of ``tokens`` tokens (None: many) on a target of ``cores`` cores runs the
    split kernels, whose tasks divide one token's work (columns, tables): up to
    :func:`split_limit`. Measured on the Zen 3 VM, 1 thread: the split stages take 0.68x the
    tiled ones' time at 1 token, 1.03-1.17x at 17-128 tokens, 1.18-1.53x at 256; the split
    hashes 0.97-1.05x."""
    return tokens is not None and tokens <= split_limit(cores)


def split_op(op: str, tokens: int | None, cores: int) -> str:
    """The kernel of a family with split small-batch variants (``bh4_stage``, ``bh4_stage_grad``,
    ``hash``, ``hash_grad``) that serves a call of ``tokens`` tokens (None: many) on ``cores``
    cores: ``<op>_small`` where :func:`runs_split` says so, else ``op``."""
    return f"{op}_small" if runs_split(tokens, cores) else op


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
