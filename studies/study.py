"""The quality study: does a model with LookupFFN learn as well as with the FFN it replaces?

Two tasks on local real text (no downloads): a byte-level causal LM and masked-LM
pretraining of a pre-norm encoder (15% of bytes masked, BERT's 80/10/10). Five FFN
variants, each trained with a plain ``AdamW(model.parameters())`` from the same seed:

- ``ffn``: the GEMM FFN d -> 4d -> d;
- ``lookup-h64``, ``lookup-h128``: LookupFFN with 64 / 128 tables of 8 bits, BH4 projection;
- ``lookup-dense``: LookupFFN with 64 tables and a dense projection;
- ``ffn-flops``: a GEMM FFN whose hidden width is shrunk to ``lookup-h64``'s FLOPs per token.

Each run checkpoints at every evaluation and resumes from it, so a study runs in pieces.
Results are one JSON per run (validation loss against steps and training seconds, per-layer
hashing diagnostics); :func:`summarize` and :func:`plot` turn them into a table and a figure.
The time axis comes from :func:`time_steps`, measured alone with the variants interleaved
(``timing.json``), so a study may run in pieces, at any thread count, beside other work.
"""
from __future__ import annotations

import dataclasses
import json
import math
import re
import statistics
import time
from pathlib import Path
from typing import Any, Callable

import torch
from tabulate import tabulate
from torch import nn

from lookup_tvm.config import LayerConfig
from studies.corpus import batches, byte_splits
from studies.lm import ByteLM, mask_tokens
from lookup_tvm.module import LookupFFN

TASKS = ("lm", "mlm")
VARIANTS = ("ffn", "lookup-h64", "lookup-h128", "lookup-dense", "ffn-flops")


@dataclasses.dataclass(frozen=True)
class StudyConfig:
    """The model and training shape every run of a study shares."""

    d_model: int = 256
    layers: int = 4
    heads: int = 4
    context: int = 64
    batch: int = 16
    lr: float = 2e-3
    steps: int = 2000
    eval_every: int = 100
    eval_batches: int = 8
    corpus: str = "stdlib"
    max_bytes: int = 4_000_000
    warmup: int = 0
    clip: float = 0.0
    table_lr: float = 1.0
    table_init_std: float = 0.02
    score_temperature: float = 1.0
    bounded_scores: bool = False
    output_dropout: float = 0.0
    """Training alternatives, all off by default: linear learning-rate warmup over ``warmup``
    steps, gradient-norm clipping at ``clip``, the tables' learning rate times ``table_lr``
    (a parameter group), and the :class:`LookupFFN` options of the same names."""

    def lookup_options(self) -> dict[str, Any]:
        return {"table_init_std": self.table_init_std, "score_temperature": self.score_temperature,
                "bounded_scores": self.bounded_scores, "output_dropout": self.output_dropout}


def config_dict(fields: dict[str, Any]) -> dict[str, Any]:
    """A recorded configuration with the fields it predates filled in with their defaults."""
    known = {f.name for f in dataclasses.fields(StudyConfig)}
    return dataclasses.asdict(StudyConfig(**{k: v for k, v in fields.items() if k in known}))


QUICK = StudyConfig(d_model=64, layers=2, heads=2, context=32, batch=8, steps=150, eval_every=50, eval_batches=4,
                    max_bytes=400_000)


