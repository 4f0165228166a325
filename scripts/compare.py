"""``python scripts/compare.py ...``: the same as ``lookup-tvm compare ...`` (lookup_tvm.commands.compare)."""
import sys

from lookup_tvm.commands.compare import main

if __name__ == "__main__":
    sys.exit(main())
