"""Benchmarks: LookupFFN (tuned TVM kernels) against PyTorch, end to end and per kernel.

Each thread count runs in its own process (TVM sizes its pool once). Candidates are timed
interleaved round by round with warm-up; with 2+ threads, rounds on a busy machine are
rejected by a parallelism probe (see lookup_tvm.timing). Rates are GFLOP/s by the spec's
FLOP counts; "% peak" is against torch.mm 2048^3 fp32 measured in the same run, "% L2
read" against the L2 read bandwidth of one core (lookup_tvm.calibration) times the threads.
"""
from __future__ import annotations

import argparse
import copy
import dataclasses
import json
import sys
import warnings
from typing import Any, Callable

import torch
from tabulate import tabulate
from torch import nn

from lookup_tvm import onednn
from lookup_tvm.calibration import l2_read_gbytes_per_core
from lookup_tvm.cpu.host import many_core_probe, simulated_host
from lookup_tvm.cpu.isa import host_isa
from lookup_tvm.cpu.resolve import parse_target
from lookup_tvm.cpu.threads import run_json_worker, worker_environment
from lookup_tvm.functional import kernels
from lookup_tvm.kit.buffers import release_buffers
from lookup_tvm.kit.operator import BF16, TABLE_BITS, OpSpec
from lookup_tvm.memory import keep_freed_memory, step_memory
from lookup_tvm.module import LookupFFN
from lookup_tvm.kit.workload import F32_BYTES
from lookup_tvm.ops import make_workload, operators
from lookup_tvm.quantize import packed_columns
from lookup_tvm.spec import STAGES
from lookup_tvm.timing import ParallelismProbe, interleaved

FFN_FLOPS_PER_TOKEN = 4 * 512 * 2048  # 512 -> 2048 -> 512, multiply-adds counted as 2
QUANTIZED_BENCH_TOKENS = (1, 8, 64, 256, 4096)  # ``bench --quantized``: decode to prefill batches


DROPPED: list[str] = []
"""Measurements of this process given up because no round ran on a quiet machine."""


def dropped(what: str) -> None:
    """Report a measurement given up (no clean round) on stderr and keep it for the exit status."""
    print(what, file=sys.stderr)
    DROPPED.append(what)


@dataclasses.dataclass
class Row:
    """One measured comparison: the subject's median and each baseline's, per-round ratios."""

    group: str
    name: str
    tokens: int
    threads: int
    subject_ms: float
    baselines_ms: dict[str, float]
    speedups: dict[str, float]
    gflops: float | None = None
    gbytes: float | None = None
    peak_percent: float | None = None
    rejected: int = 0
    peak_gflops: float | None = None
    share: float | None = None
    memory_mib: dict[str, float] | None = None
    l2_gbytes: float | None = None
    simulated_cores: int | None = None  # kernels scheduled for a simulated host of this many cores
    baseline_paths: dict[str, str] | None = None  # the code a baseline ran (oneDNN's implementation)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def summarize(group: str, name: str, tokens: int, threads: int, samples, subject: str, flops: float = 0.0,
              nbytes: float = 0.0, peak_gflops: float | None = None) -> Row:
    """A Row from interleaved samples: medians, median per-round speed-ups, rates."""
    medians = samples.medians()
    ms = medians[subject] * 1e3
    gflops = flops / medians[subject] / 1e9 if flops else None
    return Row(
        group, name, tokens, threads, ms,
        {k: v * 1e3 for k, v in medians.items() if k != subject},
        {k: samples.ratio(k, subject) for k in medians if k != subject},
        gflops, nbytes / medians[subject] / 1e9 if nbytes else None,
        100 * gflops / peak_gflops if gflops and peak_gflops else None, samples.rejected,
    )


