"""The one place that imports TVM: its API moves between releases (written for 0.27).

Everything else in lookup_tvm reaches TVM through the names defined here.
"""
from __future__ import annotations

import os

import torch

# TVM sizes its thread pool once, at first parallel use: follow torch unless told otherwise,
# and never spin-wait (TVM and torch's OpenMP threads share the cores).
os.environ.setdefault("TVM_NUM_THREADS", str(torch.get_num_threads()))
os.environ.setdefault("TVM_THREAD_POOL_SPIN_COUNT", "0")

import tvm  # noqa: E402
from tvm import s_tir, te, tirx  # noqa: E402
from tvm.script import tirx as T  # noqa: E402

from lookup_tvm.target import TargetSpec  # noqa: E402

__all__ = ["T", "te", "tirx", "Schedule", "PrimFunc", "TVM_VERSION", "build", "load_module", "to_tvm_target"]

Schedule = s_tir.Schedule
PrimFunc = tirx.PrimFunc
TVM_VERSION = tvm.__version__


def to_tvm_target(spec: TargetSpec) -> tvm.target.Target:
    """The ``tvm.target.Target`` for a parsed target spec (JSON-dict form)."""
    return tvm.target.Target(dict(spec.attrs))


def host_llvm_cpu() -> str:
    """LLVM's name for this machine's CPU, e.g. ``znver4``."""
    return str(tvm.target.Target.from_device("cpu").attrs.get("mcpu", "generic"))


def build(func: PrimFunc, spec: TargetSpec) -> tvm.runtime.Module:
    """Compile one scheduled PrimFunc for a target."""
    return tvm.build(tvm.IRModule({"main": func}), target=to_tvm_target(spec))


def build_functions(functions: dict[str, PrimFunc], spec: TargetSpec) -> tvm.runtime.Module:
    """Compile several scheduled PrimFuncs into one module, each callable by its name."""
    mod = tvm.IRModule({name: func.with_attr("global_symbol", name) for name, func in functions.items()})
    return tvm.build(mod, target=to_tvm_target(spec))


def load_module(path: str | os.PathLike) -> tvm.runtime.Module:
    return tvm.runtime.load_module(os.fspath(path))


def set_num_threads(count: int) -> None:
    """Size TVM's thread pool of the calling OS thread (the pool can only shrink)."""
    tvm.get_global_func("runtime.config_threadpool")(1, int(count))


def num_threads() -> int:
    return int(tvm.runtime.num_threads())
