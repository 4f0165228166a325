"""Tuning logs on disk: ``tuning_logs/<target-key>/``.

- ``target.json``: the target, its CPU profile, the host the measurements were taken on
  and the software versions;
- ``database_workload.json`` / ``database_tuning_record.json``: MetaSchedule's JSON
  database (one line per workload / record, appended as trials finish);
- ``summary.json``: per kernel, the token count it was tuned at, trials done, default and
  best times, the chosen knobs, and the measurements of hand-tuned kernels.

One directory holds one target only (MetaSchedule ignores the target on lookup).
"""
from __future__ import annotations

import json
import os
import re
import tempfile
import warnings
from pathlib import Path
from typing import Any, Callable

from lookup_tvm.cpu.host import HostProbe, current_probe
from lookup_tvm.cpu.target import TargetSpec

DATABASE_FILES = ("database_workload.json", "database_tuning_record.json")


class TuningLogError(ValueError):
    """A tuning log that is corrupt, foreign to the requested target, or missing pieces."""


def write_json_atomic(path: Path, data: Any) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle, indent=1, sort_keys=True)
        handle.write("\n")
    os.replace(tmp, path)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise TuningLogError(f"{path}: not a readable JSON file ({err})") from None


def check_database_file(path: Path) -> None:
    """Every line must be JSON. A truncated last line (a run killed mid-write) is dropped
    with a warning, keeping every complete record; damage elsewhere is an error."""
    if not path.exists():
        return
    lines = path.read_text(errors="replace").splitlines()
    bad = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            json.loads(line)
        except json.JSONDecodeError:
            bad.append(number)
    if not bad:
        return
    if bad == [len(lines)]:
        warnings.warn(f"{path}: dropping a truncated last line (an interrupted write); all complete records kept")
        path.write_text("".join(line + "\n" for line in lines[:-1]))
        return
    raise TuningLogError(f"{path}: line {bad[0]} is not a valid JSON record; the tuning log is corrupt")


def read_target_file(directory: Path) -> tuple[TargetSpec, dict[str, Any]]:
    """A log's target (normalised) and the whole ``target.json`` (``measured_on``: the machine)."""
    target_file = Path(directory) / "target.json"
    info = _read_json(target_file)
    try:
        return TargetSpec.from_json(info), info
    except (ValueError, AttributeError) as err:
        raise TuningLogError(f"{target_file}: not a lookup_tvm target description ({err})") from None


class TuningLog:
    """One target's tuning directory."""

    def __init__(self, directory: Path, target: TargetSpec, summary: dict[str, Any], info: dict[str, Any]):
        self.directory = directory
        self.target = target
        self.summary = summary
        self.info = info

    @classmethod
    def open(cls, directory: str | os.PathLike, target: TargetSpec | None = None,
             provenance: Callable[[], dict[str, Any]] | None = None) -> "TuningLog":
        """Open a log, or with ``provenance`` (the machine and software, for ``target.json``)
        start one; refuse one written for another target."""
        directory = Path(directory)
        target_file = directory / "target.json"
        if not target_file.exists():
            if provenance is None:
                raise TuningLogError(f"{directory}: no tuning log here (missing {target_file.name})")
            if target is None:
                raise TuningLogError(f"{directory}: a new tuning log needs a target")
            directory.mkdir(parents=True, exist_ok=True)
            write_json_atomic(target_file, {**target.to_json(), **provenance()})
        logged, info = read_target_file(directory)
        if target is not None and dict(logged.attrs) != dict(target.attrs):
            raise TuningLogError(
                f"{target_file}: this log was tuned for {dict(logged.attrs)}, not {dict(target.attrs)}; "
                "use a separate directory per target")
        for name in DATABASE_FILES:
            check_database_file(directory / name)
        summary_file = directory / "summary.json"
        summary = _read_json(summary_file) if summary_file.exists() else {}
        if not isinstance(summary, dict):
            raise TuningLogError(f"{summary_file}: expected a JSON object of kernels")
        return cls(directory, target or logged, summary, info)

    def save_summary(self) -> None:
        write_json_atomic(self.directory / "summary.json", self.summary)


def measured_model(info: dict[str, Any]) -> str | None:
    """The CPU model a log's ``target.json`` says it was measured on."""
    measured = info.get("measured_on")
    return measured.get("cpu_model") if isinstance(measured, dict) else None


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "unknown"


def log_directory(root: Path, target: TargetSpec, probe: HostProbe | None = None) -> Path:
    """Where a tuning run for ``target`` on this machine writes: ``root/<target-key>`` when
    that is new or holds the same target measured on this CPU model (a resume), else
    ``root/<target-key>-<cpu-model>``, so a log measured elsewhere is never mixed with ours."""
    probe = probe or current_probe()
    for directory in (root / target.key, root / f"{target.key}-{_slug(probe.cpu_model)}"):
        if not (directory / "target.json").exists():
            return directory
        try:
            logged, info = read_target_file(directory)
        except TuningLogError:
            continue
        if dict(logged.attrs) == dict(target.attrs) and measured_model(info) == probe.cpu_model:
            return directory
    raise TuningLogError(f"{root / target.key} and its per-CPU variant hold other tuning runs; "
                         "choose a directory with --work-dir")
