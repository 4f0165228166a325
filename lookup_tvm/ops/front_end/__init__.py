"""The front-end family: inference from the layer input to codes and scores in one kernel
(spec steps 1-5: LayerNorm, BH4 projection, hash), built from the BH4 and hash families'
pieces.

- build side: :mod:`.compute` (definition, knobs, default schedule);
- torch side: :mod:`.torch_ops` (argument checks, the kernel call, the custom op);
- checks: :mod:`.checks` (reference comparison, workload and baseline, FLOP and byte counts).
"""
from __future__ import annotations

from lookup_tvm.ops.dispatch import SMALL_TOKENS, serving_op
from lookup_tvm.kit.family import Family
from lookup_tvm.kit.operator import Operator, storage_variant
from lookup_tvm.ops.bh4.checks import bf16_dot_tolerance
from lookup_tvm.ops.bh4.layout import DOT_LAYOUT, bf16_dot_layout, stage_footprint
from lookup_tvm.ops.bh4.small import SMALL_STAGE_SIZED, small_layout, small_stage_knobs
from lookup_tvm.ops.front_end.checks import (check_large_front_end, check_small_front_end, front_end_workload,
                                             op_samples)
from lookup_tvm.ops.front_end.compute import (define_front_end, front_end_knobs,
                                              schedule_decode_front_end, schedule_front_end)
from lookup_tvm.ops.front_end.torch_ops import check_front_end_args, front_end, front_end_spec

OPERATORS = (
    Operator(name="front_end", define=define_front_end, schedule=schedule_front_end, check=check_large_front_end,
             workload=front_end_workload, knobs=front_end_knobs, layout=bf16_dot_layout,
             tolerance=bf16_dot_tolerance, layout_params=DOT_LAYOUT, min_tokens=SMALL_TOKENS["front_end"] + 1,
             footprint=stage_footprint),
    Operator(name="front_end_small", define=define_front_end, schedule=schedule_decode_front_end,
             check=check_small_front_end, workload=front_end_workload, knobs=small_stage_knobs, layout=small_layout,
             tolerance=bf16_dot_tolerance, layout_params=DOT_LAYOUT, max_tokens=SMALL_TOKENS["front_end"],
             sized=SMALL_STAGE_SIZED),
)


def _shape(config) -> dict[str, int]:
    return {**config.bh4_shape, "d": config.d, "h": config.h, "tau": config.tau}


def _kernels(config):
    if config.projection != "bh4":
        return []
    return [(op, {**_shape(config), **storage_variant(bf16)}) for op in ("front_end", "front_end_small")
            for bf16 in (False, True)]


def _inference(config, bf16: bool, tokens: int | None, cores: int, table_bits: int = 0):
    """The BH4 layer's fused front end (small calls on ``front_end_small``)."""
    if config.projection != "bh4":
        return []
    return [(serving_op("front_end", tokens, cores), {**_shape(config), **storage_variant(bf16)})]


def uses_bf16_dot(kernels, config) -> bool:
    """Whether a bfloat16 layer of ``config`` runs its BH4 block matmuls on bf16 dot products
    with these kernels (layout ``bf16_dot``, chosen for targets with AVX512-BF16)."""
    return config.projection == "bh4" and front_end_spec(kernels, config, True).bf16_dot


FAMILY = Family("front_end", OPERATORS, op_samples, _kernels, _inference)

__all__ = ["FAMILY", "OPERATORS", "check_front_end_args", "front_end", "uses_bf16_dot"]
