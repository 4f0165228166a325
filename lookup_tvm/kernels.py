"""CompiledKernels: the one owner of "the compiled kernels for this target".

Every consumer (functional API, modules, export, benchmarks) asks a
:class:`CompiledKernels` for a kernel by :class:`~lookup_tvm.ops.OpSpec`; it picks
the schedule from its schedule source, compiles once, caches on disk and in memory.
"""
from __future__ import annotations

import dataclasses
import hashlib
import threading
from pathlib import Path
from typing import Any, Callable

from lookup_tvm import cache
from lookup_tvm.ops import Operator, OpSpec, registry, token_tile
from lookup_tvm.target import TargetSpec, parse_target
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


class CompiledKernels:
    """Compiled kernels for one target and one schedule source, built on first use."""

    def __init__(self, target: TargetSpec | str = "host", source: Any = None, cache_dir: Path | None = None):
        self.target = parse_target(target)
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
        spec = self.spec(op, **params)
        kernel = self._kernels.get(spec)
        if kernel is None:
            with self._lock:
                kernel = self._kernels.get(spec) or self._compile(spec)
                self._kernels[spec] = kernel
        return kernel

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


_DEFAULT: dict[str, CompiledKernels] = {}
_DEFAULT_LOCK = threading.Lock()


def default_kernels() -> CompiledKernels:
    """The process-wide kernels for this host (used by ``lookup_tvm.functional``)."""
    with _DEFAULT_LOCK:
        if "host" not in _DEFAULT:
            _DEFAULT["host"] = CompiledKernels("host")
        return _DEFAULT["host"]
