"""The quality study: LookupFFN against the GEMM FFN it replaces, on local real text.

Trains every (task, FFN variant, seed) run that is not finished yet, resuming each from its
checkpoint, then prints a markdown table and, with matplotlib (pip install -e ".[plot]"),
writes a plot. Runs write results/quality/<run>.json; interrupt and re-run at will.

Examples:
  python scripts/quality.py                                # the full study (see docs/quality.md for its CPU time)
  python scripts/quality.py --tasks lm --variants ffn,lookup-h64 --seeds 0
  python scripts/quality.py --report                       # table and plot from finished runs only
  python scripts/quality.py --time --threads 1             # step times for the time axis (run it alone)
  python scripts/quality.py --quick                        # tiny smoke run (a minute)
  python scripts/quality.py --pareto --threads 1           # the Pareto study's runs (hours; see docs/quality.md)
  python scripts/quality.py --pareto --minimal --threads 1 # its minimal version (about 1.1 CPU-hours)
  python scripts/quality.py --pareto --time                # its cost axes on this CPU (run it alone)
  python scripts/quality.py --pareto --report              # loss against inference ms, frontier plot
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from pathlib import Path

from lookup_tvm.cpu.threads import add_threads_argument, use_threads

REPO = Path(__file__).resolve().parent.parent
DEFAULT_VARIANTS = "ffn,lookup-h64,lookup-h128,lookup-dense,ffn-flops"


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tasks", default="lm,mlm", help="comma-separated: lm (causal byte LM), mlm (masked LM)")
    p.add_argument("--variants", default=None,
                   help="comma-separated FFN variants: ffn, ffn-<hidden>, ffn-flops, lookup-h<tables>, lookup-dense, "
                        f"lookup-dense-h<tables> (default {DEFAULT_VARIANTS}; --pareto: five dense widths and four "
                        "LookupFFNs)")
    p.add_argument("--seeds", default=None, help="comma-separated seeds (default 0,1,2; --pareto and --quick: 0)")
    p.add_argument("--minimal", action="store_true",
                   help="with --pareto: the minimal study only (dense 256, 512, 1024 and LookupFFN-h64)")
    p.add_argument("--pareto", action="store_true",
                   help="the Pareto study: causal LM, d=512, dense FFNs of five widths against LookupFFNs, into "
                        "results/pareto; with --time it measures the cost axes (costs.json), with --report it "
                        "tabulates loss against inference ms and plots the frontier")
    p.add_argument("--steps", type=int, default=None, help="training steps per run (default 2000; --quick 150)")
    p.add_argument("--eval-every", type=int, default=None, help="steps between evaluations (default 100)")
    p.add_argument("--d-model", type=int, default=None, help="model width (default 256)")
    p.add_argument("--layers", type=int, default=None, help="transformer blocks (default 4)")
    p.add_argument("--heads", type=int, default=None, help="attention heads (default 4)")
    p.add_argument("--context", type=int, default=None, help="bytes per sequence (default 64)")
    p.add_argument("--batch", type=int, default=None, help="sequences per step (default 16)")
    p.add_argument("--lr", type=float, default=None, help="AdamW learning rate (default 2e-3)")
    p.add_argument("--corpus", choices=["stdlib", "docs"], default=None,
                   help="stdlib: the standard library's Python sources (default); docs: pydoc's English topics")
    p.add_argument("--warmup", type=int, default=None, help="linear learning-rate warmup steps (default 0)")
    p.add_argument("--clip", type=float, default=None, help="clip the gradient norm at this value (default: off)")
    p.add_argument("--table-lr", type=float, default=None, help="tables' learning rate multiplier (default 1)")
    p.add_argument("--table-init-std", type=float, default=None, help="tables' initial std (default 0.02)")
    p.add_argument("--score-temperature", type=float, default=None, help="hash z / T (default 1: the spec)")
    p.add_argument("--bounded-scores", action="store_true", help="scores tau*tanh(score/tau) (default: the spec's)")
    p.add_argument("--output-dropout", type=float, default=None, help="dropout on LookupFFN's output (default 0)")
    add_threads_argument(p)
    p.add_argument("--out", type=Path, default=None,
                   help="results folder (default results/quality, --quick: a temp folder)")
    p.add_argument("--report", action="store_true", help="only summarise finished runs")
    p.add_argument("--time", action="store_true",
                   help="measure ms per training step of each task and variant (interleaved, medians) into "
                        "timing.json, the time axis of the report; run it with nothing else on the machine")
    p.add_argument("--alternatives", type=Path, default=None,
                   help="report only: every run in the subfolders of this folder (one training alternative "
                        "each) against the same run in --out (default results/quality) at the same step")
    p.add_argument("--quick", action="store_true", help="tiny model, 150 steps, one seed: a smoke test")
    p.add_argument("--no-diagnostics", action="store_true", help="skip the per-layer hashing diagnostics")
    return p.parse_args(argv)


def study_config(args: argparse.Namespace, base):
    """``base`` with the options given on the command line."""
    overrides = {k: v for k, v in {"steps": args.steps, "eval_every": args.eval_every, "d_model": args.d_model,
                                   "layers": args.layers, "heads": args.heads, "context": args.context,
                                   "batch": args.batch, "lr": args.lr, "corpus": args.corpus, "warmup": args.warmup,
                                   "clip": args.clip, "table_lr": args.table_lr,
                                   "table_init_std": args.table_init_std,
                                   "score_temperature": args.score_temperature,
                                   "bounded_scores": args.bounded_scores or None,
                                   "output_dropout": args.output_dropout}.items() if v is not None}
    return dataclasses.replace(base, **overrides)


def train_all(tasks, variants, seeds, cfg, out: Path, diagnostics: bool) -> None:
    from studies.study import train_run

    for task in tasks:
        for seed in seeds:
            for variant in variants:
                train_run(task, variant, seed, cfg, out, diagnostics=diagnostics,
                          log=lambda line: print(line, flush=True))


def pareto_main(args: argparse.Namespace) -> int:
    """The Pareto study: train (or only report with --report), or measure its cost axes (--time)."""
    from lookup_tvm.cpu.host import current_probe
    from studies.pareto import (MINIMAL, PARETO, QUICK_PARETO, QUICK_VARIANTS, VARIANTS, measure_costs,
                                   pareto_plot, pareto_rows, pareto_table, read_costs, verdicts, write_costs)
    from studies.study import config_dict, load_results

    cfg = study_config(args, QUICK_PARETO if args.quick else PARETO)
    out = args.out or REPO / "results" / "pareto"
    default = QUICK_VARIANTS if args.quick else MINIMAL if args.minimal else VARIANTS
    variants = args.variants.split(",") if args.variants else list(default)
    cpu = current_probe().cpu_model
    if args.time:
        threads = [1] if args.quick else sorted({1, args.threads or os.cpu_count() or 1})
        costs = measure_costs(variants, cfg, cpu, rounds=2 if args.quick else 7, threads=threads)
        print(f"{write_costs(out, costs)}: {json.dumps(costs['inference'])}")
    elif not args.report:
        use_threads(args.threads)
        train_all(["lm"], variants, [int(s) for s in (args.seeds or "0").split(",")], cfg, out, not args.no_diagnostics)
    wanted = dataclasses.asdict(cfg)
    results = [r for r in load_results(out) if r["task"] == "lm" and config_dict(r["config"]) == wanted]
    costs = read_costs(out, cfg)
    if not results or costs is None:
        print(f"no {'finished runs' if not results else 'measured costs (run --pareto --time)'} for {cfg} in {out}",
              file=sys.stderr)
        return 1 if args.report else 0
    rows = pareto_rows(results, costs)
    print(f"\nruns trained on this machine's CPU ({cpu}); costs measured on {costs['cpu']} ({costs['date']}); {cfg}\n")
    print(pareto_table(rows))
    print("\n" + "\n".join(verdicts(rows)))
    try:
        title = f"LookupFFN vs dense FFNs, d={cfg.d_model}, {costs['cpu']}"
        figure = pareto_plot(rows, results, out / "pareto.png", title)
        print(f"\nplot: {figure}")
    except ImportError:
        print("\n(no plot: install matplotlib, pip install -e '.[plot]')")
    return 0


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.pareto:
        return pareto_main(args)

    use_threads(args.threads)
    import tempfile

    from lookup_tvm.cpu.host import current_probe
    from studies.study import (QUICK, TIMING_FILE, StudyConfig, config_dict, load_results, markdown_table, plot,
                                  read_timing, summarize, time_steps, with_step_timing, write_timing)

    cfg = study_config(args, QUICK if args.quick else StudyConfig())
    out = args.out or (Path(tempfile.mkdtemp(prefix="quality-")) if args.quick else REPO / "results" / "quality")
    seeds = [0] if args.quick and args.seeds is None else [int(s) for s in (args.seeds or "0,1,2").split(",")]
    variants = (args.variants or ("ffn,lookup-h64" if args.quick else DEFAULT_VARIANTS)).split(",")
    if args.alternatives:
        from studies.study import alternative_rows, alternatives_table

        folders = sorted(p for p in args.alternatives.iterdir() if p.is_dir())
        runs = [r for folder in folders for r in load_results(folder)]
        print(alternatives_table(alternative_rows(runs, load_results(out))))
        return 0
    if args.time:
        ms = time_steps(args.tasks.split(","), variants, cfg)
        print(f"{write_timing(out, cfg, ms, current_probe().cpu_model)}: {json.dumps(ms)}")
    elif not args.report:
        train_all(args.tasks.split(","), variants, seeds, cfg, out, not args.no_diagnostics)
    results = [r for r in load_results(out) if config_dict(r["config"]) == dataclasses.asdict(cfg)]
    if not results:
        print(f"no finished runs with this configuration in {out}", file=sys.stderr)
        return 1
    timing = read_timing(out, cfg)
    results = with_step_timing(results, timing)
    cpu = current_probe().cpu_model
    clock = (f"time axis: {timing['threads']}-thread step times measured on {timing['cpu']} ({TIMING_FILE})"
             if timing else f"time axis: the training loop's own clock, {results[0]['threads']} thread(s)")
    print(f"\n{cpu}; {clock}; {cfg}\n")
    print(markdown_table(summarize(results)))
    try:
        figure = plot(results, out / f"quality-{cfg.steps}steps.png", f"LookupFFN vs FFN, {cfg.corpus} bytes, {cpu}")
        print(f"\nplot: {figure}")
    except ImportError:
        print("\n(no plot: install matplotlib, pip install -e '.[plot]')")
    return 0


if __name__ == "__main__":
    sys.exit(main())
