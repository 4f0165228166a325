"""The ``lookup-tvm`` command: ``lookup-tvm <command> [options]`` (``lookup-tvm <command> -h``
for each one's options).

  tune        tune every kernel of a layer config for a CPU (MetaSchedule)
  bench       LookupFFN against PyTorch, end to end and per kernel
  compare     tuned kernels across CPUs, from tuning logs
  export      one shared library of a layer config's kernels for a target
  replace-hf  put LookupFFN into a Hugging Face model, train briefly, save
  logs        the tuning logs found, and which one this host uses
"""
from __future__ import annotations

import importlib
import sys

COMMANDS = {"tune": "tune", "bench": "bench", "compare": "compare", "export": "export", "replace-hf": "replace_hf",
            "logs": "logs"}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if argv else 2
    if argv[0] in ("-V", "--version"):
        from lookup_tvm.version import __version__

        print(__version__)
        return 0
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f"lookup-tvm: unknown command {name!r}; one of {', '.join(COMMANDS)}", file=sys.stderr)
        return 2
    command = importlib.import_module(f"lookup_tvm.commands.{COMMANDS[name]}")
    return command.main(rest)


if __name__ == "__main__":
    sys.exit(main())