def format_rows(rows: list[Row], markdown: bool = False) -> str:
    """The timing table, then (if measured) the memory table."""
    timed = _format_timed([r for r in rows if r.memory_mib is None], markdown)
    memory = [r for r in rows if r.memory_mib is not None]
    if not memory:
        return timed
    table = [[r.name, r.tokens, r.threads, f"{r.memory_mib['peak_extra']:.0f}", f"{r.memory_mib['saved']:.0f}",
              f"{r.memory_mib['peak_extra'] / max(r.memory_mib['saved'], 1e-9):.2f}",
              f"{r.memory_mib['kept']:.0f}" if "kept" in r.memory_mib else "-"] for r in memory]
    headers = ["memory (own process; its step times are not timings)", "tokens", "threads", "peak extra MiB",
               "saved activations MiB", "ratio", "kept after the step MiB"]
    return timed + "\n\n" + tabulate(table, headers=headers, tablefmt="github" if markdown else "simple",
                                       disable_numparse=True)


def _format_timed(rows: list[Row], markdown: bool) -> str:
    table = []
    for r in rows:
        baselines = "; ".join(f"{k} {v:.2f}" for k, v in r.baselines_ms.items())
        speedups = "; ".join(f"{r.speedups[k]:.2f}x vs {k}" for k in r.baselines_ms)
        table.append([r.group, r.name, r.tokens, r.threads, f"{r.subject_ms:.2f}",
                      f"{1e3 * r.subject_ms / r.tokens:.1f}", baselines or "-", speedups or "-",
                      "-" if r.gflops is None else f"{r.gflops:.1f}", "-" if r.gbytes is None else f"{r.gbytes:.1f}",
                      "-" if r.peak_percent is None else f"{r.peak_percent:.0f}%",
                      "-" if r.gbytes is None or not r.l2_gbytes else f"{100 * r.gbytes / r.l2_gbytes:.0f}%",
                      "-" if r.share is None else f"{r.share:.0%}", r.rejected])
    headers = ["group", "what", "tokens", "threads", "lookup_tvm ms (per call)", "us per token", "PyTorch ms",
               "speed-up", "GFLOP/s", "GB/s", "% fp32 peak", "% L2 read", "share of forward / step", "rejected rounds"]
    paths = [f"{baseline} in {r.name}, {r.tokens} tokens, {r.threads} threads: {path}"
             for r in rows for baseline, path in (r.baseline_paths or {}).items()]
    return tabulate(table, headers=headers, tablefmt="github" if markdown else "simple", disable_numparse=True) + (
        "\n\nWhat the baselines ran:\n" + "\n".join(f"- {line}" for line in paths) if paths else "")


def _peak_gflops(torch, probe) -> float:
    """fp32 peak as torch.mm 2048^3 reaches it here (best of clean rounds: a peak, not a median)."""

    a, b = torch.randn(2048, 2048), torch.randn(2048, 2048)
    samples = interleaved({"mm": lambda: torch.mm(a, b)}, rounds=5, probe=probe)
    return 2 * 2048**3 / min(r["mm"] for r in samples.rounds) / 1e9


