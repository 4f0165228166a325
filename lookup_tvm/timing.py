"""Timing without fooling ourselves: interleaved rounds, medians, ratios within one run.

Candidates run interleaved round by round after warm-up; medians are reported, and ratios
are medians of per-round ratios. With more than one thread, a parallelism probe (two
processes spinning; CPU time over wall time) runs before and after every round, and rounds
where it reads below the threshold are rejected and counted.
"""
from __future__ import annotations

import dataclasses
import multiprocessing
import statistics
import time
from typing import Callable

CLEAN_PARALLELISM = 1.8


def interleaved_medians(candidates: dict[str, Callable[[], object]], rounds: int = 7,
                        warmup: int = 2) -> dict[str, float]:
    """Median seconds per call of each candidate, run round by round so drift hits all alike."""
    return interleaved(candidates, rounds, warmup).medians()


@dataclasses.dataclass
class Samples:
    """Per-round seconds of each candidate, and how many rounds were rejected as unclean."""

    rounds: list[dict[str, float]]
    rejected: int = 0

    def medians(self) -> dict[str, float]:
        names = self.rounds[0].keys() if self.rounds else []
        return {n: statistics.median(r[n] for r in self.rounds) for n in names}

    def ratio(self, slower: str, faster: str) -> float:
        """Median over rounds of time(slower) / time(faster)."""
        return statistics.median(r[slower] / r[faster] for r in self.rounds)


def _spin(seconds: float) -> float:
    start_cpu, end = time.process_time(), time.perf_counter() + seconds
    count = 0
    while time.perf_counter() < end:
        count += 1
    return time.process_time() - start_cpu


class ParallelismProbe:
    """Two worker processes spin for ``seconds``; returns summed CPU time / wall time (~2 when clean)."""

    def __init__(self, seconds: float = 0.05):
        self.seconds = seconds
        self.pool = multiprocessing.get_context("fork").Pool(2)

    def read(self) -> float:
        start = time.perf_counter()
        cpu = sum(self.pool.map(_spin, [self.seconds, self.seconds]))
        return cpu / (time.perf_counter() - start)

    def close(self) -> None:
        self.pool.terminate()


def interleaved(candidates: dict[str, Callable[[], object]], rounds: int = 7, warmup: int = 2,
                probe: ParallelismProbe | None = None, max_attempts: int | None = None) -> Samples:
    """Round-by-round samples; with a probe, rounds that ran on a busy machine are rejected
    (up to ``max_attempts`` rounds in all, default 4x ``rounds``). Each round starts one
    candidate later than the one before, so every candidate runs after each of the others in
    turn: what the previous call left in the caches and the core's state (a bf16 matmul's
    AMX tiles, another model's weights) falls on all alike. Measured on the Intel Xeon VM: a
    1-token LookupFFN forward that always ran first, after a oneDNN bf16 FFN, took 216 us against
    41 us warm in a loop."""
    for _ in range(warmup):
        for fn in candidates.values():
            fn()
    samples = Samples([])
    attempts = 0
    names = list(candidates)
    while len(samples.rounds) < rounds and attempts < (max_attempts or 4 * rounds):
        start_at = attempts % len(names)
        attempts += 1
        before = probe.read() if probe else None
        times = {}
        for name in names[start_at:] + names[:start_at]:
            start = time.perf_counter()
            candidates[name]()
            times[name] = time.perf_counter() - start
        if probe and min(before, probe.read()) < CLEAN_PARALLELISM:
            samples.rejected += 1
            continue
        samples.rounds.append({name: times[name] for name in names})  # the candidates' order, whatever ran first
    if not samples.rounds:
        raise RuntimeError(f"no clean sample in {attempts} rounds (parallelism probe below {CLEAN_PARALLELISM})")
    return samples
