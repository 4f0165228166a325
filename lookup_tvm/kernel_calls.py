"""Running the compiled kernels on torch tensors: allocation, token tiling, the BH4 stage
chain and its backward. Every function takes the :class:`CompiledKernels` to run on."""
from __future__ import annotations

import functools
from typing import Sequence

import torch

from lookup_tvm.buffers import reusable
from lookup_tvm.config import BF16
from lookup_tvm.kernels import CompiledKernels, Kernel
from lookup_tvm.ops.bh4 import FOLD, FOLD_TRANSPOSED, STAGES, UNFOLD
from lookup_tvm.reference import hadamard


@functools.lru_cache(maxsize=None)
def hadamard_matrix(size: int) -> torch.Tensor:
    """The unnormalised Hadamard matrix [size, size] float32 (symmetric, entries +-1)."""
    return hadamard(torch.eye(size, dtype=torch.float32)).contiguous()


def storage(t: torch.Tensor) -> dict[str, int]:
    """The spec parameter that selects a kernel's bfloat16 storage variant for tensor t."""
    return variant(t.dtype == torch.bfloat16)


def variant(bf16: bool) -> dict[str, int]:
    """The spec parameter of a bfloat16 layer's kernel variant (``bf16=1``), or none."""
    return dict(BF16) if bf16 else {}


def run_tiled(kernel: Kernel, batched_in: Sequence[torch.Tensor], shared: Sequence[torch.Tensor],
              batched_out: Sequence[torch.Tensor]) -> None:
    """Call a kernel over all tokens; a token-tiled kernel gets whole tiles, the tail padded."""
    tile = kernel.token_tile
    if tile == 1:
        kernel(*batched_in, *shared, *batched_out)
        return
    batch = batched_out[0].shape[0]
    main = batch - batch % tile

    def tiles(t: torch.Tensor) -> torch.Tensor:
        return t.view(-1, tile, *t.shape[1:])

    if main:
        kernel(*[tiles(t[:main]) for t in batched_in], *shared, *[tiles(t[:main]) for t in batched_out])
    if main < batch:
        padded_in = [t.new_zeros((tile, *t.shape[1:])) for t in batched_in]
        for src, dst in zip(batched_in, padded_in):
            dst[: batch - main] = src[main:]
        padded_out = [t.new_empty((tile, *t.shape[1:])) for t in batched_out]
        kernel(*[tiles(t) for t in padded_in], *shared, *[tiles(t) for t in padded_out])
        for src, dst in zip(padded_out, batched_out):
            dst[main:] = src[: batch - main]


def fold(ck: CompiledKernels, weight: torch.Tensor, mode: int) -> torch.Tensor:
    """Fold H_b into BH4 weights [r, 4, nb, b, b] (FOLD, FOLD_TRANSPOSED -> [4, r, nb, b, b]),
    or unfold a folded-weight gradient back (UNFOLD: [4, r, ...] -> [r, 4, ...]); float32."""
    if mode == UNFOLD:
        _, r, nb, b, _ = weight.shape
        out = weight.new_empty((r, STAGES, nb, b, b))
    else:
        r, _, nb, b, _ = weight.shape
        out = weight.new_empty((STAGES, r, nb, b, b))
    ck.get("bh4_fold", r=r, nb=nb, b=b, mode=mode)(weight, hadamard_matrix(b), out)
    return out


