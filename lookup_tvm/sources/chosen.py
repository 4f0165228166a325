"""Schedule sources: where a kernel's knob choice and layout come from.

A source answers ``layout(operator, spec, target)`` (the full spec) and ``choice(operator,
spec, target)`` (the knobs the operator's schedule is applied with); :class:`DefaultSchedules`
gives every operator's defaults, :class:`ChosenSchedules` the results of tuning.

A tuning result is, per kernel, the knob choice (MetaSchedule's best record, or the default
when it measured faster) or, for hand-written kernels, the layout parameters. Knobs added to
an operator after a log was written take their default value, and so do the operator's
``sized`` knobs and layout parameters when the log was tuned for other cores or caches than
the target it builds for (a 2-core log on a 64-core host). The same
operator schedule function then builds the kernel at any token count. Kernels without a
result, or whose choice names a knob the operator no longer has or a value outside the
target's candidates (another core count or cache size), fall back to the default
schedule, with one warning naming the command to run. Exported schedules are refused
outright when a choice names an unknown knob.
"""
from __future__ import annotations

import hashlib
import json
import os
import warnings
from pathlib import Path
from typing import Any, Mapping

from lookup_tvm.config import config_with_kernel
from lookup_tvm.cpu.isa import isa_profile
from lookup_tvm.cpu.target import CPU_PROFILES, CpuProfile, TargetSpec
from lookup_tvm.kit.operator import Choice, Operator, OpSpec
from lookup_tvm.ops import kernel_key, operators
from lookup_tvm.sources.logs import TuningLog, TuningLogError


class DefaultSchedules:
    """Schedule source: each operator's hand-written default schedule and layout."""

    identity = "default"

    def layout(self, operator: Operator, spec: OpSpec, target: TargetSpec) -> OpSpec:
        return operator.layout(spec, isa_profile(target))

    def choice(self, operator: Operator, spec: OpSpec, target: TargetSpec) -> Choice:
        return operator.default_choice(spec, target.profile)

    def unverified(self, operator: Operator, spec: OpSpec) -> Mapping[str, Any] | None:
        """The recorded choice to check before use (:class:`ChosenSchedules`): none here."""
        return None


class ChosenSchedules(DefaultSchedules):
    """Schedule source: chosen knobs and layouts per kernel key, else the defaults."""

    def __init__(self, entries: Mapping[str, Mapping[str, Any]], origin: str, warn: bool = True,
                 tuned_for: CpuProfile | None = None, verify: bool = False):
        self.entries = dict(entries)
        self.origin = origin
        self.warn = warn
        self.tuned_for = tuned_for
        self.verify = verify
        self.identity = self._identity()
        self._warned: set[str] = set()

    def _identity(self) -> str:
        """What the kernel cache keys this source's libraries by: a hash of its choices and layouts."""
        chosen = {k: [e.get("choice"), e.get("layout")] for k, e in sorted(self.entries.items())}
        return "chosen-" + hashlib.sha256(json.dumps(chosen, sort_keys=True).encode()).hexdigest()[:12]

    def _entry(self, operator: Operator, spec: OpSpec) -> Mapping[str, Any] | None:
        return self.entries.get(operator.kernel_key(dict(spec.params)))

    def unverified(self, operator: Operator, spec: OpSpec) -> Mapping[str, Any] | None:
        """With ``verify``: the entry of a kernel whose recorded choice or layout was never checked
        against the reference on the CPU it was tuned for (tuned over RPC, or exported without
        the flag), which a host that can run it checks once before use (see
        :meth:`lookup_tvm.kernels.CompiledKernels.spec`)."""
        entry = self._entry(operator, spec)
        if not self.verify or not entry or entry.get("verified") is True:
            return None
        return entry if entry.get("choice") is not None or entry.get("layout") else None

    def settle(self, operator: Operator, spec: OpSpec, passed: bool) -> None:
        """Record a check of an :meth:`unverified` entry: kept as verified, or dropped for the
        default schedule."""
        key = operator.kernel_key(dict(spec.params))
        if passed:
            self.entries[key] = {**self.entries[key], "verified": True}
        else:
            del self.entries[key]
            self.identity = self._identity()

    def layout(self, operator: Operator, spec: OpSpec, target: TargetSpec) -> OpSpec:
        entry = self._entry(operator, spec)
        if entry and entry.get("layout"):
            recorded = operator.resized(entry["layout"], self.tuned_for, target.profile)
            return super().layout(operator, spec.with_params(**recorded), target)
        return super().layout(operator, spec, target)

    def choice(self, operator: Operator, spec: OpSpec, target: TargetSpec) -> Choice:
        """The knobs a kernel is built with: the recorded choice when it is valid here."""
        knobs = operator.knobs(spec, target.profile)
        default = operator.default_choice(spec, target.profile)
        entry = self._entry(operator, spec)
        recorded = entry.get("choice") if entry else None
        problem = "has no tuned schedule"
        if recorded is not None:
            recorded = operator.resized(recorded, self.tuned_for, target.profile)
            invalid = {k: v for k, v in recorded.items() if k not in knobs or v not in knobs[k]}
            if not invalid:
                return {**default, **recorded}
            problem = f"records knob values this operator does not accept here ({invalid})"
        command = tune_command(operator, spec, target)
        if self.warn and command not in self._warned:
            self._warned.add(command)
            warnings.warn(
                f"{self.origin} {problem} for {spec.name} (and maybe other kernels of its layer); using the "
                f"default schedule. Tune it with: {command}", stacklevel=3)
        return default