@dataclasses.dataclass(frozen=True)
class Variant:
    """One FFN variant by name: ``ffn`` (hidden 4d), ``ffn-<hidden>``, ``ffn-flops`` (hidden
    shrunk to ``lookup-h64``'s FLOPs), ``lookup-h<tables>`` (BH4 projection),
    ``lookup-dense`` (64 tables) or ``lookup-dense-h<tables>`` (dense projection); a LookupFFN
    variant with ``-int8`` or ``-int4`` serves with its tables in that format."""

    name: str
    kind: str
    tables: int = 64
    hidden: int | None = None
    table_format: str = "float"

    @classmethod
    def parse(cls, name: str) -> "Variant":
        if name == "ffn-flops":
            return cls(name, "vanilla")
        if match := re.fullmatch(r"ffn(?:-([1-9]\d*))?", name):
            return cls(name, "vanilla", hidden=int(match[1]) if match[1] else None)
        base, _, table_format = name.rpartition("-") if re.search(r"-int[48]$", name) else (name, "", "float")
        if match := re.fullmatch(r"lookup-h([1-9]\d*)", base):
            return cls(name, "lookup", int(match[1]), table_format=table_format)
        if match := re.fullmatch(r"lookup-dense(?:-h([1-9]\d*))?", base):
            return cls(name, "lookup-dense", int(match[1] or 64), table_format=table_format)
        raise ValueError(f"unknown FFN variant {name!r}: ffn, ffn-<hidden>, ffn-flops, lookup-h<tables>, "
                         "lookup-dense or lookup-dense-h<tables> (LookupFFN ones with -int8 or -int4)")

    def hidden_width(self, d: int) -> int | None:
        """The GEMM FFN's hidden width at model width d (None for LookupFFN)."""
        if self.kind != "vanilla":
            return None
        if self.name == "ffn-flops":
            return flop_matched_hidden(d)
        return self.hidden or 4 * d

    def layer_config(self, d: int) -> LayerConfig:
        """The LookupFFN layer this variant builds at model width d (8-bit codes)."""
        return LayerConfig(d=d, h=self.tables, tau=8, b=min(64, d),
                           projection="dense" if self.kind == "lookup-dense" else "bh4")


def ffn_flops_per_token(variant: str, d: int) -> int:
    """FFN FLOPs per token of a variant at model width d (multiply-add = 2)."""
    parsed = Variant.parse(variant)
    hidden = parsed.hidden_width(d)
    return 4 * d * hidden if hidden else parsed.layer_config(d).flops_per_token()


def flop_matched_hidden(d: int) -> int:
    """Hidden width of a GEMM FFN with lookup-h64's FLOPs per token (4*d*hidden)."""
    return max(1, round(ffn_flops_per_token("lookup-h64", d) / (4 * d)))


def build_model(task: str, variant: str, cfg: StudyConfig) -> ByteLM:
    parsed = Variant.parse(variant)
    return ByteLM(cfg.d_model, cfg.layers, cfg.heads, cfg.context, parsed.kind, parsed.tables, 8, min(64, cfg.d_model),
                  causal=task == "lm", hidden=parsed.hidden_width(cfg.d_model),
                  lookup_options=None if parsed.kind == "vanilla" else {**cfg.lookup_options(),
                                                                         "tables": parsed.table_format})


def make_optimizer(model: nn.Module, cfg: StudyConfig) -> torch.optim.Optimizer:
    """AdamW over ``model.parameters()``; with ``table_lr`` != 1 the LookupFFN tables are their
    own group at ``lr * table_lr``."""
    tables = [m.tables for m in model.modules() if isinstance(m, LookupFFN)]
    if cfg.table_lr == 1.0 or not tables:
        return torch.optim.AdamW(model.parameters(), lr=cfg.lr)
    rest = [p for p in model.parameters() if all(p is not t for t in tables)]
    return torch.optim.AdamW([{"params": rest}, {"params": tables, "lr": cfg.lr * cfg.table_lr}], lr=cfg.lr)


def set_warmup(opt: torch.optim.Optimizer, cfg: StudyConfig, step: int) -> None:
    """Scale each group's learning rate by min(1, (step + 1) / warmup) (no-op without warmup)."""
    if not cfg.warmup:
        return
    for group in opt.param_groups:
        group.setdefault("peak_lr", group["lr"])
        group["lr"] = group["peak_lr"] * min(1.0, (step + 1) / cfg.warmup)


