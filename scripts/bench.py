"""``python scripts/bench.py ...``: the same as ``lookup-tvm bench ...`` (lookup_tvm.commands.bench)."""
import sys

from lookup_tvm.commands.bench import main

if __name__ == "__main__":
    sys.exit(main())
