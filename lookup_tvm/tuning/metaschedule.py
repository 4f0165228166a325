"""MetaSchedule (TVM 0.27, ``tvm.s_tir.meta_schedule``), made practical on a small CPU box.

The second and last module that imports TVM (MetaSchedule's API lives here alone):
- the search space of a kernel samples its operator's knobs with ``sample_categorical``;
- the builder skips the 26 s ``tvm.s_tir.tensor_intrin`` import (a stub module) and the
  weight-layout rewrite; the runner fills integer inputs with valid row indices;
- the chosen knobs are read back from a record's trace, so the same hand-written
  schedule function serves the default and the tuned kernel at any token count.
"""
from __future__ import annotations

import contextlib
import dataclasses
import functools
import itertools
import json
import logging
import os
import sys
import tempfile
import time
import types
from pathlib import Path
from typing import Any, Callable

import numpy as np
import tvm
import tvm_ffi
from tvm.ir.utils import derived_object
from tvm.s_tir import meta_schedule as ms
from tvm.support.popen_pool import PopenPoolExecutor, StatusKind

from lookup_tvm.cpu.amx import request_tile_permission
from lookup_tvm.cpu.isa import host_has_amx_tiles
from lookup_tvm.cpu.target import TargetSpec
from lookup_tvm.cpu.tvm_api import Schedule, to_tvm_target
from lookup_tvm.kit.operator import Choice, Operator, OpSpec
from lookup_tvm.ops import register_intrinsics


def install_fast_intrinsics() -> None:
    """Import only the x86 tensor intrinsics instead of every target's (26 s -> 0.2 s)."""
    name = "tvm.s_tir.tensor_intrin"
    if name in sys.modules:
        return
    import tvm.s_tir as s_tir

    stub = types.ModuleType(name)
    stub.__path__ = [str(Path(s_tir.__file__).parent / "tensor_intrin")]
    sys.modules[name] = stub
    import tvm.s_tir.tensor_intrin.x86  # noqa: F401


def fast_build(mod: tvm.IRModule, target: tvm.target.Target, _params: Any) -> Any:
    """Builder function for the worker processes (module level: pickled by reference)."""
    install_fast_intrinsics()
    from tvm.s_tir.transform import RemoveWeightLayoutRewriteBlock

    return tvm.tirx.build(RemoveWeightLayoutRewriteBlock(skip_tensor_rewrite=True)(mod), target=target)


def _random_args(args_info: list[Any], int_high: int) -> list[Any]:
    rng = np.random.default_rng(0)
    arrays = []
    for _, dtype, shape in args_info:
        if "int" in str(dtype):
            arrays.append(rng.integers(0, int_high, size=shape, dtype=str(dtype)))
        else:
            arrays.append(rng.standard_normal(size=shape, dtype="float32").astype(str(dtype)))
    return arrays


def alloc_arguments(device: Any, args_info: list[Any], alloc_repeat: int, int_high: int) -> list[list[Any]]:
    """Runner argument allocation (in the runner's worker process, before it runs the kernel):
    integer inputs are valid row indices in [0, int_high). On a host with AMX the worker asks
    for the tile state first, as a process that runs AMX kernels must."""
    if host_has_amx_tiles():
        request_tile_permission()
    arrays = _random_args(args_info, int_high)
    return [[tvm.runtime.tensor(a, device) for a in arrays] for _ in range(alloc_repeat)]


def rpc_alloc_arguments(session: Any, device: Any, args_info: list[Any], alloc_repeat: int,
                        int_high: int) -> list[list[Any]]:
    """The RPC runner's signature of :func:`alloc_arguments` (the session is not needed)."""
    return alloc_arguments(device, args_info, alloc_repeat, int_high)


KNOB_PREFIX = "lookup_tvm.knob."


def space_choices(operator: Operator, spec: OpSpec, target: TargetSpec) -> list[Choice]:
    """Every choice of an operator's knob space, the default first."""
    knobs = operator.knobs(spec, target.profile)
    return [dict(zip(knobs, values)) for values in itertools.product(*knobs.values())]


def _annotate_knobs(sch: Schedule, choice: dict[str, Any]) -> None:
    """Record a choice on the root block, after the schedule: TVM 0.27 annotating the root first
    lets later steps on a root with several loop nests edit the unscheduled PrimFunc in place
    (copy-on-write misses the shared body), and the record would then not replay."""
    root = sch.get_sblock("root")
    for name, value in choice.items():
        sch.annotate(root, KNOB_PREFIX + name, value)


