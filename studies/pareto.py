"""The Pareto study: validation loss against measured inference cost, LookupFFN against dense
FFNs of every width.

The quality study asks whether LookupFFN learns as well as the FFN it replaces. A user choosing
what to deploy asks which model gives the lowest loss for a given inference cost on their CPU.
Here a causal byte LM (:data:`PARETO`: d=512, 4 blocks) is trained with dense FFNs of several
hidden widths and with LookupFFN at several table counts, all with the same data, steps,
optimizer and learning rate (runs: :func:`studies.study.train_run`, checkpointed and
resumable). The cost axes are measured on this CPU, interleaved, by :func:`measure_costs`:
the whole model's inference latency on a 4096-token batch at 1 thread and at all cores, the
FFN blocks' share of it, the training step and the parameter bytes. :func:`pareto_rows` then
puts each variant against the dense FFNs' frontier.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import torch
from tabulate import tabulate

from lookup_tvm.cpu.threads import run_json_worker, worker_environment
from studies.study import QUICK, StudyConfig, Variant, build_model, read_measurement, time_steps
from lookup_tvm.timing import ParallelismProbe, interleaved

PARETO = StudyConfig(d_model=512, layers=4, heads=8, context=64, batch=16, lr=2.5e-4, steps=1500, eval_every=100,
                     eval_batches=16)
"""The study's model and training, the same for every variant. The learning rate is the best
of a 300-step sweep of the dense FFN (hidden 4d) over 1.25e-4 to 2e-3 (results/pareto-lr:
validation loss 2.24, 2.176, 2.181, 2.268, 2.399)."""
DENSE = ("ffn-128", "ffn-256", "ffn-512", "ffn-1024", "ffn-2048")
LOOKUP = ("lookup-h32", "lookup-h64", "lookup-h128", "lookup-dense")
VARIANTS = DENSE + LOOKUP
MINIMAL = ("ffn-256", "ffn-512", "ffn-1024", "lookup-h64")
"""The smallest study that can answer the question: three dense widths around LookupFFN-h64's
cost and LookupFFN-h64 itself, one seed."""
QUICK_PARETO = dataclasses.replace(QUICK, steps=20, eval_every=10)
QUICK_VARIANTS = ("ffn-32", "ffn-256", "lookup-h16")

INFERENCE_TOKENS = 4096
COSTS_FILE = "costs.json"


def is_dense(variant: str) -> bool:
    return Variant.parse(variant).kind == "vanilla"


def _inference_batch(cfg: StudyConfig) -> torch.Tensor:
    """Token ids [INFERENCE_TOKENS / context, context]: the 4096-token batch the latency is for."""
    shape = (INFERENCE_TOKENS // cfg.context, cfg.context)
    return torch.randint(0, 256, shape, generator=torch.Generator().manual_seed(0))


def _time_inference(variants: list[str], cfg: StudyConfig, threads: int, rounds: int) -> dict[str, Any]:
    """Median ms of the whole model's forward and of its FFN blocks alone (on the hidden states
    of the same batch), every variant interleaved; rounds on a busy machine are rejected when
    more than one thread runs."""
    torch.manual_seed(0)
    models = {v: build_model("lm", v, cfg).eval() for v in variants}
    tokens = _inference_batch(cfg)
    with torch.inference_mode():
        hidden = {v: m.embed(tokens) + m.pos[:cfg.context] for v, m in models.items()}
    def whole(model):
        return lambda: model(tokens)
    def ffns(model, x):
        return lambda: [block.ffn(x) for block in model.blocks]
    candidates = {}
    for variant, model in models.items():
        candidates[f"model {variant}"] = whole(model)
        candidates[f"ffn {variant}"] = ffns(model, hidden[variant])
    probe = ParallelismProbe() if threads > 1 else None
    try:
        with torch.inference_mode():
            samples = interleaved(candidates, rounds=rounds, warmup=2, probe=probe)
    finally:
        if probe:
            probe.close()
    medians = samples.medians()
    return {"model_ms": {v: 1e3 * medians[f"model {v}"] for v in models},
            "ffn_ms": {v: 1e3 * medians[f"ffn {v}"] for v in models}, "rejected_rounds": samples.rejected}


def _parameter_bytes(variant: str, cfg: StudyConfig) -> int:
    """The bytes of the model's state: parameters and buffers (quantized tables are buffers)."""
    return sum(t.numel() * t.element_size() for t in build_model("lm", variant, cfg).state_dict().values())


