"""``python scripts/tune.py ...``: the same as ``lookup-tvm tune ...`` (lookup_tvm.commands.tune)."""
import sys

from lookup_tvm.commands.tune import main

if __name__ == "__main__":
    sys.exit(main())