def bh4_forward(ck: CompiledKernels, x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Inference BH4, the 4 stages fused: x [B, D], weight [r, 4, nb, b, b] -> [B, r*D]."""
    r, _, nb, b, _ = weight.shape
    batch = x.shape[0]
    out = reusable((batch, r * nb * b), torch.float32)
    run_tiled(ck.get("bh4", r=r, nb=nb, b=b), [x.view(batch, 1, nb, b)], [fold(ck, weight, FOLD), hadamard_matrix(nb)],
              [out.view(batch, r, nb, b)])
    return out


def bh4_projection(ck: CompiledKernels, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """Inference projection, fused: 0.7 * BH4(x) + 0.3 * tile(x), first F values, + bias.
    x [B, D], weight [r, 4, nb, b, b], bias [F] -> z [B, F]."""
    r, _, nb, b, _ = weight.shape
    batch, features = x.shape[0], bias.shape[0]
    out = reusable((batch, features), torch.float32)
    run_tiled(ck.get("bh4_projection", r=r, nb=nb, b=b, features=features), [x.view(batch, 1, nb, b)],
              [fold(ck, weight, FOLD), hadamard_matrix(nb), bias], [out])
    return out


def front_end(ck: CompiledKernels, x: torch.Tensor, norm_weight: torch.Tensor, norm_bias: torch.Tensor,
              weight: torch.Tensor, bias: torch.Tensor, tau: int,
              into: tuple[torch.Tensor, torch.Tensor] | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Inference front end in one kernel: LayerNorm, BH4 projection and hash.
    x [B, d], norm_weight/norm_bias [d], bias [h*tau]: float32 or bfloat16; weight [r, 4, nb, b,
    b] float32 -> (codes [B, h] int32, scores [B, h] float32), written ``into`` given buffers."""
    r, _, nb, b, _ = weight.shape
    batch, d = x.shape
    h = bias.shape[0] // tau
    codes, scores = into or (reusable((batch, h), torch.int32), reusable((batch, h), torch.float32))
    run_tiled(ck.get("front_end", d=d, r=r, nb=nb, b=b, h=h, tau=tau, **storage(x)), [x],
              [norm_weight, norm_bias, fold(ck, weight, FOLD), hadamard_matrix(nb), bias], [codes, scores])
    return codes, scores


def lookup_ffn_inference(ck: CompiledKernels, x: torch.Tensor, norm_weight: torch.Tensor, norm_bias: torch.Tensor,
                         weight: torch.Tensor, proj_bias: torch.Tensor, tables: torch.Tensor,
                         out_bias: torch.Tensor) -> torch.Tensor:
    """The whole layer without gradients: front end kernel, gather kernel, bias added in place.
    x [B, d], tables [h, 2**tau, d_out], out_bias [d_out] -> y [B, d_out], all float32 or all
    bfloat16 (accumulated in float32, rounded to bfloat16 once at the end)."""
    tau = tables.shape[1].bit_length() - 1
    batch, (h, _, d_out) = x.shape[0], tables.shape
    codes, scores = front_end(ck, x, norm_weight, norm_bias, weight, proj_bias, tau,
                              into=(reusable((batch, h), torch.int32), reusable((batch, h), torch.float32)))
    out = reusable((batch, d_out), x.dtype)
    summed = out if out.dtype == torch.float32 else reusable((batch, d_out), torch.float32)
    gather_forward(ck, codes, scores, tables, into=summed)
    return torch.add(summed, out_bias, out=out)


def bh4_forward_train(ck: CompiledKernels, x: torch.Tensor, weight: torch.Tensor,
                      bf16: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """Training BH4, one kernel per stage: returns (out [B, r*D], stage inputs 1..3 [3, B, r, nb, b]),
    float32. ``bf16``: a bfloat16 layer's stage kernels (bf16 operands where the CPU has dot products)."""
    r, _, nb, b, _ = weight.shape
    batch = x.shape[0]
    folded, cross = fold(ck, weight, FOLD), hadamard_matrix(nb)
    acts = reusable((STAGES - 1, batch, r, nb, b), torch.float32)
    out = reusable((batch, r * nb * b), torch.float32)
    stage_in = x.view(batch, 1, nb, b)
    for s in range(STAGES):
        stage_out = acts[s] if s < STAGES - 1 else out.view(batch, r, nb, b)
        run_tiled(ck.get("bh4_stage", r=r, r_in=stage_in.shape[1], nb=nb, b=b, **variant(bf16)), [stage_in],
                  [folded[s], cross], [stage_out])
        stage_in = stage_out
    return out, acts


def weight_grad(kernel: Kernel, grad_mm: torch.Tensor, stage_input: torch.Tensor, out: torch.Tensor) -> None:
    """out = sum over tokens of stage_input (x) grad_mm, whole tiles first, then the padded tail."""
    tile, batch = kernel.token_tile, grad_mm.shape[0]
    main = batch - batch % tile
    if main:
        kernel(grad_mm[:main].view(-1, tile, *grad_mm.shape[1:]),
               stage_input[:main].view(-1, tile, *stage_input.shape[1:]), out)
    if main < batch:
        pads = [t.new_zeros((tile, *t.shape[1:])) for t in (grad_mm, stage_input)]
        pads[0][: batch - main], pads[1][: batch - main] = grad_mm[main:], stage_input[main:]
        tail = out if not main else torch.empty_like(out)
        kernel(pads[0].view(1, tile, *grad_mm.shape[1:]), pads[1].view(1, tile, *stage_input.shape[1:]), tail)
        if main:
            out += tail
    elif not main:
        out.zero_()


def bh4_backward(ck: CompiledKernels, grad_out: torch.Tensor, x: torch.Tensor, weight: torch.Tensor,
                 acts: torch.Tensor, bf16: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """Gradients of BH4 for x [B, D] and weight [r, 4, nb, b, b] from grad_out [B, r*D]. The
    stages' intermediate gradients live in three pooled buffers (:mod:`lookup_tvm.buffers`),
    reused from stage to stage. ``bf16``: a bfloat16 layer's input-gradient kernels (as
    :func:`bh4_forward_train`)."""
    r, _, nb, b, _ = weight.shape
    batch = x.shape[0]
    folded_t, cross = fold(ck, weight, FOLD_TRANSPOSED), hadamard_matrix(nb)
    stage_inputs = [x.view(batch, 1, nb, b), *acts]
    grad_folded = weight.new_empty((STAGES, r, nb, b, b))
    grad_mm, *ping_pong = (reusable((batch, r, nb, b), torch.float32) for _ in range(3))
    grad = grad_out.view(batch, r, nb, b)
    for s in reversed(range(STAGES)):
        r_in = stage_inputs[s].shape[1]
        grad_in = ping_pong[s % 2] if s else reusable((batch, r_in, nb, b), torch.float32)
        run_tiled(ck.get("bh4_stage_grad", r=r, r_in=r_in, nb=nb, b=b, **variant(bf16)), [grad], [folded_t[s], cross],
                  [grad_mm, grad_in])
        weight_grad(ck.get("bh4_weight_grad", r=r, r_in=r_in, nb=nb, b=b), grad_mm, stage_inputs[s], grad_folded[s])
        grad = grad_in
    return grad.view(batch, nb * b), fold(ck, grad_folded, UNFOLD)


def hash_forward(ck: CompiledKernels, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """z [B, h, tau] -> (codes [B, h] int32, scores [B, h])."""
    batch, h, tau = z.shape
    codes, scores = reusable((batch, h), torch.int32), reusable((batch, h), torch.float32)
    ck.get("hash", h=h, tau=tau)(z, codes, scores)
    return codes, scores


def hash_backward(ck: CompiledKernels, z: torch.Tensor, grad_scores: torch.Tensor) -> torch.Tensor:
    _, h, tau = z.shape
    grad_z = reusable(z.shape, torch.float32)
    ck.get("hash_grad", h=h, tau=tau)(z, grad_scores, grad_z)
    return grad_z


def gather_forward(ck: CompiledKernels, codes: torch.Tensor, scores: torch.Tensor, tables: torch.Tensor,
                   into: torch.Tensor | None = None) -> torch.Tensor:
    """codes [B, h] int32, scores [B, h] float32, tables float32 or bfloat16 -> [B, d_out] float32
    (written ``into`` a given buffer)."""
    h, rows, d_out = tables.shape
    out = reusable((codes.shape[0], d_out), torch.float32) if into is None else into
    ck.get("gather", h=h, rows=rows, d_out=d_out, **storage(tables))(codes, scores, tables, out)
    return out


def gather_score_grad(ck: CompiledKernels, grad_out: torch.Tensor, codes: torch.Tensor,
                      tables: torch.Tensor) -> torch.Tensor:
    h, rows, d_out = tables.shape
    grad_scores = reusable((codes.shape[0], h), torch.float32)
    ck.get("gather_score_grad", h=h, rows=rows, d_out=d_out)(grad_out, codes, tables, grad_scores)
    return grad_scores


def gather_grad(ck: CompiledKernels, grad_out: torch.Tensor, codes: torch.Tensor, scores: torch.Tensor,
                tables: torch.Tensor, in_tables_dtype: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """Both gradients of the gather in one pass over the rows: (grad_scores [B, h] float32,
    grad_tables [h, rows, d_out]), accumulated in float32 even for bfloat16 tables. With
    ``in_tables_dtype`` the table gradient comes in the tables' dtype (bfloat16 tables: summed in
    float32, rounded once). Every buffer is pooled (:mod:`lookup_tvm.buffers`)."""
    h, rows, d_out = tables.shape
    grad_scores = reusable((codes.shape[0], h), torch.float32)
    grad_tables = reusable(tables.shape, torch.float32)
    ck.get("gather_grad", h=h, rows=rows, d_out=d_out, **storage(tables))(codes, scores, grad_out, tables,
                                                                         grad_scores, grad_tables)
    if in_tables_dtype and tables.dtype != torch.float32:
        return grad_scores, reusable(tables.shape, tables.dtype).copy_(grad_tables)
    return grad_scores, grad_tables


def gather_table_grad(ck: CompiledKernels, grad_out: torch.Tensor, codes: torch.Tensor, scores: torch.Tensor,
                      tables: torch.Tensor) -> torch.Tensor:
    h, rows, d_out = tables.shape
    grad_tables = reusable(tables.shape, torch.float32)
    ck.get("gather_table_grad", h=h, rows=rows, d_out=d_out)(codes, scores, grad_out, grad_tables)
    return grad_tables
