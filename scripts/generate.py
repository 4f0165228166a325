"""Generate text from a scripts/train_lm.py checkpoint, one byte per step per sequence, with a
key-value cache: each step runs every FFN on a decode-sized batch (--batch tokens). Reports the
tokens per second of the checkpoint's model and of the same model with the other FFN kind of
the same width (LookupFFN against the GEMM FFN d -> 4d -> d; random weights: speed only).

  python scripts/train_lm.py --steps 300 --checkpoint lm.pt
  python scripts/generate.py lm.pt --prompt "def main(" --steps 64 --batch 8
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from lookup_tvm.cpu.threads import add_threads_argument, use_threads


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoint", type=Path, help="a checkpoint saved by scripts/train_lm.py --checkpoint")
    p.add_argument("--prompt", default="import ", help="the bytes every sequence starts with (default 'import ')")
    p.add_argument("--steps", type=int, default=64, help="bytes to generate per sequence (default 64)")
    p.add_argument("--batch", type=int, default=1, help="sequences decoded together: tokens per FFN call (default 1)")
    p.add_argument("--temperature", type=float, default=0.8, help="sampling temperature, 0 for greedy (default 0.8)")
    p.add_argument("--rounds", type=int, default=3, help="timed generations per model; medians (default 3)")
    p.add_argument("--no-compare", action="store_true", help="skip the model with the other FFN kind")
    add_threads_argument(p)
    args = p.parse_args(argv)
    use_threads(args.threads)
    import torch

    from studies.lm import ByteLM, generate

    saved = torch.load(args.checkpoint)
    a = saved["args"]

    def build(ffn: str) -> ByteLM:
        return ByteLM(a["d_model"], a["layers"], a["heads"], a["context"], ffn, a["tables"], a["code_bits"],
                      a["block_size"]).eval()

    model = build(a["ffn"])
    model.load_state_dict(saved["model"])
    prompt = torch.tensor([list(args.prompt.encode())] * args.batch, dtype=torch.int64)
    sample = generate(model, prompt, args.steps, torch.Generator().manual_seed(0), args.temperature)
    print(f"{args.checkpoint} ({a['ffn']} FFN), sequence 0:\n{bytes(sample[0].tolist()).decode(errors='replace')}\n")
    models = {a["ffn"]: model}
    if not args.no_compare:
        other = "vanilla" if a["ffn"].startswith("lookup") else "lookup"
        models[other] = build(other)
    for name, candidate in models.items():
        generate(candidate, prompt, min(4, args.steps))  # warm-up: kernels compiled and loaded
        times = []
        for _ in range(args.rounds):
            start = time.perf_counter()
            generate(candidate, prompt, args.steps, temperature=0)
            times.append(time.perf_counter() - start)
        seconds = statistics.median(times)
        print(f"{name:>16} FFN: {args.batch * args.steps / seconds:8.1f} tokens/s "
              f"({1e3 * seconds / args.steps:.2f} ms per step of {args.batch} token(s), {torch.get_num_threads()} "
              f"thread(s))")
    return 0


if __name__ == "__main__":
    sys.exit(main())
