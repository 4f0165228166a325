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


class ByteLM(nn.Module):
    """Byte-level causal LM: tokens [B, T] int64 -> logits [B, T, 256]."""

    def __init__(self, d_model: int = 256, layers: int = 4, heads: int = 4, context: int = 128, ffn: str = "lookup",
                 num_tables: int = 64, code_bits: int = 8, block_size: int = 64):
        super().__init__()
        self.embed = nn.Embedding(256, d_model)
        self.pos = nn.Parameter(torch.zeros(context, d_model))
        self.blocks = nn.ModuleList()
        for _ in range(layers):
            if ffn == "vanilla":
                block_ffn: nn.Module = VanillaFFN(d_model, 4 * d_model)
            else:
                backend = "reference" if ffn == "lookup-reference" else "tvm"
                block_ffn = LookupFFN(d_model, num_tables, code_bits, block_size=block_size, backend=backend)
            self.blocks.append(Block(d_model, heads, block_ffn))
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, 256)
        self.register_buffer("mask", torch.triu(torch.full((context, context), float("-inf")), 1), persistent=False)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        t = tokens.shape[1]
        x = self.embed(tokens) + self.pos[:t]
        for block in self.blocks:
            x = block(x, self.mask[:t, :t])
        return self.head(self.norm(x))
