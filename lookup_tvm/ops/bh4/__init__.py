"""The BH4 family: the spec's projection (step 2), block-diagonal matmul + Hadamard in 4
stages, forward and backward, and the fold of the Hadamard into the weights.

- build side: :mod:`.compute` (fold, fused 4-stage BH4 and projection, one stage),
  :mod:`.backward` (stage input and weight gradients), :mod:`.bf16_dot` (the AVX512-BF16
  tensor intrinsic), :mod:`.amx` (AMX tile intrinsics), :mod:`.intrinsics` (registering those a
  tuning record names), with their knobs, layouts and default schedules;
- torch side: :mod:`.torch_ops` (argument checks, kernel calls, custom ops with autograd);
- checks: :mod:`.checks` (reference comparison, workloads and batched-matmul baselines,
  FLOP and byte counts).
"""
from __future__ import annotations

from lookup_tvm.ops.dispatch import SMALL_TOKENS
from lookup_tvm.kit.family import Family
from lookup_tvm.kit.operator import Operator, storage_variant
from lookup_tvm.ops.bh4.backward import (WEIGHT_GRAD_SIZED, WEIGHT_GRAD_SAMPLED_KNOBS, define_stage_grad,
                                         define_weight_grad, schedule_stage_grad, schedule_weight_grad,
                                         stage_grad_knobs, weight_grad_footprint, weight_grad_knobs,
                                         weight_grad_layout)
from lookup_tvm.ops.bh4.checks import (bf16_dot_tolerance, bh4_workload, check_bh4_kernels, check_small_stages,
                                       check_tiled_stages, fold_workload, op_samples, stage_grad_workload,
                                       weight_grad_workload)
from lookup_tvm.ops.bh4.compute import (FOLD, FOLD_TRANSPOSED, UNFOLD, define_bh4, define_bh4_projection,
                                        define_bh4_stage, define_fold, schedule_fold)
from lookup_tvm.ops.bh4.layout import DOT_LAYOUT, TILE_LAYOUT, bf16_dot_layout, default_token_tile, stage_footprint
from lookup_tvm.ops.bh4.schedule import schedule_stages, stage_knobs
from lookup_tvm.ops.bh4.small import SMALL_STAGE_SIZED, schedule_small_stages, small_layout, small_stage_knobs
from lookup_tvm.ops.bh4.intrinsics import register_known as register_known_intrinsics
from lookup_tvm.ops.bh4.intrinsics import register_named as register_intrinsics
from lookup_tvm.ops.bh4.amx import tiles_emulated
from lookup_tvm.ops.bh4.torch_ops import (bh4, bh4_fold, bh4_projection, bh4_train, check_bh4_args, check_bias,
                                          hadamard_matrix)

STAGE_SMALL = SMALL_TOKENS["bh4_stage"]  # the stage kernels' small-batch limit on up to 16 cores

