"""What quantized tables cost in quality, and what they save in time: trained LookupFFN runs of
the Pareto study evaluated with their tables in int8 and 4-bit.

Per checkpoint (``<task>-<variant>-s<seed>.pt`` of :func:`studies.study.train_run`): the validation
loss with float tables, then with the tables quantized after training (every layer,
:func:`lookup_tvm.quantize_tables`), each on the same validation batches (the change is paired:
the batches' noise cancels). Where a format's change exceeds its goal (:data:`GOALS`), the run is
fine-tuned ``finetune_steps`` more steps with the tables fake-quantized (straight-through) and
then quantized, against the float model fine-tuned the same steps from the same state (so the
extra training does not count as recovered quality).

:func:`pareto_points` then puts the quantized variants next to the float ones and the dense
FFNs on the study's loss-against-latency plane, with latencies measured on this CPU
(:func:`studies.pareto.measure_costs`).
"""
from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from pathlib import Path
from typing import Any

import torch
from tabulate import tabulate

from lookup_tvm import quantize_tables
from studies.corpus import byte_splits
from studies.study import StudyConfig, build_model, config_dict, loss_of, make_optimizer, task_batch

FORMATS = ("int8", "int4")
GOALS = {"int8": 0.005, "int4": 0.02}
"""The largest validation-loss change (nats/byte) each format may cost."""
EVAL_SEED = 1234  # the validation batches train_run evaluates on


def load_run(checkpoint: Path) -> tuple[torch.nn.Module, dict[str, Any], StudyConfig]:
    """The model of a train_run checkpoint, its saved state and its config."""
    saved = torch.load(checkpoint, weights_only=False)
    cfg = StudyConfig(**config_dict(saved["config"]))
    task, variant = checkpoint.stem.split("-", 1)[0], checkpoint.stem.split("-", 1)[1].rsplit("-s", 1)[0]
    model = build_model(task, variant, cfg)
    model.load_state_dict(saved["model"])
    return model, saved, cfg


def validation_loss(model: torch.nn.Module, eval_set: list) -> float:
    model.eval()
    with torch.no_grad():
        return sum(loss_of(model, x, y).item() for x, y in eval_set) / len(eval_set)


