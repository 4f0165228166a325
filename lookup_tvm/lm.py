"""A small pre-norm transformer language model whose FFNs are LookupFFN blocks (or GEMM FFNs)."""
from __future__ import annotations

import torch
from torch import nn

from lookup_tvm.module import LookupFFN


class VanillaFFN(nn.Module):
    """Pre-norm GEMM FFN d -> 4d -> d with GELU (the baseline LookupFFN replaces)."""

    def __init__(self, d_model: int, hidden: int):
        super().__init__()
        self.norm = nn.LayerNorm(d_model)
        self.fc1, self.fc2 = nn.Linear(d_model, hidden), nn.Linear(hidden, d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(nn.functional.gelu(self.fc1(self.norm(x))))


class Block(nn.Module):
    def __init__(self, d_model: int, heads: int, ffn: nn.Module):
        super().__init__()
        self.norm = nn.LayerNorm(d_model)
        self.attn = nn.MultiheadAttention(d_model, heads, batch_first=True)
        self.ffn = ffn

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        h = self.norm(x)
        x = x + self.attn(h, h, h, attn_mask=mask, need_weights=False)[0]
        return x + self.ffn(x)


BYTES = 256
MASK_TOKEN = 256  # the masked-LM's [MASK], outside the byte range


def make_ffn(kind: str, d_model: int, num_tables: int = 64, code_bits: int = 8, block_size: int = 64,
             hidden: int | None = None, lookup_options: dict | None = None) -> nn.Module:
    """One FFN block: ``vanilla`` (d -> hidden (4d) -> d), ``lookup`` (BH4, TVM kernels),
    ``lookup-dense`` (dense projection, TVM kernels), ``lookup-reference`` (pure PyTorch).
    ``lookup_options``: further :class:`LookupFFN` keyword arguments."""
    if kind == "vanilla":
        return VanillaFFN(d_model, hidden or 4 * d_model)
    if kind not in ("lookup", "lookup-dense", "lookup-reference"):
        raise ValueError(f"unknown FFN kind {kind!r}")
    return LookupFFN(d_model, num_tables, code_bits, block_size=block_size,
                     projection="dense" if kind == "lookup-dense" else "bh4",
                     backend="reference" if kind == "lookup-reference" else "tvm", **(lookup_options or {}))


class ByteLM(nn.Module):
    """Byte-level pre-norm transformer: tokens [B, T] int64 -> logits [B, T, 256].

    ``causal=True``: a causal LM. ``causal=False``: a bidirectional encoder for masked-LM
    pretraining, whose inputs may hold :data:`MASK_TOKEN`.
    """

    def __init__(self, d_model: int = 256, layers: int = 4, heads: int = 4, context: int = 128, ffn: str = "lookup",
                 num_tables: int = 64, code_bits: int = 8, block_size: int = 64, causal: bool = True,
                 hidden: int | None = None, lookup_options: dict | None = None):
        super().__init__()
        self.embed = nn.Embedding(BYTES + (0 if causal else 1), d_model)
        self.pos = nn.Parameter(torch.zeros(context, d_model))
        self.blocks = nn.ModuleList(
            Block(d_model, heads, make_ffn(ffn, d_model, num_tables, code_bits, block_size, hidden, lookup_options))
            for _ in range(layers))
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, BYTES)
        mask = torch.triu(torch.full((context, context), float("-inf")), 1) if causal else torch.zeros(context, context)
        self.register_buffer("mask", mask, persistent=False)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        t = tokens.shape[1]
        x = self.embed(tokens) + self.pos[:t]
        for block in self.blocks:
            x = block(x, self.mask[:t, :t])
        return self.head(self.norm(x))


def mask_tokens(tokens: torch.Tensor, generator: torch.Generator, rate: float = 0.15) -> tuple[torch.Tensor, torch.Tensor]:
    """BERT-style masking of byte tokens [B, T]: ``rate`` of the positions are chosen; of those
    80% become :data:`MASK_TOKEN`, 10% a random byte, 10% stay. Returns (inputs, targets) with
    targets -100 (ignored) outside the chosen positions."""
    chosen = torch.rand(tokens.shape, generator=generator) < rate
    roll = torch.rand(tokens.shape, generator=generator)
    inputs = tokens.clone()
    inputs[chosen & (roll < 0.8)] = MASK_TOKEN
    swap = chosen & (roll >= 0.8) & (roll < 0.9)
    inputs[swap] = torch.randint(0, BYTES, (int(swap.sum()),), generator=generator)
    return inputs, torch.where(chosen, tokens, torch.full_like(tokens, -100))