def knob_space(operator: Operator, spec: OpSpec, target: TargetSpec) -> Callable[[Schedule], list[Schedule]]:
    """The design spaces: one per combination of structural knobs (loop orders, unrolling);
    inside each, the split knobs are sampled. Every knob is recorded as an annotation of the
    root block, so a record's trace says which choice it measured."""
    knobs = operator.knobs(spec, target.profile)
    structural = [name for name in knobs if name not in operator.sampled_knobs]

    def space(sch: Schedule) -> list[Schedule]:
        spaces = []
        for values in itertools.product(*(knobs[name] for name in structural)):
            variant = sch.copy()
            choice: dict[str, Any] = dict(zip(structural, values))
            for name in knobs:
                if name in operator.sampled_knobs:
                    candidates = knobs[name]
                    choice[name] = variant.sample_categorical(candidates, [1.0 / len(candidates)] * len(candidates))
            operator.schedule(variant, spec, target.profile, choice)
            _annotate_knobs(variant, choice)
            spaces.append(variant)
        return spaces

    return space


def choice_from_trace(operator: Operator, spec: OpSpec, target: TargetSpec, func: Any, trace: Any) -> Choice:
    """The knob values a record measured: replay its trace (on a copy of ``func``: a record that
    annotated the root first edits the PrimFunc it replays on, see :func:`_annotate_knobs`) and
    read the root annotations."""
    sch = Schedule(tvm.ir.load_json(tvm.ir.save_json(func)))
    trace.apply_to_schedule(sch, remove_postproc=True)
    annotations = sch.get(sch.get_sblock("root")).annotations
    choice = {key[len(KNOB_PREFIX):]: int(value) for key, value in annotations.items() if key.startswith(KNOB_PREFIX)}
    knobs = operator.knobs(spec, target.profile)
    if set(choice) - set(knobs) or any(choice[k] not in knobs[k] for k in choice):
        raise ValueError(f"record of {spec.name} measured knobs {choice}, which this space {knobs} does not contain")
    # A record from before a knob existed measured that knob's default (its first candidate).
    return {**operator.default_choice(spec, target.profile), **choice}


def open_database(directory: Path, allow_missing: bool) -> Any:
    """A log directory's MetaSchedule database. TVM replays every record's trace as it loads
    them, so the tensor intrinsics the records name are registered first."""
    directory.mkdir(parents=True, exist_ok=True)
    records = directory / "database_tuning_record.json"
    if records.exists():
        register_intrinsics(records.read_text(errors="replace"))
    return ms.database.JSONDatabase(
        path_workload=str(directory / "database_workload.json"),
        path_tuning_record=str(directory / "database_tuning_record.json"),
        allow_missing=allow_missing,
    )


def as_module(func: Any) -> Any:
    """A PrimFunc as the one-function IRModule MetaSchedule keys its workloads by."""
    return tvm.IRModule({"main": func})


def module_hash(module: Any) -> int:
    """The structural hash a database keys a workload by."""
    return int(tvm_ffi.structural_hash(module))


@dataclasses.dataclass
class LoadedRecord:
    """One line of a database's records, loaded on its own: its workload's structural hash, and
    the record, or the error's last line where it does not load."""

    workload_hash: int
    record: Any | None
    error: str | None


def load_records(directory: Path) -> list[LoadedRecord]:
    """Every record of a log's database, each loaded on its own (TVM replays a record's trace
    onto its workload, structurally, as it loads it: nothing is built or run), after the tensor
    intrinsics they name are registered. A record that fails does not stop the others."""
    text = (directory / "database_tuning_record.json").read_text(errors="replace")
    register_intrinsics(text)
    workloads = [ms.database.Workload.from_json(json.loads(line))
                 for line in (directory / "database_workload.json").read_text().splitlines() if line.strip()]
    hashes = [module_hash(workload.mod) for workload in workloads]
    loaded = []
    for line in text.splitlines():
        if not line.strip():
            continue
        index, record_json = json.loads(line)
        try:
            record, error = ms.database.TuningRecord.from_json(record_json, workloads[index]), None
        except Exception as err:  # noqa: BLE001 - TVM raises many kinds; each is a record that does not load
            record, error = None, (str(err).strip().splitlines() or [type(err).__name__])[-1]
        loaded.append(LoadedRecord(hashes[index], record, error))
    return loaded


