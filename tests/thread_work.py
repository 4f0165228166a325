"""How a scheduled kernel spreads its work over threads, read from its TIR (no run needed).

TVM runs a ``T.parallel`` loop of extent E on P threads as P tasks of ``ceil(E / P)``
consecutive iterations each (the static split of its ``ParallelFor``); every parallel loop is
one fork-join. :func:`thread_work` counts, for a given token count, the innermost statement
executions (one per vector lane) each thread gets in every parallel region, and the work done
outside them (one thread). From those, :class:`ThreadWork` gives the busy threads and the
parallel efficiency the schedule allows: total work over threads x critical path, where the
critical path sums, per region, its busiest thread's work. It is a bound from the loop
structure: memory bandwidth and the cost of each fork-join come on top.

Loops whose variable no condition or extent below them reads are multiplied out; those
that one does (the token loops under ``T.where`` guards) are enumerated, vectorised over
the iterations of the enclosing parallel loop with numpy.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from lookup_tvm.cpu.tvm_api import PrimFunc, s_tir, tirx

_BINARY = {
    tirx.Add: np.add, tirx.Sub: np.subtract, tirx.Mul: np.multiply, tirx.FloorDiv: np.floor_divide,
    tirx.FloorMod: np.mod, tirx.Div: np.floor_divide, tirx.Mod: np.mod, tirx.Min: np.minimum, tirx.Max: np.maximum,
    tirx.LT: np.less, tirx.LE: np.less_equal, tirx.GT: np.greater, tirx.GE: np.greater_equal, tirx.EQ: np.equal,
    tirx.NE: np.not_equal, tirx.And: np.logical_and, tirx.Or: np.logical_or,
}


_AXES = 8  # array axes for the loop iterations enumerated under a parallel loop (axis 0: its own)


class _Unknown(Exception):
    """An expression that reads memory (data-dependent): taken as true / as its full extent."""


@dataclasses.dataclass(frozen=True)
class ThreadWork:
    """Work per thread of one kernel call. ``regions``: per parallel loop execution, the work
    of each thread; ``serial``: work outside parallel loops (one thread)."""

    threads: int
    regions: tuple[np.ndarray, ...]
    serial: float

    @property
    def per_thread(self) -> np.ndarray:
        """[threads] total work per thread over the call (serial work on thread 0)."""
        total = np.zeros(self.threads)
        for region in self.regions:
            total += region
        total[0] += self.serial
        return total

    @property
    def total(self) -> float:
        return float(self.per_thread.sum())

    @property
    def busy_threads(self) -> int:
        """Threads that get any work during the call."""
        return int((self.per_thread > 0).sum())

    @property
    def critical_path(self) -> float:
        return self.serial + sum(float(region.max()) for region in self.regions)

    @property
    def efficiency(self) -> float:
        """Total work / (threads x critical path): 1.0 when every region is balanced."""
        path = self.critical_path
        return self.total / (self.threads * path) if path else 1.0


def batch_var(func: PrimFunc) -> Any | None:
    """The PrimFunc's symbolic token (or tile) count, the variable named ``batch`` (see
    :func:`lookup_tvm.kit.tir.batch_extent`), or None when every shape is fixed."""
    for var in tirx.analysis.undefined_vars(func.body):
        if var.name == "batch":
            return var
    return None


def _statements(stmt):
    """``stmt`` and every statement under it, parents first."""
    stack = [stmt]
    while stack:
        node = stack.pop()
        if node is None:
            continue
        yield node
        if isinstance(node, tirx.SeqStmt):
            stack.extend(node.seq)
        elif isinstance(node, tirx.IfThenElse):
            stack.extend((node.then_case, node.else_case))
        elif isinstance(node, s_tir.SBlockRealize):
            stack.append(node.block.body)
        elif hasattr(node, "body"):
            stack.append(node.body)


def thread_work(func: PrimFunc, batch: int, threads: int) -> ThreadWork:
    """The work per thread of ``func`` called with ``batch`` as its symbolic extent (tokens, or
    tiles for a tiled kernel) on a pool of ``threads``."""
    walker = _Walker(threads)
    env = {}
    var = batch_var(func)
    if var is not None:
        env[var] = np.int32(batch)
    serial = walker.serial(func.body, env)
    return ThreadWork(threads, tuple(walker.regions), serial)


class _Walker:
    def __init__(self, threads: int):
        self.threads = threads
        self.regions: list[np.ndarray] = []
        self._reads: dict[Any, frozenset] = {}

    def serial(self, stmt, env) -> float:
        """Work on the calling thread outside parallel loops; parallel regions are recorded."""
        if isinstance(stmt, tirx.For) and stmt.kind == tirx.ForKind.PARALLEL:
            self._parallel(stmt, env)
            return 0.0
        if not self._has_parallel(stmt):
            return float(np.sum(self.work(stmt, env)))
        if isinstance(stmt, tirx.SeqStmt):
            return sum(self.serial(s, env) for s in stmt.seq)
        if isinstance(stmt, tirx.For):
            start, extent = int(self._eval(stmt.min, env)), int(self._eval(stmt.extent, env))
            if stmt.loop_var not in self._vars_read(stmt.body):  # every iteration alike: walk one
                regions = len(self.regions)
                body = self.serial(stmt.body, {**env, stmt.loop_var: np.int32(start)})
                self.regions.extend(self.regions[regions:] * (extent - 1))
                return body * extent
            return sum(self.serial(stmt.body, {**env, stmt.loop_var: np.int32(start + i)}) for i in range(extent))
        if isinstance(stmt, tirx.IfThenElse):
            if self._condition(stmt.condition, env):
                return self.serial(stmt.then_case, env)
            return self.serial(stmt.else_case, env) if stmt.else_case is not None else 0.0
        if isinstance(stmt, s_tir.SBlockRealize):
            if not self._condition(stmt.predicate, env):
                return 0.0
            return self.serial(stmt.block.body, env)
        return self.serial(stmt.body, env)

    def _parallel(self, loop, env) -> None:
        extent = int(self._eval(loop.extent, env))
        start = int(self._eval(loop.min, env))
        if extent <= 0:
            return
        iterations = start + np.arange(extent, dtype=np.int32).reshape((extent,) + (1,) * (_AXES - 1))
        per_iteration = np.broadcast_to(self.work(loop.body, {**env, loop.loop_var: iterations}, 1),
                                        (extent,) + (1,) * (_AXES - 1)).reshape(extent)
        step = math.ceil(extent / self.threads)
        region = np.zeros(self.threads)
        for task in range(self.threads):
            region[task] = per_iteration[task * step:(task + 1) * step].sum()
        self.regions.append(region)

    def work(self, stmt, env, axis: int = 1):
        """Innermost statement executions under ``stmt``: an array over the axes of the loops
        enumerated so far (axis 0: the parallel loop's iterations); ``axis``: the next free one."""
        if isinstance(stmt, (tirx.BufferStore, tirx.Evaluate)):
            return 1
        if isinstance(stmt, tirx.SeqStmt):
            return sum(self.work(s, env, axis) for s in stmt.seq)
        if isinstance(stmt, tirx.For):
            start, extent = self._eval(stmt.min, env), self._eval(stmt.extent, env)
            if np.ndim(extent) == 0 and np.ndim(start) == 0 and stmt.loop_var not in self._vars_read(stmt.body):
                return max(int(extent), 0) * self.work(stmt.body, {**env, stmt.loop_var: np.int32(start)}, axis)
            if axis >= _AXES:
                raise ValueError(f"more than {_AXES - 1} nested loops under a parallel loop decide its work")
            shape = [1] * _AXES
            shape[axis] = int(np.max(extent))
            offsets = np.arange(shape[axis], dtype=np.int32).reshape(shape)
            inside = self.work(stmt.body, {**env, stmt.loop_var: start + offsets}, axis + 1)
            return np.sum(np.where(offsets < extent, inside, 0), axis=axis, keepdims=True)
        if isinstance(stmt, tirx.IfThenElse):
            cond = self._condition(stmt.condition, env)
            other = self.work(stmt.else_case, env, axis) if stmt.else_case is not None else 0
            return np.where(cond, self.work(stmt.then_case, env, axis), other)
        if isinstance(stmt, s_tir.SBlockRealize):
            return np.where(self._condition(stmt.predicate, env), self.work(stmt.block.body, env, axis), 0)
        if isinstance(stmt, tirx.LetStmt):
            return self.work(stmt.body, self._bind(env, stmt.var, stmt.value), axis)
        if hasattr(stmt, "body"):
            return self.work(stmt.body, env, axis)
        return 0

    def _bind(self, env, var, value):
        try:
            return {**env, var: self._eval(value, env)}
        except _Unknown:
            return env

    def _condition(self, expr, env):
        try:
            return self._eval(expr, env)
        except _Unknown:
            return True

    def _eval(self, expr, env):
        if isinstance(expr, tirx.IntImm):
            return np.int32(expr.value)
        if isinstance(expr, tirx.Var):
            if expr not in env:
                raise _Unknown(expr.name)
            return env[expr]
        op = _BINARY.get(type(expr))
        if op is not None:
            return op(self._eval(expr.a, env), self._eval(expr.b, env))
        if isinstance(expr, tirx.Not):
            return np.logical_not(self._eval(expr.a, env))
        if isinstance(expr, tirx.Cast):
            return self._eval(expr.value, env)
        if isinstance(expr, tirx.Select):
            return np.where(self._eval(expr.condition, env), self._eval(expr.true_value, env),
                            self._eval(expr.false_value, env))
        raise _Unknown(type(expr).__name__)

    def _vars_read(self, stmt) -> frozenset:
        """Variables read by the conditions, loop bounds and let bindings under ``stmt`` (no
        schedule puts a condition on a block iterator inside a block)."""
        cached = self._reads.get(stmt)
        if cached is None:
            found = set()
            for node in _statements(stmt):
                if isinstance(node, tirx.For):
                    exprs = (node.min, node.extent)
                elif isinstance(node, tirx.IfThenElse):
                    exprs = (node.condition,)
                elif isinstance(node, s_tir.SBlockRealize):
                    exprs = (node.predicate,)
                elif isinstance(node, tirx.LetStmt):
                    exprs = (node.value,)
                else:
                    continue
                for expr in exprs:
                    found.update(tirx.analysis.undefined_vars(expr))
            cached = self._reads[stmt] = frozenset(found)
        return cached

    def _has_parallel(self, stmt) -> bool:
        return any(isinstance(n, tirx.For) and n.kind == tirx.ForKind.PARALLEL for n in _statements(stmt))
