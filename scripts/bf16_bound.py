"""How close the bf16 dot-product kernels come to the bound of their checks, over many seeds.

  python scripts/bf16_bound.py --seeds 30
  python scripts/bf16_bound.py --seeds 5 --json results/bf16/bound.json

Per kernel of the default layer with ``bf16_dot`` (BH4 stages and their input gradients, token-
tiled and small; the front end), the check the tuner runs (at its token count) over seeds: the
error in units of the bound (``lookup_tvm.kit.checks.bf16_dot_error``; at most 1 passes), for
the correct kernels and for two broken ones built alongside: a kernel that truncates its operands
to bfloat16 instead of rounding them, and one that multiplies unrounded float32 operands (the bf16
variant of CPUs without AVX512-BF16). The dot products run on ``vdpbf16ps`` where the host has
AVX512-BF16 (built for ``sapphirerapids``), else emulated by the intrinsic's description.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import tempfile
from pathlib import Path


def truncating(value):
    """bfloat16 bits of a float32 expression by truncation (the broken kernel)."""
    from lookup_tvm.cpu.tvm_api import tirx

    return (tirx.reinterpret("uint32", value) >> tirx.const(16, "uint32")).astype("uint16")


@contextlib.contextmanager
def broken(kind: str):
    """Kernels defined inside this block truncate their bf16 operands (``truncating``)."""
    from lookup_tvm.kit import operator as kit_operator
    from lookup_tvm.ops.bh4 import backward, compute

    saved = compute.bf16_bits, backward.bf16_bits
    if kind == "truncating":
        compute.bf16_bits = backward.bf16_bits = truncating
    kit_operator._defined.cache_clear()
    try:
        yield
    finally:
        compute.bf16_bits, backward.bf16_bits = saved
        kit_operator._defined.cache_clear()


def measure(kind: str, seeds: int) -> list[dict]:
    """Rows of (kernel, kind, seeds, max and median error in bound units)."""
    import torch

    from lookup_tvm.config import LayerConfig
    from lookup_tvm.cpu.isa import missing_isa
    from lookup_tvm.cpu.resolve import parse_target
    from lookup_tvm.kernels import CompiledKernels
    from lookup_tvm.kit.operator import verify_tokens
    from lookup_tvm.ops import operators
    from lookup_tvm.ops.bh4.bf16_dot import emulated_dot_products

    from lookup_tvm.sources.chosen import DefaultSchedules

    class DotLayouts(DefaultSchedules):
        """This host's kernels with the bf16 dot-product layout (emulated dot products)."""

        def layout(self, operator, spec, target):
            if dict(spec.params).get("bf16") and "bf16_dot" in operator.layout_params:
                spec = spec.with_params(bf16_dot=1)
            return super().layout(operator, spec, target)

    dot_target = parse_target("llvm -mcpu=sapphirerapids")
    native = not missing_isa(dot_target)
    target, source = (dot_target, None) if native else (parse_target("host"), DotLayouts())
    if kind == "unrounded":
        target, source = parse_target("llvm -mcpu=haswell"), None  # its bf16 variants multiply float32 operands
    rows = []
    with broken(kind), (contextlib.nullcontext() if native else emulated_dot_products()):
        kernels = CompiledKernels(target, source, cache_dir=Path(tempfile.mkdtemp()))
        dot_kernels = CompiledKernels(dot_target, cache_dir=Path(tempfile.mkdtemp()), check_isa=False)
        known = operators()
        for op, params in LayerConfig().kernels():
            spec = dot_kernels.spec(op, **params)
            if not spec.bf16_dot or params.get("r_in", 1) != 1:
                continue
            errors = []
            for seed in range(seeds):
                torch.manual_seed(seed)
                errors.append(known[op].check(kernels, spec, verify_tokens(spec)) / known[op].tolerance(spec))
            rows.append({"kernel": spec.name, "kind": kind, "seeds": seeds, "max": max(errors),
                         "median": statistics.median(errors),
                         "dot_products": ("none (float32)" if kind == "unrounded"
                                          else "vdpbf16ps" if native else "emulated")})
            print(f"{spec.name} {kind}: max {max(errors):.3g}", file=sys.stderr, flush=True)
    return rows


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", type=int, default=30, help="seeds per correct kernel (the broken ones: 3)")
    p.add_argument("--json", type=Path, default=None, help="write the rows here")
    args = p.parse_args(argv)
    from tabulate import tabulate

    from lookup_tvm.cpu.host import current_probe

    rows = measure("correct", args.seeds) + measure("truncating", 3) + measure("unrounded", 3)
    print(f"bf16 dot-product checks on {current_probe().cpu_model}: error in units of the bound (<= 1 passes)")
    print(tabulate([[r["kernel"], r["kind"], r["seeds"], f"{r['max']:.3g}", f"{r['median']:.3g}", r["dot_products"]]
                    for r in rows], headers=["kernel", "kernel kind", "seeds", "max", "median", "dot products"],
                   disable_numparse=True))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"cpu": current_probe().cpu_model, "rows": rows}, indent=1) + "\n")
    correct_ok = all(r["max"] <= 1 for r in rows if r["kind"] == "correct")
    broken_fail = all(r["max"] > 1 for r in rows if r["kind"] != "correct")
    return 0 if correct_ok and broken_fail else 1


if __name__ == "__main__":
    sys.exit(main())
