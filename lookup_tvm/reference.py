"""Pure-PyTorch LookupFFN, written from the LookupFFN spec (Zeng et al., arXiv 2403.07221).

This is the ground truth every TVM kernel is tested against. Every function is
differentiable with autograd and follows the spec literally (no fused tricks).
"""
from __future__ import annotations

import math

import torch

from lookup_tvm.spec import LAYER_NORM_EPS, MIX_INPUT, MIX_PROJECTED


def hadamard(x: torch.Tensor) -> torch.Tensor:
    """Unnormalised Walsh-Hadamard transform over the last axis (length a power of two).

    Entries are +-1, so applying it twice multiplies by the length.
    """
    n = x.shape[-1]
    lead = x.shape[:-1]
    y = x.reshape(-1, n)
    h = 1
    while h < n:
        y = y.reshape(-1, n // (2 * h), 2, h)
        a, b = y[:, :, 0, :], y[:, :, 1, :]
        y = torch.stack((a + b, a - b), dim=2)
        h *= 2
    return y.reshape(*lead, n)


def bh4(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Raw BH4: 4 x (block-diagonal matmul, unnormalised Hadamard) per repeat.

    x: [B, D] float32, D a power of two. weight: [r, 4, D//b, b, b] in [out, in] layout.
    Returns [B, r*D]: the repeats concatenated, no residual, no bias.
    """
    repeats, stages, blocks, bsize, _ = weight.shape
    batch, dim = x.shape
    outs = []
    for r in range(repeats):
        y = x
        for s in range(stages):
            y = torch.einsum("nbi,noi->nbo", y.reshape(batch, blocks, bsize).transpose(0, 1), weight[r, s])
            y = hadamard(y.transpose(0, 1).reshape(batch, dim))
        outs.append(y)
    return torch.cat(outs, dim=1)


def round_bf16(t: torch.Tensor) -> torch.Tensor:
    """float32 values rounded to the nearest bfloat16 (ties to even), as float32."""
    return t.bfloat16().float()


class _Bf16BlockMatmul(torch.autograd.Function):
    """A stage's block matmul as a bfloat16 matmul computes it, forward and backward:
    ``y [B, nb, b] x folded [nb, b_in, b_out]``, operands rounded to bfloat16, products summed
    in float32. The input gradient is a bfloat16 matmul too (the incoming gradient and the
    folded weights rounded); the weight gradient is float32, from the unrounded stage input."""

    @staticmethod
    def forward(ctx, y: torch.Tensor, folded: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(y, folded)
        return torch.einsum("bni,nip->bnp", round_bf16(y), round_bf16(folded))

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        y, folded = ctx.saved_tensors
        return (torch.einsum("bnp,nip->bni", round_bf16(grad), round_bf16(folded)),
                torch.einsum("bni,bnp->nip", y, grad))


def bh4_bf16_operands(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """BH4 as a bfloat16 matmul computes it (the ``bf16_dot`` kernels): H_D = H_(D/b) (x) H_b,
    so each stage is a block matmul with H_b folded into the block weights
    (:class:`_Bf16BlockMatmul`: operands rounded to bfloat16, float32 sums; the input gradient
    rounds the incoming gradient, the weight gradient is float32), then H_(D/b) across blocks in
    float32. Shapes as :func:`bh4`."""
    repeats, stages, blocks, bsize, _ = weight.shape
    batch, dim = x.shape
    folded = torch.einsum("po,rsnoi->rsnip", hadamard(torch.eye(bsize)), weight)
    cross = hadamard(torch.eye(blocks))
    outs = []
    for r in range(repeats):
        y = x
        for s in range(stages):
            within = _Bf16BlockMatmul.apply(y.reshape(batch, blocks, bsize), folded[r, s])
            y = torch.einsum("mn,bnp->bmp", cross, within).reshape(batch, dim)
        outs.append(y)
    return torch.cat(outs, dim=1)


def bh4_projection(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor,
                   bf16_operands: bool = False) -> torch.Tensor:
    """BH4 projection of the spec, step 2: ``0.7*BH4 + 0.3*tile(x)`` (:mod:`lookup_tvm.spec`),
    sliced, plus bias.

    x: [B, d] float32 (zero-padded here to D = weight.shape[2]*weight.shape[3]).
    weight: [r, 4, D//b, b, b]. bias: [F] with F <= r*D. Returns z: [B, F].
    ``bf16_operands``: BH4 as :func:`bh4_bf16_operands` computes it.
    """
    _, _, blocks, bsize, _ = weight.shape
    x_pad = torch.nn.functional.pad(x, (0, blocks * bsize - x.shape[1]))
    projected = bh4_bf16_operands(x_pad, weight) if bf16_operands else bh4(x_pad, weight)
    return residual_mix(projected, x_pad, bias)


def normed_projection(x: torch.Tensor, norm_weight: torch.Tensor, norm_bias: torch.Tensor, proj_weight: torch.Tensor,
                      proj_bias: torch.Tensor, projection: str = "bh4", bf16_operands: bool = False) -> torch.Tensor:
    """Spec steps 1-2: LayerNorm (eps 1e-5), then the projection. x: [B, d] -> z: [B, h*tau].

    projection "bh4": proj_weight [r, 4, D//b, b, b]; "dense": proj_weight [h*tau, d].
    ``bf16_operands``: the BH4 stages as a bfloat16 matmul computes them (:func:`bh4_bf16_operands`).
    """
    xn = torch.nn.functional.layer_norm(x, (x.shape[-1],), norm_weight, norm_bias, eps=LAYER_NORM_EPS)
    if projection == "bh4":
        return bh4_projection(xn, proj_weight, proj_bias, bf16_operands)
    if projection == "dense":
        return torch.nn.functional.linear(xn, proj_weight, proj_bias)
    raise ValueError(f"projection must be 'bh4' or 'dense', got {projection!r}")


def front_end(x: torch.Tensor, norm_weight: torch.Tensor, norm_bias: torch.Tensor, proj_weight: torch.Tensor,
              proj_bias: torch.Tensor, tau: int, bf16_operands: bool = False
              ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Spec steps 1-5 with the BH4 projection: LayerNorm (eps 1e-5), projection, hash.

    x: [B, d]; norm_weight, norm_bias: [d]; proj_weight: [r, 4, D//b, b, b]; proj_bias: [h*tau].
    Returns (codes [B, h] int32, scores [B, h], z [B, h, tau]). ``bf16_operands``: see
    :func:`normed_projection`.
    """
    z = normed_projection(x, norm_weight, norm_bias, proj_weight, proj_bias,
                          bf16_operands=bf16_operands).reshape(x.shape[0], -1, tau)
    codes, scores = hash_codes(z)
    return codes, scores, z


def residual_mix(projected: torch.Tensor, x_pad: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """``(0.7 * projected + 0.3 * tile(x_pad))[:, :F] + bias``: projected [B, r*D], x_pad [B, D],
    bias [F] -> z [B, F]."""
    repeats = projected.shape[1] // x_pad.shape[1]
    z = MIX_PROJECTED * projected + MIX_INPUT * x_pad.repeat(1, repeats)
    return z[:, : bias.shape[0]] + bias


def hash_codes(z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Codes and scores of the spec, steps 4-5.

    z: [B, h, tau] float32. Returns (codes [B, h] int32, scores [B, h] float32).
    The first value of a code is its most significant bit; z == 0 gives bit 0.
    Gradients reach z through the scores only.
    """
    tau = z.shape[-1]
    powers = 2 ** torch.arange(tau - 1, -1, -1, device=z.device)
    codes = ((z > 0).to(torch.int64) * powers).sum(-1).to(torch.int32)
    magnitude = z.abs()
    scores = magnitude.sum(-1) / torch.prod(1 + torch.exp(-2 * magnitude), dim=-1)
    return codes, scores


def gather_accumulate(codes: torch.Tensor, scores: torch.Tensor, tables: torch.Tensor) -> torch.Tensor:
    """Score-weighted sum of one table row per table: ``y = sum_k scores_k * T[k, codes_k]``.

    codes: [B, h] int32 in [0, 2**tau). scores: [B, h] float32.
    tables: [h, 2**tau, d_out] float32. Returns [B, d_out].
    """
    h = tables.shape[0]
    rows = tables[torch.arange(h, device=codes.device), codes.long()]  # [B, h, d_out]
    return torch.einsum("bk,bkd->bd", scores, rows)


def padded_dim(d: int) -> int:
    """D of the spec: the next power of two >= d."""
    return 1 << max(0, math.ceil(math.log2(d)))


def lookup_ffn(
    x: torch.Tensor,
    norm_weight: torch.Tensor,
    norm_bias: torch.Tensor,
    proj_weight: torch.Tensor,
    proj_bias: torch.Tensor,
    tables: torch.Tensor,
    out_bias: torch.Tensor,
    projection: str = "bh4",
) -> torch.Tensor:
    """The whole LookupFFN block (spec steps 1-6) for x: [B, d]; returns [B, d_out].

    projection "bh4": proj_weight [r, 4, D//b, b, b]; "dense": proj_weight [h*tau, d].
    proj_bias: [h*tau]; tables: [h, 2**tau, d_out]; out_bias: [d_out].
    """
    h, rows, _ = tables.shape
    tau = rows.bit_length() - 1
    z = normed_projection(x, norm_weight, norm_bias, proj_weight, proj_bias, projection)
    codes, scores = hash_codes(z.reshape(-1, h, tau))
    return gather_accumulate(codes, scores, tables) + out_bias