def _in_worker(what: str, variants: list[str], cfg: StudyConfig, threads: int, rounds: int) -> Any:
    """One measurement in a fresh process on exactly ``threads`` threads (OpenMP workers
    sleeping when idle), as the benchmarks run."""
    args = [what, "--threads", str(threads), "--rounds", str(rounds), "--variants", ",".join(variants),
            "--config", json.dumps(dataclasses.asdict(cfg))]
    return run_json_worker("studies.pareto", args, worker_environment(threads, OMP_WAIT_POLICY="PASSIVE"),
                           f"{what[2:]} costs, {threads} thread(s)")


def measure_costs(variants: list[str], cfg: StudyConfig, cpu: str, rounds: int = 7,
                  threads: list[int] | None = None) -> dict[str, Any]:
    """Every cost axis of every variant on this CPU: inference ms of the whole model and of its
    FFN blocks on a 4096-token batch at each thread count (default 1 and all cores), training
    ms per step at 1 thread (:func:`_train_step_ms`), parameter bytes; each thread count in its
    own process. Models are freshly initialised: the kernels' speed does not depend on the
    learned values. Run it with nothing else on the machine."""
    counts = threads or sorted({1, os.cpu_count() or 1})
    return {
        "cpu": cpu, "date": time.strftime("%Y-%m-%d"), "config": dataclasses.asdict(cfg),
        "inference_tokens": INFERENCE_TOKENS,
        "parameter_bytes": {v: _parameter_bytes(v, cfg) for v in variants},
        "inference": {str(t): _in_worker("--inference", variants, cfg, t, rounds) for t in counts},
        "train_step_ms": _train_step_ms(variants, cfg, rounds),
    }


def _train_step_ms(variants: list[str], cfg: StudyConfig, rounds: int) -> dict[str, float]:
    """Training ms per step at 1 thread; a variant serving quantized tables trains with float ones
    (its float variant's step)."""
    trained = list(dict.fromkeys(_float_variant(v) for v in variants))
    steps = _in_worker("--training", trained, cfg, 1, rounds)
    return {v: steps[_float_variant(v)] for v in variants}


def _float_variant(variant: str) -> str:
    parsed = Variant.parse(variant)
    return variant if parsed.table_format == "float" else variant.rsplit("-", 1)[0]


def write_costs(out: Path, costs: dict[str, Any]) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / COSTS_FILE
    path.write_text(json.dumps(costs, indent=1) + "\n")
    return path


def read_costs(out: Path, cfg: StudyConfig) -> dict[str, Any] | None:
    """The costs measured for this model shape in ``out``, if any (steps do not matter)."""
    return read_measurement(out / COSTS_FILE, cfg)


