"""Run the LookupFFN forward kernels (as the functional API picks them: tuned when this CPU
has a tuning log, else the default schedules) against PyTorch, check and time them.

Prints one table: per operator, the TVM kernel, the pure-PyTorch reference and (for the
gather) torch.nn.functional.embedding_bag: median ms at the chosen thread count, and the
max relative error of the kernel against the reference.
"""
from __future__ import annotations

import argparse

from lookup_tvm.cpu.threads import add_threads_argument, use_threads


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tokens", type=int, default=4096, help="tokens per call B (default 4096)")
    parser.add_argument("--config", default="",
                        help='the layer shape, as for lookup-tvm tune: "d=512,h=128,tau=8,b=64" (unset fields keep '
                             "those defaults)")
    add_threads_argument(parser, default=1)
    parser.add_argument("--rounds", type=int, default=7, help="timed rounds; medians are reported (default 7)")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    use_threads(args.threads)
    import torch
    from tabulate import tabulate

    from lookup_tvm import functional as F
    from lookup_tvm import reference as R
    from lookup_tvm.cpu.host import current_probe
    from lookup_tvm.timing import interleaved_medians

    torch.manual_seed(0)
    from lookup_tvm.config import LayerConfig

    config = LayerConfig.parse(args.config) if args.config else LayerConfig()
    args.d = config.d
    h, tau, b, batch = config.h, config.tau, config.b, args.tokens
    dim = R.padded_dim(args.d)
    repeats = max(1, -(-h * tau // dim))
    x = torch.randn(batch, dim)
    weight = torch.randn(repeats, 4, dim // b, b, b) / (b * dim) ** 0.5
    z = torch.randn(batch, h, tau)
    codes, scores = R.hash_codes(z)
    tables = torch.randn(h, 2**tau, args.d) * 0.02
    flat = (codes.long() + torch.arange(h) * 2**tau).contiguous()
    flat_tables = tables.reshape(-1, args.d)

    def rel_err(a, b_):
        return float((a - b_).abs().max() / b_.abs().max())

    rows = []
    with torch.no_grad():
        cases = {
            "bh4": ({"tvm": lambda: F.bh4(x, weight), "reference": lambda: R.bh4(x, weight)},
                    2 * repeats * 4 * (dim * b + dim * (dim // b))),
            "hash": ({"tvm": lambda: F.hash_codes(z), "reference": lambda: R.hash_codes(z)}, 0),
            "gather": ({"tvm": lambda: F.gather_accumulate(codes, scores, tables),
                        "reference": lambda: R.gather_accumulate(codes, scores, tables),
                        "embedding_bag": lambda: torch.nn.functional.embedding_bag(
                            flat, flat_tables, per_sample_weights=scores, mode="sum")}, 2 * h * args.d),
        }
        errors = {
            "bh4": rel_err(F.bh4(x, weight), R.bh4(x, weight)),
            "hash": rel_err(F.hash_codes(z)[1], R.hash_codes(z)[1]),
            "gather": rel_err(F.gather_accumulate(codes, scores, tables), R.gather_accumulate(codes, scores, tables)),
        }
        for name, (candidates, flops_per_token) in cases.items():
            times = interleaved_medians(candidates, rounds=args.rounds)
            best_torch = min(t for k, t in times.items() if k != "tvm")
            rows.append([
                name, f"{times['tvm'] * 1e3:.2f}", f"{times['reference'] * 1e3:.2f}",
                f"{times['embedding_bag'] * 1e3:.2f}" if "embedding_bag" in times else "-",
                f"{best_torch / times['tvm']:.2f}x",
                f"{flops_per_token * batch / times['tvm'] / 1e9:.1f}" if flops_per_token else "-",
                f"{errors[name]:.1e}",
            ])
    print(f"{current_probe().cpu_model}, {args.threads} thread(s), B={batch}, d={args.d}, h={h}, tau={tau}, b={b}, "
          f"r={repeats}; schedules: {F.kernels().source.identity}")
    print(tabulate(rows, headers=["operator", "TVM ms", "reference ms", "embedding_bag ms",
                                  "speed-up vs best torch", "TVM GFLOP/s", "max rel err"]))


if __name__ == "__main__":
    main()
