"""The gather family: the score-weighted sum of one table row per table (spec step 6) and
its gradients to scores and tables.

- build side: :mod:`.compute` (forward, on float or quantized tables), :mod:`.backward` (score
  gradient, scatter-add table gradient, both fused), with their knobs, layouts and default
  schedules;
- torch side: :mod:`.torch_ops` (argument checks, kernel calls, custom ops with autograd);
- checks: :mod:`.checks` (reference comparison, workloads and ``embedding_bag`` baselines,
  FLOP and byte counts).
"""
from __future__ import annotations

from lookup_tvm.ops.dispatch import SMALL_TOKENS, serving_op
from lookup_tvm.kit.family import Family
from lookup_tvm.kit.operator import Operator, storage_variant, table_variant
from lookup_tvm.ops.gather.backward import (SCATTER_LAYOUT, SCATTER_SIZED, SCORE_GRAD_SIZED, SCORE_GRAD_SAMPLED_KNOBS,
                                            define_gather_grad, define_score_grad, define_table_grad,
                                            scatter_footprint, scatter_layout_search, schedule_score_grad,
                                            score_grad_knobs, table_grad_layout)
from lookup_tvm.ops.gather.checks import (check_gather_kernels, check_small_gather, gather_grad_workload,
                                          gather_workload, op_samples, score_grad_workload, table_grad_workload)
from lookup_tvm.ops.gather.compute import (SIZED, SAMPLED_KNOBS, define_gather, gather_footprint, gather_knobs,
                                           schedule_gather)
from lookup_tvm.ops.gather.small import (define_small_gather, schedule_small_gather,
                                         small_gather_footprint, small_gather_knobs)
from lookup_tvm.ops.gather.small import SIZED as SMALL_SIZED
from lookup_tvm.ops.gather.small import SAMPLED_KNOBS as SMALL_SAMPLED_KNOBS
from lookup_tvm.ops.gather.torch_ops import gather_accumulate, gather_quantized
from lookup_tvm.quantize import quantized_formats

OPERATORS = (
    Operator(name="gather", define=define_gather, schedule=schedule_gather, check=check_gather_kernels,
             workload=gather_workload, knobs=gather_knobs, sampled_knobs=SAMPLED_KNOBS, sized=SIZED,
             footprint=gather_footprint, cold_timing=True),
    Operator(name="gather_small", define=define_small_gather, schedule=schedule_small_gather, check=check_small_gather,
             workload=gather_workload, knobs=small_gather_knobs, sampled_knobs=SMALL_SAMPLED_KNOBS,
             max_tokens=SMALL_TOKENS["gather"], sized=SMALL_SIZED, footprint=small_gather_footprint),
    Operator(name="gather_score_grad", define=define_score_grad, schedule=schedule_score_grad,
             check=check_gather_kernels, workload=score_grad_workload, knobs=score_grad_knobs,
             sampled_knobs=SCORE_GRAD_SAMPLED_KNOBS, sized=SCORE_GRAD_SIZED),
    Operator(name="gather_table_grad", define=define_table_grad, schedule=None, check=check_gather_kernels,
             workload=table_grad_workload, layout=table_grad_layout, layout_params=SCATTER_LAYOUT,
             layout_search=scatter_layout_search, sized=SCATTER_SIZED, footprint=scatter_footprint),
    Operator(name="gather_grad", define=define_gather_grad, schedule=None, check=check_gather_kernels,
             workload=gather_grad_workload, layout=table_grad_layout, layout_params=SCATTER_LAYOUT,
             layout_search=scatter_layout_search, sized=SCATTER_SIZED, footprint=scatter_footprint),
)


def _shape(config) -> dict[str, int]:
    return {"h": config.h, "rows": config.rows, "d_out": config.d_out}


def _kernels(config):
    fp32 = [(op, _shape(config)) for op in ("gather", "gather_small", "gather_score_grad", "gather_table_grad",
                                            "gather_grad")]
    bf16 = [(op, {**_shape(config), **storage_variant(True)}) for op in ("gather", "gather_small", "gather_grad")]
    quantized = [(op, {**_shape(config), **table_variant(False, bits)}) for bits in quantized_formats(config.d_out)
                 for op in ("gather", "gather_small")]
    return fp32 + bf16 + quantized


def _inference(config, bf16: bool, tokens: int | None, cores: int, table_bits: int = 0):
    """The forward reads bfloat16 tables in a bfloat16 layer (BH4 or dense projection), quantized
    ones (``table_bits``) in a layer serving with them; small calls run ``gather_small``."""
    return [(serving_op("gather", tokens, cores), {**_shape(config), **table_variant(bf16, table_bits)})]


FAMILY = Family("gather", OPERATORS, op_samples, _kernels, _inference,
                forward=lambda config: [("gather", _shape(config), 1)],
                backward=lambda config: [("gather_grad", _shape(config), 1)])

__all__ = ["FAMILY", "OPERATORS", "gather_accumulate", "gather_quantized"]
