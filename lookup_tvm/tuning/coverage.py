"""What a committed tuning log holds against today's kernel definitions, and whether it replays.

- :func:`log_coverage`: per log, the kernels of a layer config it has a choice for, those it
  lacks, the choices that are stale (tuned on a definition the operator no longer has: today's
  workload is not in the database, or the choice names knobs or values today's space lacks) and
  those never verified against the reference on the log's own CPU.
- :func:`audit_log`: that; the database opened as the tuner opens it; and every record loaded on
  its own, which replays its trace onto its workload, structurally, without building or running
  it. Each record that does not load is named with its log and kernel (or "a workload no kernel
  defines today"), and the dead records (no kernel can use them today) are counted.
- :func:`prune_dead_records`: rewrite a database without its dead records (for a log whose CPU
  is not at hand, where it cannot be tuned again).
"""
from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path
from typing import Any

from lookup_tvm.config import LayerConfig
from lookup_tvm.ops import operators
from lookup_tvm.sources.logs import DATABASE_FILES, TuningLog
from lookup_tvm.tuning import metaschedule
from lookup_tvm.tuning.tuner import TUNING_TOKENS, default_spec


@dataclasses.dataclass
class Coverage:
    """A log's coverage of one layer config's kernels (kernel keys, sorted)."""

    log: str
    kernels: int
    tuned: list[str]
    missing: list[str]
    stale: list[str]
    unverified: list[str]

    def line(self) -> str:
        """One line for a table: ``tuned/kernels``, then what is missing, stale or unverified."""
        return (f"{len(self.tuned)}/{self.kernels} tuned, {len(self.missing)} missing, "
                f"{len(self.stale)} stale, {len(self.unverified)} unverified")


def _entries(log: TuningLog) -> dict[str, dict[str, Any]]:
    """The log's summary entries, plus an entry at the default token count for each kernel of
    the default layer config that the log lacks."""
    known = operators()
    entries = {known[op].kernel_key(params): {"op": op, "params": params,
                                              "tokens": known[op].tuning_tokens(TUNING_TOKENS)}
               for op, params in LayerConfig().kernels()}
    return {**entries, **log.summary}


def _workloads_today(log: TuningLog, entries: dict[str, dict[str, Any]],
                     timed: bool = False) -> list[tuple[str, Any]]:
    """(kernel key, today's workload as an IRModule) of each MetaSchedule kernel of ``entries``
    at the token count it was tuned at, with the target's default layout, as the tuner builds
    it; with ``timed``, also at each count the tuner re-times a decode kernel's candidates at
    (their records are the kernel's too)."""
    known = operators()
    found = []
    for key, entry in sorted(entries.items()):
        operator = known.get(entry.get("op"))
        if operator is None or operator.schedule is None:
            continue
        spec = default_spec(operator, entry["params"], log.target)
        counts = operator.timing_tokens(entry["tokens"]) if timed else ()
        for count in dict.fromkeys((entry["tokens"], *counts)):
            found.append((key, metaschedule.as_module(operator.tuning_func(spec, max(1, count // spec.token_tile)))))
    return found


def _is_stale(log: TuningLog, key: str, held: set[int], workloads: dict[str, Any]) -> bool:
    """Whether a summary entry's choice was made on a definition the kernel no longer has."""
    entry = log.summary[key]
    operator = operators().get(entry.get("op"))
    if operator is None:
        return True
    if operator.schedule is None:
        return bool(set(entry.get("layout") or {}) - operator.layout_params)
    knobs = operator.knobs(default_spec(operator, entry["params"], log.target), log.target.profile)
    choice = entry.get("choice") or {}
    if any(k not in knobs or v not in knobs[k] for k, v in choice.items()):
        return True
    return metaschedule.module_hash(workloads[key]) not in held


@dataclasses.dataclass
class Audit:
    """One log against today's definitions: its :class:`Coverage`, a line per record that does
    not load (naming the log and the kernel), and how many of its ``records`` are dead (they do
    not load, or their workload is no kernel's today)."""

    coverage: Coverage
    problems: list[str]
    dead: int
    records: int


def _records(log: TuningLog) -> list[metaschedule.LoadedRecord]:
    return metaschedule.load_records(log.directory) if (log.directory / DATABASE_FILES[1]).exists() else []


def _coverage(log: TuningLog, records: list[metaschedule.LoadedRecord], config: LayerConfig | None) -> Coverage:
    wanted = {operators()[op].kernel_key(params) for op, params in (config or LayerConfig()).kernels()}
    have = {key for key, entry in log.summary.items() if entry.get("choice") is not None or entry.get("layout")}
    workloads = dict(_workloads_today(log, {key: log.summary[key] for key in have}))
    held = {loaded.workload_hash for loaded in records if loaded.record is not None}
    stale = {key for key in have if _is_stale(log, key, held, workloads)}
    unverified = {key for key in have if log.summary[key].get("verified") is not True}
    return Coverage(str(log.directory), len(wanted), sorted(have & wanted), sorted(wanted - have), sorted(stale),
                    sorted(unverified))


def log_coverage(directory: Path, config: LayerConfig | None = None) -> Coverage:
    """The coverage of ``config``'s kernels (default: the default layer config) by one log."""
    log = TuningLog.open(directory)
    return _coverage(log, _records(log), config)


def _kernels_by_workload(log: TuningLog) -> dict[int, str]:
    """Today's kernel key of each workload hash the log's kernels (and the default config's) have."""
    return {metaschedule.module_hash(module): key for key, module in _workloads_today(log, _entries(log), timed=True)}


def _live(log: TuningLog, records: list[metaschedule.LoadedRecord]) -> tuple[list[int], list[str]]:
    """The positions of the live records, and a line per record that does not load."""
    kernels = _kernels_by_workload(log)
    live, problems = [], []
    for index, loaded in enumerate(records):
        kernel = kernels.get(loaded.workload_hash)
        if loaded.error is not None:
            name = kernel or f"record {index + 1}, a workload no kernel defines today"
            problems.append(f"{log.directory}: {name}: the record does not replay: {loaded.error}")
        elif kernel is not None:
            live.append(index)
    return live, problems


def audit_log(directory: Path, config: LayerConfig | None = None) -> Audit:
    """Open a log's database as the tuner does (TVM replays every record as it loads them; a
    failure is one problem naming the log), load each record on its own (naming the kernel of
    any that does not), and state the log's coverage."""
    log = TuningLog.open(directory)
    problems = []
    try:
        metaschedule.open_database(log.directory, allow_missing=False)
    except Exception as err:  # noqa: BLE001 - any failure to open is the finding
        problems.append(f"{directory}: the database does not open: {(str(err).strip().splitlines() or [''])[-1]}")
    records = _records(log)
    live, record_problems = _live(log, records)
    return Audit(_coverage(log, records, config), problems + record_problems, len(records) - len(live), len(records))


def prune_dead_records(directory: Path) -> int:
    """Rewrite a log's database with only its live records (see :class:`Audit`), in their order;
    the number removed. The old files are replaced only once the new ones are complete. For a
    log whose CPU is not at hand: where it is, tune it again instead."""
    log = TuningLog.open(directory)
    records = _records(log)
    live, _ = _live(log, records)
    with tempfile.TemporaryDirectory(dir=directory) as scratch:
        fresh = metaschedule.open_database(Path(scratch), allow_missing=True)
        for index in live:
            metaschedule.recommit(fresh, records[index].record)
        for name in DATABASE_FILES:
            (Path(scratch) / name).replace(directory / name)
    return len(records) - len(live)
