"""The hash family: codes and scores from z (spec steps 4-5) and their gradient to z.

- build side: :mod:`.compute` (TE definitions, knobs, default schedules);
- torch side: :mod:`.torch_ops` (argument checks, kernel calls, custom ops with autograd);
- checks: :mod:`.checks` (reference comparison, workloads and baselines, byte counts).
"""
from __future__ import annotations

from lookup_tvm.kit.family import Family
from lookup_tvm.kit.operator import Operator
from lookup_tvm.ops.dispatch import SMALL_TOKENS, serving_op
from lookup_tvm.ops.hash.checks import (check_small_hash, check_tiled_hash, hash_grad_workload, hash_workload,
                                        op_samples)
from lookup_tvm.ops.hash.compute import (SIZED, SMALL_SIZED, SAMPLED_KNOBS, define_hash, define_hash_grad,
                                         schedule_hash, schedule_hash_grad, schedule_small_hash,
                                         schedule_small_hash_grad, table_knobs, token_knobs)
from lookup_tvm.ops.hash.torch_ops import hash_codes

OPERATORS = (
    Operator(name="hash", define=define_hash, schedule=schedule_hash, check=check_tiled_hash, workload=hash_workload,
             knobs=token_knobs, sampled_knobs=SAMPLED_KNOBS, min_tokens=SMALL_TOKENS["hash"] + 1, sized=SIZED),
    Operator(name="hash_grad", define=define_hash_grad, schedule=schedule_hash_grad, check=check_tiled_hash,
             workload=hash_grad_workload, knobs=token_knobs, sampled_knobs=SAMPLED_KNOBS,
             min_tokens=SMALL_TOKENS["hash"] + 1, sized=SIZED),
    Operator(name="hash_small", define=define_hash, schedule=schedule_small_hash, check=check_small_hash,
             workload=hash_workload, knobs=table_knobs, max_tokens=SMALL_TOKENS["hash"], sized=SMALL_SIZED),
    Operator(name="hash_grad_small", define=define_hash_grad, schedule=schedule_small_hash_grad, check=check_small_hash,
             workload=hash_grad_workload, knobs=table_knobs, max_tokens=SMALL_TOKENS["hash"], sized=SMALL_SIZED),
)


def _shape(config) -> dict[str, int]:
    return {"h": config.h, "tau": config.tau}


def _kernels(config):
    return [(op, _shape(config)) for op in ("hash", "hash_grad", "hash_small", "hash_grad_small")]


def _inference(config, bf16: bool, tokens: int | None, cores: int, table_bits: int = 0):
    """The dense projection's forward hashes z from torch's linear (the BH4 one fuses it into the
    front end)."""
    return [(serving_op("hash", tokens, cores), _shape(config))] if config.projection == "dense" else []


FAMILY = Family("hash", OPERATORS, op_samples, _kernels, _inference,
                forward=lambda config: [("hash", _shape(config), 1)],
                backward=lambda config: [("hash_grad", _shape(config), 1)])

__all__ = ["FAMILY", "OPERATORS", "hash_codes"]
