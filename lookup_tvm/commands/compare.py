"""Compare tuned kernels across CPUs from tuning_logs/<target>/ directories.

  lookup-tvm compare tuning_logs/*/
  lookup-tvm compare tuning_logs/znver4-2c tuning_logs/sapphirerapids-2c --markdown --plot cmp.png

Per log, its coverage of the default layer's kernels (tuned, missing, stale, unverified). Per
kernel and target: best time, GFLOP/s, GB/s, trials needed to reach 95% of the best, and the
knob choices that differ between the targets; each row names the CPU it was measured on.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("logs", type=Path, nargs="+", help="tuning_logs/<target> directories")
    p.add_argument("--bench", type=Path, nargs="*", default=[], help="bench.py --json files to list as well")
    p.add_argument("--markdown", action="store_true", help="GitHub markdown tables")
    p.add_argument("--plot", type=Path, default=None, help="write a bar chart (needs matplotlib)")
    p.add_argument("--json", type=Path, default=None, help="also write the kernel rows as JSON here")
    args = p.parse_args(argv)
    import json

    from benchmarks.bench import Row, format_rows
    from benchmarks.compare import format_comparison, format_coverage, kernel_rows, load_log, plot

    print(format_coverage(args.logs, markdown=args.markdown))
    print()
    rows = kernel_rows([load_log(d) for d in args.logs])
    print(format_comparison(rows, markdown=args.markdown))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1, default=str))
    for path in args.bench:
        print(f"\n{path}:")
        print(format_rows([Row(**r) for r in json.loads(path.read_text())], markdown=args.markdown))
    if args.plot:
        plot(rows, args.plot)
        print(f"plot: {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
