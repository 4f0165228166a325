"""``python scripts/export.py ...``: the same as ``lookup-tvm export ...`` (lookup_tvm.commands.export)."""
import sys

from lookup_tvm.commands.export import main

if __name__ == "__main__":
    sys.exit(main())