def recommit(database: Any, record: Any) -> None:
    """Commit a loaded record (its workload first) to ``database``."""
    workload = database.commit_workload(record.workload.mod)
    database.commit_tuning_record(ms.database.TuningRecord(
        record.trace, workload, record.run_secs, record.target, record.args_info))


def ranked_choices(database: Any, operator: Operator, spec: OpSpec, func: Any, target: TargetSpec,
                   count: int) -> list[Choice]:
    """The knob choices of a workload's best ``count`` records, fastest first, without repeats."""
    choices: list[Choice] = []
    for _, choice in records_in_space(database, operator, spec, func, target, count):
        if choice not in choices:
            choices.append(choice)
    return choices


def records_in_space(database: Any, operator: Operator, spec: OpSpec, func: Any, target: TargetSpec,
                     count: int) -> list[tuple[Any, Choice]]:
    """The best ``count`` records of a workload with their choices, fastest first. Records
    that measured knobs the operator no longer has (an older search space) stay in the
    database but are passed over."""
    mod = as_module(func)
    if not database.has_workload(mod):
        return []
    found = []
    for record in database.get_top_k(database.commit_workload(mod), RECORDS_SCANNED):
        try:
            found.append((record, choice_from_trace(operator, spec, target, func, record.trace)))
        except ValueError:
            continue
        if len(found) == count:
            break
    return found


RECORDS_SCANNED = 512  # more than any tuning budget writes per kernel


def record_seconds(record: Any) -> float:
    values = [float(v) for v in record.run_secs]
    return sum(values) / len(values)


@dataclasses.dataclass
class TrialPhases:
    """Where a kernel's tuning time went, in seconds: ``search`` (candidate generation and the
    cost model), ``build`` (compiling a batch in the builder's worker processes), ``run``
    (measuring it, from the batch's submission to its results), over ``trials`` trials."""

    search: float = 0.0
    build: float = 0.0
    run: float = 0.0
    trials: int = 0
    _mark: float = dataclasses.field(default_factory=time.perf_counter, repr=False)

    def lap(self) -> float:
        """Seconds since the last lap (or the start)."""
        now = time.perf_counter()
        elapsed, self._mark = now - self._mark, now
        return elapsed

    def per_trial(self) -> str:
        count = max(1, self.trials)
        return (f"per trial: build {self.build / count:.2f} s, run {self.run / count:.2f} s, "
                f"search and cost model {self.search / count:.2f} s")


@derived_object
class TimedBuilder(ms.builder.PyBuilder):
    """A builder that times each batch it builds (``phases.build``; the wait before it is search)."""

    def __init__(self, inner: Any, phases: TrialPhases) -> None:
        super().__init__()
        self.inner = inner
        self.phases = phases

    def build(self, build_inputs):
        self.phases.search += self.phases.lap()
        results = self.inner.build(build_inputs)
        self.phases.build += self.phases.lap()
        return results


@derived_object
class ProgressCallback(ms.measure_callback.PyMeasureCallback):
    """Keeps every trial's time in order (None for failures), times the batch's run phase,
    and reports after each batch."""

    def __init__(self, report: Callable[[int, float], None], history: list[float | None], phases: TrialPhases) -> None:
        self.report = report
        self.history = history
        self.phases = phases
        self.best = float("inf")

    def apply(self, task_scheduler, task_id, measure_candidates, builder_results, runner_results) -> None:
        self.phases.run += self.phases.lap()
        self.phases.trials += len(runner_results)
        for result in runner_results:
            if result.run_secs and not result.error_msg:
                secs = sum(float(s) for s in result.run_secs) / len(result.run_secs)
                self.best = min(self.best, secs)
                self.history.append(secs)
            else:
                self.history.append(None)
        if runner_results:
            self.report(len(self.history), self.best)


def _quiet_logging() -> None:
    """MetaSchedule logs every batch at INFO; keep the console for our progress line."""
    for name in ("tvm.s_tir.meta_schedule", "tvm.s_tir.meta_schedule.console"):
        logging.getLogger(name).setLevel(logging.WARNING)


