"""``python scripts/replace_hf.py ...``: the same as ``lookup-tvm replace-hf ...`` (lookup_tvm.commands.replace_hf)."""
import sys

from lookup_tvm.commands.replace_hf import main

if __name__ == "__main__":
    sys.exit(main())
