"""Export every LookupFFN kernel (forward and backward) of one layer config, for one target,
into one shared library plus manifest.json (see lookup_tvm.export_library).

  lookup-tvm export build/lib --target host --config d=512,h=128 --tuning-logs tuning_logs/znver4-2c
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out", type=Path, help="output directory (kernels.so + manifest.json)")
    p.add_argument("--target", default="host", help='"host", a TVM CLI string or a JSON dict (default host)')
    p.add_argument("--config", default="", help='layer shape, e.g. "d=512,h=128,tau=8,b=64" (defaults as tune.py)')
    p.add_argument("--tuning-logs", type=Path, default=None,
                   help="a tuning_logs/<target-key> directory to take schedules from (default: default schedules)")
    args = p.parse_args(argv)
    from lookup_tvm import export_library
    from lookup_tvm.config import LayerConfig

    config = LayerConfig.parse(args.config) if args.config else LayerConfig()
    path = export_library(args.out, target=args.target, config=config, tuning_logs=args.tuning_logs)
    print(f"exported {len(config.kernels())} kernels of {config} to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
