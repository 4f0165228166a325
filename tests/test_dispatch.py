"""One policy decides which kernel serves a call (``lookup_tvm.ops.dispatch``): for every
projection, dtype, table format, token count and core count, the kernels a forward asks for are the ones the
layer's kernel list names, and those are among the kernels ``tune.py`` tunes and exports."""
from __future__ import annotations

import dataclasses
import itertools
from collections import Counter

import pytest
import torch

from lookup_tvm import LookupFFN
from lookup_tvm.cpu.resolve import parse_target
from lookup_tvm.kernels import CompiledKernels, Kernel
from lookup_tvm.ops import kernel_key
from lookup_tvm.ops.dispatch import SMALL_TOKENS, serving_op, small_limit

TOKENS = (1, 8, 64, 65, 256, 257, 512, 513, 4096)
CORES = (2, 16, 64)


class RecordingKernels(CompiledKernels):
    """Kernels that record which kernel each call asks for and run nothing (no build): only the
    choice of kernel is looked at (integer outputs are zeroed so that codes stay valid)."""

    def __init__(self, target):
        super().__init__(target, check_isa=False)
        self.calls: Counter = Counter()

    def compile(self, spec):
        return Kernel(spec, lambda *args: None)

    def get(self, op, **params):
        kernel = super().get(op, **params)
        key = kernel_key(kernel.spec.op, dict(kernel.spec.params))

        def call(*args):
            self.calls[key] += 1
            for arg in args:  # codes out of a hash that ran nothing: valid rows for the gather's checks
                if isinstance(arg, torch.Tensor) and arg.dtype == torch.int32:
                    arg.zero_()

        return dataclasses.replace(kernel, func=call)


@pytest.mark.parametrize("cores", CORES)
@pytest.mark.parametrize("projection,dtype,tables", list(itertools.product(
    ("bh4", "dense"), (torch.float32, torch.bfloat16), ("float", "int8", "int4"))),
                         ids=lambda v: str(v).replace("torch.", ""))
def test_the_kernel_called_is_the_one_the_kernel_list_names(projection, dtype, tables, cores):
    kernels = RecordingKernels(parse_target("host").with_cores(cores))
    layer = LookupFFN(64, 16, 4, block_size=16, projection=projection, dtype=dtype,
                      tables=tables).eval().use_kernels(kernels)
    tuned = layer.config.kernels()
    with torch.no_grad():
        for tokens in TOKENS:
            layer(torch.randn(tokens, 64, dtype=dtype))  # binds the plan (the fold) on the first call
            kernels.calls.clear()
            layer(torch.randn(tokens, 64, dtype=dtype))
            listed = layer.config.inference_kernels(dtype == torch.bfloat16, tokens, cores,
                                                    table_bits={"float": 0, "int8": 8, "int4": 4}[tables])
            assert set(kernels.calls) == {kernel_key(op, p) for op, p in listed}, (tokens, cores)  # a tail: 2 calls
            assert all(kernel in tuned for kernel in listed), (tokens, listed)


@pytest.mark.parametrize("cores", (1, *CORES, 128))
def test_the_limits(cores):
    """Gather and front end: fixed limits; BH4 stages and hashes: 64 tokens, or 4 per core."""
    assert small_limit("gather", cores) == SMALL_TOKENS["gather"] == 512
    assert small_limit("front_end", cores) == SMALL_TOKENS["front_end"] == 256
    for op in ("bh4_stage", "bh4_stage_grad", "hash", "hash_grad"):
        assert small_limit(op, cores) == max(64, 4 * cores)
        limit = small_limit(op, cores)
        assert serving_op(op, limit, cores) == f"{op}_small" and serving_op(op, limit + 1, cores) == op
    assert serving_op("gather", None, cores) == "gather"
