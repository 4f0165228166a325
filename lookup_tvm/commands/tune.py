"""Tune every LookupFFN kernel (forward and backward) of one layer configuration for one CPU.

Examples:
  lookup-tvm tune --target host
  lookup-tvm tune --target "llvm -mcpu=sapphirerapids" --trials 64
  lookup-tvm tune --target '{"kind": "llvm", "mcpu": "znver4", "num-cores": 2}' --config h=64

Results go to tuning_logs/<target-key>/ (MetaSchedule's database, target.json, summary.json;
-<cpu-model> is appended when that directory was measured on another CPU) and the chosen
schedules, readable, to schedules/ under the same name: the repository's folders in a source
checkout, else the user's ($LOOKUP_TVM_HOME, $XDG_DATA_HOME/lookup_tvm or
~/.local/share/lookup_tvm), where the kernels find them with no setting
(``lookup-tvm logs`` lists what is found). Re-running resumes: kernels
already tuned to --trials at --tokens are skipped. At the end a table compares, per kernel,
the untuned default schedule, the tuned one and the PyTorch baseline on this machine.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from lookup_tvm.cpu.threads import add_threads_argument, measuring_threads, use_threads

def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", default="host",
                        help='"host", a TVM CLI string ("llvm -mcpu=sapphirerapids -num-cores 56") or a JSON '
                             "dict; profile fields (vector_bits, l1d_bytes, l2_bytes, l3_bytes, cores, features) "
                             "may be overridden in the JSON form (default: host)")
    parser.add_argument("--config", default="",
                        help='layer shape as "d=512,h=128,tau=8,b=64" or JSON; unset fields keep the defaults '
                             "d=512, h=128, tau=8, b=64, d_out=d, projection=bh4 (fp32)")
    parser.add_argument("--tokens", type=int, default=4096,
                        help="tokens per call the kernels are tuned at (default 4096)")
    parser.add_argument("--trials", type=int, default=32,
                        help="measured trials per kernel (default 32: the default config's 43 kernels, fp32, bf16 "
                             "and quantized tables, in about 10 minutes on a 2-core Zen 3; README)")
    parser.add_argument("--ops", default="",
                        help="comma-separated operators (all their variants) or kernel keys to tune (default: all "
                             "kernels of the config, e.g. gather,gather_table_grad,hash or "
                             "gather-d_out512-h128-rows256-table_bits8)")
    parser.add_argument("--retune", action="store_true",
                        help="tune the selected kernels again from scratch, even if the log has them (after an "
                             "operator's definition changed)")
    parser.add_argument("--seed", type=int, default=0, help="random seed of the search (default 0)")
    parser.add_argument("--work-dir", type=Path, default=None,
                        help="tuning log directory (default: tuning_logs/<target-key>/ of the checkout or the user's "
                             "folder, or tuning_logs/<target-key>-<cpu-model>/ when that one was measured on another "
                             "CPU)")
    parser.add_argument("--schedules-dir", type=Path, default=None,
                        help="where the readable best schedules go (default: schedules/<name of the log "
                             "directory>/ beside tuning_logs/)")
    parser.add_argument("--rpc-tracker", default=None, metavar="HOST:PORT",
                        help="measure on remote machines registered with this TVM RPC tracker")
    parser.add_argument("--rpc-key", default=None, help="device key of the RPC servers (with --rpc-tracker)")
    add_threads_argument(parser, unset="the target's num-cores, at most this host's CPUs")
    parser.add_argument("--no-report", action="store_true", help="skip the final measurement table")
    parser.add_argument("--json", type=Path, default=None,
                        help="also write the final table's rows (default, tuned and PyTorch per kernel) as JSON here")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if bool(args.rpc_tracker) != bool(args.rpc_key):
        print("error: --rpc-tracker and --rpc-key go together", file=sys.stderr)
        return 2
    from lookup_tvm.cpu.resolve import parse_target

    target = parse_target(args.target)
    threads = measuring_threads(int(target.attrs["num-cores"]), args.threads)
    use_threads(threads)
    from lookup_tvm.config import LayerConfig
    from lookup_tvm.cpu.isa import UnsupportedTargetError, missing_isa
    from lookup_tvm.sources.logs import log_directory
    from lookup_tvm.sources.selection import INSTALLED_LOGS, tuning_home
    from lookup_tvm.tuning import metaschedule
    from lookup_tvm.tuning.export import export_schedules
    from lookup_tvm.tuning.report import format_table, measure_kernels
    from lookup_tvm.tuning.tuner import TuneOptions, selected_kernels, tune_all

    config = LayerConfig.parse(args.config) if args.config else LayerConfig()
    rpc = metaschedule.rpc_config(args.rpc_tracker, args.rpc_key) if args.rpc_tracker else None
    missing = missing_isa(target)
    if missing and rpc is None:
        print(f"error: code for {target.mcpu} may use {', '.join(missing)}, which this CPU lacks; "
              "measure on such a machine with --rpc-tracker/--rpc-key", file=sys.stderr)
        return 2
    print(f"tuning {config} for {dict(target.attrs)} at {args.tokens} tokens, {args.trials} trials per kernel, "
          f"{threads} thread(s)", flush=True)
    ops = tuple(filter(None, args.ops.split(",")))
    logs_home, schedules_home = tuning_home()
    work_dir = args.work_dir or log_directory(logs_home, target)
    shipped = INSTALLED_LOGS / work_dir.name
    if args.work_dir is None and not work_dir.exists() and (shipped / "target.json").exists():
        shutil.copytree(shipped, work_dir)  # resume from the log installed with the package
        print(f"starting from the installed log {shipped}", file=sys.stderr)
    log = tune_all(TuneOptions(target, config, work_dir, args.tokens, args.trials, args.seed, rpc, ops, args.retune),
                   out=sys.stderr)  # progress; the final table goes to stdout
    schedules = args.schedules_dir or schedules_home / log.directory.name
    written = export_schedules(log, config, schedules)
    print(f"tuning log: {log.directory}; readable schedules: {written}")
    if args.no_report or rpc is not None:
        return 0
    try:
        kernels = selected_kernels(config, ops)
        measured = measure_kernels(log, kernels, args.tokens)
        print(format_table(measured))
        if args.json:
            args.json.write_text(json.dumps(measured, indent=1, default=str))
    except UnsupportedTargetError as err:
        print(f"no local measurement: {err}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