LOGGER = "tvm.s_tir.meta_schedule"


@contextlib.contextmanager
def _own_handlers_only() -> Any:
    """MetaSchedule's ``create_loggers`` (each ``tune_tir``) lists the handlers already on its
    logger by name and configures them again: a handler it did not make fails the whole run
    (one without a name: ``AttributeError: 'NoneType' object has no attribute 'format'``). Such
    handlers (an application's, a test harness's) are set aside while it tunes, then put back."""
    logger = logging.getLogger(LOGGER)
    foreign = [h for h in logger.handlers if not (h.get_name() or "").startswith(LOGGER + ".")]
    for handler in foreign:
        logger.removeHandler(handler)
    try:
        yield
    finally:
        for handler in foreign:
            logger.addHandler(handler)


def _build_and_export(mod: tvm.IRModule, target: tvm.target.Target) -> str:
    """Worker side of :class:`PooledBuilder`: compile and export to a temporary tar file."""
    from tvm.support.tar import tar

    path = os.path.join(tempfile.mkdtemp(), "tvm_tmp_mod." + tar.output_format)
    fast_build(mod, target, None).export_library(path, fcompile=tar)
    return path


@derived_object
class PooledBuilder(ms.builder.PyBuilder):
    """MetaSchedule's local builder with one worker pool kept across batches and kernels
    (starting one imports TVM in every worker: about 4 s, which LocalBuilder pays per batch).
    The pool is restarted after ``RESTART_AFTER`` builds, as a bound on the workers' memory."""

    RESTART_AFTER = 256

    def __init__(self, timeout_sec: float = 60.0) -> None:
        super().__init__()
        self.timeout_sec = timeout_sec
        self.pool: PopenPoolExecutor | None = None
        self.built = 0

    def build(self, build_inputs):
        if self.pool is None or self.built >= self.RESTART_AFTER:
            self.close()
            self.pool = PopenPoolExecutor(max_workers=os.cpu_count() or 1, timeout=self.timeout_sec,
                                          initializer=install_fast_intrinsics)
        self.built += len(build_inputs)
        results = []
        for outcome in self.pool.map_with_error_catching(lambda item: _build_and_export(item.mod, item.target),
                                                         build_inputs):
            if outcome.status == StatusKind.COMPLETE:
                results.append(ms.builder.BuilderResult(outcome.value, None))
            elif outcome.status == StatusKind.TIMEOUT:
                results.append(ms.builder.BuilderResult(None, f"build timed out after {self.timeout_sec} s"))
            else:
                results.append(ms.builder.BuilderResult(None, f"build failed:\n{outcome.value}"))
        return results

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown()
        self.pool, self.built = None, 0


COLD_CALLS = 9  # cold calls timed per candidate (the median of their mean is close: each is flushed alike)


class Measurement:
    """Where a tuning run builds and measures: one :class:`PooledBuilder`, and one runner (here
    or through an RPC tracker: 3 runs of at least 50 ms each, or cold calls) per range of integer
    inputs, all kept for the whole run. Close it at the end."""

    def __init__(self, rpc: Any | None = None) -> None:
        self.rpc = rpc
        self.builder = PooledBuilder()
        self._runners: dict[tuple[int, bool], Any] = {}

    def runner(self, int_high: int, cold: bool = False) -> Any:
        """The runner whose integer inputs are valid row indices in [0, int_high). ``cold``: each
        of ``COLD_CALLS`` calls timed alone after the CPU caches are flushed of every argument
        but the first (as a decode step finds its layer's tables: other layers ran in between)."""
        if (int_high, cold) not in self._runners:
            evaluator = (ms.runner.EvaluatorConfig(number=1, repeat=COLD_CALLS, min_repeat_ms=0,
                                                   enable_cpu_cache_flush=True) if cold else
                         ms.runner.EvaluatorConfig(number=3, repeat=1, min_repeat_ms=50, enable_cpu_cache_flush=False))
            if self.rpc is None:
                runner = ms.runner.LocalRunner(
                    evaluator_config=evaluator, f_alloc_argument=functools.partial(alloc_arguments, int_high=int_high))
            else:
                runner = ms.runner.RPCRunner(
                    rpc_config=self.rpc, evaluator_config=evaluator, max_workers=1,
                    f_alloc_argument=functools.partial(rpc_alloc_arguments, int_high=int_high))
            self._runners[(int_high, cold)] = runner
        return self._runners[(int_high, cold)]

    def close(self) -> None:
        self.builder.close()
        for runner in self._runners.values():
            pool = getattr(runner, "pool", None)
            if pool is not None:
                pool.shutdown()
        self._runners.clear()