def fine_tune(model: torch.nn.Module, saved: dict[str, Any], cfg: StudyConfig, task: str, train: torch.Tensor,
              steps: int, table_format: str) -> torch.nn.Module:
    """A copy of ``model`` trained ``steps`` more steps from the saved optimizer state, with its
    tables fake-quantized as ``table_format`` (``"float"``: plain), on the run's next batches."""
    model = copy.deepcopy(model)
    for layer in _layers(model):
        layer.fake_quantize_tables(table_format)
    opt = make_optimizer(model, cfg)
    opt.load_state_dict(saved["optimizer"])
    gen = torch.Generator()
    gen.set_state(saved["generator"])
    model.train()
    for _ in range(steps):
        x, y = task_batch(task, train, cfg, gen)
        loss = loss_of(model, x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    for layer in _layers(model):
        layer.fake_quantize_tables("float")
    return model


def _layers(model: torch.nn.Module) -> list:
    from lookup_tvm import LookupFFN

    return [m for m in model.modules() if isinstance(m, LookupFFN)]


def evaluate_checkpoint(checkpoint: Path, eval_batches: int, finetune_steps: int,
                        log=print) -> dict[str, Any]:
    """One run's validation loss with float, int8 and 4-bit tables (post-training, and after a
    fake-quantized fine-tune where post-training misses the goal), and the tables' bytes."""
    model, saved, cfg = load_run(checkpoint)
    task = checkpoint.stem.split("-", 1)[0]
    train, valid = byte_splits(cfg.max_bytes, corpus=cfg.corpus)
    gen = torch.Generator().manual_seed(EVAL_SEED)
    eval_set = [task_batch(task, valid, cfg, gen) for _ in range(eval_batches)]
    start = time.perf_counter()
    result: dict[str, Any] = {"run": checkpoint.stem, "step": saved["state"]["step"], "eval_batches": eval_batches,
                              "float": validation_loss(model, eval_set),
                              "table_mib": {"float": sum(layer.tables.numel() * 4 for layer in _layers(model)) / 2**20}}
    for table_format in FORMATS:
        quantized = copy.deepcopy(model)
        quantize_tables(quantized, table_format)
        result[table_format] = validation_loss(quantized, eval_set)
        result["table_mib"][table_format] = sum(layer.quantized_tables().nbytes for layer in _layers(quantized)) / 2**20
        change = result[table_format] - result["float"]
        log(f"{checkpoint.stem}: {table_format} {change:+.4f} ({time.perf_counter() - start:.0f} s)")
        if finetune_steps and change > GOALS[table_format]:
            tuned = fine_tune(model, saved, cfg, task, train, finetune_steps, table_format)
            plain = fine_tune(model, saved, cfg, task, train, finetune_steps, "float")
            quantize_tables(tuned, table_format)
            after = {"steps": finetune_steps, "quantized": validation_loss(tuned, eval_set),
                     "float": validation_loss(plain, eval_set)}
            result[f"{table_format}_finetuned"] = after
            log(f"{checkpoint.stem}: {table_format} after {finetune_steps} fake-quantized steps "
                f"{after['quantized'] - after['float']:+.4f}")
    return result


def quality_rows(results: list[dict[str, Any]]) -> list[list[str]]:
    """Per run and format: loss change post-training (and after the fine-tune), against the goal."""
    rows = []
    for r in results:
        for table_format in FORMATS:
            change = r[table_format] - r["float"]
            tuned = r.get(f"{table_format}_finetuned")
            after = "-" if tuned is None else f"{tuned['quantized'] - tuned['float']:+.4f} ({tuned['steps']} steps)"
            best = change if tuned is None else tuned["quantized"] - tuned["float"]
            rows.append([r["run"], r["step"], table_format, f"{r['float']:.4f}", f"{r[table_format]:.4f}",
                         f"{change:+.4f}", after, f"{GOALS[table_format]:.3f}", "yes" if best <= GOALS[table_format]
                         else "no", f"{r['table_mib']['float']:.0f} -> {r['table_mib'][table_format]:.1f}"])
    return rows


QUALITY_HEADERS = ["run", "step", "tables", "val loss, float tables", "val loss, quantized", "change",
                   "change after a fake-quantized fine-tune (vs float fine-tuned alike)", "goal", "met",
                   "tables MiB (all layers)"]


def pareto_points(results: list[dict[str, Any]], recorded: list[dict[str, Any]], step: int) -> list[dict[str, Any]]:
    """Results as :func:`studies.pareto.pareto_rows` takes them, all at ``step``, from the study's
    recorded runs (``recorded``: their validation loss at that step, on the study's own validation
    batches): every dense run, and per LookupFFN run evaluated here the variants ``<variant>``
    (its recorded loss, or this evaluation's where the study has no such run), ``<variant>-int8``
    and ``<variant>-int4`` (that loss plus the change measured here, paired on the same batches)."""
    from studies.pareto import is_dense
    from studies.study import ffn_flops_per_token

    at_step = {}
    for run in recorded:
        history = [h for h in run["history"] if h["step"] <= step]
        if history and history[-1]["step"] == step:
            at_step[(run["task"], run["variant"], run["seed"])] = {**run, "history": history}
    points = [run for key, run in at_step.items() if is_dense(key[1])]
    for r in results:
        task, rest = r["run"].split("-", 1)
        variant, seed = rest.rsplit("-s", 1)
        run = at_step.get((task, variant, int(seed)))
        base = run["history"][-1]["val_loss"] if run else r["float"]
        for table_format in ("float",) + FORMATS:
            name = variant if table_format == "float" else f"{variant}-{table_format}"
            points.append({"task": task, "variant": name, "seed": int(seed),
                           "ffn_flops_per_token": ffn_flops_per_token(variant, 512),
                           "history": [{"step": step, "val_loss": base + r[table_format] - r["float"]}]})
    return points


def pareto_report(results: list[dict[str, Any]], study_dir: Path, out: Path, cpu: str, rounds: int) -> str:
    """The Pareto table and plot with the quantized variants (:func:`pareto_points` from the runs
    recorded in ``study_dir``) at the results' step, inference latencies measured here
    (``out/costs.json``, measured once and then read back)."""
    from studies.pareto import PARETO, measure_costs, pareto_plot, pareto_rows, pareto_table, read_costs, write_costs
    from studies.study import load_results

    step = min(r["step"] for r in results)
    points = pareto_points(results, load_results(study_dir), step)
    costs = read_costs(out, PARETO)
    variants = list(dict.fromkeys(p["variant"] for p in points))
    if costs is None or set(variants) - set(costs["parameter_bytes"]):
        costs = measure_costs(variants, PARETO, cpu, rounds)
        write_costs(out, costs)
    rows = pareto_rows(points, costs)
    pareto_plot(rows, points, out / "pareto.png", f"{costs['cpu']}: quantized tables, all models at step {step}")
    return pareto_table(rows)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=Path, required=True, help="directory of train_run checkpoints (*.pt)")
    p.add_argument("--out", type=Path, required=True,
                   help="where quality.json, quality.md and the Pareto files go (an existing quality.json and "
                        "costs.json are read back, not measured again)")
    p.add_argument("--eval-batches", type=int, default=64)
    p.add_argument("--finetune-steps", type=int, default=100,
                   help="fake-quantized fine-tune where post-training misses the goal (0: none)")
    p.add_argument("--pareto", type=Path, default=None, metavar="DIR",
                   help="also place the runs on the Pareto plane with the study's runs recorded in DIR (their loss "
                        "at the checkpoints' step), latencies measured on this CPU")
    p.add_argument("--rounds", type=int, default=5, help="rounds per cost measurement (default 5)")
    args = p.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    saved = args.out / "quality.json"
    if saved.exists():
        results = json.loads(saved.read_text())
    else:
        results = [evaluate_checkpoint(c, args.eval_batches, args.finetune_steps,
                                       log=lambda m: print(m, file=sys.stderr)) for c in sorted(args.runs.glob("*.pt"))]
        saved.write_text(json.dumps(results, indent=1) + "\n")
    table = tabulate(quality_rows(results), headers=QUALITY_HEADERS, tablefmt="github", disable_numparse=True)
    (args.out / "quality.md").write_text(table + "\n")
    print(table)
    if args.pareto:
        from lookup_tvm.cpu.host import current_probe

        report = pareto_report(results, args.pareto, args.out, current_probe().cpu_model, args.rounds)
        (args.out / "pareto.md").write_text(report + "\n")
        print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