OPERATORS = (
    Operator(name="bh4_fold", define=define_fold, schedule=schedule_fold, check=check_bh4_kernels,
             workload=fold_workload),
    Operator(name="bh4", define=define_bh4, schedule=schedule_stages, check=check_tiled_stages, workload=bh4_workload,
             knobs=stage_knobs, layout=default_token_tile, layout_params=TILE_LAYOUT, min_tokens=STAGE_SMALL + 1,
             footprint=stage_footprint),
    Operator(name="bh4_projection", define=define_bh4_projection, schedule=schedule_stages, check=check_tiled_stages,
             workload=bh4_workload, knobs=stage_knobs, layout=default_token_tile, layout_params=TILE_LAYOUT,
             min_tokens=STAGE_SMALL + 1, footprint=stage_footprint),
    Operator(name="bh4_stage", define=define_bh4_stage, schedule=schedule_stages, check=check_tiled_stages,
             workload=bh4_workload, knobs=stage_knobs, layout=bf16_dot_layout, tolerance=bf16_dot_tolerance,
             layout_params=DOT_LAYOUT, min_tokens=STAGE_SMALL + 1, footprint=stage_footprint),
    Operator(name="bh4_stage_grad", define=define_stage_grad, schedule=schedule_stage_grad, check=check_tiled_stages,
             workload=stage_grad_workload, knobs=stage_grad_knobs, layout=bf16_dot_layout,
             tolerance=bf16_dot_tolerance, layout_params=DOT_LAYOUT, min_tokens=STAGE_SMALL + 1,
             footprint=stage_footprint),
    Operator(name="bh4_stage_small", define=define_bh4_stage, schedule=schedule_small_stages, check=check_small_stages,
             workload=bh4_workload, knobs=small_stage_knobs, layout=small_layout, tolerance=bf16_dot_tolerance,
             layout_params=DOT_LAYOUT, max_tokens=STAGE_SMALL, sized=SMALL_STAGE_SIZED),
    Operator(name="bh4_stage_grad_small", define=define_stage_grad, schedule=schedule_small_stages,
             check=check_small_stages, workload=stage_grad_workload, knobs=small_stage_knobs, layout=small_layout,
             tolerance=bf16_dot_tolerance, layout_params=DOT_LAYOUT, max_tokens=STAGE_SMALL, sized=SMALL_STAGE_SIZED),
    Operator(name="bh4_weight_grad", define=define_weight_grad, schedule=schedule_weight_grad, check=check_bh4_kernels,
             workload=weight_grad_workload, knobs=weight_grad_knobs, layout=weight_grad_layout,
             sampled_knobs=WEIGHT_GRAD_SAMPLED_KNOBS, layout_params=TILE_LAYOUT, sized=WEIGHT_GRAD_SIZED,
             footprint=weight_grad_footprint),
)


def _stages(config, op: str):
    """A stage kernel's calls per step: stage 1 reads the shared x (r_in = 1), stages 2-4 the r
    repeats (or the shared x again when r == 1)."""
    later = 3 if config.repeats > 1 else 0
    first = [(op, {**config.bh4_shape, "r_in": 1}, 4 - later)]
    return first + ([(op, {**config.bh4_shape, "r_in": config.repeats}, later)] if later else [])


def _kernels(config):
    if config.projection != "bh4":
        return []
    shape = config.bh4_shape
    needed = [("bh4_fold", {**shape, "mode": mode}) for mode in (FOLD, FOLD_TRANSPOSED, UNFOLD)]
    needed += [("bh4", shape), ("bh4_projection", {**shape, "features": config.h * config.tau})]
    stages = ("bh4_stage", "bh4_stage_grad", "bh4_stage_small", "bh4_stage_grad_small")
    for r_in in sorted({1, config.repeats}):
        needed += [(op, {**shape, "r_in": r_in}) for op in (*stages, "bh4_weight_grad")]
        needed += [(op, {**shape, "r_in": r_in, **storage_variant(True)}) for op in stages]
    return needed


def _inference(config, bf16: bool, tokens: int | None, cores: int, table_bits: int = 0):
    """None per forward: the front end's folded weights are folded once per change of the weights
    (``LookupFFN`` keeps them), with the fold kernel that training's forward also runs."""
    return []


def _forward(config):
    if config.projection != "bh4":
        return []
    return [("bh4_fold", {**config.bh4_shape, "mode": FOLD}, 1), *_stages(config, "bh4_stage")]


def _backward(config):
    if config.projection != "bh4":
        return []
    return [("bh4_fold", {**config.bh4_shape, "mode": FOLD_TRANSPOSED}, 1), *_stages(config, "bh4_stage_grad"),
            *_stages(config, "bh4_weight_grad"), ("bh4_fold", {**config.bh4_shape, "mode": UNFOLD}, 1)]


FAMILY = Family("bh4", OPERATORS, op_samples, _kernels, _inference, _forward, _backward)

__all__ = ["FAMILY", "OPERATORS", "bh4", "bh4_fold", "bh4_projection", "bh4_train", "check_bh4_args", "check_bias",
           "hadamard_matrix", "register_intrinsics", "register_known_intrinsics", "tiles_emulated"]
