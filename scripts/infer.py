"""Run a train_lm.py checkpoint on an exported kernel library and report tokens per second.

  python scripts/export.py build/lm-lib --config d=256,h=64
  python scripts/infer.py lm.pt build/lm-lib
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoint", type=Path, help="a checkpoint saved by scripts/train_lm.py --checkpoint")
    p.add_argument("library", type=Path, help="a directory made by scripts/export.py for the model's FFN config")
    p.add_argument("--batch", type=int, default=32, help="sequences per forward (default 32)")
    p.add_argument("--rounds", type=int, default=10, help="timed forwards; the median is reported (default 10)")
    args = p.parse_args(argv)
    import torch
    from torch import nn

    from lookup_tvm import LookupFFN, load_library
    from studies.corpus import batches, byte_splits
    from studies.lm import ByteLM

    saved = torch.load(args.checkpoint)
    a = saved["args"]
    model = ByteLM(a["d_model"], a["layers"], a["heads"], a["context"], a["ffn"], a["tables"], a["code_bits"],
                   a["block_size"])
    model.load_state_dict(saved["model"])
    kernels = load_library(args.library)
    layers = [m for m in model.modules() if isinstance(m, LookupFFN)]
    for layer in layers:
        layer.use_library(kernels)
    model.eval()
    _, valid = byte_splits()
    x, y = batches(valid, args.batch, a["context"], torch.Generator().manual_seed(0))
    times = []
    with torch.inference_mode():
        loss = nn.functional.cross_entropy(model(x).reshape(-1, 256), y.reshape(-1)).item()
        for _ in range(args.rounds):
            start = time.perf_counter()
            model(x)
            times.append(time.perf_counter() - start)
    median = statistics.median(times)
    print(f"{len(layers)} LookupFFN layers on {args.library}; loss {loss:.4f} on {x.numel()} validation bytes; "
          f"{x.numel() / median:,.0f} tokens/s ({1e3 * median:.1f} ms per batch of {args.batch}x{a['context']}, "
          f"{torch.get_num_threads()} thread(s))")
    return 0


if __name__ == "__main__":
    sys.exit(main())
