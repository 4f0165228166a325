"""Quantized tables for serving: row-wise int8 or 4-bit codes with a float32 scale and offset per
row, as FBGEMM's row-wise embedding bags store them.

A row ``T[k, c, :]`` with minimum ``lo`` and maximum ``hi`` is stored as ``q = round((T - lo) /
scale)``, ``scale = (hi - lo) / (2**bits - 1)``, ``q`` in ``[0, 2**bits)``; its value is
``lo + scale * q`` (the error of one value is at most ``scale / 2``). The gather of quantized
tables is then ``y[t] = sum_k s[t,k] * scale[k,c] * q[k,c,:] + s[t,k] * lo[k,c]``, accumulated in
float32 (:func:`gather_accumulate_quantized`, the kernels' reference).

int8 stores one byte per value; 4-bit two, in groups of :data:`INT4_GROUP` columns: byte ``j``
of a group's :data:`INT4_GROUP` / 2 bytes holds column ``j`` in its low nibble and column
``j + INT4_GROUP / 2`` in its high nibble, so a kernel's vector of up to 16 columns reads 16
consecutive bytes and one shift.
"""
from __future__ import annotations

import dataclasses

import torch
from torch import Tensor

from lookup_tvm.kit.checks import check_dims, check_tensor

TABLE_FORMATS = {"float": 0, "int8": 8, "int4": 4}
"""The table formats a layer serves with, and their bits per value (0: the parameters' dtype)."""
INT4_GROUP = 32
"""Columns per 4-bit packing group (16 bytes)."""


def table_bits(table_format: str) -> int:
    """The bits of a table format's values (0 for ``"float"``), or ValueError."""
    if table_format not in TABLE_FORMATS:
        raise ValueError(f"tables must be one of {sorted(TABLE_FORMATS)}, got {table_format!r}")
    return TABLE_FORMATS[table_format]


def format_name(bits: int) -> str:
    return {v: k for k, v in TABLE_FORMATS.items()}[bits]


def check_quantizable(d_out: int, bits: int) -> None:
    """4-bit tables need whole packing groups: ``d_out`` a multiple of :data:`INT4_GROUP`."""
    if bits == 4 and d_out % INT4_GROUP:
        raise ValueError(f"4-bit tables pack {INT4_GROUP} columns per group: d_out must be a multiple of "
                         f"{INT4_GROUP}, got {d_out}")
    if bits not in (4, 8):
        raise ValueError(f"tables quantize to 8 or 4 bits, got {bits}")


def quantized_formats(d_out: int) -> tuple[int, ...]:
    """The quantized table bits a layer of ``d_out`` output columns can serve with."""
    return (8, 4) if d_out % INT4_GROUP == 0 else (8,)


def packed_columns(d_out: int, bits: int) -> int:
    """Bytes per stored row."""
    return d_out * bits // 8


@dataclasses.dataclass(frozen=True)
class QuantizedTables:
    """packed [h, rows, d_out * bits / 8] uint8, scale and offset [h, rows] float32."""

    packed: Tensor
    scale: Tensor
    offset: Tensor
    bits: int

    @property
    def shape(self) -> tuple[int, int, int]:
        """[h, rows, d_out] of the tables they stand for."""
        h, rows, width = self.packed.shape
        return h, rows, width * 8 // self.bits

    @property
    def nbytes(self) -> int:
        return sum(t.numel() * t.element_size() for t in (self.packed, self.scale, self.offset))

    def values(self) -> Tensor:
        """The quantized values q [h, rows, d_out] (uint8, unpacked)."""
        return unpack_int4(self.packed) if self.bits == 4 else self.packed

    def dequantize(self) -> Tensor:
        """[h, rows, d_out] float32: ``offset + scale * q``."""
        return self.offset.unsqueeze(-1) + self.scale.unsqueeze(-1) * self.values().float()

    def check(self) -> "QuantizedTables":
        """The dtypes, ranks and matching shapes of the parts, or TypeError/ValueError."""
        check_tensor("packed tables", self.packed, torch.uint8, 3)
        h, rows, d_out = self.shape
        check_quantizable(d_out, self.bits)
        for name, part in (("table scales", self.scale), ("table offsets", self.offset)):
            check_tensor(name, part, torch.float32, 2)
            check_dims(name, part, [h, rows])
        return self


def quantize_tables(tables: Tensor, bits: int) -> QuantizedTables:
    """tables [h, rows, d_out] (any float dtype) -> row-wise ``bits``-bit :class:`QuantizedTables`."""
    h, rows, d_out = tables.shape
    check_quantizable(d_out, bits)
    wide = tables.detach().float()
    lo, hi = wide.amin(-1), wide.amax(-1)
    scale = (hi - lo) / (2 ** bits - 1)
    inverse = torch.where(scale > 0, 1.0 / scale, torch.zeros_like(scale))
    q = torch.round((wide - lo.unsqueeze(-1)) * inverse.unsqueeze(-1)).clamp_(0, 2 ** bits - 1).to(torch.uint8)
    packed = pack_int4(q) if bits == 4 else q
    return QuantizedTables(packed.contiguous(), scale.contiguous(), lo.contiguous(), bits)


def fake_quantize(tables: Tensor, bits: int) -> Tensor:
    """The tables rounded as :func:`quantize_tables` stores them, with the gradient passed
    straight through (for fine-tuning with the serving format's rounding)."""
    rounded = quantize_tables(tables, bits).dequantize().to(tables.dtype)
    return rounded + (tables - tables.detach())  # the rounded values exactly, the gradient of tables


def pack_int4(q: Tensor) -> Tensor:
    """q [..., d_out] uint8 in [0, 16) -> [..., d_out / 2] uint8 (see the module docstring)."""
    *lead, d_out = q.shape
    half = INT4_GROUP // 2
    groups = q.reshape(*lead, d_out // INT4_GROUP, 2, half)
    return (groups[..., 0, :] | (groups[..., 1, :] << 4)).reshape(*lead, d_out // 2)


def unpack_int4(packed: Tensor) -> Tensor:
    """The inverse of :func:`pack_int4`: [..., d_out / 2] uint8 -> [..., d_out] uint8."""
    *lead, width = packed.shape
    half = INT4_GROUP // 2
    groups = packed.reshape(*lead, width // half, 1, half)
    return torch.cat([groups & 15, groups >> 4], dim=-2).reshape(*lead, width * 2)


def gather_accumulate_quantized(codes: Tensor, scores: Tensor, tables: QuantizedTables) -> Tensor:
    """The gather of quantized tables (the kernels' reference): codes [B, h] int32, scores [B, h]
    float32 -> [B, d_out] float32, ``sum_k (s * scale) * q + s * offset`` in float64 rounded once."""
    h = tables.packed.shape[0]
    index = (torch.arange(h), codes.long())
    rows = tables.values()[index].double()  # [B, h, d_out]
    weights = scores.double() * tables.scale[index].double()
    shift = (scores.double() * tables.offset[index].double()).sum(-1, keepdim=True)
    return (torch.einsum("bk,bkd->bd", weights, rows) + shift).float()