def tune_command(operator: Operator, spec: OpSpec, target: TargetSpec) -> str:
    """The tune.py command that tunes a kernel for a target: all kernels of the layer config
    in use that has it, else its operator with a hint to add that config."""
    command = f"lookup-tvm tune --target '{json.dumps(dict(target.attrs))}'"
    config = config_with_kernel(spec.op, operator.shape_params(dict(spec.params)))
    if config is not None:
        return f"{command} --config {config.cli()}"
    return f"{command} --ops {spec.op} --config <the layer config with kernel {operator.kernel_key(dict(spec.params))}>"


def tuned_schedules(log: TuningLog) -> ChosenSchedules:
    """The choices recorded in a tuning log's summary (sized knobs re-sized where the log's
    cores and caches differ from those of the target it is used for)."""
    return ChosenSchedules(log.summary, str(log.directory), tuned_for=log.target.profile, verify=True)


def exported_schedules(directory: str | os.PathLike) -> ChosenSchedules:
    """The choices exported to ``schedules/<target-key>/*.json`` (no database needed).
    Raises TuningLogError for an unreadable file, two files for one kernel, or a choice
    that names a knob its operator does not have."""
    known, entries, origins, tuned_for = operators(), {}, {}, None
    for path in sorted(Path(directory).glob("*.json")):
        try:
            data = json.loads(path.read_text())
            key = kernel_key(data["op"], data["params"])
            spec = OpSpec.from_json(data["spec"])
            tuned_for = TargetSpec.from_json(data).profile
            knobs = set(known[data["op"]].knobs(spec, CPU_PROFILES["haswell"]))
            unknown = set(data.get("choice") or {}) - knobs
        except (OSError, json.JSONDecodeError, KeyError, TypeError, AttributeError, ValueError) as err:
            raise TuningLogError(f"{path}: not an exported schedule ({err!r})") from None
        if unknown:
            raise TuningLogError(f"{path}: the choice names knobs {sorted(unknown)} that {data['op']} does not have "
                                 f"(it has {sorted(knobs)}); re-export or re-tune")
        if key in entries:
            raise TuningLogError(f"{path} and {origins[key]} both hold {key}; remove the stale one")
        entries[key], origins[key] = data, path
    return ChosenSchedules(entries, str(directory), tuned_for=tuned_for, verify=True)
