"""CompiledKernels: the one owner of "the compiled kernels for this target".

Every consumer (functional API, modules, export, benchmarks) asks a
:class:`CompiledKernels` for a kernel by :class:`~lookup_tvm.ops.OpSpec`; it picks
the schedule from its schedule source, compiles once, caches on disk and in memory.
"""
from __future__ import annotations

import dataclasses
import hashlib
import os
import threading
import warnings
from pathlib import Path
from typing import Any, Callable

from lookup_tvm import cache
from lookup_tvm.ops import Operator, OpSpec, registry, token_tile
from lookup_tvm.target import TargetSpec, missing_features, parse_target
from lookup_tvm.tvm_api import TVM_VERSION, PrimFunc, Schedule, build, load_module


def _source_digest() -> str:
    """Hash of the operator definitions and schedules: editing them invalidates the cache."""
    digest = hashlib.sha256()
    package = Path(__file__).parent
    for path in sorted([*package.glob("ops/*.py"), package / "tvm_api.py"]):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


class DefaultSchedules:
    """Schedule source: each operator's hand-written default schedule."""

    identity = "default"

    def schedule(self, operator: Operator, spec: OpSpec, target: TargetSpec) -> PrimFunc:
        func = operator.define(spec)
        if operator.schedule is None:
            return func
        sch = Schedule(func)
        operator.schedule(sch, spec, target.profile, operator.default_choice(spec, target.profile))
        return sch.mod["main"]

    def layout(self, operator: Operator, spec: OpSpec, target: TargetSpec) -> OpSpec:
        return operator.layout(spec, target.profile)


@dataclasses.dataclass(frozen=True)
class Kernel:
    """A compiled kernel: call it with torch tensors (inputs, then outputs)."""

    spec: OpSpec
    func: Callable[..., Any]

    @property
    def token_tile(self) -> int:
        return token_tile(self.spec)

    def __call__(self, *args: Any) -> None:
        self.func(*args)


class UnsupportedTargetError(RuntimeError):
    """Code for this target would use ISA features the host lacks (it would die with SIGILL)."""


class CompiledKernels:
    """Compiled kernels for one target and one schedule source, built on first use.

    Unless ``check_isa`` is False (compiling for another machine, or measuring over RPC),
    a target whose ISA features this host lacks is refused before any code is built.
    """

    def __init__(self, target: TargetSpec | str = "host", source: Any = None, cache_dir: Path | None = None,
                 check_isa: bool = True):
        self.target = parse_target(target)
        missing = missing_features(self.target)
        if check_isa and not self.target.is_host and missing:
            raise UnsupportedTargetError(
                f"target {dict(self.target.attrs)} needs ISA features this CPU lacks: {', '.join(missing)}; "
                "tune for this host instead (python scripts/tune.py --target host)")
        self.source = source or DefaultSchedules()
        self.cache_dir = cache_dir
        self._operators = registry()
        self._kernels: dict[OpSpec, Kernel] = {}
        self._lock = threading.Lock()
        self._digest = _source_digest()

    def spec(self, op: str, **params: int) -> OpSpec:
        """The full spec (layout parameters added) for an operator and its shape parameters."""
        return self.source.layout(self._operators[op], OpSpec.make(op, **params), self.target)

    def get(self, op: str, **params: int) -> Kernel:
        """The kernel of an operator at given shape parameters (layout chosen by the source)."""
        return self.compile(self.spec(op, **params))

    def compile(self, spec: OpSpec) -> Kernel:
        """The kernel of a full spec, compiled on first use."""
        kernel = self._kernels.get(spec)
        if kernel is None:
            with self._lock:
                kernel = self._kernels.get(spec) or self._compile(spec)
                self._kernels[spec] = kernel
        return kernel

    def add(self, kernel: Kernel) -> None:
        """Register an already compiled kernel (from a loaded library)."""
        with self._lock:
            self._kernels[kernel.spec] = kernel

    def scheduled(self, spec: OpSpec) -> PrimFunc:
        """The scheduled PrimFunc of a full spec (what gets compiled)."""
        return self.source.schedule(self._operators[spec.op], spec, self.target)

    def _compile(self, spec: OpSpec) -> Kernel:
        key = cache.cache_key({
            "spec": spec.to_json(), "target": dict(self.target.attrs), "tvm": TVM_VERSION,
            "source": self.source.identity, "ops": self._digest,
        })
        directory = (self.cache_dir or cache.cache_root()) / self.target.key
        module = cache.get_or_build(
            directory,
            f"{spec.name}-{key}",
            export=lambda path: build(self.scheduled(spec), self.target).export_library(path),
            load=load_module,
        )
        return Kernel(spec, module["main"])


_DEFAULT: list[CompiledKernels] = []
_DEFAULT_LOCK = threading.Lock()
REPO_TUNING_LOGS = Path(__file__).resolve().parent.parent / "tuning_logs"


def tuning_log_roots() -> list[Path]:
    """Where logs for the host are looked up: ``$LOOKUP_TVM_TUNING_LOGS``, then the repository's."""
    env = os.environ.get("LOOKUP_TVM_TUNING_LOGS")
    return [Path(env)] if env else [REPO_TUNING_LOGS]


def _host_kernels() -> CompiledKernels:
    host = parse_target("host")
    for root in tuning_log_roots():
        if (root / host.key / "target.json").exists():
            from lookup_tvm.tuning.logs import TuningLog
            from lookup_tvm.tuning.source import tuned_schedules

            return CompiledKernels(host, tuned_schedules(TuningLog.open(root / host.key, host)))
    warnings.warn(
        f"no tuning log for this CPU ({host.key}) under {', '.join(map(str, tuning_log_roots()))}; "
        "using the default schedules. Tune with: python scripts/tune.py --target host", stacklevel=3)
    return CompiledKernels(host)


def default_kernels() -> CompiledKernels:
    """The process-wide kernels (used by ``lookup_tvm.functional``): this host's, tuned when a
    log for it exists, unless :func:`use_tuning_logs` chose others."""
    with _DEFAULT_LOCK:
        if not _DEFAULT:
            _DEFAULT.append(_host_kernels())
        return _DEFAULT[0]


def use_tuning_logs(path: str | os.PathLike | None) -> CompiledKernels:
    """Run the functional API on the kernels tuned in ``path`` (a ``tuning_logs/<target>``
    directory); ``None`` goes back to the automatic choice. Refuses a log tuned for a CPU
    whose ISA features this host lacks."""
    from lookup_tvm.tuning.logs import TuningLog
    from lookup_tvm.tuning.source import tuned_schedules

    kernels = None
    if path is not None:
        log = TuningLog.open(path)
        kernels = CompiledKernels(log.target, tuned_schedules(log))
    with _DEFAULT_LOCK:
        _DEFAULT.clear()
        if kernels is not None:
            _DEFAULT.append(kernels)
    return kernels or default_kernels()
