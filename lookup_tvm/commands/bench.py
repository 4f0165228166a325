"""Benchmark LookupFFN (tuned TVM kernels) against PyTorch on this machine.

End to end (inference and a training step) against the FFN 512-2048-512 in fp32 and bf16
and the pure-PyTorch LookupFFN, and every kernel against the best PyTorch formulation of the
same operator, at d=512, h=128, tau=8, b=64. Medians of interleaved rounds; 2-thread rounds
are kept only when a parallelism probe shows both cores free; a measurement with no such round
is given up, named on stderr, and the command exits with status 3. Progress goes to stderr.

With several thread counts (default 1 and all cores) it also prints the speed-up over 1
thread and the parallel efficiency of each kernel and end to end, the fp32 FFN's beside
(``--plot`` draws them). ``--simulate-cores N`` schedules the kernels for an N-core server
with this CPU's ISA and runs them on N threads here (docs/performance.md, "Many cores").
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from lookup_tvm.cpu.threads import add_threads_argument


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tokens", type=int, nargs="+", default=None,
                   help="token counts (default 4096 32768; with --decode 1 8 64 256)")
    p.add_argument("--decode", action="store_true", help="decode-sized batches only (default tokens 1 8 64 256), "
                   "against the FFN in fp32, dynamic int8 and native bf16: framework share, crossover batch")
    add_threads_argument(p, default=[1, os.cpu_count() or 1])
    p.add_argument("--simulate-cores", type=int, default=None, metavar="N",
                   help="also build the kernels for a simulated N-core host with this CPU's ISA and run them on N "
                        "threads: their speed-up over 1 thread against this host's own schedules' (no memory rows)")
    p.add_argument("--scaling", action="store_true",
                   help="thread scaling only (default tokens 4096): the fp32 forward and training step with their "
                        "kernels, and the fp32 FFN, at each --threads count (and --simulate-cores)")
    p.add_argument("--quantized", action="store_true",
                   help="quantized tables only (default tokens 1 8 64 256 4096): the int8 and 4-bit layer against "
                        "float32 tables and the FFN in fp32, dynamic int8 and native bf16, with breakdowns, and the "
                        "gather against FBGEMM's row-wise embedding bag of the same bits")
    p.add_argument("--model", default=None, metavar="NAMES",
                   help="whole models instead (gpt2, llama or both comma-separated; Hugging Face shapes built from "
                        "configs, nothing downloaded): prefill tokens/s at 512 tokens and decode tokens/s through "
                        "generate() at batch 1 and 8, LookupFFN (fp32, bf16, int8 tables) against the model's own FFN "
                        "in fp32, bf16 and dynamic int8; needs transformers (pip install -e '.[hf]')")
    p.add_argument("--plot", type=Path, default=None,
                   help="write the speed-up against threads as a PNG here (needs matplotlib: pip install -e '.[plot]')")
    p.add_argument("--rounds", type=int, default=None,
                   help="clean rounds per comparison (default 7; 3 with --model and --quick)")
    p.add_argument("--quick", action="store_true",
                   help="3 rounds, only the kernels of the inference forward, 1024 tokens and 1 thread unless --tokens "
                        "and --threads say otherwise: a smoke run (2-3 min on 2 cores)")
    p.add_argument("--json", type=Path, default=None, help="also write the rows as JSON here")
    p.add_argument("--markdown", action="store_true", help="print a GitHub markdown table")
    p.add_argument("--keep-freed-memory", action="store_true",
                   help="time every model (LookupFFN and the PyTorch baselines) under lookup_tvm.keep_freed_memory(), "
                        "glibc keeping freed memory for reuse instead of unmapping it")
    args = p.parse_args(argv)
    from benchmarks.bench import DROPPED, QUANTIZED_BENCH_TOKENS, crossovers, format_rows, run_all
    from lookup_tvm.ops.dispatch import DECODE_BENCH_TOKENS
    from lookup_tvm.cpu.host import current_probe
    from benchmarks.scaling import format_scaling, plot_scaling

    given = set(argv if argv is not None else sys.argv[1:])
    if args.model:
        from benchmarks.models import MODELS, format_model_rows, run_models

        names = [m for m in args.model.split(",") if m]
        unknown = set(names) - set(MODELS)
        if unknown:
            print(f"error: unknown model {sorted(unknown)}; one of {', '.join(MODELS)}", file=sys.stderr)
            return 2
        model_rows = run_models(names, args.threads, args.rounds or 3)
        print(f"{current_probe().cpu_model}; whole models")
        print(format_model_rows(model_rows, markdown=args.markdown))
        if args.json:
            args.json.write_text(json.dumps([r.to_json() for r in model_rows], indent=1))
        return 0
    if args.quick:
        args.tokens, args.rounds = args.tokens or [1024], args.rounds or 3
        args.threads = args.threads if "--threads" in given else [1]
    default = (DECODE_BENCH_TOKENS if args.decode else (4096,) if args.scaling
               else QUANTIZED_BENCH_TOKENS if args.quantized else (4096, 32768))
    args.tokens = args.tokens or list(default)
    rows = run_all(args.tokens, args.threads, args.rounds or 7, args.quick, args.keep_freed_memory, args.decode,
                   args.simulate_cores, args.scaling, args.quantized)
    allocator = "; allocator: keep_freed_memory()" if args.keep_freed_memory else ""
    print(f"{current_probe().cpu_model}; d=512, h=128, tau=8, b=64, {'quantized tables' if args.quantized else 'fp32'}"
          f"{allocator}")
    print(format_rows(rows, markdown=args.markdown))
    for line in crossovers(rows):
        print(line)
    scaling = format_scaling(rows, markdown=args.markdown)
    if scaling:
        print(f"\nThread scaling ({current_probe().cpu_model}):")
        print(scaling)
    if args.plot:
        title = f"{current_probe().cpu_model}: speed-up over 1 thread"
        if plot_scaling(rows, args.plot, title):
            print(f"plot: {args.plot}")
        else:
            print("no plot: needs matplotlib (pip install -e '.[plot]') and runs at 1 thread and more", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps([r.to_json() for r in rows], indent=1))
    if DROPPED:
        print(f"{len(DROPPED)} measurement(s) given up: no round ran with every core free (listed above); "
              "run again on a quieter machine", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
