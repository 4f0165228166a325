"""Tune every kernel of one layer configuration for one target, resumably.

MetaSchedule searches each operator's knob space; a space no larger than the trial budget is
measured whole with its builder and runner instead (the search's fixed cost, 4-50 s a kernel,
is more than measuring 2-8 candidates). The hand-written scatter-add has its blocking
parameters searched by direct measurement. After each kernel the summary is
saved atomically (MetaSchedule appends its records as trials finish), so an interrupted
run keeps all completed work and a re-run resumes.
"""
from __future__ import annotations

import dataclasses
import random
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from lookup_tvm.config import LayerConfig
from lookup_tvm.cpu.isa import missing_isa
from lookup_tvm.cpu.target import TargetSpec
from lookup_tvm.kernels import CompiledKernels, DefaultSchedules, compile_candidate
from lookup_tvm.kit.operator import Operator, OpSpec
from lookup_tvm.ops import kernel_key, make_workload, operators
from lookup_tvm.sources.chosen import ChosenSchedules
from lookup_tvm.sources.logs import TuningLog
from lookup_tvm.timing import interleaved_medians
from lookup_tvm.tuning import metaschedule
from lookup_tvm.tuning.provenance import provenance


TUNING_TOKENS = 4096  # tokens per call a kernel is tuned at, unless asked otherwise


def default_spec(operator: Operator, params: dict[str, int], target: TargetSpec) -> OpSpec:
    """A kernel's full spec with the target's default layout: the one it is tuned with."""
    return DefaultSchedules().layout(operator, OpSpec.make(operator.name, **operator.shape_params(params)), target)


@dataclasses.dataclass
class TuneOptions:
    """What to tune and where the log goes (``work_dir``; see
    :func:`lookup_tvm.sources.logs.log_directory` for the default layout)."""

    target: TargetSpec
    config: LayerConfig
    work_dir: Path
    tokens: int = TUNING_TOKENS
    trials: int = 32
    seed: int = 0
    rpc: Any = None
    ops: tuple[str, ...] = ()
    retune: bool = False


def selected_kernels(config: LayerConfig, ops: tuple[str, ...]) -> list[tuple[str, dict[str, int]]]:
    """The config's kernels that ``ops`` names, by operator (``gather``: all its variants) or by
    kernel key (``gather-d_out512-h128-rows256-table_bits8``: that one); all of them for none."""
    return [(op, p) for op, p in config.kernels() if not ops or op in ops or kernel_key(op, p) in ops]


def tune_all(options: TuneOptions, out: TextIO = sys.stdout) -> TuningLog:
    """Tune the config's kernels, skipping those already tuned to the requested budget."""
    log = TuningLog.open(options.work_dir, options.target, provenance)
    known = operators()
    kernels = selected_kernels(options.config, options.ops)
    measurement = metaschedule.Measurement(options.rpc)
    database = metaschedule.open_database(log.directory, allow_missing=True)
    try:
        for index, (op, params) in enumerate(kernels, 1):
            _tune_one(known[op], params, f"[{index}/{len(kernels)}]", options, log, database, measurement, out)
    finally:
        measurement.close()
    return log