def run_one(tokens: int, threads: int, rounds: int, quick: bool) -> list[Row]:
    """All comparisons at one token count, in this process (its thread count set by the caller)."""

    torch.manual_seed(0)
    probe = ParallelismProbe() if threads > 1 else None
    peak = _peak_gflops(torch, probe)
    l2 = threads * l2_read_gbytes_per_core(parse_target("host"))  # one L2 per core
    rows = []
    lookup = LookupFFN(512, 128, 8)
    reference = LookupFFN(512, 128, 8, backend="reference")
    reference.load_state_dict(lookup.state_dict())
    lookup_bf16 = LookupFFN(512, 128, 8, dtype=torch.bfloat16)
    lookup_bf16.load_state_dict(lookup.state_dict())
    ffn = nn.Sequential(nn.LayerNorm(512), nn.Linear(512, 2048), nn.GELU(), nn.Linear(2048, 512))
    ffn_bf16 = nn.Sequential(nn.LayerNorm(512), nn.Linear(512, 2048), nn.GELU(), nn.Linear(2048, 512)).bfloat16()
    ffn_int8 = _dynamic_int8(ffn)
    x = torch.randn(tokens, 512)
    x_bf16 = x.bfloat16()
    lookup_flops = lookup.config.flops_per_token() * tokens

    def measure(group, name, candidates, subject, flops=0.0, nbytes=0.0, paths=None):
        try:
            samples = interleaved(candidates, rounds=rounds, warmup=1, probe=probe)
        except RuntimeError as err:  # every round ran on a busy machine: report it, keep going
            dropped(f"{group} / {name} at {tokens} tokens, {threads} threads: {err}")
            return
        rows.append(summarize(group, name, tokens, threads, samples, subject, flops, nbytes, peak))
        rows[-1].baseline_paths = paths

    with torch.no_grad():
        lookup.eval(), reference.eval()
        candidates: dict[str, Callable[[], object]] = {
            "lookup_tvm": lambda: lookup(x), "FFN fp32": lambda: ffn(x), "FFN bf16": lambda: ffn_bf16(x_bf16)}
        if ffn_int8 is not None:
            candidates["FFN int8 dynamic"] = lambda: ffn_int8(x)
        if not quick and tokens <= 4096:
            candidates["pure-PyTorch LookupFFN"] = lambda: reference(x)
        measure("end to end", "inference (eval)", candidates, "lookup_tvm", lookup_flops)
        rows.extend(_breakdown("inference breakdown", lambda: lookup(x),
                               [(op, params, 1) for op, params in lookup.config.inference_kernels()],
                               tokens, threads, rounds, probe, peak))
        lookup_bf16.eval()
        measure("end to end", "inference (eval), bf16", {"lookup_tvm": lambda: lookup_bf16(x_bf16),
                                                         "FFN bf16": lambda: ffn_bf16(x_bf16)}, "lookup_tvm",
                lookup_flops, paths={"FFN bf16": onednn.describe(lambda: ffn_bf16(x_bf16))})
        rows.extend(_breakdown("inference breakdown, bf16", lambda: lookup_bf16(x_bf16),
                               [(op, params, 1) for op, params in lookup.config.inference_kernels(bf16=True)],
                               tokens, threads, rounds, probe, peak))
    lookup.train(), lookup_bf16.train()

    def step(module, inp):
        def run():
            module.zero_grad(set_to_none=True)
            module(inp).sum().backward()
        return run

    x_grad, x_grad_bf16 = x.clone().requires_grad_(), x_bf16.clone().requires_grad_()
    candidates = {"lookup_tvm": step(lookup, x_grad), "FFN fp32": step(ffn, x_grad),
                  "FFN bf16": step(ffn_bf16, x_grad_bf16)}
    if not quick and tokens <= 4096:
        candidates["pure-PyTorch LookupFFN"] = step(reference, x_grad)
    measure("end to end", "training step (fwd+bwd)", candidates, "lookup_tvm", 3 * lookup_flops)
    measure("end to end", "training step (fwd+bwd), bf16", {"lookup_tvm": step(lookup_bf16, x_grad_bf16),
                                                            "FFN bf16": step(ffn_bf16, x_grad_bf16)},
            "lookup_tvm", 3 * lookup_flops, paths={"FFN bf16": onednn.describe(step(ffn_bf16, x_grad_bf16))})
    rows.extend(_breakdown("training breakdown", step(lookup, x_grad), lookup.config.training_kernels(), tokens,
                           threads, rounds, probe, peak))

    ck = kernels()
    used = lookup.config.inference_kernels(tokens=tokens, cores=ck.target.profile.cores)
    for op, params in used if quick else lookup.config.kernels():
        if operators()[op].tuning_tokens(tokens) < tokens:  # a small-batch kernel: the decode rows time it
            continue
        kernel = ck.get(op, **params)
        load = make_workload(kernel.spec, tokens)
        candidates = {"lookup_tvm": lambda: kernel(*load.args), load.torch_name: load.torch_fn}
        if OpSpec.make(op, **params).bf16:  # the same kernel with float32 storage, on the same token count
            wide = ck.get(op, **{k: v for k, v in params.items() if k != BF16})
            wide_load = make_workload(wide.spec, tokens)
            candidates["lookup_tvm fp32"] = lambda: wide(*wide_load.args)
        measure("kernel", kernel.spec.name, candidates, "lookup_tvm", load.flops, load.bytes)
    if probe:
        probe.close()
    for row in rows:
        row.peak_gflops, row.l2_gbytes = peak, l2
    return rows


