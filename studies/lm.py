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


def mask_tokens(tokens: torch.Tensor, generator: torch.Generator,
                rate: float = 0.15) -> tuple[torch.Tensor, torch.Tensor]:
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


def _attend_cached(block: Block, x: torch.Tensor, cache: list[torch.Tensor]) -> torch.Tensor:
    """``block``'s attention for new positions x [B, n, d] over the cached keys and values
    (``cache``: [keys, values] of the earlier positions, [B, heads, t, d/heads]; empty at
    first), which it extends; causal within the new positions."""
    attn = block.attn
    batch, count, width = x.shape
    heads = attn.num_heads
    q, k, v = nn.functional.linear(block.norm(x), attn.in_proj_weight, attn.in_proj_bias).chunk(3, dim=-1)
    q, k, v = (t.reshape(batch, count, heads, width // heads).transpose(1, 2) for t in (q, k, v))
    if cache:
        k, v = torch.cat([cache[0], k], dim=2), torch.cat([cache[1], v], dim=2)
    cache[:] = [k, v]
    out = nn.functional.scaled_dot_product_attention(q, k, v, is_causal=count > 1)
    return attn.out_proj(out.transpose(1, 2).reshape(batch, count, width))


def forward_cached(model: ByteLM, new: torch.Tensor, start: int, caches: list[list[torch.Tensor]]) -> torch.Tensor:
    """Logits [B, n, 256] of the new tokens [B, n] at positions ``start``.. of a causal ``model``,
    attending over the cached earlier positions (``caches``: one per block, extended)."""
    x = model.embed(new) + model.pos[start:start + new.shape[1]]
    for block, cache in zip(model.blocks, caches):
        x = x + _attend_cached(block, x, cache)
        x = x + block.ffn(x)
    return model.head(model.norm(x))


@torch.inference_mode()
def generate(model: ByteLM, prompt: torch.Tensor, steps: int, generator: torch.Generator | None = None,
             temperature: float = 1.0, on_step=None) -> torch.Tensor:
    """Decode ``steps`` bytes after ``prompt`` [B, T0] int64 with a causal ``model``, one per
    sequence per step, attending over cached keys and values: each step runs the FFNs on B
    tokens (a decode-sized batch). Sampling at ``temperature`` (0: greedy). ``on_step(i)`` is
    called after each step. Returns [B, T0 + steps]; T0 + steps must fit the model's context."""
    if prompt.dim() != 2 or prompt.dtype != torch.int64 or prompt.shape[1] < 1:
        raise ValueError(f"prompt must be [batch, length >= 1] int64, got {tuple(prompt.shape)} {prompt.dtype}")
    context = model.pos.shape[0]
    if prompt.shape[1] + steps > context:
        raise ValueError(f"prompt ({prompt.shape[1]}) + steps ({steps}) exceed the model's context of {context}")
    caches: list[list[torch.Tensor]] = [[] for _ in model.blocks]
    tokens, new = prompt, prompt
    for step in range(steps):
        logits = forward_cached(model, new, tokens.shape[1] - new.shape[1], caches)[:, -1]
        if temperature > 0:
            new = torch.multinomial(torch.softmax(logits / temperature, dim=-1), 1, generator=generator)
        else:
            new = logits.argmax(dim=-1, keepdim=True)
        tokens = torch.cat([tokens, new], dim=1)
        if on_step is not None:
            on_step(step)
    return tokens