def measure_choices(operator: Operator, spec: OpSpec, func: Any, target: TargetSpec, database: Any,
                    choices: list[Choice], int_high: int, measurement: Measurement,
                    cold: bool = False) -> tuple[list[float | None], TrialPhases]:
    """Measure each choice once with MetaSchedule's builder and runner, without its search (a
    space no larger than the trial budget is measured whole; ``cold``: with the caches flushed,
    :meth:`Measurement.runner`); each result is committed to ``database`` as a record of its
    own, as a search's trials are. Returns the seconds per choice (None where it failed) and
    where the time went."""
    _quiet_logging()
    install_fast_intrinsics()
    phases = TrialPhases()
    tvm_target = to_tvm_target(target)
    schedules = []
    for choice in choices:
        sch = Schedule(func)
        operator.schedule(sch, spec, target.profile, choice)
        _annotate_knobs(sch, choice)
        schedules.append(sch)
    phases.search += phases.lap()
    built = measurement.builder.build([ms.builder.BuilderInput(sch.mod, tvm_target) for sch in schedules])
    phases.build += phases.lap()
    args_info = ms.arg_info.ArgInfo.from_prim_func(func)
    ready = [i for i, result in enumerate(built) if result.error_msg is None]
    futures = measurement.runner(int_high, cold).run(
        [ms.runner.RunnerInput(built[i].artifact_path, "cpu", args_info) for i in ready])
    seconds: list[float | None] = [None] * len(choices)
    errors = [result.error_msg for result in built if result.error_msg is not None]
    workload = database.commit_workload(tvm.IRModule({"main": func}))
    for index, future in zip(ready, futures):
        result = future.result()
        if result.run_secs and not result.error_msg:
            database.commit_tuning_record(ms.database.TuningRecord(
                schedules[index].trace, workload, result.run_secs, tvm_target, args_info))
            seconds[index] = record_seconds(result)
        else:
            errors.append(result.error_msg)
        ms.utils.remove_build_dir(built[index].artifact_path)
    phases.run += phases.lap()
    phases.trials = len(choices)
    if all(s is None for s in seconds):
        raise RuntimeError(f"{spec.name}: no candidate could be built and run; the first error:\n{errors[0]}")
    return seconds, phases


def tune_kernel(
    operator: Operator,
    spec: OpSpec,
    func: Any,
    target: TargetSpec,
    database: Any,
    work_dir: Path,
    trials: int,
    seed: int,
    int_high: int,
    report: Callable[[int, float], None],
    measurement: Measurement,
) -> tuple[list[float | None], TrialPhases]:
    """Run MetaSchedule on one kernel's knob space; records land in ``database``.

    Returns each trial's seconds in measurement order (None where it failed) and where the
    time went (:class:`TrialPhases`)."""
    _quiet_logging()
    install_fast_intrinsics()
    phases = TrialPhases()
    builder = TimedBuilder(measurement.builder, phases)
    space = ms.space_generator.ScheduleFn(
        knob_space(operator, spec, target), sch_rules=[], postprocs=[], mutator_probs={})
    history: list[float | None] = []
    callbacks = ms.measure_callback.MeasureCallback.create("default") + [ProgressCallback(report, history, phases)]
    with _own_handlers_only():
        ms.tune_tir(
            func, to_tvm_target(target), str(work_dir), max_trials_global=trials,
            num_trials_per_iter=min(trials, 16), builder=builder, runner=measurement.runner(int_high),
            database=database, measure_callbacks=callbacks, space=space, seed=seed,
            num_tuning_cores=max(1, os.cpu_count() or 1),
        )
    return history, phases


def rpc_config(tracker: str, key: str) -> Any:
    host, _, port = tracker.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"--rpc-tracker must be host:port, got {tracker!r}")
    return ms.runner.RPCConfig(tracker_host=host, tracker_port=int(port), tracker_key=key, session_timeout_sec=120)