def _dynamic_int8(ffn):
    """The FFN with torch's dynamic int8 quantization of its Linear layers (engine x86), as
    CPU servers use it; None where this torch build has no x86 quantized engine."""

    if "x86" not in torch.backends.quantized.supported_engines:
        return None
    torch.backends.quantized.engine = "x86"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.ao.quantization's deprecation notice
        return torch.ao.quantization.quantize_dynamic(copy.deepcopy(ffn), {torch.nn.Linear}, dtype=torch.qint8)


def _breakdown(group: str, whole: Callable[[], object], used: list[tuple[str, dict[str, int], int]], tokens: int,
               threads: int, rounds: int, probe, peak: float | None) -> list[Row]:
    """Each kernel that ``whole`` (a forward or a training step) runs, on inputs of its shapes,
    interleaved with ``whole``: time per call, rates, % of peak and the share of ``whole`` taken
    by all its calls; the rest is framework time (torch ops, allocation, Python)."""

    ck = kernels()
    parts = []
    for op, params, calls in used:
        kernel = ck.get(op, **params)
        parts.append((kernel.spec.name, calls, kernel, make_workload(kernel.spec, tokens)))
    candidates = {"whole": whole}
    candidates.update({name: (lambda k=kernel, a=load.args: k(*a)) for name, _, kernel, load in parts})
    try:
        samples = interleaved(candidates, rounds=rounds, warmup=1, probe=probe)
    except RuntimeError as err:
        dropped(f"{group} at {tokens} tokens, {threads} threads: {err}")
        return []
    medians = samples.medians()
    rows = []
    for name, calls, _, load in parts:
        seconds = medians[name]
        gflops = load.flops / seconds / 1e9 if load.flops else None
        rows.append(Row(group, name if calls == 1 else f"{name} (x{calls})", tokens, threads, seconds * 1e3, {}, {},
                        gflops, load.bytes / seconds / 1e9, 100 * gflops / peak if gflops and peak else None,
                        samples.rejected, share=calls * seconds / medians["whole"]))
    rest = medians["whole"] - sum(calls * medians[name] for name, calls, _, _ in parts)
    rows.append(Row(group, "framework: torch ops, allocation, Python (the rest)", tokens, threads, rest * 1e3, {}, {},
                    rejected=samples.rejected, share=rest / medians["whole"]))
    return rows


def run_memory(tokens: int) -> list[Row]:
    """Training-step memory of LookupFFN and the fp32 FFN at one token count (1 thread), each
    after a warm-up step whose gradients and reused buffers are then freed (so the measured
    step allocates everything it uses, pooled buffers included). Run it where freed memory goes
    back to the system (see run_all)."""
    torch.manual_seed(0)
    models = {"training step, LookupFFN": LookupFFN(512, 128, 8),
              "training step, FFN fp32": nn.Sequential(nn.LayerNorm(512), nn.Linear(512, 2048), nn.GELU(),
                                                       nn.Linear(2048, 512))}
    x = torch.randn(tokens, 512, requires_grad=True)
    rows = []
    for name, module in models.items():
        def step(module=module):
            module.zero_grad(set_to_none=True)
            module(x).sum().backward()

        step()
        module.zero_grad(set_to_none=True)
        release_buffers()
        used = step_memory(step)
        if used is not None:
            rows.append(Row("memory", name, tokens, 1, used.seconds * 1e3, {}, {},
                            memory_mib={"peak_extra": used.peak_extra_bytes / 2**20, "saved": used.saved_bytes / 2**20,
                                        "kept": used.kept_bytes / 2**20}))
    return rows


