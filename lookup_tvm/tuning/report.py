"""The table tune.py prints: per kernel, untuned default vs tuned vs the PyTorch baseline."""
from __future__ import annotations

from typing import Any

from tabulate import tabulate

from lookup_tvm.kernels import CompiledKernels, DefaultSchedules
from lookup_tvm.ops import kernel_key, make_workload, operators
from lookup_tvm.sources.chosen import tuned_schedules
from lookup_tvm.sources.logs import TuningLog
from lookup_tvm.timing import interleaved_medians


def measure_kernels(log: TuningLog, kernels: list[tuple[str, dict[str, int]]], tokens: int,
                    rounds: int = 5) -> list[dict[str, Any]]:
    """Time each (operator, shape) kernel, default and tuned, and its PyTorch counterpart,
    interleaved, on this host."""
    default = CompiledKernels(log.target, DefaultSchedules())
    tuned = CompiledKernels(log.target, tuned_schedules(log))
    rows = []
    for op, params in kernels:
        default_kernel, tuned_kernel = default.get(op, **params), tuned.get(op, **params)
        count = operators()[op].tuning_tokens(tokens)
        default_load, tuned_load = make_workload(default_kernel.spec, count), make_workload(tuned_kernel.spec, count)
        times = interleaved_medians({
            "default": lambda: default_kernel(*default_load.args),
            "tuned": lambda: tuned_kernel(*tuned_load.args),
            "torch": tuned_load.torch_fn,
        }, rounds=rounds)
        rows.append({"kernel": kernel_key(op, params), "tokens": count, "baseline": tuned_load.torch_name,
                     "flops": tuned_load.flops, "bytes": tuned_load.bytes, **{k: v * 1e3 for k, v in times.items()}})
    return rows


def format_table(rows: list[dict[str, Any]]) -> str:
    def rate(amount: float, ms: float) -> str:
        return f"{amount / ms / 1e6:.1f}" if amount else "-"

    table = [[
        r["kernel"], r["tokens"], f"{r['default']:.3f}", f"{r['tuned']:.3f}", f"{r['torch']:.3f}", r["baseline"],
        rate(r["flops"], r["tuned"]), rate(r["bytes"], r["tuned"]),
        f"{r['default'] / r['tuned']:.2f}x", f"{r['torch'] / r['tuned']:.2f}x",
    ] for r in rows]
    headers = ["kernel", "tokens", "default ms", "tuned ms", "torch ms", "torch baseline", "tuned GFLOP/s",
               "tuned GB/s", "tuned vs default", "tuned vs torch"]
    return tabulate(table, headers=headers, disable_numparse=True)
