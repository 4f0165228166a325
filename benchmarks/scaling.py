"""Thread scaling from benchmark rows (:mod:`benchmarks.bench`) measured at several thread
counts: speed-up over 1 thread and parallel efficiency (speed-up / threads) per kernel and
end to end, the fp32 FFN's beside, and a PNG plot of speed-up against threads.

Rows of a simulated many-core host (``simulated_cores``: kernels scheduled for that many
cores, run here on that many threads) are compared with this host's own schedules: their
speed-up over this host's 1-thread run, as a share of the speed-up this host's own schedules
reach at its largest real thread count.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

from tabulate import tabulate

BASELINE = "FFN fp32"


def _series(rows: Iterable[Any]) -> dict[tuple[str, str, int], dict[int, float]]:
    """(group, what, tokens) -> {threads: ms} of the real (not simulated) runs; the fp32 FFN
    of each end-to-end row as its own series."""
    series: dict[tuple[str, str, int], dict[int, float]] = {}
    for row in rows:
        if row.memory_mib is not None or row.simulated_cores:
            continue
        series.setdefault((row.group, row.name, row.tokens), {})[row.threads] = row.subject_ms
        if row.group == "end to end" and BASELINE in row.baselines_ms:
            series.setdefault(("end to end", f"{row.name}: {BASELINE}", row.tokens), {})[row.threads] = \
                row.baselines_ms[BASELINE]
    return series


def scaling_table(rows: list[Any]) -> list[dict[str, Any]]:
    """Per series measured at 1 thread and more: ms, speed-up and efficiency at each count."""
    out = []
    for (group, name, tokens), by_threads in _series(rows).items():
        if 1 not in by_threads or len(by_threads) < 2:
            continue
        base = by_threads[1]
        for threads in sorted(by_threads):
            speedup = base / by_threads[threads]
            out.append({"group": group, "what": name, "tokens": tokens, "threads": threads,
                        "ms": by_threads[threads], "speedup": speedup, "efficiency": speedup / threads})
    return out


def simulated_table(rows: list[Any]) -> list[dict[str, Any]]:
    """Per series of a simulated many-core run: its speed-up over this host's 1-thread run,
    this host's own best real speed-up, and the share the simulated run reaches."""
    real = _series(rows)
    out = []
    for row in rows:
        if not row.simulated_cores or row.memory_mib is not None:
            continue
        by_threads = real.get((row.group, row.name, row.tokens), {})
        if 1 not in by_threads or len(by_threads) < 2:
            continue
        most = max(by_threads)
        own = by_threads[1] / by_threads[most]
        simulated = by_threads[1] / row.subject_ms
        out.append({"group": row.group, "what": row.name, "tokens": row.tokens, "cores": row.simulated_cores,
                    "simulated_speedup": simulated, "own_threads": most, "own_speedup": own,
                    "share": simulated / own})
    return out


def format_scaling(rows: list[Any], markdown: bool = False) -> str:
    fmt = "github" if markdown else "simple"
    parts = []
    scaling = scaling_table(rows)
    if scaling:
        parts.append(tabulate([[r["group"], r["what"], r["tokens"], r["threads"], f"{r['ms']:.2f}",
                                f"{r['speedup']:.2f}x", f"{r['efficiency']:.0%}"] for r in scaling],
                              headers=["group", "what", "tokens", "threads", "ms", "speed-up vs 1 thread",
                                       "parallel efficiency"], tablefmt=fmt, disable_numparse=True))
    simulated = simulated_table(rows)
    if simulated:
        parts.append(tabulate([[r["group"], r["what"], r["tokens"], f"{r['cores']} cores, {r['cores']} threads",
                                f"{r['simulated_speedup']:.2f}x",
                                f"{r['own_speedup']:.2f}x ({r['own_threads']} threads)",
                                f"{r['share']:.0%}"] for r in simulated],
                              headers=["group", "what", "tokens", "simulated host", "speed-up vs 1 thread",
                                       "this host's own schedules", "share"], tablefmt=fmt, disable_numparse=True))
    return "\n\n".join(parts)


def plot_scaling(rows: list[Any], path: Path, title: str) -> bool:
    """Speed-up against threads: one line per end-to-end series (the FFN's dashed) and per
    kernel of the forward, a star per simulated many-core run of the same, and the ideal; False
    (nothing written) without matplotlib or without a scaling series."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    table = scaling_table(rows)
    if not table:
        return False
    fig, ax = plt.subplots(figsize=(8, 5.5))
    simulated = {(r["group"], r["what"], r["tokens"]): r for r in simulated_table(rows)}
    keys = list(dict.fromkeys((r["group"], r["what"], r["tokens"]) for r in table))
    for key in keys:
        group, name, tokens = key
        if group not in ("end to end", "inference breakdown") or name.startswith("framework"):
            continue
        threads, speedups = zip(*[(r["threads"], r["speedup"]) for r in table
                                  if (r["group"], r["what"], r["tokens"]) == key])
        line, = ax.plot(threads, speedups, "--" if BASELINE in name else "-", marker="o",
                        label=f"{name.split('-')[0] if group != 'end to end' else name} ({tokens} tokens)")
        if key in simulated:
            point = simulated[key]
            ax.plot([point["cores"]], [point["simulated_speedup"]], "*", markersize=12, color=line.get_color())
    if simulated:
        ax.plot([], [], "*", color="black", label="scheduled for a simulated many-core host, that many threads")
    most = max(r["threads"] for r in table)  # the ideal up to the real thread counts (not the simulated)
    ax.plot([1, most], [1, most], ":", color="grey", label="ideal")
    ax.set_xlabel("threads")
    ax.set_ylabel("speed-up over 1 thread")
    ax.set_title(title)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True
