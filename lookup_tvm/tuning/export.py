"""Export the best schedules of a tuning log in readable form: ``schedules/<target-key>/``.

Per kernel, ``<kernel>.json`` (the knob choice, the time, the target and host, whether the choice
was verified against the reference on that host) and
``<kernel>.py`` (the scheduled TIR as TVMScript), so two CPUs' choices diff by eye and
:func:`~lookup_tvm.sources.chosen.exported_schedules` can load them without the database.
"""
from __future__ import annotations

import json
import warnings
from pathlib import Path

from lookup_tvm.config import LayerConfig
from lookup_tvm.kernels import CompiledKernels
from lookup_tvm.ops import kernel_key, operators
from lookup_tvm.sources.chosen import tuned_schedules
from lookup_tvm.sources.logs import TuningLog, write_json_atomic


def export_schedules(log: TuningLog, config: LayerConfig, directory: Path) -> Path:
    """Write each tuned kernel's files and remove older files for the same kernels. A choice
    from an older search space (a knob the operator no longer has) is not exported, and its
    old files are removed: that kernel runs its default schedule until it is tuned again."""
    directory.mkdir(parents=True, exist_ok=True)
    written: dict[str, str | None] = {}
    kernels = CompiledKernels(log.target, tuned_schedules(log), check_isa=False)
    known = operators()
    for op, params in config.kernels():
        entry = log.summary.get(kernel_key(op, params))
        if entry is None:
            continue
        spec = kernels.spec(op, **params)
        choice = entry.get("choice")
        knobs = known[op].knobs(spec, log.target.profile)
        if choice is not None and any(k not in knobs or v not in knobs[k] for k, v in choice.items()):
            warnings.warn(f"{log.directory}: {spec.name}'s recorded choice {choice} is not in its search space "
                          f"{knobs}; not exported (re-tune it)", stacklevel=2)
            written[kernel_key(op, params)] = None
            continue
        header = (f"# {spec.name} for {dict(log.target.attrs)}\n"
                  f"# measured on {log.info['measured_on']['cpu_model']}: {entry['best_ms']:.3f} ms at "
                  f"{entry['tokens']} tokens after {entry['trials']} trials\n"
                  f"# knobs: {dict(sorted((choice if choice is not None else entry.get('layout') or {}).items()))}\n")
        (directory / f"{spec.name}.py").write_text(header + kernels.scheduled(spec).script())
        write_json_atomic(directory / f"{spec.name}.json", {
            "op": op, "params": params, "spec": spec.to_json(), "choice": choice, "layout": entry.get("layout"),
            "best_ms": entry["best_ms"], "tokens": entry["tokens"], "trials": entry["trials"],
            "verified": entry.get("verified") is True,
            "target": log.info["target"], "profile": log.info["profile"], "measured_on": log.info["measured_on"],
        })
        written[kernel_key(op, params)] = spec.name
    _remove_stale(directory, written)
    return directory


def _remove_stale(directory: Path, written: dict[str, str]) -> None:
    """Delete exported files of the kernels just written that carry another name (an older
    layout), and every file of the kernels whose choice was stale (None)."""
    for path in directory.glob("*.json"):
        try:
            data = json.loads(path.read_text())
            key = kernel_key(data["op"], data["params"])
        except (OSError, json.JSONDecodeError, KeyError, TypeError, AttributeError, ValueError):
            continue
        if key in written and path.stem != written[key]:
            path.unlink()
            path.with_suffix(".py").unlink(missing_ok=True)
