"""The one place that imports TVM: its API moves between releases (written for 0.27).

Everything else in lookup_tvm reaches TVM through the names defined here.
"""
from __future__ import annotations

import os

from lookup_tvm.cpu import threads  # noqa: F401  (sizes TVM's thread pool before TVM is imported)
import tvm  # noqa: E402
from tvm import s_tir, te, tirx  # noqa: E402
from tvm.script import tirx as T  # noqa: E402

from lookup_tvm.cpu.target import TargetSpec  # noqa: E402

__all__ = ["T", "te", "tirx", "s_tir", "Schedule", "PrimFunc", "TensorIntrin", "TVM_VERSION", "build", "load_module",
           "to_tvm_target", "llvm_host_cpu", "llvm_cpu_features", "llvm_cpu_triple", "set_num_threads", "num_threads"]

Schedule = s_tir.Schedule
TensorIntrin = s_tir.TensorIntrin
PrimFunc = tirx.PrimFunc
TVM_VERSION = tvm.__version__


def to_tvm_target(spec: TargetSpec) -> tvm.target.Target:
    """The ``tvm.target.Target`` for a parsed target spec (JSON-dict form)."""
    return tvm.target.Target(dict(spec.attrs))


def llvm_host_cpu() -> str:
    """LLVM's name for this machine's CPU, e.g. ``znver4`` (``generic`` when it knows none)."""
    return str(tvm.target.codegen.llvm_get_system_cpu()) or "generic"


def llvm_cpu_features(attrs: dict) -> frozenset[str]:
    """LLVM's feature set (ISA extensions and tuning flags) for a target's mcpu/mattr/mtriple."""
    return frozenset(str(f) for f in tvm.target.codegen.llvm_get_cpu_features(tvm.target.Target(dict(attrs))))


def llvm_cpu_triple(mcpu: str) -> str | None:
    """The triple (x86_64 or aarch64 Linux) whose LLVM backend knows ``mcpu``, else None."""
    for triple in ("x86_64-linux-gnu", "aarch64-linux-gnu"):
        if tvm.target.codegen.llvm_is_valid_cpu(mcpu, triple):
            return triple
    return None


def build(func: PrimFunc, spec: TargetSpec) -> tvm.runtime.Module:
    """Compile one scheduled PrimFunc for a target."""
    return tvm.tirx.build(tvm.IRModule({"main": func}), target=to_tvm_target(spec))


def build_functions(functions: dict[str, PrimFunc], spec: TargetSpec) -> tvm.runtime.Module:
    """Compile several scheduled PrimFuncs into one module, each callable by its name."""
    mod = tvm.IRModule({name: func.with_attr("global_symbol", name) for name, func in functions.items()})
    return tvm.tirx.build(mod, target=to_tvm_target(spec))


def load_module(path: str | os.PathLike) -> tvm.runtime.Module:
    return tvm.runtime.load_module(os.fspath(path))


def set_num_threads(count: int) -> None:
    """Use ``count`` threads of TVM's pool from the calling OS thread (up to the pool's
    capacity, TVM_NUM_THREADS); :mod:`lookup_tvm.cpu.threads` decides when."""
    tvm.get_global_func("runtime.config_threadpool")(1, int(count))


def num_threads() -> int:
    return int(tvm.runtime.num_threads())
