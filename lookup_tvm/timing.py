"""Interleaved timing with warm-up and medians (see shared/notes/benchmarking.md)."""
from __future__ import annotations

import statistics
import time
from typing import Callable


def interleaved_medians(candidates: dict[str, Callable[[], object]], rounds: int = 7, warmup: int = 2) -> dict[str, float]:
    """Median seconds per call of each candidate, run round by round so drift hits all alike."""
    for _ in range(warmup):
        for fn in candidates.values():
            fn()
    samples: dict[str, list[float]] = {name: [] for name in candidates}
    for _ in range(rounds):
        for name, fn in candidates.items():
            start = time.perf_counter()
            fn()
            samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in samples.items()}