def _frontier(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The (ms, loss) points no faster point beats on loss, fastest first."""
    front: list[tuple[float, float]] = []
    for ms, loss in sorted(points):
        if not front or loss < front[-1][1]:
            front.append((ms, loss))
    return front


def _frontier_loss_at(front: list[tuple[float, float]], ms: float) -> float | None:
    """The dense frontier's loss at an inference time, linear in log(ms) between its points
    (None outside its range)."""
    for (m0, l0), (m1, l1) in zip(front, front[1:]):
        if m0 <= ms <= m1:
            return l0 + (l1 - l0) * math.log(ms / m0) / math.log(m1 / m0)
    return front[0][1] if len(front) == 1 and math.isclose(front[0][0], ms) else None


def pareto_rows(results: list[dict[str, Any]], costs: dict[str, Any]) -> list[dict[str, Any]]:
    """Per variant with finished runs and measured costs: final validation loss (mean and sd
    over seeds), the cost axes, and against the dense FFNs: the best loss of a dense FFN at
    most as slow (1 thread) and the dense frontier's loss at the same latency."""
    threads = sorted(costs["inference"], key=int)
    rows = []
    order = lambda v: (not is_dense(v), Variant.parse(v).hidden or 0, v)  # noqa: E731  (dense by width first)
    for variant in sorted({r["variant"] for r in results}, key=order):
        group = [r for r in results if r["variant"] == variant]
        if variant not in costs["parameter_bytes"]:
            continue
        finals = [r["history"][-1]["val_loss"] for r in group]
        step_ms = costs["train_step_ms"][variant]
        row = {"variant": variant, "dense": is_dense(variant), "seeds": len(group),
               "steps": group[0]["history"][-1]["step"], "val_loss": statistics.mean(finals),
               "val_loss_sd": statistics.stdev(finals) if len(finals) > 1 else 0.0,
               "parameter_bytes": costs["parameter_bytes"][variant], "train_step_ms": step_ms,
               "train_cpu_s": group[0]["history"][-1]["step"] * step_ms / 1e3,
               "ffn_flops_per_token": group[0]["ffn_flops_per_token"]}
        for t in threads:
            row[f"model_ms_{t}"] = costs["inference"][t]["model_ms"][variant]
            row[f"ffn_share_{t}"] = costs["inference"][t]["ffn_ms"][variant] / row[f"model_ms_{t}"]
        rows.append(row)
    dense = [(r["model_ms_1"], r["val_loss"]) for r in rows if r["dense"]]
    front = _frontier(dense)
    for row in rows:
        point = (row["model_ms_1"], row["val_loss"])
        faster = [loss for ms, loss in dense if ms <= point[0] and (ms, loss) != point]
        row["best_dense_as_fast"] = min(faster) if faster else None
        row["on_frontier"] = row["best_dense_as_fast"] is None or row["val_loss"] < row["best_dense_as_fast"]
        row["dense_frontier_at_same_ms"] = _frontier_loss_at(front, row["model_ms_1"]) if front else None
    return rows


def pareto_table(rows: list[dict[str, Any]]) -> str:
    threads = sorted({k.rsplit("_", 1)[1] for r in rows for k in r if k.startswith("model_ms_")}, key=int)
    def fmt(value, spec):
        return "-" if value is None else format(value, spec)
    table = []
    for r in rows:
        line = [r["variant"], r["seeds"], r["steps"], f"{r['val_loss']:.3f} ± {r['val_loss_sd']:.3f}"]
        line += [f"{r[f'model_ms_{t}']:.1f} ({r[f'ffn_share_{t}']:.0%})" for t in threads]
        line += [f"{r['train_step_ms']:.0f}", f"{r['train_cpu_s'] / 3600:.2f}", f"{r['parameter_bytes'] / 2**20:.1f}",
                 f"{r['ffn_flops_per_token']:,}", fmt(r["best_dense_as_fast"], ".3f"),
                 fmt(r["dense_frontier_at_same_ms"], ".3f"), "yes" if r["on_frontier"] else "no"]
        table.append(line)
    headers = ["FFN", "seeds", "steps", "val loss (mean ± sd)"]
    headers += [f"inference ms, {t} thread{'s' if t != '1' else ''} (FFN share)" for t in threads]
    headers += ["train step ms (1 thread)", "training CPU-hours", "parameters MiB", "FFN FLOPs/token",
                "best dense loss at <= its 1-thread ms", "dense frontier at its ms", "on the frontier"]
    return tabulate(table, headers=headers, tablefmt="github")


def verdicts(rows: list[dict[str, Any]]) -> list[str]:
    """One plain sentence per LookupFFN variant: on the 1-thread frontier or not, and by how much."""
    lines = []
    for r in (r for r in rows if not r["dense"]):
        best, interpolated = r["best_dense_as_fast"], r["dense_frontier_at_same_ms"]
        between = ("" if interpolated is None else
                   f"; the dense frontier interpolated to its latency reaches {interpolated:.3f} "
                   f"({r['val_loss'] - interpolated:+.3f})")
        if best is None:
            lines.append(f"{r['variant']}: faster than every dense FFN measured ({r['model_ms_1']:.1f} ms), "
                         f"so on the frontier at loss {r['val_loss']:.3f}{between}")
        elif r["on_frontier"]:
            lines.append(f"{r['variant']}: on the frontier, loss {r['val_loss']:.3f}, {best - r['val_loss']:.3f} below "
                         f"the best dense FFN at <= {r['model_ms_1']:.1f} ms (1 thread){between}")
        else:
            lines.append(f"{r['variant']}: not on the frontier, loss {r['val_loss']:.3f}, "
                         f"{r['val_loss'] - best:.3f} above "
                         f"a dense FFN at <= {r['model_ms_1']:.1f} ms (1 thread){between}")
    return lines


def pareto_plot(rows: list[dict[str, Any]], results: list[dict[str, Any]], path: Path, title: str) -> Path:
    """Left: final validation loss against 1-thread inference ms, one marker per variant (seed sd
    as error bar), the dense FFNs' frontier as a line. Right: validation loss against training
    CPU-seconds (steps x measured 1-thread step time). Needs matplotlib (the ``plot`` extra)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5))
    front = _frontier([(r["model_ms_1"], r["val_loss"]) for r in rows if r["dense"]])
    left.plot(*zip(*front), "-", color="tab:blue", alpha=0.6, label="dense FFN frontier")
    for r in rows:
        left.errorbar(r["model_ms_1"], r["val_loss"], yerr=r["val_loss_sd"] or None,
                      fmt="o" if r["dense"] else "s", color="tab:blue" if r["dense"] else "tab:red", capsize=3)
        left.annotate(r["variant"], (r["model_ms_1"], r["val_loss"]), textcoords="offset points", xytext=(5, 4),
                      fontsize=8)
    left.set_xscale("log")
    left.set_xlabel(f"model inference ms, {INFERENCE_TOKENS} tokens, 1 thread")
    left.set_ylabel("validation loss (nats/byte)")
    left.legend()
    step_ms = {r["variant"]: r["train_step_ms"] for r in rows}
    for index, variant in enumerate(step_ms):
        for i, run in enumerate(r for r in results if r["variant"] == variant):  # a variant's seeds share a colour
            xs = [h["step"] * step_ms[variant] / 1e3 for h in run["history"]]
            right.plot(xs, [h["val_loss"] for h in run["history"]], "-" if is_dense(variant) else "--",
                       color=f"C{index % 10}", label=variant if i == 0 else None, alpha=0.8)
    right.set_xlabel("training CPU-seconds (steps x measured 1-thread step)")
    right.set_ylabel("validation loss (nats/byte)")
    right.legend(fontsize=8)
    for ax in (left, right):
        ax.grid(alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _worker_main(argv: list[str]) -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--inference", action="store_true")
    p.add_argument("--training", action="store_true")
    p.add_argument("--threads", type=int)
    p.add_argument("--rounds", type=int)
    p.add_argument("--variants")
    p.add_argument("--config")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    cfg, variants = StudyConfig(**json.loads(args.config)), args.variants.split(",")
    if args.inference:
        print(json.dumps(_time_inference(variants, cfg, args.threads, args.rounds)))
    else:
        steps = time_steps(["lm"], variants, cfg, rounds=args.rounds, steps=3, warmup=3)["lm"]
        print(json.dumps(steps))


if __name__ == "__main__":
    _worker_main(sys.argv[1:])
