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
           "with_reduction_start",
           "to_tvm_target", "llvm_host_cpu", "llvm_cpu_features", "llvm_cpu_triple", "set_num_threads", "num_threads"]

Schedule = s_tir.Schedule
TensorIntrin = s_tir.TensorIntrin
PrimFunc = tirx.PrimFunc
TVM_VERSION = tvm.__version__


def with_reduction_start(func: PrimFunc, block_name: str, start: str) -> PrimFunc:
    """``func`` with the reduction block ``block_name`` starting its sum at the values of the
    buffer ``start`` (indexed by the block's leading spatial axes) instead of 0. TE's
    ``te.sum(..., init=...)`` is dropped by ``te.create_prim_func`` in TVM 0.27, so the init is set
    on the PrimFunc: ``start`` comes as one of ``func``'s parameters (a TE stage the sum does not
    read is left out otherwise) and becomes a buffer of the root block, and each loop and block
    is rebuilt, the named block with the new init and the start buffer among its reads."""
    buffer = next(p for p in func.params if p.name == start)  # parameters are buffers in TVM 0.27
    root = func.body.block

    def rebuild(stmt):
        if isinstance(stmt, tirx.SeqStmt):
            return tirx.SeqStmt([rebuild(s) for s in stmt])
        if isinstance(stmt, tirx.For):
            return tirx.For(stmt.loop_var, stmt.min, stmt.extent, stmt.kind, rebuild(stmt.body), stmt.thread_binding,
                            stmt.annotations)
        if isinstance(stmt, s_tir.SBlockRealize):
            return s_tir.SBlockRealize(stmt.iter_values, stmt.predicate, rebuild_block(stmt.block))
        return stmt

    def rebuild_block(block):
        init, reads = block.init, list(block.reads)
        if block.name_hint == block_name:
            out = block.writes[0].source
            axes = [v.var for v in block.iter_vars][:len(out.shape)]
            index = axes[:len(buffer.shape)]
            init = tirx.BufferStore(out, tirx.BufferLoad(buffer, index), axes)
            reads.append(tirx.BufferRegion(buffer, [tvm.ir.Range.from_min_extent(i, 1) for i in index]))
        allocated = [*block.alloc_buffers, buffer] if block.same_as(root) else block.alloc_buffers
        return s_tir.SBlock(block.iter_vars, reads, block.writes, block.name_hint, rebuild(block.body), init,
                            allocated, block.match_buffers, block.annotations)

    body = s_tir.SBlockRealize(func.body.iter_values, func.body.predicate, rebuild_block(root))
    return tirx.PrimFunc([p for p in func.params if not p.same_as(buffer)], body, func.ret_type, func.attrs)


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
