"""The hash family's checks: the reference comparison the tuner runs, and the benchmark
workloads with their PyTorch baselines and byte counts."""
from __future__ import annotations

import torch

from lookup_tvm import reference as R
from lookup_tvm.kit.checks import relative_error
from lookup_tvm.kit.handles import handle_of
from lookup_tvm.kit.operator import OpSpec
from lookup_tvm.kit.workload import F32_BYTES, Workload
from lookup_tvm.ops.dispatch import SMALL_TOKENS, small_limit
from lookup_tvm.ops.hash.torch_ops import hash_backward, hash_codes


def op_samples():
    """The family's custom ops on small valid arguments (for opcheck and bad-input tests)."""
    z = torch.randn(5, 3, 4)
    return [(hash_codes, (z.clone().requires_grad_(), 0)), (hash_backward, (z, torch.randn(5, 3), 0))]


def check_hash_kernels(kernels, spec: OpSpec, tokens: int) -> float:
    """Codes (exactly), scores and the gradient to z against the reference."""
    z = torch.randn(tokens, spec["h"], spec["tau"], requires_grad=True)
    codes, scores = hash_codes(z, handle_of(kernels))
    want_codes, want_scores = R.hash_codes(z)
    if not torch.equal(codes, want_codes):
        return float("inf")
    grad = torch.randn_like(want_scores)
    got, want = torch.autograd.grad(scores, z, grad)[0], torch.autograd.grad(want_scores, z, grad)[0]
    return max(relative_error(scores, want_scores), relative_error(got, want))


def check_tiled_hash(kernels, spec: OpSpec, tokens: int) -> float:
    """:func:`check_hash_kernels` at more tokens than the small kernels take on the kernels'
    target (:func:`~lookup_tvm.ops.dispatch.small_limit`), so that the token-tiled kernels run."""
    return check_hash_kernels(kernels, spec, max(tokens, small_limit("hash", kernels.target.profile.cores) + 1))


def check_small_hash(kernels, spec: OpSpec, tokens: int) -> float:
    """:func:`check_hash_kernels` at up to the tokens the small kernels serve on any core count."""
    return check_hash_kernels(kernels, spec, min(tokens, SMALL_TOKENS["hash"]))


def hash_workload(spec: OpSpec, tokens: int) -> Workload:
    """Codes and scores of random z; PyTorch: the reference's tensor ops."""
    h, tau = spec["h"], spec["tau"]
    z = torch.randn(tokens, h, tau)
    args = [z, torch.empty(tokens, h, dtype=torch.int32), torch.empty(tokens, h)]
    return Workload(args, lambda: R.hash_codes(z), "torch ops (reference)", 0.0, F32_BYTES * tokens * h * (tau + 2))


def hash_grad_workload(spec: OpSpec, tokens: int) -> Workload:
    """The score gradient to z; PyTorch: the spec's formula in tensor ops."""
    h, tau = spec["h"], spec["tau"]
    z, g = torch.randn(tokens, h, tau), torch.randn(tokens, h)

    def torch_grad():
        mag = z.abs()
        inv_p = 1.0 / torch.prod(1 + torch.exp(-2 * mag), -1, keepdim=True)
        a = mag.sum(-1, keepdim=True)
        return g[..., None] * torch.sign(z) * (1 + 2 * a * torch.sigmoid(-2 * mag)) * inv_p

    return Workload([z, g, torch.empty_like(z)], torch_grad, "torch ops", 0.0, F32_BYTES * tokens * h * (2 * tau + 1))
