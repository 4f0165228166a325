"""Benchmark LookupFFN (tuned TVM kernels) against PyTorch on this machine.

End to end (inference and a training step) against the FFN 512-2048-512 in fp32 and bf16
and the pure-PyTorch LookupFFN, and every kernel against the best PyTorch formulation of the
same operator, at d=512, h=128, tau=8, b=64. Medians of interleaved rounds; 2-thread rounds
are kept only when a parallelism probe shows both cores free.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from lookup_tvm.cpu.threads import add_threads_argument


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tokens", type=int, nargs="+", default=None,
                   help="token counts (default 4096 32768; with --decode 1 8 64 256)")
    p.add_argument("--decode", action="store_true", help="decode-sized batches only (default tokens 1 8 64 256), "
                   "against the FFN in fp32, dynamic int8 and native bf16: framework share, crossover batch")
    add_threads_argument(p, default=[1, 2])
    p.add_argument("--rounds", type=int, default=7, help="clean rounds per comparison (default 7)")
    p.add_argument("--quick", action="store_true",
                   help="1024 tokens, 1 thread, 3 rounds, only the kernels of the inference forward: a smoke run "
                        "(2-3 min on 2 cores)")
    p.add_argument("--json", type=Path, default=None, help="also write the rows as JSON here")
    p.add_argument("--markdown", action="store_true", help="print a GitHub markdown table")
    p.add_argument("--keep-freed-memory", action="store_true",
                   help="time every model (LookupFFN and the PyTorch baselines) under lookup_tvm.keep_freed_memory(), "
                        "glibc keeping freed memory for reuse instead of unmapping it")
    args = p.parse_args(argv)
    from lookup_tvm.bench import DECODE_TOKENS, crossovers, format_rows, run_all
    from lookup_tvm.cpu.host import current_probe

    args.tokens = args.tokens or list(DECODE_TOKENS if args.decode else (4096, 32768))
    if args.quick:
        args.tokens, args.threads, args.rounds = [1024], [1], 3
    rows = run_all(args.tokens, args.threads, args.rounds, args.quick, args.keep_freed_memory, args.decode)
    allocator = "; allocator: keep_freed_memory()" if args.keep_freed_memory else ""
    print(f"{current_probe().cpu_model}; d=512, h=128, tau=8, b=64, fp32{allocator}")
    print(format_rows(rows, markdown=args.markdown))
    for line in crossovers(rows):
        print(line)
    if args.json:
        args.json.write_text(json.dumps([r.to_json() for r in rows], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