def run_scaling(tokens: int, threads: int, rounds: int) -> list[Row]:
    """What thread scaling is judged on, fp32 only: the no-gradient forward and the training step
    of LookupFFN, each against the fp32 FFN and with its breakdown into kernels."""
    torch.manual_seed(0)
    probe = ParallelismProbe() if threads > 1 else None
    lookup = LookupFFN(512, 128, 8)
    ffn = nn.Sequential(nn.LayerNorm(512), nn.Linear(512, 2048), nn.GELU(), nn.Linear(2048, 512))
    x = torch.randn(tokens, 512)
    x_grad = x.clone().requires_grad_()
    flops = lookup.config.flops_per_token() * tokens
    rows = []

    def step(module):
        def run():
            module.zero_grad(set_to_none=True)
            module(x_grad).sum().backward()
        return run

    lookup.eval()
    with torch.no_grad():
        rows += _measure_with_breakdown(
            "inference (eval)", {"lookup_tvm": lambda: lookup(x), "FFN fp32": lambda: ffn(x)}, flops,
            "inference breakdown", [(op, p, 1) for op, p in lookup.config.inference_kernels()],
            tokens, threads, rounds, probe)
    lookup.train()
    rows += _measure_with_breakdown(
        "training step (fwd+bwd)", {"lookup_tvm": step(lookup), "FFN fp32": step(ffn)}, 3 * flops,
        "training breakdown", lookup.config.training_kernels(), tokens, threads, rounds, probe)
    if probe:
        probe.close()
    return rows


def _measure_with_breakdown(name: str, candidates: dict[str, Callable[[], object]], flops: float, group: str,
                            used: list[tuple[str, dict[str, int], int]], tokens: int, threads: int, rounds: int,
                            probe) -> list[Row]:
    """One end-to-end comparison (``candidates["lookup_tvm"]`` against the others), then its
    breakdown into the kernels it runs (``used``)."""
    rows = []
    try:
        samples = interleaved(candidates, rounds=rounds, warmup=1, probe=probe)
        rows.append(summarize("end to end", name, tokens, threads, samples, "lookup_tvm", flops))
    except RuntimeError as err:
        dropped(f"{name} at {tokens} tokens, {threads} threads: {err}")
    return rows + _breakdown(group, candidates["lookup_tvm"], used, tokens, threads, rounds, probe, None)




def native_bf16() -> bool:
    """Whether this CPU multiplies bfloat16 natively (AVX512-BF16 or AMX), so PyTorch's bf16 FFN
    is a fair baseline (elsewhere it is emulated, several times slower than fp32)."""
    return bool({"avx512bf16", "amx-bf16"} & host_isa())


def run_decode(tokens: list[int], threads: int, rounds: int) -> list[Row]:
    """Decode-sized batches: the no-gradient forward of LookupFFN (fp32) against the FFN in fp32,
    dynamic int8 and (where the CPU has native bf16) bf16, with each token count's breakdown
    into kernels and the framework's share (Python, dispatch, buffers: the per-call overhead)."""
    torch.manual_seed(0)
    probe = ParallelismProbe() if threads > 1 else None
    lookup = LookupFFN(512, 128, 8).eval()
    ffn = nn.Sequential(nn.LayerNorm(512), nn.Linear(512, 2048), nn.GELU(), nn.Linear(2048, 512)).eval()
    ffn_int8 = _dynamic_int8(ffn)
    ffn_bf16 = copy.deepcopy(ffn).bfloat16() if native_bf16() else None
    hollow = copy.deepcopy(lookup).use_kernels(HollowKernels(kernels()))
    rows = []
    with torch.inference_mode():
        for count in tokens:
            x = torch.randn(count, 512)
            candidates: dict[str, Callable[[], object]] = {"lookup_tvm": lambda: lookup(x), "FFN fp32": lambda: ffn(x)}
            if ffn_int8 is not None:
                candidates["FFN int8 dynamic"] = lambda: ffn_int8(x)
            if ffn_bf16 is not None:
                candidates["FFN bf16"] = lambda x_bf16=x.bfloat16(): ffn_bf16(x_bf16)
            try:
                samples = interleaved(candidates, rounds=rounds, warmup=3, probe=probe)
            except RuntimeError as err:
                dropped(f"decode at {count} tokens, {threads} threads: {err}")
                continue
            rows.append(summarize("decode", "inference (eval)", count, threads, samples, "lookup_tvm",
                                  lookup.config.flops_per_token() * count))
            used = lookup.config.inference_kernels(tokens=count, cores=kernels().target.profile.cores)
            rows.extend(_breakdown("decode breakdown", lambda: lookup(x), [(op, params, 1) for op, params in used],
                                   count, threads, rounds, probe, None))
            rows.append(_overhead(hollow, x, count, threads, rounds))
    if probe:
        probe.close()
    return rows


