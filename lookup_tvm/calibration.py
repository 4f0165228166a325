"""The fp32 FMA rate and the L2 read bandwidth of one core, measured: the ceilings that
"% of peak" and "% of L2" figures rest on.

A nominal peak (clock x FMA units x lanes) is often wrong on VMs and on CPUs whose wide
vectors are split: the Zen 4 VM reports 2.6 GHz in ``cpu MHz`` and two 512-bit FMA units,
while it sustains one 512-bit FMA per cycle at about 3.66 GHz. So the kernels' peak is
measured: a TVM kernel of independent vector FMA chains on registers only (enough chains to
hide the FMA latency on every x86 core, as many as the target's vector registers allow),
compiled for the target, run on one thread.
"""
from __future__ import annotations

import time

import torch

from lookup_tvm.cpu.target import TargetSpec
from lookup_tvm.cpu.tvm_api import Schedule, build, te

CHAINS = 12  # the read kernel's independent accumulators: latency 4-5 cycles x up to 2 loads per cycle
GROUPS = 2  # the FMA kernel's broadcast multiplicands, one live at a time
STEPS = 4096  # FMAs per chain per call
L2_RESIDENT_BYTES = 512 * 1024  # over every L1d we meet (32-64 KiB), within every L2 (1-2 MiB)
PASSES = 16  # reads of the buffer per call


def fma_vectors(target: TargetSpec) -> int:
    """Vectors of ``a`` the FMA kernel keeps in registers: GROUPS x that many accumulators, that
    many multiplicands and one broadcast fill the target's vector registers (AVX2's 16: 5, so
    10 chains, enough for 2 FMA pipes of latency 4-5; AVX-512's 32: 10, so 20 chains)."""
    return (target.profile.vector_registers - 1) // (GROUPS + 1)


def fma_module(target: TargetSpec):
    """out[g, c, l] = sum_k a[c, l] * b[g, k]: per k, GROUPS broadcasts and GROUPS x vectors
    independent vector FMAs on registers only. (A kernel with more chains than registers spills
    its multiplicands to the stack and runs at 67-95 GFLOP/s on the Zen 3 VM from one call to the
    next, whereas this one holds at 95.)"""
    lanes, vectors = target.profile.lanes(32), fma_vectors(target)
    a = te.placeholder((vectors, lanes), "float32", name="a")
    b = te.placeholder((GROUPS, STEPS), "float32", name="b")
    k = te.reduce_axis((0, STEPS), "k")
    out = te.compute((GROUPS, vectors, lanes), lambda g, c, lane: te.sum(a[c, lane] * b[g, k], axis=k), name="fma")
    sch = Schedule(te.create_prim_func([a, b, out]))
    block = sch.get_sblock("fma")
    g, c, lane, red = sch.get_loops(block)
    sch.reorder(red, g, c, lane)
    sch.unroll(g)
    sch.unroll(c)
    sch.vectorize(lane)
    sch.decompose_reduction(block, red)
    return build(sch.mod["main"], target), (vectors, lanes)


def fma_gflops_per_core(target: TargetSpec, seconds: float = 0.3) -> float:
    """Sustained fp32 GFLOP/s of one thread on this machine (multiply-add = 2 FLOPs): the best
    of several timed batches, so a busy moment lowers no figure but its own batch."""
    module, (vectors, lanes) = fma_module(target)
    kernel = module["main"]  # no parallel loop: it runs on the calling thread
    a, b, out = torch.rand(vectors, lanes), torch.rand(GROUPS, STEPS) * 1e-3, torch.empty(GROUPS, vectors, lanes)
    kernel(a, b, out)
    calls = max(1, int(seconds / 10 / max(_time(kernel, a, b, out, calls=1), 1e-7)))
    best = min(_time(kernel, a, b, out, calls=calls) for _ in range(10))
    return 2.0 * GROUPS * vectors * lanes * STEPS / best / 1e9


def _time(kernel, *args, calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        kernel(*args)
    return (time.perf_counter() - start) / calls


def _read_kernel(target: TargetSpec, nbytes: int):
    """out[c, l] = sum over PASSES passes and k of a[k, c, l]: streams ``nbytes`` of a, PASSES
    times per call (so call overhead does not count), with CHAINS vector loads and adds per step."""
    lanes = target.profile.lanes(32)
    steps = nbytes // (4 * CHAINS * lanes)
    a = te.placeholder((steps, CHAINS, lanes), "float32", name="a")
    passes, k = te.reduce_axis((0, PASSES), "passes"), te.reduce_axis((0, steps), "k")
    out = te.compute((CHAINS, lanes), lambda c, lane: te.sum(a[k, c, lane], axis=[passes, k]), name="read")
    sch = Schedule(te.create_prim_func([a, out]))
    block = sch.get_sblock("read")
    c, lane, again, red = sch.get_loops(block)
    sch.reorder(again, red, c, lane)
    sch.unroll(c)
    sch.vectorize(lane)
    sch.decompose_reduction(block, again)
    return build(sch.mod["main"], target)["main"], (steps, CHAINS, lanes)


def l2_read_gbytes_per_core(target: TargetSpec, seconds: float = 0.3) -> float:
    """Sustained read bandwidth of one thread from L2 in GB/s: a 512 KiB buffer (L1 misses, L2
    hits) summed over and over, the best of several timed batches."""
    kernel, shape = _read_kernel(target, L2_RESIDENT_BYTES)
    a, out = torch.rand(shape), torch.empty(shape[1:])
    kernel(a, out)
    calls = max(1, int(seconds / 10 / max(_time(kernel, a, out, calls=1), 1e-7)))
    best = min(_time(kernel, a, out, calls=calls) for _ in range(10))
    return PASSES * a.numel() * 4 / best / 1e9
