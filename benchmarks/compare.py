"""Compare tuned kernels across CPUs: read ``tuning_logs/<target>/`` directories (and
bench JSON files) and lay out, per kernel and target, the best time, rates, the share of
the fp32 FMA peak for the threads the tuning measured with (the FMA rate measured when the
log was started, ``lookup_tvm.calibration``; logs from before that use the CPU profile's
nominal clock x FMA units x lanes), how many trials reaching 95% of the best took, and the
knob choices that differ."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tabulate import tabulate

from lookup_tvm.cpu.target import TargetSpec
from lookup_tvm.kit.operator import OpSpec
from lookup_tvm.ops import make_workload
from lookup_tvm.tuning.coverage import log_coverage


def trials_to_fraction(history_ms: list[float | None], fraction: float = 0.95) -> int | None:
    """1-based index of the first trial within ``fraction`` of the best (time <= best / fraction)."""
    times = [t for t in history_ms if t is not None]
    if not times:
        return None
    best = min(times)
    for index, value in enumerate(history_ms, 1):
        if value is not None and value <= best / fraction:
            return index
    return None


def load_log(directory: Path) -> dict[str, Any]:
    target = json.loads((directory / "target.json").read_text())
    summary = json.loads((directory / "summary.json").read_text())
    return {"key": directory.name, "target": target, "summary": summary}


def format_coverage(directories: list[Path], markdown: bool = False) -> str:
    """Per log, its coverage of the default layer config's kernels
    (:func:`lookup_tvm.tuning.coverage.log_coverage`): how many are tuned, missing, stale (tuned
    on an older definition) or never verified on the log's own CPU; then the kernels of each
    nonzero count, by name."""
    table, details = [], []
    for directory in directories:
        coverage = log_coverage(directory)
        kinds = {"missing": coverage.missing, "stale": coverage.stale, "unverified": coverage.unverified}
        table.append([directory.name, f"{len(coverage.tuned)}/{coverage.kernels}", *map(len, kinds.values())])
        details += [f"{directory.name} {kind}: {', '.join(names)}" for kind, names in kinds.items() if names]
    return "\n".join([tabulate(table, headers=["log", "tuned", "missing", "stale", "unverified"],
                                tablefmt="github" if markdown else "simple", disable_numparse=True), *details])


def kernel_rows(logs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (kernel, target) with rates computed from the kernel's FLOP and byte counts."""
    rows = []
    for log in logs:
        target = TargetSpec.from_json(log["target"])
        threads = min(int(target.attrs["num-cores"]), log["target"]["measured_on"]["cores"])
        measured = log["target"]["measured_on"].get("fma_gflops_per_core")
        peak = measured * threads if measured else target.profile.peak_gflops(threads)
        for key, entry in sorted(log["summary"].items()):
            spec = OpSpec.make(entry["op"], **entry["params"])
            work = _counts(spec, entry["tokens"])
            seconds = entry["best_ms"] / 1e3
            gflops = work[0] / seconds / 1e9 if work[0] else None
            rows.append({
                "kernel": key, "target": log["key"], "host": log["target"]["measured_on"]["cpu_model"],
                "best_ms": entry["best_ms"], "gflops": gflops,
                "roofline_percent": 100 * gflops / peak if gflops else None,
                "gbytes": work[1] / seconds / 1e9, "trials": entry["trials"],
                "trials_to_95": trials_to_fraction(entry.get("history_ms", [])),
                "choice": entry.get("choice") or entry.get("layout") or {},
            })
    return rows


def _counts(spec: OpSpec, tokens: int) -> tuple[float, float]:
    load = make_workload(spec, tokens)
    return load.flops, load.bytes


ABSENT = "(none)"  # a knob one log's search space had and another's did not


def differing_choices(rows: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Per kernel, the knobs whose value differs between targets (a knob that only some logs
    chose, from an older or newer search space, differs too)."""
    by_kernel: dict[str, list[dict[str, int]]] = {}
    for row in rows:
        by_kernel.setdefault(row["kernel"], []).append(row["choice"])
    return {k: sorted({n for c in cs for n in c if len({json.dumps(x.get(n)) for x in cs}) > 1})
            for k, cs in by_kernel.items()}


def format_comparison(rows: list[dict[str, Any]], markdown: bool = False) -> str:
    differ = differing_choices(rows)
    table = [[
        r["kernel"], r["target"], r["host"], f"{r['best_ms']:.3f}",
        "-" if r["gflops"] is None else f"{r['gflops']:.1f}", f"{r['gbytes']:.1f}",
        "-" if r.get("roofline_percent") is None else f"{r['roofline_percent']:.0f}%",
        f"{r['trials_to_95'] or '-'}/{r['trials']}",
        ", ".join(f"{k}={r['choice'].get(k, ABSENT)}" for k in differ[r["kernel"]]) or "(same)",
    ] for r in rows]
    headers = ["kernel", "target", "measured on", "best ms", "GFLOP/s", "GB/s", "% FMA peak", "trials to 95%",
               "differing choices"]
    return tabulate(table, headers=headers, tablefmt="github" if markdown else "simple", disable_numparse=True)


def plot(rows: list[dict[str, Any]], path: Path) -> None:
    """Bar chart of best times per kernel and target (needs matplotlib: pip install .[plot])."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as err:
        raise RuntimeError("--plot needs matplotlib: pip install -c constraints.txt -e '.[plot]'") from err
    kernels = sorted({r["kernel"] for r in rows})
    targets = sorted({r["target"] for r in rows})
    fig, ax = plt.subplots(figsize=(max(8, len(kernels)), 5))
    width = 0.8 / max(1, len(targets))
    for i, target in enumerate(targets):
        times = {r["kernel"]: r["best_ms"] for r in rows if r["target"] == target}
        ax.bar([k + i * width for k in range(len(kernels))], [times.get(k, 0) for k in kernels], width, label=target)
    ax.set_xticks([k + 0.4 - width / 2 for k in range(len(kernels))], kernels, rotation=60, ha="right", fontsize=7)
    ax.set_ylabel("best ms")
    ax.set_yscale("log")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
