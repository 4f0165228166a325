"""Per-kernel workloads: realistic inputs, the best PyTorch formulation of the same operator,
and the FLOP and byte counts used to report GFLOP/s and GB/s.

Arguments are laid out as the kernels take them (inputs, then outputs); token-tiled
kernels get ``[tiles, token_tile, ...]`` views.
"""
from __future__ import annotations

import dataclasses
from typing import Callable

import torch

from lookup_tvm.ops import OpSpec, token_tile
from lookup_tvm.reference import hadamard


@dataclasses.dataclass
class Workload:
    args: list[torch.Tensor]
    torch_fn: Callable[[], object]
    torch_name: str
    flops: float
    bytes: float


def _bh4_stage_torch(y: torch.Tensor, w: torch.Tensor, cross: torch.Tensor) -> torch.Tensor:
    """One stage with batched matmuls on layout [r, nb, B, b]: (y @ W) then cross @ (.)."""
    r, nb = w.shape[:2]
    t = torch.matmul(y.expand(r, *y.shape[1:]), w)
    return torch.matmul(cross, t.reshape(r, nb, -1)).view_as(t)


def make_workload(spec: OpSpec, tokens: int) -> Workload:
    """Inputs for one kernel at ``tokens`` tokens and its PyTorch counterpart."""
    p = dict(spec.params)
    op, tile = spec.op, token_tile(spec)
    tokens = max(tile, tokens - tokens % tile)
    f32 = 4

    def tiled(t: torch.Tensor) -> torch.Tensor:
        return t.view(-1, tile, *t.shape[1:]) if tile > 1 else t

    if op == "bh4_fold":
        r, nb, b = p["r"], p["nb"], p["b"]
        source, folded = (r, 4, nb, b, b), (4, r, nb, b, b)
        if p["mode"] == 2:
            source, folded = folded, source
        w, hb, out = torch.randn(source), hadamard(torch.eye(b)), torch.empty(folded)
        return Workload([w, hb, out], lambda: torch.matmul(hb, w), "torch.matmul",
                        2.0 * w.numel() * b, 2.0 * f32 * w.numel())
    if op in ("bh4", "bh4_projection", "bh4_stage", "bh4_stage_grad"):
        r, nb, b = p["r"], p["nb"], p["b"]
        fused = op in ("bh4", "bh4_projection")
        r_in = 1 if fused else p["r_in"]
        stages = 4 if fused else 1
        cross = hadamard(torch.eye(nb))
        x = torch.randn(tokens, r if op == "bh4_stage_grad" else r_in, nb, b)
        w = torch.randn(4, r, nb, b, b) / b if fused else torch.randn(r, nb, b, b) / b
        outs = [torch.empty(tokens, r, nb, b)] + ([torch.empty(tokens, r_in, nb, b)] if op == "bh4_stage_grad" else [])
        y_t = x.permute(1, 2, 0, 3).contiguous()
        ws = [w[s] for s in range(4)] if fused else [w]
        shared = [w, cross]
        if op == "bh4_projection":
            bias = torch.randn(p["features"])
            shared, outs = [w, cross, bias], [torch.empty(tokens, p["features"])]
            x_flat = x.view(tokens, -1)

        def run_torch():
            y = y_t
            for weight in ws:
                y = _bh4_stage_torch(y, weight, cross)
            if op == "bh4_projection":
                z = 0.7 * y.permute(2, 0, 1, 3).reshape(tokens, -1) + 0.3 * x_flat.repeat(1, r)
                return z[:, : p["features"]] + bias
            return y

        flops = stages * 2.0 * tokens * r * nb * b * (b + nb)
        return Workload([tiled(x), *shared, *map(tiled, outs)], run_torch, "torch.matmul (batched)",
                        flops, f32 * tokens * nb * b * (r_in + r * len(outs)))
    if op == "bh4_weight_grad":
        r, r_in, nb, b = p["r"], p["r_in"], p["nb"], p["b"]
        g, y = torch.randn(tokens, r, nb, b), torch.randn(tokens, r_in, nb, b)
        out = torch.empty(r, nb, b, b)
        g_t, y_t = g.permute(1, 2, 3, 0).contiguous(), y.permute(1, 2, 0, 3).contiguous()
        return Workload([tiled(g), tiled(y), out], lambda: torch.matmul(g_t, y_t.expand(r, nb, tokens, b)), "torch.matmul",
                        2.0 * tokens * r * nb * b * b, f32 * tokens * nb * b * (r + r_in))
    if op in ("hash", "hash_grad"):
        from lookup_tvm.reference import hash_codes

        h, tau = p["h"], p["tau"]
        z = torch.randn(tokens, h, tau)
        if op == "hash":
            args = [z, torch.empty(tokens, h, dtype=torch.int32), torch.empty(tokens, h)]
            return Workload(args, lambda: hash_codes(z), "torch ops (reference)", 0.0, f32 * tokens * h * (tau + 2))
        g = torch.randn(tokens, h)

        def torch_grad():
            mag = z.abs()
            inv_p = 1.0 / torch.prod(1 + torch.exp(-2 * mag), -1, keepdim=True)
            a = mag.sum(-1, keepdim=True)
            return g[..., None] * torch.sign(z) * (1 + 2 * a * torch.sigmoid(-2 * mag)) * inv_p

        return Workload([z, g, torch.empty_like(z)], torch_grad, "torch ops", 0.0, f32 * tokens * h * (2 * tau + 1))
    h, rows, d_out = p["h"], p["rows"], p["d_out"]
    codes = torch.randint(0, rows, (tokens, h), dtype=torch.int32)
    scores, tables, g = torch.randn(tokens, h), torch.randn(h, rows, d_out) * 0.02, torch.randn(tokens, d_out)
    flat = (codes.long() + torch.arange(h) * rows).contiguous()
    flat_tables = tables.view(-1, d_out)
    row_bytes = f32 * tokens * h * d_out
    if op == "gather":
        return Workload(
            [codes, scores, tables, torch.empty(tokens, d_out)],
            lambda: torch.nn.functional.embedding_bag(flat, flat_tables, per_sample_weights=scores, mode="sum"),
            "embedding_bag", 2.0 * tokens * h * d_out, row_bytes + f32 * tokens * d_out)
    if op == "gather_score_grad":
        weights = scores.clone().requires_grad_()
        out = torch.nn.functional.embedding_bag(flat, flat_tables, per_sample_weights=weights, mode="sum")
        return Workload(
            [g, codes, tables, torch.empty(tokens, h)],
            lambda: torch.autograd.grad(out, weights, g, retain_graph=True),
            "embedding_bag backward (weights)", 2.0 * tokens * h * d_out, row_bytes + f32 * tokens * d_out)
    if op == "gather_table_grad":
        leaf = flat_tables.clone().requires_grad_()
        out = torch.nn.functional.embedding_bag(flat, leaf, per_sample_weights=scores, mode="sum")
        return Workload(
            [codes, scores, g, torch.empty(h, rows, d_out)],
            lambda: torch.autograd.grad(out, leaf, g, retain_graph=True),
            "embedding_bag backward", 2.0 * tokens * h * d_out, 2 * row_bytes + f32 * h * rows * d_out)
    raise ValueError(f"no workload for operator {op!r}")
