"""Schedule sources backed by tuning results.

A tuning result is, per kernel, the knob choice (MetaSchedule's best record, or the default
when it measured faster) or, for hand-written kernels, the layout parameters. Knobs added to
an operator after a log was written take their default value. The same
operator schedule function then builds the kernel at any token count. Kernels without a
result fall back to the default schedule, with one warning naming the command to run.
"""
from __future__ import annotations

import hashlib
import json
import os
import warnings
from pathlib import Path
from typing import Any, Mapping

from lookup_tvm.ops import Operator, OpSpec
from lookup_tvm.target import TargetSpec
from lookup_tvm.tuning.logs import TuningLog, TuningLogError
from lookup_tvm.tvm_api import PrimFunc, Schedule

LAYOUT_PARAMS = ("token_tile", "lanes", "token_block", "table_block")


def kernel_key(op: str, params: Mapping[str, int]) -> str:
    """A kernel's key in results: operator and shape parameters, without layout parameters."""
    return OpSpec.make(op, **{k: v for k, v in params.items() if k not in LAYOUT_PARAMS}).name


class ChosenSchedules:
    """Schedule source: chosen knobs and layouts per kernel key, else the defaults."""

    def __init__(self, entries: Mapping[str, Mapping[str, Any]], origin: str):
        self.entries = dict(entries)
        self.origin = origin
        chosen = {k: [e.get("choice"), e.get("layout")] for k, e in sorted(self.entries.items())}
        self.identity = "chosen-" + hashlib.sha256(json.dumps(chosen, sort_keys=True).encode()).hexdigest()[:12]
        self._warned: set[str] = set()

    def _entry(self, spec: OpSpec) -> Mapping[str, Any] | None:
        return self.entries.get(kernel_key(spec.op, dict(spec.params)))

    def layout(self, operator: Operator, spec: OpSpec, target: TargetSpec) -> OpSpec:
        entry = self._entry(spec)
        if entry and entry.get("layout"):
            return OpSpec.make(spec.op, **dict(spec.params), **entry["layout"])
        return operator.layout(spec, target.profile)

    def schedule(self, operator: Operator, spec: OpSpec, target: TargetSpec) -> PrimFunc:
        func = operator.define(spec)
        if operator.schedule is None:
            return func
        entry = self._entry(spec)
        default = operator.default_choice(spec, target.profile)
        choice = {**default, **entry["choice"]} if entry and entry.get("choice") is not None else None
        if choice is None:
            choice = default
            if spec.op not in self._warned:
                self._warned.add(spec.op)
                warnings.warn(
                    f"{self.origin} has no tuned schedule for {spec.name}; using the default schedule. Tune it "
                    f"with: python scripts/tune.py --target '{json.dumps(dict(target.attrs))}'", stacklevel=2)
        sch = Schedule(func)
        operator.schedule(sch, spec, target.profile, choice)
        return sch.mod["main"]


def tuned_schedules(log: TuningLog) -> ChosenSchedules:
    """The choices recorded in a tuning log's summary."""
    return ChosenSchedules(log.summary, str(log.directory))


def exported_schedules(directory: str | os.PathLike) -> ChosenSchedules:
    """The choices exported to ``schedules/<target-key>/*.json`` (no database needed)."""
    entries = {}
    for path in sorted(Path(directory).glob("*.json")):
        try:
            data = json.loads(path.read_text())
            entries[kernel_key(data["op"], data["params"])] = data
        except (OSError, json.JSONDecodeError, KeyError, TypeError, AttributeError) as err:
            raise TuningLogError(f"{path}: not an exported schedule ({err})") from None
    return ChosenSchedules(entries, str(directory))
