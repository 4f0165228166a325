"""Train a small byte-level transformer LM on the Python standard library's sources.

Its FFNs are LookupFFN blocks running TVM kernels in forward and backward (--ffn lookup),
or GEMM FFNs d -> 4d -> d (--ffn vanilla) for comparison. Prints a progress bar, the
validation loss every --eval-every steps, and the wall time per step; saves a checkpoint.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

from lookup_tvm.cpu.threads import add_threads_argument, use_threads


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ffn", choices=["lookup", "vanilla", "lookup-reference"], default="lookup",
                   help="FFN type: LookupFFN on TVM kernels, the GEMM baseline, or LookupFFN in pure PyTorch")
    p.add_argument("--steps", type=int, default=300, help="training steps (default 300)")
    p.add_argument("--batch", type=int, default=16, help="sequences per step (default 16)")
    p.add_argument("--context", type=int, default=128, help="bytes per sequence (default 128)")
    p.add_argument("--d-model", type=int, default=256, help="model width (default 256)")
    p.add_argument("--layers", type=int, default=4, help="transformer blocks (default 4)")
    p.add_argument("--heads", type=int, default=4, help="attention heads (default 4)")
    p.add_argument("--config", default="h=64,tau=8,b=64",
                   help='the LookupFFN layer, as for lookup-tvm tune: "h=64,tau=8,b=64" (d is --d-model; default '
                        "h=64,tau=8,b=64)")
    p.add_argument("--lr", type=float, default=2e-3, help="Adam learning rate (default 2e-3)")
    p.add_argument("--eval-every", type=int, default=100, help="steps between validation losses (default 100)")
    p.add_argument("--eval-batches", type=int, default=8, help="validation batches per evaluation (default 8)")
    add_threads_argument(p)
    p.add_argument("--dtype", choices=["fp32", "bf16"], default="fp32",
                   help="bf16: forward and backward under torch.autocast('cpu', dtype=torch.bfloat16), the "
                        "optimizer on the float32 master weights (default fp32)")
    p.add_argument("--keep-freed-memory", action="store_true",
                   help="lookup_tvm.keep_freed_memory(): malloc keeps freed memory, so steps reuse pages "
                        "instead of page-faulting fresh ones (faster at large batches; resident size stays high)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--checkpoint", type=Path, default=None, help="where to save the model (default: none)")
    p.add_argument("--diagnostics", action="store_true",
                   help="at each evaluation, print per LookupFFN layer: mean |z|, mean score, fraction of table "
                        "rows hit, output norm against the residual's")
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    from lookup_tvm.config import layer_options

    layer = {"num_tables": 64, "code_bits": 8, "block_size": 64, **layer_options(args.config)}
    args.tables, args.code_bits, args.block_size = layer["num_tables"], layer["code_bits"], layer["block_size"]
    use_threads(args.threads)
    if args.keep_freed_memory:
        from lookup_tvm.memory import keep_freed_memory

        keep_freed_memory()
    import torch
    from torch import nn

    from studies.corpus import batches, byte_splits
    from studies.lm import ByteLM
    from lookup_tvm.module import LookupFFN

    torch.manual_seed(args.seed)
    train, valid = byte_splits()
    model = ByteLM(args.d_model, args.layers, args.heads, args.context, args.ffn, args.tables, args.code_bits,
                   args.block_size)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.0)
    gen, eval_gen = torch.Generator().manual_seed(args.seed), torch.Generator().manual_seed(1234)
    eval_set = [batches(valid, args.batch, args.context, eval_gen) for _ in range(args.eval_batches)]

    def precision():
        return torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.dtype == "bf16")

    def validation_loss() -> float:
        model.eval()
        with torch.no_grad(), precision():
            losses = [nn.functional.cross_entropy(model(x).reshape(-1, 256).float(), y.reshape(-1)).item()
                      for x, y in eval_set]
        model.train()
        return sum(losses) / len(losses)

    layer_inputs: dict = {}
    if args.diagnostics:
        for layer in (m for m in model.modules() if isinstance(m, LookupFFN)):
            layer.register_forward_hook(lambda mod, inputs, out: layer_inputs.__setitem__(mod, inputs[0].detach()))
    print(f"{args.ffn} FFN, {sum(p.numel() for p in model.parameters()):,} parameters, "
          f"{len(train):,} training bytes, {torch.get_num_threads()} thread(s)", flush=True)
    step_times, history = [], []
    for step in range(1, args.steps + 1):
        x, y = batches(train, args.batch, args.context, gen)
        start = time.perf_counter()
        with precision():
            loss = nn.functional.cross_entropy(model(x).reshape(-1, 256).float(), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step_times.append(time.perf_counter() - start)
        filled = int(30 * step / args.steps)
        print(f"\r[{'#' * filled}{'.' * (30 - filled)}] step {step}/{args.steps} loss {loss.item():.3f} "
              f"{1e3 * step_times[-1]:.0f} ms/step", end="", file=sys.stderr, flush=True)
        if step % args.eval_every == 0 or step == args.steps:
            val = validation_loss()
            history.append({"step": step, "train_loss": loss.item(), "val_loss": val})
            print(f"\nstep {step}: validation loss {val:.4f} ({val / math.log(2):.3f} bits/byte)", flush=True)
            for index, (layer, inputs) in enumerate(layer_inputs.items()):
                stats = layer.diagnostics(inputs)
                history[-1].setdefault("diagnostics", []).append(stats)
                print(f"  layer {index}: mean |z| {stats['mean_abs_z']:.3g}, mean score {stats['mean_score']:.3g}, "
                      f"rows hit {stats['rows_hit']:.0%} ({stats['rows_hit_vs_uniform']:.2f} of uniform), "
                      f"output/residual norm {stats['output_norm']:.3g}/{stats['residual_norm']:.3g}", flush=True)
    flips = {}
    if args.dtype == "bf16" and args.ffn != "vanilla":  # on the trained model's own activations
        inputs: dict = {}
        hooks = [m.register_forward_hook(lambda mod, i, o: inputs.setdefault(mod, []).append(i[0].detach().float()))
                 for m in model.modules() if isinstance(m, LookupFFN)]
        model.eval()
        with torch.no_grad():
            for x, _ in eval_set:
                model(x)
        for hook in hooks:
            hook.remove()
        flips = {f"layer {i}": layer.bf16_code_flips(torch.cat(xs)) for i, (layer, xs) in enumerate(inputs.items())}
        print("codes that flip under bf16 rounding (validation activations): "
              + ", ".join(f"{k} {v:.2%}" for k, v in flips.items()), flush=True)
    median = sorted(step_times)[len(step_times) // 2]
    print(json.dumps({"ffn": args.ffn, "dtype": args.dtype, "steps": args.steps,
                      "final_val_loss": history[-1]["val_loss"], "median_ms_per_step": round(1e3 * median, 1),
                      "bf16_code_flips": flips, "history": history}))
    if args.checkpoint:
        torch.save({"args": vars(args) | {"checkpoint": str(args.checkpoint)}, "model": model.state_dict()},
                   args.checkpoint)
        print(f"saved {args.checkpoint}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
