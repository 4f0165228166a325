"""The quality study: LookupFFN against the GEMM FFN it replaces, on local real text.

Trains every (task, FFN variant, seed) run that is not finished yet, resuming each from its
checkpoint, then prints a markdown table and, with matplotlib (pip install -e ".[plot]"),
writes a plot. Runs write results/quality/<run>.json; interrupt and re-run at will.

Examples:
  python scripts/quality.py                                # the full study (see README for its CPU time)
  python scripts/quality.py --tasks lm --variants ffn,lookup-h64 --seeds 0
  python scripts/quality.py --report                       # table and plot from finished runs only
  python scripts/quality.py --time --threads 1             # step times for the time axis (run it alone)
  python scripts/quality.py --quick                        # tiny smoke run (a minute)
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

from lookup_tvm.cpu.threads import add_threads_argument, use_threads

REPO = Path(__file__).resolve().parent.parent


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tasks", default="lm,mlm", help="comma-separated: lm (causal byte LM), mlm (masked LM)")
    p.add_argument("--variants", default="ffn,lookup-h64,lookup-h128,lookup-dense,ffn-flops",
                   help="comma-separated FFN variants (default: all five)")
    p.add_argument("--seeds", default="0,1,2", help="comma-separated seeds (default 0,1,2)")
    p.add_argument("--steps", type=int, default=None, help="training steps per run (default 2000; --quick 150)")
    p.add_argument("--eval-every", type=int, default=None, help="steps between evaluations (default 100)")
    p.add_argument("--d-model", type=int, default=None, help="model width (default 256)")
    p.add_argument("--layers", type=int, default=None, help="transformer blocks (default 4)")
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


def main(argv=None) -> int:
    args = parse_args(argv)

    use_threads(args.threads)
    import tempfile


    from lookup_tvm.host import current_probe
    from lookup_tvm.study import (QUICK, TIMING_FILE, StudyConfig, config_dict, load_results, markdown_table, plot,
                                  read_timing, summarize, time_steps, train_run, with_step_timing, write_timing)

    base = QUICK if args.quick else StudyConfig()
    overrides = {k: v for k, v in {"steps": args.steps, "eval_every": args.eval_every, "d_model": args.d_model,
                                   "layers": args.layers, "context": args.context, "batch": args.batch,
                                   "lr": args.lr, "corpus": args.corpus, "warmup": args.warmup, "clip": args.clip,
                                   "table_lr": args.table_lr, "table_init_std": args.table_init_std,
                                   "score_temperature": args.score_temperature,
                                   "bounded_scores": args.bounded_scores or None,
                                   "output_dropout": args.output_dropout}.items() if v is not None}
    cfg = dataclasses.replace(base, **overrides)
    out = args.out or (Path(tempfile.mkdtemp(prefix="quality-")) if args.quick else REPO / "results" / "quality")
    seeds = [0] if args.quick and args.seeds == "0,1,2" else [int(s) for s in args.seeds.split(",")]
    variants = args.variants.split(",")
    if args.quick and args.variants == parse_args([]).variants:
        variants = ["ffn", "lookup-h64"]
    if args.alternatives:
        from lookup_tvm.study import alternative_rows, alternatives_table

        folders = sorted(p for p in args.alternatives.iterdir() if p.is_dir())
        runs = [r for folder in folders for r in load_results(folder)]
        print(alternatives_table(alternative_rows(runs, load_results(out))))
        return 0
    if args.time:
        ms = time_steps(args.tasks.split(","), variants, cfg)
        print(f"{write_timing(out, cfg, ms, current_probe().cpu_model)}: {json.dumps(ms)}")
    elif not args.report:
        for task in args.tasks.split(","):
            for seed in seeds:
                for variant in variants:
                    train_run(task, variant, seed, cfg, out, diagnostics=not args.no_diagnostics,
                              log=lambda line: print(line, flush=True))
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
