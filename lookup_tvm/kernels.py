"""CompiledKernels: the one owner of "the compiled kernels for this target".

Every consumer (functional API, modules, export, benchmarks) asks a
:class:`CompiledKernels` for a kernel by :class:`~lookup_tvm.kit.operator.OpSpec`; it picks
the layout and knobs from its schedule source (:mod:`lookup_tvm.sources`), compiles once,
caches on disk and in memory. This module also installs the process default kernel set as
the custom ops' handle 0 (:mod:`lookup_tvm.kit.handles`).
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import os
import threading
import warnings
from pathlib import Path
from typing import Any, Callable

import torch

from lookup_tvm import cache
from lookup_tvm.cpu.amx import AmxUnavailableError, request_tile_permission
from lookup_tvm.cpu.isa import UnsupportedTargetError, check_runnable
from lookup_tvm.cpu.resolve import parse_target
from lookup_tvm.cpu.target import TargetSpec
from lookup_tvm.cpu.tvm_api import TVM_VERSION, PrimFunc, build, load_module
from lookup_tvm.kit import handles
from lookup_tvm.kit.checks import TVM_ALIGNMENT
from lookup_tvm.kit.operator import OpSpec
from lookup_tvm.ops import operators
from lookup_tvm.ops.bh4 import tiles_emulated
from lookup_tvm.sources.chosen import ChosenSchedules, DefaultSchedules, tuned_schedules
from lookup_tvm.sources.logs import TuningLog
from lookup_tvm.sources.selection import select_host_log

__all__ = ["AmxUnavailableError", "CompiledKernels", "DefaultSchedules", "Kernel", "UnsupportedTargetError",
           "compile_candidate", "default_kernels", "use_tuning_logs"]

PACKAGE = Path(__file__).parent
DEFINITIONS = ("kit/*.py", "ops/**/*.py", "spec.py", "cpu/tvm_api.py")  # what the compiled code depends on


@functools.lru_cache(maxsize=None)
def _source_digest() -> str:
    """Hash of the operator definitions and schedules (read once per process): editing them
    invalidates the cache."""
    digest = hashlib.sha256()
    for path in sorted(p for pattern in DEFINITIONS for p in PACKAGE.glob(pattern)):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@dataclasses.dataclass(frozen=True)
class Kernel:
    """A compiled kernel: call it with torch tensors (inputs, then outputs)."""

    spec: OpSpec
    func: Callable[..., Any]
    token_tile: int = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "token_tile", self.spec.token_tile)  # read on every call
        if self.spec.amx and not tiles_emulated():
            request_tile_permission()  # before its first tile instruction; raises AmxUnavailableError

    def __call__(self, *args: Any) -> None:
        """Run on torch tensors. TVM's kernels read their buffers with aligned vector loads;
        arguments whose data is off the 64-byte boundary (views at an offset, memory-mapped
        checkpoints) run on aligned copies. A copy that the kernel changed (an output) is
        copied back; inputs are never written, so read-only memory stays untouched."""
        staged = {i: a.clone() for i, a in enumerate(args)
                  if isinstance(a, torch.Tensor) and a.data_ptr() % TVM_ALIGNMENT}
        if not staged:
            self.func(*args)
            return
        self.func(*[staged.get(i, a) for i, a in enumerate(args)])
        for i, copy in staged.items():
            if not torch.equal(copy.view(torch.uint8), args[i].view(torch.uint8)):  # bitwise: NaNs compare too
                args[i].copy_(copy)


class CompiledKernels:
    """Compiled kernels for one target and one schedule source, built on first use.

    Unless ``check_isa`` is False (compiling for another machine, or measuring over RPC),
    a target whose code may use ISA extensions this host lacks (LLVM's feature sets, see
    :func:`lookup_tvm.cpu.isa.missing_isa`) is refused with :class:`UnsupportedTargetError`
    before any code is built.
    """

    def __init__(self, target: TargetSpec | str = "host", source: Any = None, cache_dir: Path | None = None,
                 check_isa: bool = True):
        self.target = parse_target(target)
        self.runs_here = check_isa
        if check_isa:
            check_runnable(self.target)
        self.source = source or DefaultSchedules()
        self.cache_dir = cache_dir
        self._operators = operators()
        self._kernels: dict[OpSpec, Kernel] = {}
        self._by_shape: dict[tuple, Kernel] = {}
        self._lock = threading.Lock()

    def spec(self, op: str, **params: int) -> OpSpec:
        """The full spec (layout parameters added) for an operator and its shape parameters. A
        recorded choice never verified on its own CPU is checked against the reference first
        (:meth:`_verify`), where this host runs the code."""
        operator, shape = self._operators[op], OpSpec.make(op, **params)
        entry = self.source.unverified(operator, shape) if self.runs_here else None
        if entry is not None:
            self._verify(operator, shape, entry)
        return self.source.layout(operator, shape, self.target)

    def _verify(self, operator: Any, shape: OpSpec, entry: dict[str, Any]) -> None:
        """Check an unverified recorded choice once, as the tuner checks its choices (against
        the reference, with a tail tile): the result is kept in the kernel cache beside the
        libraries, so later processes reuse it. A wrong choice falls back to the default
        schedule, with a warning."""
        key = operator.kernel_key(dict(shape.params))
        recorded = {k: entry.get(k) for k in ("choice", "layout")}
        name = f"verified-{key}-{_code_key(self.target, shape, recorded)}.json"
        marker = (self.cache_dir or cache.cache_root()) / self.target.key / name
        result = cache.read_json(marker)
        if result is None:
            candidate = CompiledKernels(self.target, ChosenSchedules({key: {**recorded, "verified": True}},
                                                                     "a choice being verified", warn=False),
                                        cache_dir=self.cache_dir)
            error, passed = operator.verify(candidate, shape)
            result = {"kernel": key, **recorded, "error": error, "passed": passed}
            cache.write_json(marker, result)
        if not result["passed"]:
            warnings.warn(f"{self.source.origin}: the choice {recorded} for {key} was never verified on its CPU, and "
                          f"is wrong here (error {result['error']:.3g} against the reference); using the default "
                          "schedule", stacklevel=4)
        self.source.settle(operator, shape, result["passed"])

    def get(self, op: str, **params: int) -> Kernel:
        """The kernel of an operator at given shape parameters (layout chosen by the source),
        looked up by those parameters after the first call (the per-call path of every op)."""
        key = (op, *sorted(params.items()))
        kernel = self._by_shape.get(key)
        if kernel is None:
            kernel = self._by_shape.setdefault(key, self.compile(self.spec(op, **params)))
        return kernel

    def compile(self, spec: OpSpec) -> Kernel:
        """The kernel of a full spec, compiled on first use."""
        kernel = self._kernels.get(spec)
        if kernel is None:
            with self._lock:
                kernel = self._kernels.get(spec) or self._compile(spec)
                self._kernels[spec] = kernel
        return kernel

    def compiled_specs(self) -> list[OpSpec]:
        """The specs of the kernels compiled (or added) so far."""
        with self._lock:
            return list(self._kernels)

    def add(self, kernel: Kernel) -> None:
        """Register an already compiled kernel (from a loaded library)."""
        with self._lock:
            self._kernels[kernel.spec] = kernel

    def scheduled(self, spec: OpSpec) -> PrimFunc:
        """The scheduled PrimFunc of a full spec (what gets compiled)."""
        operator = self._operators[spec.op]
        choice = None if operator.schedule is None else self.source.choice(operator, spec, self.target)
        return operator.scheduled(spec, self.target.profile, choice)

    def _compile(self, spec: OpSpec) -> Kernel:
        return _built(self.target, spec, {"source": self.source.identity}, lambda: self.scheduled(spec),
                      self.cache_dir)


def _code_key(target: TargetSpec, spec: OpSpec, how: dict[str, Any]) -> str:
    """A hash of everything that changes a kernel's code: its spec, the target and its profile,
    TVM's version, the operator definitions, and ``how`` it is scheduled (source or choice)."""
    return cache.cache_key({"spec": spec.to_json(), "target": dict(target.attrs), "profile": target.profile.to_json(),
                            "tvm": TVM_VERSION, "ops": _source_digest(), **how})


