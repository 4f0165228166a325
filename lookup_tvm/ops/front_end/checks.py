"""The front-end family's checks: the reference comparison the tuner runs, and the benchmark
workload (PyTorch: ``layer_norm``, batched matmuls per stage, the residual mix and the
reference hash) with its FLOP and byte counts."""
from __future__ import annotations

import torch

from lookup_tvm import reference as R
from lookup_tvm.ops.dispatch import SMALL_TOKENS
from lookup_tvm.kit.checks import BF16_ROUNDING, bf16_dot_error, relative_error
from lookup_tvm.kit.handles import handle_of
from lookup_tvm.kit.operator import OpSpec
from lookup_tvm.kit.workload import F32_BYTES, Workload, whole_tiles
from lookup_tvm.ops.bh4.checks import sample_weight, stage_flops, stage_torch
from lookup_tvm.ops.front_end.torch_ops import front_end
from lookup_tvm.spec import LAYER_NORM_EPS, MIX_INPUT, MIX_PROJECTED, STAGES


def op_samples():
    """The family's custom op on small valid arguments: d = 13 (D = 16), h = 3, tau = 4."""
    return [(front_end, (torch.randn(5, 13), torch.randn(13), torch.randn(13), sample_weight(), torch.randn(12), 4, 0))]


def check_front_end_kernels(kernels, spec: OpSpec, tokens: int) -> float:
    """Codes (exactly, where no z of the code lies within 1e-3 of 0, or within four bfloat16
    roundings for ``bf16_dot``) and all scores (measured by ``bf16_dot_error`` for ``bf16_dot``)
    against the reference's LayerNorm + projection + hash (on the widened inputs for the bfloat16
    variant, with the BH4 stages' operands rounded to bfloat16 for ``bf16_dot``); inf for a wrong
    code."""
    d, r, nb, b, h, tau = (spec[k] for k in ("d", "r", "nb", "b", "h", "tau"))
    storage = getattr(torch, spec.storage_dtype)
    x, norm_weight, norm_bias, bias = (t.to(storage) for t in (
        torch.randn(tokens, d) * 3 + 1, 1 + 0.1 * torch.randn(d), 0.1 * torch.randn(d), 0.1 * torch.randn(h * tau)))
    weight = torch.randn(r, STAGES, nb, b, b) / (b * nb * b) ** 0.5
    with torch.no_grad():
        codes, scores = front_end(x, norm_weight, norm_bias, weight, bias, tau, handle_of(kernels))
        want_codes, want_scores, z = R.front_end(x.float(), norm_weight.float(), norm_bias.float(), weight,
                                                 bias.float(), tau, bf16_operands=spec.bf16_dot)
    clear = z.abs().amin(-1) > (4 * BF16_ROUNDING if spec.bf16_dot else 1e-3)
    if not torch.equal(codes[clear], want_codes[clear]):
        return float("inf")
    return (bf16_dot_error if spec.bf16_dot else relative_error)(scores, want_scores)


def check_large_front_end(kernels, spec: OpSpec, tokens: int) -> float:
    """:func:`check_front_end_kernels` above the small kernel's calls (the calls it serves)."""
    return check_front_end_kernels(kernels, spec, max(tokens, SMALL_TOKENS["front_end"] + 1))


def check_small_front_end(kernels, spec: OpSpec, tokens: int) -> float:
    """:func:`check_front_end_kernels` at up to the small kernel's most tokens (the calls it serves)."""
    return check_front_end_kernels(kernels, spec, min(tokens, SMALL_TOKENS["front_end"]))


def front_end_workload(spec: OpSpec, tokens: int) -> Workload:
    """The fused front end; PyTorch: ``layer_norm``, the BH4 stages as batched matmuls, the
    residual mix and the reference hash. FLOPs: the 4 stages' (as the BH4 kernels count them)."""
    d, r, nb, b, h, tau = (spec[k] for k in ("d", "r", "nb", "b", "h", "tau"))
    tokens, tiled = whole_tiles(spec, tokens)
    dim = nb * b
    storage = getattr(torch, spec.storage_dtype)
    x, gamma, beta = torch.randn(tokens, d).to(storage), torch.ones(d, dtype=storage), torch.zeros(d, dtype=storage)
    w, cross, bias = torch.randn(STAGES, r, nb, b, b) / b, R.hadamard(torch.eye(nb)), torch.randn(h * tau).to(storage)
    codes, scores = torch.empty(tokens, h, dtype=torch.int32), torch.empty(tokens, h)

    def run_torch():
        normed = torch.nn.functional.layer_norm(x.float(), (d,), gamma.float(), beta.float(), eps=LAYER_NORM_EPS)
        x_pad = torch.nn.functional.pad(normed, (0, dim - d))
        y = x_pad.view(tokens, nb, b).permute(1, 0, 2).unsqueeze(0)
        for s in range(STAGES):
            y = stage_torch(y, w[s], cross)
        z = MIX_PROJECTED * y.permute(2, 0, 1, 3).reshape(tokens, -1) + MIX_INPUT * x_pad.repeat(1, r)
        return R.hash_codes((z[:, : h * tau] + bias.float()).view(tokens, h, tau))

    return Workload([tiled(x), gamma, beta, w, cross, bias, tiled(codes), tiled(scores)], run_torch,
                    "layer_norm + torch.matmul (batched) + torch ops", stage_flops(spec, tokens, STAGES),
                    x.element_size() * tokens * d + F32_BYTES * tokens * 2 * h)