def _tune_one(operator: Operator, params: dict[str, int], position: str, options: TuneOptions, log: TuningLog,
              database: Any, measurement: metaschedule.Measurement, out: TextIO) -> None:
    """Tune one kernel unless the log has it at this budget on today's definition of the kernel
    (a choice tuned on an older one is stale: tuned again); save the summary after it."""
    key = operator.kernel_key(params)
    entry = log.summary.get(key, {})
    label = f"{position} {key}"
    tokens = operator.tuning_tokens(options.tokens)
    spec = default_spec(operator, params, options.target)
    func = None if operator.schedule is None else operator.tuning_func(spec, max(1, tokens // spec.token_tile))
    stale = func is not None and entry.get("choice") is not None and not database.has_workload(
        metaschedule.as_module(func))
    if stale:
        print(f"{label}: its choice was tuned on an older definition of the kernel (stale); tuning it again",
              file=out, flush=True)
    if entry.get("tokens") != tokens or options.retune or stale:
        entry = {}
    if entry.get("budget", 0) >= options.trials:
        print(f"{label}: already tuned ({entry['trials']} trials at {entry['tokens']} tokens), skipped",
              file=out, flush=True)
        if "verified" not in entry:
            _verify_recorded(operator, spec, options.target, entry, out)
            log.save_summary()
        return
    start = time.perf_counter()
    if operator.schedule is None:
        result = _hand_tune(operator, spec, options, tokens, entry, label, out)
    else:
        result = _metaschedule_tune(operator, spec, func, options, tokens, log, database, measurement, entry, label,
                                    out)
    seconds = entry.get("seconds", 0.0) + time.perf_counter() - start
    log.summary[key] = {
        "op": operator.name, "params": params, "tokens": tokens, "budget": options.trials,
        "seconds": round(seconds, 1), **result,
    }
    log.save_summary()


def _metaschedule_tune(operator: Operator, spec: OpSpec, func: Any, options: TuneOptions, tokens: int,
                       log: TuningLog, database: Any, measurement: metaschedule.Measurement, entry: dict[str, Any],
                       label: str, out: TextIO) -> dict[str, Any]:
    """MetaSchedule's search of one kernel (or its whole space measured, where no larger than the
    budget), at ``tokens`` tokens; then the best choices timed beside the default, and the first
    that matches the reference kept."""
    done = entry.get("trials", 0)

    def report(trials: int, best: float) -> None:
        progress(out, f"{label}: trials {done + trials}/{options.trials}, best {best * 1e3:.3f} ms")

    int_high = dict(spec.params).get("rows", 1)
    space = metaschedule.space_choices(operator, spec, options.target)
    if len(space) <= options.trials:
        done = 0
        history, phases = metaschedule.measure_choices(operator, spec, func, options.target, database, space,
                                                       int_high, measurement)
        report(len(history), min((s for s in history if s is not None), default=float("inf")))
    else:
        history, phases = metaschedule.tune_kernel(
            operator, spec, func, options.target, database, log.directory / "work" / spec.name,
            options.trials - done, options.seed + done, int_high, report, measurement)
    if out.isatty():
        print(file=out, flush=True)
    print(f"{label}: {phases.trials} trials, {phases.per_trial()}", file=out, flush=True)
    best = metaschedule.records_in_space(database, operator, spec, func, options.target, 1)
    if not best:
        raise RuntimeError(f"{label}: no valid measurement (MetaSchedule's logs: {log.directory / 'work'})")
    record, choice = best[0]
    result = {
        "trials": done + len(history),
        "best_ms": metaschedule.record_seconds(record) * 1e3,
        "choice": choice,
        "history_ms": (entry.get("history_ms", []) if done else []) + [None if s is None else s * 1e3 for s in history],
    }
    ranked = metaschedule.ranked_choices(database, operator, spec, func, options.target, VERIFY_CANDIDATES)
    searched = [result["choice"], *ranked][:RETIMED_CANDIDATES]
    if operator.max_tokens or operator.cold_timing:
        result.update(_keep_faster_cold(operator, spec, options.target, tokens, database, measurement, int_high,
                                        searched))
    elif options.rpc is None:
        result.update(_keep_faster(operator, spec, options.target, tokens, searched))
    default = operator.default_choice(spec, options.target.profile)
    candidates = [result["choice"], *ranked, default]
    result.update(_first_correct(operator, spec, options.target, [{"choice": c} for c in candidates], out))
    return result


VERIFY_CANDIDATES = 8
RETIMED_CANDIDATES = 4  # MetaSchedule's best choices timed again beside the default


def _first_correct(operator: Operator, spec: OpSpec, target: TargetSpec, entries: list[dict[str, Any]],
                   out: TextIO) -> dict[str, Any]:
    """The first entry (a ``choice`` or a ``layout``) whose kernel matches the reference on
    random inputs with a tail tile; the wrong ones are recorded as rejected. Code this host
    cannot run (tuned over RPC for another CPU) is kept unverified."""
    if missing_isa(target):
        return {"verified": False}
    key = operator.kernel_key(dict(spec.params))
    rejected = []
    for entry in entries:
        source = ChosenSchedules({key: entry}, "candidate", warn=False)
        kernels = CompiledKernels(target, source, check_isa=False)
        error, passed = operator.verify(kernels, spec)
        if passed:
            return {**entry, "verified": True, "error": error, "rejected": rejected}
        rejected.append({**entry, "error": error})
        print(f"{key}: {entry} is wrong (error {error:.3g} against the reference); trying the next best",
              file=out, flush=True)
    raise RuntimeError(f"{key}: no candidate, not even the default schedule, matches the reference: {rejected}")


def _verify_recorded(operator: Operator, spec: OpSpec, target: TargetSpec, entry: dict[str, Any],
                     out: TextIO) -> None:
    """Check the choice of a log written before choices were verified (in place)."""
    if entry.get("choice") is not None:
        candidates = [{"choice": entry["choice"]}, {"choice": operator.default_choice(spec, target.profile)}]
    else:
        default = {k: v for k, v in spec.params if k in operator.layout_params}
        candidates = [{"layout": entry["layout"]}, {"layout": default}]
    entry.update(_first_correct(operator, spec, target, candidates, out))


def _default_and_searched(operator: Operator, spec: OpSpec, target: TargetSpec,
                          searched: list[dict[str, int]]) -> list[dict[str, int]]:
    """The default choice, then the searched ones that differ from it, without repeats."""
    default_choice = operator.default_choice(spec, target.profile)
    return [default_choice] + [c for i, c in enumerate(searched) if c != default_choice and c not in searched[:i]]


def _keep_faster(operator: Operator, spec: OpSpec, target: TargetSpec, tokens: int,
                 searched: list[dict[str, int]]) -> dict[str, Any]:
    """Time the default and MetaSchedule's best choices side by side here, as the benchmarks
    do (its runner's figures can rank them otherwise); keep the fastest."""
    choices = _default_and_searched(operator, spec, target, searched)
    if len(choices) == 1:
        return {}
    kernels = {index: compile_candidate(target, spec, knobs) for index, knobs in enumerate(choices)}
    workload = make_workload(spec, tokens)
    times = interleaved_medians({i: (lambda k=k: k(*workload.args)) for i, k in kernels.items()}, rounds=5)
    fastest = min(times, key=times.get)
    return {"choice": choices[fastest], "kept": "default" if fastest == 0 else "searched",
            "default_ms": times[0] * 1e3, "searched_ms": min(t for i, t in times.items() if i) * 1e3}


def _keep_faster_cold(operator: Operator, spec: OpSpec, target: TargetSpec, tokens: int, database: Any,
                      measurement: metaschedule.Measurement, int_high: int,
                      searched: list[dict[str, int]]) -> dict[str, Any]:
    """A decode kernel's (or a ``cold_timing`` kernel's) default and best searched choices, each
    measured at the batches it serves (:meth:`Operator.timing_tokens`: 1, 8, 64 tokens and its
    largest; the tuning batch) through MetaSchedule's runner with the caches flushed before each
    call: in a model the other layers run between two calls of one layer, so its tables and
    weights come from memory (the int8 gather's best warm choice at 4096 tokens ran 16.1 ms cold
    against 8.8 ms for another, Intel Xeon VM, 2 threads).
    Ranked by the geometric mean of their times against the default's (``timed_at`` in the
    summary)."""
    choices = _default_and_searched(operator, spec, target, searched)
    if len(choices) == 1:
        return {}
    counts = operator.timing_tokens(tokens)
    ratios, timed_at = [1.0] * len(choices), {}
    for count in counts:
        func = operator.tuning_func(spec, max(1, count // spec.token_tile))
        seconds, _ = metaschedule.measure_choices(operator, spec, func, target, database, choices, int_high,
                                                  measurement, cold=True)
        if seconds[0] is None:
            return {}
        timed_at[str(count)] = [None if t is None else t * 1e3 for t in seconds]
        ratios = [r * (float("inf") if t is None else t / seconds[0]) ** (1 / len(counts))
                  for r, t in zip(ratios, seconds)]
    fastest = min(range(len(choices)), key=ratios.__getitem__)
    return {"choice": choices[fastest], "kept": "default" if fastest == 0 else "searched",
            "timed_at": {count: {"default_ms": times[0], "kept_ms": times[fastest]}
                         for count, times in timed_at.items()}}


def _hand_tune(operator: Operator, spec: OpSpec, options: TuneOptions, tokens: int, entry: dict[str, Any],
               label: str, out: TextIO) -> dict[str, Any]:
    """Measure the layout candidates of a hand-written kernel (``Operator.layout_search``)
    directly at ``tokens`` tokens, the default first; the layout parameters not searched keep
    their values."""
    searched = operator.layout_search(spec, options.target.profile)
    default = {k: spec[k] for k in searched[0]}
    fixed = {k: spec[k] for k in sorted(operator.layout_params - set(default))}
    candidates = [c for c in searched if c != default]
    random.Random(options.seed).shuffle(candidates)
    candidates = [default, *candidates][: options.trials]
    measured = {json_key(m["layout"]): m for m in entry.get("measurements", [])}
    for layout in candidates:
        if json_key(layout) in measured:
            continue
        full = spec.with_params(**layout)
        kernel = compile_candidate(options.target, full, None)
        workload = make_workload(full, tokens)
        seconds = interleaved_medians({"k": lambda: kernel(*workload.args)}, rounds=3, warmup=1)["k"]
        measured[json_key(layout)] = {"layout": layout, "ms": seconds * 1e3}
        best = min(m["ms"] for m in measured.values())
        progress(out, f"{label}: trials {len(measured)}/{len(candidates)}, best {best:.3f} ms")
    if out.isatty():
        print(file=out, flush=True)
    ranked = sorted(measured.values(), key=lambda m: m["ms"])
    layouts = [{"layout": {**fixed, **m["layout"]}} for m in ranked]
    kept = _first_correct(operator, spec, options.target, layouts, out)
    best = next((m for m in ranked if {**fixed, **m["layout"]} == kept.get("layout")), ranked[0])
    return {"trials": len(measured), "best_ms": best["ms"], "layout": {**fixed, **best["layout"]},
            "measurements": list(measured.values()), "history_ms": [m["ms"] for m in measured.values()],
            **{k: v for k, v in kept.items() if k != "layout"}}


def progress(out: TextIO, line: str) -> None:
    """A progress line that rewrites itself on a terminal and appends in a log file."""
    if out.isatty():
        print(f"\r{line}", end="", file=out, flush=True)
    else:
        print(line, file=out, flush=True)


def json_key(layout: dict[str, int]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(layout.items()))
