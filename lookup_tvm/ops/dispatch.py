"""Which kernel serves a call: the one policy for every family's small-batch kernels.

An operator ``op`` with a small-batch variant has it as ``<op>_small``; a call of
``tokens`` tokens (None: many) on a target of ``cores`` cores runs ``<op>_small`` when it has at
most :func:`small_limit` tokens, else ``op``. The torch ops, the inference plan, the kernel
lists (what is tuned, exported and benchmarked) and the checks all ask here. The limits,
measured on the Zen 3 VM (1 thread):

- ``gather``: 512 tokens (cold calls: 0.70x the token-tiled gather's time at 512, 0.91x at
  1024, 1.65x at 4096);
- ``front_end``: 256 tokens (0.84x the tiled front end's time at 256);
- ``bh4_stage``, ``bh4_stage_grad``, ``hash``, ``hash_grad``: 64 tokens, and while the
  token-tiled kernels' smallest tiles (4 tokens) would leave cores idle: 256 tokens on 64
  cores, 512 on 128 (the small stages take 0.68x the tiled ones' time at 1 token, 1.03-1.17x at
  17-128 tokens, 1.18-1.53x at 256; the small hashes 0.97-1.05x).
"""
from __future__ import annotations

from lookup_tvm.kit.operator import DECODE_TOKENS

SMALL_TOKENS = {"gather": 512, "front_end": 256, "bh4_stage": 64, "bh4_stage_grad": 64, "hash": 64, "hash_grad": 64}
"""Per operator with a small-batch variant, the most tokens a call runs that variant with on
any core count."""
CORE_TILE_TOKENS = 4
"""Below this many tokens per core, the token-tiled BH4 stages and hashes leave cores idle."""
CORE_SCALED = frozenset({"bh4_stage", "bh4_stage_grad", "hash", "hash_grad"})
"""The operators whose small-batch limit grows with the cores (:data:`CORE_TILE_TOKENS` each)."""
DECODE_BENCH_TOKENS = (*DECODE_TOKENS, SMALL_TOKENS["front_end"])
"""The batches ``bench.py --decode`` times: :data:`DECODE_TOKENS` and the small front end's largest."""
FRONT_END, GATHER = "front_end", "gather"
"""The two kernels of the fused inference plan (:class:`lookup_tvm.layer.InferencePlan`)."""


def small_limit(op: str, cores: int) -> int:
    """The most tokens a call of ``op`` on ``cores`` cores runs ``<op>_small`` with."""
    limit = SMALL_TOKENS[op]
    return max(limit, CORE_TILE_TOKENS * cores) if op in CORE_SCALED else limit


def runs_small(op: str, tokens: int | None, cores: int) -> bool:
    """Whether a call of ``tokens`` tokens (None: many) on ``cores`` cores runs ``<op>_small``."""
    return tokens is not None and tokens <= small_limit(op, cores)


def serving_op(op: str, tokens: int | None, cores: int) -> str:
    """The operator that serves a call of ``op`` with ``tokens`` tokens (None: many) on a target
    of ``cores`` cores: ``<op>_small`` or ``op``."""
    return f"{op}_small" if runs_small(op, tokens, cores) else op