def run_tables(tokens: list[int], threads: int, rounds: int) -> list[Row]:
    """Serving with quantized tables, per token count and format (int8, int4): the no-gradient
    forward against the same layer on float32 tables and the FFN in fp32, dynamic int8 and
    (native) bf16, with its breakdown; then the gather kernel against FBGEMM's row-wise embedding
    bag of the same bits and our float32-table gather. The forward's bytes (:func:`forward_bytes`)
    give its "% L2 read": the time of reading them once from L2 (the memory floor of a layer whose
    weights are warm) against its own."""
    torch.manual_seed(0)
    probe = ParallelismProbe() if threads > 1 else None
    l2 = threads * l2_read_gbytes_per_core(parse_target("host"))
    lookup = LookupFFN(512, 128, 8).eval()
    with torch.no_grad():
        lookup.tables.normal_(0, 0.05)
    ffn = nn.Sequential(nn.LayerNorm(512), nn.Linear(512, 2048), nn.GELU(), nn.Linear(2048, 512)).eval()
    baselines: dict[str, Callable[[torch.Tensor], object]] = {"LookupFFN fp32 tables": lookup, "FFN fp32": ffn}
    ffn_int8 = _dynamic_int8(ffn)
    if ffn_int8 is not None:
        baselines["FFN int8 dynamic"] = ffn_int8
    if native_bf16():
        ffn_bf16 = copy.deepcopy(ffn).bfloat16()
        baselines["FFN bf16"] = lambda x: ffn_bf16(x.bfloat16())
    ck = kernels()
    cores = ck.target.profile.cores
    rows = []
    layers = {table_format: copy.deepcopy(lookup).quantize_tables(table_format) for table_format in ("int8", "int4")}
    with torch.inference_mode():  # the layers were made outside: inference tensors would rebind the plan per call
        for table_format, quantized in layers.items():
            bits = quantized.quantized_tables().bits
            for count in tokens:
                x = torch.randn(count, 512)
                used = lookup.config.inference_kernels(tokens=count, cores=cores, table_bits=bits)
                candidates = {"lookup_tvm": lambda: quantized(x)}
                candidates.update({name: (lambda f=f: f(x)) for name, f in baselines.items()})
                try:
                    samples = interleaved(candidates, rounds=rounds, warmup=3, probe=probe)
                except RuntimeError as err:
                    dropped(f"{table_format} tables at {count} tokens, {threads} threads: {err}")
                    continue
                nbytes = forward_bytes(lookup.config, count, bits)
                rows.append(summarize("quantized tables", f"inference (eval), {table_format} tables", count, threads,
                                      samples, "lookup_tvm", lookup.config.flops_per_token() * count, nbytes))
                rows.extend(_breakdown(f"{table_format} tables breakdown", lambda: quantized(x),
                                       [(op, params, 1) for op, params in used], count, threads, rounds, probe, None))
                rows.extend(_gather_rows(ck, used[-1], count, threads, rounds, probe))
    if probe:
        probe.close()
    for row in rows:
        row.l2_gbytes = l2
    return rows


