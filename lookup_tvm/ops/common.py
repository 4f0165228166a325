"""Helpers shared by the default schedules."""
from __future__ import annotations

from lookup_tvm.target import CpuProfile


BF16 = "bfloat16"


def storage_dtype(spec) -> str:
    """The dtype a kernel stores its parameters and activations in: ``bfloat16`` for specs with
    ``bf16=1`` (fp32 accumulation inside), else ``float32``."""
    return BF16 if dict(spec.params).get("bf16", 0) else "float32"


def storage_torch_dtype(spec):
    """:func:`storage_dtype` as a torch dtype (for checks and benchmark inputs)."""
    import torch

    return torch.bfloat16 if storage_dtype(spec) == BF16 else torch.float32


def as_float32(value):
    """A TE expression widened to float32 (bf16 -> fp32 is exact: a 16-bit shift)."""
    return value if value.dtype == "float32" else value.astype("float32")


def widened(tensor):
    """A reader of a TE tensor that returns its elements widened to float32: ``widened(x)(i, j)``."""
    return lambda *index: as_float32(tensor[index])


def vector_lanes(extent: int, profile: CpuProfile, dtype_bits: int = 32) -> int:
    """The widest power-of-two lane count <= the target's vector width that divides ``extent``."""
    lanes = profile.lanes(dtype_bits)
    while lanes > 1 and extent % lanes:
        lanes //= 2
    return lanes


def vector_registers(profile: CpuProfile) -> int:
    """Architectural vector registers: 32 with 512-bit vectors (AVX-512), else 16 (AVX2's
    count; Arm's 32 are under-counted, which only shrinks register tiles)."""
    return 32 if profile.vector_bits >= 512 else 16


def token_tile_for(row_bytes: int, profile: CpuProfile, cap: int = 64) -> int:
    """Tokens per tile so that one tile of rows fits in half of L1d (a power of two <= cap)."""
    tile = 1
    while tile * 2 <= cap and tile * 2 * row_bytes <= profile.l1d_bytes // 2:
        tile *= 2
    return tile


def divisors(extent: int, candidates: list[int]) -> list[int]:
    """The candidates that divide ``extent`` (order kept, duplicates dropped), or [extent]."""
    out = []
    for value in candidates:
        if 1 <= value <= extent and extent % value == 0 and value not in out:
            out.append(value)
    return out or [extent]


def batch_extent(batch):
    """A symbolic token count when ``batch`` is None, else the fixed one (for tuning)."""
    from lookup_tvm.tvm_api import te

    return te.var("batch") if batch is None else batch


def relative_error(actual, expected) -> float:
    """Max abs difference over the expected tensor's max magnitude (torch tensors)."""
    scale = float(expected.detach().abs().max()) if expected.numel() else 0.0
    diff = float((actual.detach().double() - expected.detach().double()).abs().max()) if expected.numel() else 0.0
    return diff / max(scale, 1e-30)