def _built(target: TargetSpec, spec: OpSpec, how: dict[str, Any], scheduled: Callable[[], PrimFunc],
           cache_dir: Path | None) -> Kernel:
    """A kernel from the on-disk cache, built from ``scheduled()`` when missing; ``how`` (the
    schedule source or the choice) and everything else that changes the code key it."""
    module = cache.get_or_build((cache_dir or cache.cache_root()) / target.key,
                                f"{spec.name}-{_code_key(target, spec, how)}",
                                export=lambda path: build(scheduled(), target).export_library(path), load=load_module)
    return Kernel(spec, module["main"])


def compile_candidate(target: TargetSpec, spec: OpSpec, choice: dict[str, int] | None,
                      cache_dir: Path | None = None) -> Kernel:
    """One kernel of a full spec with one knob choice (a tuning candidate; None for hand-written
    TIR, whose layout is the spec's), for any target (no ISA check: it may be measured
    elsewhere), built on its own: no kernel set around it."""
    operator = operators()[spec.op]
    return _built(target, spec, {"choice": choice}, lambda: operator.scheduled(spec, target.profile, choice), cache_dir)


_DEFAULT: list[CompiledKernels] = []
_DEFAULT_LOCK = threading.Lock()


def _host_kernels() -> CompiledKernels:
    selection = select_host_log()
    if selection.warning:
        warnings.warn(selection.warning, stacklevel=4)
    if selection.log is None:
        return CompiledKernels(selection.target)
    return CompiledKernels(selection.target, tuned_schedules(selection.log))


def default_kernels() -> CompiledKernels:
    """The process-wide kernels (used by ``lookup_tvm.functional``): this host's, tuned by
    the log :mod:`lookup_tvm.sources.selection` picks, unless :func:`use_tuning_logs` chose one."""
    with _DEFAULT_LOCK:
        if not _DEFAULT:
            _DEFAULT.append(_host_kernels())
        return _DEFAULT[0]


def use_tuning_logs(path: str | os.PathLike | None) -> CompiledKernels:
    """Run the functional API on the kernels tuned in ``path`` (a ``tuning_logs/<target>``
    directory); ``None`` goes back to the automatic choice. Raises ``TuningLogError`` for a
    corrupt log and :class:`UnsupportedTargetError` for one whose code this host cannot run."""
    kernels = None
    if path is not None:
        log = TuningLog.open(path)
        kernels = CompiledKernels(log.target, tuned_schedules(log))
    with _DEFAULT_LOCK:
        _DEFAULT.clear()
        if kernels is not None:
            _DEFAULT.append(kernels)
    return kernels or default_kernels()


handles.install_default(default_kernels)