def forward_bytes(config, tokens: int, bits: int) -> int:
    """What a no-gradient forward of ``tokens`` tokens must read or write at least once: the front
    end's weights (the folded BH4 weight in float32, norm, projection bias), the distinct table
    rows it gathers (``bits``-bit values with a float32 scale and offset per row; at most every
    row), the output bias, the input and the float32 output."""
    shape = config.bh4_shape
    weights = F32_BYTES * (STAGES * shape["r"] * shape["nb"] * shape["b"] ** 2 + 2 * config.d
                           + config.h * config.tau + config.d_out)
    rows = min(tokens * config.h, config.h * config.rows) * (packed_columns(config.d_out, bits) + 2 * F32_BYTES)
    return weights + rows + F32_BYTES * tokens * (config.d + config.d_out)


def _gather_rows(ck, gather: tuple[str, dict[str, int]], tokens: int, threads: int, rounds: int, probe) -> list[Row]:
    """The quantized gather kernel against FBGEMM's row-wise bag of its bits and the float32-table
    gather that serves the same call."""
    op, params = gather
    kernel = ck.get(op, **params)
    load = make_workload(kernel.spec, tokens)
    wide = ck.get(op, **{k: v for k, v in params.items() if k != TABLE_BITS})
    wide_load = make_workload(wide.spec, tokens)
    candidates = {"lookup_tvm": lambda: kernel(*load.args), load.torch_name: load.torch_fn,
                  "lookup_tvm fp32 tables": lambda: wide(*wide_load.args)}
    try:
        samples = interleaved(candidates, rounds=rounds, warmup=3, probe=probe)
    except RuntimeError as err:
        dropped(f"{kernel.spec.name} at {tokens} tokens, {threads} threads: {err}")
        return []
    return [summarize("kernel", kernel.spec.name, tokens, threads, samples, "lookup_tvm", load.flops, load.bytes)]


class HollowKernels:
    """A kernel set whose kernels do nothing: the real ones' specs (so layouts and tiling are
    the same) with calls that return at once. A layer on it spends only the time around its
    kernels: Python, checks, dispatch, allocation."""

    def __init__(self, real) -> None:
        self.real = real

    def get(self, op: str, **params: int):
        return dataclasses.replace(self.real.get(op, **params), func=lambda *args: None)

    def __getattr__(self, name: str):
        return getattr(self.real, name)


def _overhead(hollow: LookupFFN, x: torch.Tensor, tokens: int, threads: int, rounds: int) -> Row:
    """The per-call overhead of a forward: the layer timed with its kernels hollowed out."""
    samples = interleaved({"hollow": lambda: hollow(x)}, rounds=max(rounds, 50), warmup=3)
    return Row("decode breakdown", "per-call overhead: the forward with no-op kernels (Python, checks, allocation)",
               tokens, threads, samples.medians()["hollow"] * 1e3, {}, {}, rejected=samples.rejected)


def crossovers(rows: list[Row]) -> list[str]:
    """Per thread count and baseline: the smallest decode batch from which LookupFFN is faster
    at every measured batch."""
    lines = []
    decode = [r for r in rows if r.group == "decode"]
    for threads in sorted({r.threads for r in decode}):
        mine = sorted((r for r in decode if r.threads == threads), key=lambda r: r.tokens)
        for baseline in dict.fromkeys(k for r in mine for k in r.speedups):
            wins = [r.speedups.get(baseline, 0) > 1 for r in mine]
            first = next((i for i in range(len(mine)) if all(wins[i:])), None)
            where = f"from {mine[first].tokens} tokens on" if first is not None else "at no measured batch"
            lines.append(f"{threads} thread(s): LookupFFN faster than {baseline} {where}")
    return lines


def _run_worker(args: list[str], env: dict[str, str], what: str) -> list[Row]:
    """The worker's rows; what it dropped joins :data:`DROPPED`."""
    result = run_json_worker("benchmarks.bench", args, env, f"benchmark ({what})")
    DROPPED.extend(result["dropped"])
    return [Row(**r) for r in result["rows"]]