def task_batch(task: str, data: torch.Tensor, cfg: StudyConfig,
               gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs and targets of one batch: next bytes (lm) or masked bytes (mlm, -100 elsewhere)."""
    if task == "lm":
        return batches(data, cfg.batch, cfg.context, gen)
    window, _ = batches(data, cfg.batch, cfg.context, gen)
    return mask_tokens(window, gen)


def loss_of(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return nn.functional.cross_entropy(model(x).reshape(-1, 256), y.reshape(-1), ignore_index=-100)


def unigram_entropy(data: torch.Tensor) -> float:
    """Entropy (nats per byte) of the bytes' frequencies: what a model with no context reaches."""
    p = torch.bincount(data, minlength=256).double()
    p = p[p > 0] / p.sum()
    return float(-(p * p.log()).sum())


def run_name(task: str, variant: str, seed: int) -> str:
    return f"{task}-{variant}-s{seed}"


def train_run(task: str, variant: str, seed: int, cfg: StudyConfig, out: Path, diagnostics: bool = True,
              log: Callable[[str], None] = print) -> dict[str, Any]:
    """Train one run to ``cfg.steps`` (resuming from ``out/<run>.pt``); returns its result,
    also written to ``out/<run>.json``."""
    out.mkdir(parents=True, exist_ok=True)
    name = run_name(task, variant, seed)
    checkpoint, result_file = out / f"{name}.pt", out / f"{name}.json"
    train, valid = byte_splits(cfg.max_bytes, corpus=cfg.corpus)
    torch.manual_seed(seed)
    model = build_model(task, variant, cfg)
    opt = make_optimizer(model, cfg)
    gen = torch.Generator().manual_seed(seed)
    eval_gen = torch.Generator().manual_seed(1234)
    eval_set = [task_batch(task, valid, cfg, eval_gen) for _ in range(cfg.eval_batches)]
    state = {"step": 0, "seconds": 0.0, "history": []}
    if checkpoint.exists():
        saved = torch.load(checkpoint, weights_only=False)
        same = lambda c: {k: v for k, v in config_dict(c).items() if k != "steps"}  # noqa: E731  (more steps extend)
        if same(saved["config"]) != same(dataclasses.asdict(cfg)):
            raise ValueError(f"{checkpoint} was trained with {saved['config']}, not {dataclasses.asdict(cfg)}")
        model.load_state_dict(saved["model"])
        opt.load_state_dict(saved["optimizer"])
        gen.set_state(saved["generator"])
        state = saved["state"]
    layers = [m for m in model.modules() if isinstance(m, LookupFFN)]
    inputs: dict[nn.Module, torch.Tensor] = {}
    for layer in layers:
        layer.register_forward_hook(lambda mod, args, _out: inputs.__setitem__(mod, args[0].detach()))
    step_times = []
    while state["step"] < cfg.steps:
        x, y = task_batch(task, train, cfg, gen)
        start = time.perf_counter()
        set_warmup(opt, cfg, state["step"])
        loss = loss_of(model, x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if cfg.clip:
            nn.utils.clip_grad_norm_(model.parameters(), cfg.clip)
        opt.step()
        step_times.append(time.perf_counter() - start)
        state["seconds"] += step_times[-1]
        state["step"] += 1
        if state["step"] % cfg.eval_every == 0 or state["step"] == cfg.steps:
            model.eval()
            with torch.no_grad():
                val = sum(loss_of(model, vx, vy).item() for vx, vy in eval_set) / len(eval_set)
            model.train()
            point = {"step": state["step"], "seconds": round(state["seconds"], 3), "train_loss": loss.item(),
                     "val_loss": val}
            if diagnostics and layers:
                point["diagnostics"] = [layer.diagnostics(inputs[layer]) for layer in layers]
            state["history"].append(point)
            log(f"{name}: step {state['step']}/{cfg.steps} val {val:.4f} ({state['seconds']:.0f} s)")
            torch.save({"config": dataclasses.asdict(cfg), "model": model.state_dict(), "optimizer": opt.state_dict(),
                        "generator": gen.get_state(), "state": state}, checkpoint)
    result = {"task": task, "variant": variant, "seed": seed, "config": dataclasses.asdict(cfg),
              "parameters": sum(p.numel() for p in model.parameters()),
              "ffn_flops_per_token": ffn_flops_per_token(variant, cfg.d_model),
              "threads": torch.get_num_threads(), "history": state["history"],
              "unigram_entropy": unigram_entropy(valid)}
    result_file.write_text(json.dumps(result, indent=1) + "\n")
    return result


def load_results(out: Path) -> list[dict[str, Any]]:
    """Every finished run's result in ``out`` (the files :func:`run_name` names)."""
    return [json.loads(p.read_text()) for p in sorted(out.glob("*.json"))
            if re.fullmatch(rf"({'|'.join(TASKS)})-.+-s\d+", p.stem)]


TIMING_FILE = "timing.json"


def time_steps(tasks: list[str], variants: list[str], cfg: StudyConfig, rounds: int = 7, steps: int = 5,
               warmup: int = 3) -> dict[str, dict[str, float]]:
    """Median milliseconds per training step (forward, backward, AdamW) of each task and
    variant, the variants interleaved round by round so that drifts of the machine hit all
    alike. Run it alone: the study's curves put steps on the time axis with these figures."""
    train, _ = byte_splits(cfg.max_bytes, corpus=cfg.corpus)
    timing: dict[str, dict[str, float]] = {}
    for task in tasks:
        runs = {}
        for variant in variants:
            torch.manual_seed(0)
            model = build_model(task, variant, cfg)
            runs[variant] = (model, make_optimizer(model, cfg), torch.Generator().manual_seed(0))
        samples: dict[str, list[float]] = {v: [] for v in variants}
        for round_index in range(rounds + 1):
            for variant, (model, opt, gen) in runs.items():
                start = time.perf_counter()
                for _ in range(warmup if round_index == 0 else steps):
                    x, y = task_batch(task, train, cfg, gen)
                    loss = loss_of(model, x, y)
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    opt.step()
                if round_index:
                    samples[variant].append(1e3 * (time.perf_counter() - start) / steps)
        timing[task] = {v: statistics.median(ms) for v, ms in samples.items()}
    return timing


def write_timing(out: Path, cfg: StudyConfig, ms_per_step: dict[str, dict[str, float]], cpu: str) -> Path:
    """Record :func:`time_steps`'s figures with the CPU, thread count and date."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / TIMING_FILE
    path.write_text(json.dumps({"cpu": cpu, "threads": torch.get_num_threads(), "date": time.strftime("%Y-%m-%d"),
                                "config": dataclasses.asdict(cfg), "ms_per_step": ms_per_step}, indent=1) + "\n")
    return path


def read_measurement(path: Path, cfg: StudyConfig) -> dict[str, Any] | None:
    """A measurement file (with its ``config``) if it was taken for this configuration's model
    and data (steps and evaluation spacing do not matter), else None."""
    if not path.exists():
        return None
    measured = json.loads(path.read_text())
    same = lambda c: {k: v for k, v in config_dict(c).items() if k not in ("steps", "eval_every")}  # noqa: E731
    return measured if same(measured["config"]) == same(dataclasses.asdict(cfg)) else None


def read_timing(out: Path, cfg: StudyConfig) -> dict[str, Any] | None:
    """The step timing measured for this configuration in ``out`` (:func:`time_steps`), if any."""
    return read_measurement(out / TIMING_FILE, cfg)


def with_step_timing(results: list[dict[str, Any]], timing: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Results whose evaluation points carry ``seconds`` = step x the measured time per step
    (the training loop's own clock is kept where no timing was measured)."""
    if timing is None:
        return results
    timed = []
    for r in results:
        ms = timing["ms_per_step"].get(r["task"], {}).get(r["variant"])
        if ms is None:
            timed.append(r)
            continue
        history = [{**h, "seconds": h["step"] * ms / 1e3} for h in r["history"]]
        timed.append({**r, "history": history})
    return timed


def _loss_at_seconds(history: list[dict[str, Any]], seconds: float) -> float:
    """Validation loss at a training time, interpolated between evaluations."""
    points = [(0.0, history[0]["val_loss"])] + [(h["seconds"], h["val_loss"]) for h in history]
    for (t0, l0), (t1, l1) in zip(points, points[1:]):
        if t0 <= seconds <= t1:
            return l0 + (l1 - l0) * (seconds - t0) / max(t1 - t0, 1e-9)
    return points[-1][1]


def _diagnostic(runs: list[dict[str, Any]], key: str, skip_first: bool = False) -> list[float]:
    """One diagnostic over every layer and evaluation of some runs (optionally not the first)."""
    return [layer[key] for run in runs for point in run["history"][1 if skip_first else 0:]
            for layer in point.get("diagnostics", [])]


def _variants_in(runs: list[dict[str, Any]]) -> list[str]:
    """The variants of some runs: the study's five in their order, then any others by name."""
    present = {r["variant"] for r in runs}
    return [v for v in VARIANTS if v in present] + sorted(present - set(VARIANTS))


def summarize(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per task and variant: seeds, final validation loss (mean, sd), ms per step, the loss at
    the wall-clock time the fastest variant of the task needed for all steps."""
    rows = []
    for task in TASKS:
        runs = [r for r in results if r["task"] == task]
        if not runs:
            continue
        horizon = min(r["history"][-1]["seconds"] for r in runs)
        for variant in _variants_in(runs):
            group = [r for r in runs if r["variant"] == variant]
            if not group:
                continue
            finals = [r["history"][-1]["val_loss"] for r in group]
            timed = [_loss_at_seconds(r["history"], horizon) for r in group]
            rows.append({
                "task": task, "variant": variant, "seeds": len(group), "steps": group[0]["history"][-1]["step"],
                "parameters": group[0]["parameters"], "ffn_flops_per_token": group[0]["ffn_flops_per_token"],
                "ms_per_step": 1e3 * statistics.median(r["history"][-1]["seconds"] / r["history"][-1]["step"]
                                                       for r in group),
                "val_loss": statistics.mean(finals),
                "val_loss_sd": statistics.stdev(finals) if len(finals) > 1 else 0.0,
                "val_loss_at_horizon": statistics.mean(timed), "horizon_s": horizon,
                "max_mean_abs_z": max(_diagnostic(group, "mean_abs_z"), default=math.nan),
                "min_rows_hit": min(_diagnostic(group, "rows_hit_vs_uniform", skip_first=True), default=math.nan),
            })
    return rows


LAST_EVALUATIONS = 5


def _mean_loss(run: dict[str, Any], steps: list[int]) -> float | None:
    """Mean validation loss of a run over some evaluation steps (None if it lacks one)."""
    losses = {h["step"]: h["val_loss"] for h in run["history"]}
    return statistics.mean(losses[s] for s in steps) if all(s in losses for s in steps) else None


def alternative_rows(results: list[dict[str, Any]], baseline: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each run of a training alternative against the baseline run of the same task, variant
    and seed: the settings that differ, the mean validation loss over the alternative's last
    :data:`LAST_EVALUATIONS` evaluations and the baseline's over the same steps (one
    evaluation is noisy), and the hashing health of the alternative."""
    ignore = ("steps", "eval_every")
    rows = []
    for run in results:
        base = next((b for b in baseline if (b["task"], b["variant"], b["seed"]) ==
                     (run["task"], run["variant"], run["seed"])), None)
        step = run["history"][-1]["step"]
        steps = [h["step"] for h in run["history"][-LAST_EVALUATIONS:]]
        base_loss = _mean_loss(base, steps) if base else None
        config, base_config = config_dict(run["config"]), config_dict(base["config"]) if base else {}
        changed = {k: v for k, v in config.items() if k not in ignore and base_config.get(k) != v}
        rows.append({"task": run["task"], "variant": run["variant"], "seed": run["seed"], "step": step,
                     "change": ", ".join(f"{k}={v}" for k, v in changed.items()) or "none",
                     "val_loss": _mean_loss(run, steps), "baseline_val_loss": base_loss,
                     "max_mean_abs_z": max(_diagnostic([run], "mean_abs_z"), default=math.nan),
                     "min_rows_hit": min(_diagnostic([run], "rows_hit_vs_uniform", skip_first=True), default=math.nan)})
    return sorted(rows, key=lambda r: (r["task"], r["variant"], r["change"]))


def alternatives_table(rows: list[dict[str, Any]]) -> str:

    table = [[r["task"], r["variant"], r["change"], r["step"], f"{r['val_loss']:.3f}",
              "-" if r["baseline_val_loss"] is None else f"{r['baseline_val_loss']:.3f}",
              "-" if r["baseline_val_loss"] is None else f"{r['val_loss'] - r['baseline_val_loss']:+.3f}",
              "-" if math.isnan(r["max_mean_abs_z"]) else f"{r['max_mean_abs_z']:.2f}",
              "-" if math.isnan(r["min_rows_hit"]) else f"{r['min_rows_hit']:.0%}"] for r in rows]
    headers = ["task", "FFN", "change", "step", f"val loss (last {LAST_EVALUATIONS} evals)", "baseline", "difference",
               "max mean abs(z)",
               "min rows hit (vs uniform codes)"]
    return tabulate(table, headers=headers, tablefmt="github")


def markdown_table(rows: list[dict[str, Any]]) -> str:

    table = [[r["task"], r["variant"], r["seeds"], r["steps"], f"{r['parameters']:,}", f"{r['ffn_flops_per_token']:,}",
              f"{r['ms_per_step']:.0f}", f"{r['val_loss']:.3f} ± {r['val_loss_sd']:.3f}",
              f"{r['val_loss_at_horizon']:.3f} ({r['horizon_s']:.0f} s)",
              "-" if math.isnan(r["max_mean_abs_z"]) else f"{r['max_mean_abs_z']:.2f}",
              "-" if math.isnan(r["min_rows_hit"]) else f"{r['min_rows_hit']:.0%}"] for r in rows]
    headers = ["task", "FFN", "seeds", "steps", "parameters", "FFN FLOPs/token", "ms/step", "val loss (mean ± sd)",
               "val loss at equal time", "max mean abs(z)", "min rows hit (vs uniform codes)"]
    return tabulate(table, headers=headers, tablefmt="github")


def plot(results: list[dict[str, Any]], path: Path, title: str) -> Path:
    """Validation loss against steps and against training seconds, per task, with the seeds'
    range as a band. Needs matplotlib (the ``plot`` extra)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tasks = [t for t in TASKS if any(r["task"] == t for r in results)]
    fig, axes = plt.subplots(len(tasks), 2, figsize=(12, 4.2 * len(tasks)), squeeze=False)
    for row, task in enumerate(tasks):
        for variant in _variants_in([r for r in results if r["task"] == task]):
            group = [r for r in results if r["task"] == task and r["variant"] == variant]
            if not group:
                continue
            steps = [h["step"] for h in group[0]["history"]]
            losses = torch.tensor([[h["val_loss"] for h in r["history"]] for r in group
                                   if len(r["history"]) == len(steps)])
            seconds = torch.tensor([[h["seconds"] for h in r["history"]] for r in group
                                    if len(r["history"]) == len(steps)]).mean(0)
            for col, xs in enumerate((steps, seconds.tolist())):
                ax = axes[row][col]
                ax.plot(xs, losses.mean(0).tolist(), label=variant)
                ax.fill_between(xs, losses.min(0).values.tolist(), losses.max(0).values.tolist(), alpha=0.2)
        for col, label in enumerate(("training steps", "training seconds (steps x measured step time)")):
            ax = axes[row][col]
            ax.set_xlabel(label)
            ax.set_ylabel(f"{task} validation loss (nats/byte)")
            ax.grid(alpha=0.3)
            ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