def run_all(tokens: list[int], threads: list[int], rounds: int, quick: bool,
            keep_freed_memory: bool = False, decode: bool = False, simulate_cores: int | None = None,
            scaling: bool = False, tables: bool = False) -> list[Row]:
    """Each thread count in a fresh process, then the memory of a training step in another
    (1 thread; glibc told to return every freed block of 64 KiB or more to the system, so the
    resident high-water mark follows the live tensors); returns every Row. With
    ``keep_freed_memory`` the timing processes run under :func:`lookup_tvm.keep_freed_memory`
    (every model alike: LookupFFN and the PyTorch baselines). With ``decode``, only the decode
    rows (:func:`run_decode`) at each thread count. With ``simulate_cores``, one more process
    builds the kernels for a simulated host of that many cores with this CPU's ISA
    (:func:`lookup_tvm.cpu.host.many_core_probe`) and runs them on that many threads. With
    ``scaling``, only :func:`run_scaling`'s rows; with ``tables``, only :func:`run_tables`'."""
    rows = []
    runs = [(count, None) for count in threads] + ([(simulate_cores, simulate_cores)] if simulate_cores else [])
    for count, simulated in runs:
        env = worker_environment(count, OMP_WAIT_POLICY="PASSIVE")
        args = ["--worker", "--threads", str(count), "--rounds", str(rounds), "--tokens", *map(str, tokens)]
        args += (["--quick"] if quick else []) + (["--keep-freed-memory"] if keep_freed_memory else [])
        args += ["--simulate-cores", str(simulated)] if simulated else []
        what = f"{count} threads" + (f", simulated {simulated}-core host" if simulated else "")
        modes = (["--decode"] if decode else []) + (["--scaling"] if scaling else []) + (["--tables"] if tables else [])
        print(f"measuring: {what}, {', '.join(map(str, tokens))} tokens", file=sys.stderr, flush=True)
        rows += _run_worker(args + modes, env, what)
    if decode or simulate_cores or scaling or tables:
        return rows
    env = worker_environment(1, MALLOC_MMAP_THRESHOLD_="65536")
    print("measuring: a training step's memory, 1 thread", file=sys.stderr, flush=True)
    rows += _run_worker(["--memory", "--threads", "1", "--tokens", *map(str, tokens)], env, "memory")
    return rows


def _worker_main(argv: list[str]) -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--worker", action="store_true")
    p.add_argument("--threads", type=int)
    p.add_argument("--rounds", type=int)
    p.add_argument("--tokens", type=int, nargs="+")
    p.add_argument("--quick", action="store_true")
    p.add_argument("--memory", action="store_true")
    p.add_argument("--keep-freed-memory", action="store_true")
    p.add_argument("--decode", action="store_true")
    p.add_argument("--simulate-cores", type=int, default=None)
    p.add_argument("--scaling", action="store_true")
    p.add_argument("--tables", action="store_true")
    args = p.parse_args(argv)
    if args.simulate_cores:
        with simulated_host(many_core_probe(args.simulate_cores)):
            rows = _measure(args)
        for row in rows:
            row.simulated_cores = args.simulate_cores
    else:
        rows = _measure(args)
    print(json.dumps({"rows": [r.to_json() for r in rows], "dropped": DROPPED}))


def _measure(args) -> list[Row]:
    torch.set_num_threads(args.threads)
    if args.keep_freed_memory:
        keep_freed_memory()
    if args.decode:
        rows = run_decode(args.tokens, args.threads, args.rounds)
    elif args.tables:
        rows = run_tables(args.tokens, args.threads, args.rounds)
    elif args.scaling:
        rows = [r for t in args.tokens for r in run_scaling(t, args.threads, args.rounds)]
    elif args.memory:
        rows = [r for t in args.tokens for r in run_memory(t)]
    else:
        rows = [r for t in args.tokens for r in run_one(t, args.threads, args.rounds, args.quick)]
    return rows


if __name__ == "__main__":
    _worker_main(sys.argv[1:])
