"""Argument checks that turn bad input into clear exceptions before any kernel runs."""
from __future__ import annotations

from typing import Sequence

import torch

from lookup_tvm.reference import padded_dim


STORAGE_DTYPES = (torch.float32, torch.bfloat16)  # what layer parameters and activations may be stored in


def check_tensor(name: str, value: object, dtype: torch.dtype | tuple[torch.dtype, ...], ndim: int) -> torch.Tensor:
    """A CPU, contiguous tensor of the given dtype (or one of them) and rank, or
    TypeError/ValueError naming ``name``."""
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
    allowed = dtype if isinstance(dtype, tuple) else (dtype,)
    if value.dtype not in allowed:
        names = " or ".join(str(d) for d in allowed)
        raise TypeError(f"{name} must have dtype {names}, got {value.dtype}")
    if value.device.type != "cpu":
        raise ValueError(f"{name} must be on the CPU, got device {value.device}")
    if value.dim() != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {tuple(value.shape)}")
    if not value.is_contiguous():
        raise ValueError(f"{name} must be contiguous (call .contiguous() first)")
    return value


TVM_ALIGNMENT = 64  # bytes: TVM's buffers (and so its compiled kernels) assume data starts on this boundary


def check_dims(name: str, value: torch.Tensor, expected: Sequence[int | None]) -> None:
    """Each non-None entry of ``expected`` must match the tensor's size on that axis."""
    for axis, size in enumerate(expected):
        if size is not None and value.shape[axis] != size:
            raise ValueError(
                f"{name} has shape {tuple(value.shape)}, expected size {size} on axis {axis} "
                f"(expected {tuple('*' if s is None else s for s in expected)})"
            )


def is_power_of_two(value: int) -> bool:
    return value >= 1 and value & (value - 1) == 0


def check_codes_range(codes: torch.Tensor, rows: int) -> None:
    """Every code must index a table row: 0 <= code < rows."""
    if codes.numel() == 0:
        return
    low, high = int(codes.min()), int(codes.max())
    if low < 0 or high >= rows:
        raise ValueError(f"codes must lie in [0, {rows}), got values in [{low}, {high}]")


MAX_CODE_BITS = 30
STAGES = 4  # BH4 rounds (the spec's "4")


def check_bh4_args(x: torch.Tensor, weight: torch.Tensor) -> tuple[int, int, int]:
    """x [B, D] float32 (D a power of two), weight [r, 4, D//b, b, b] float32; returns (r, nb, b)."""
    check_tensor("x", x, torch.float32, 2)
    check_tensor("weight", weight, torch.float32, 5)
    r, stages, nb, b, b2 = weight.shape
    if stages != STAGES or b != b2 or r < 1 or nb < 1 or b < 1:
        raise ValueError(f"weight must have shape [r, 4, D//b, b, b], got {tuple(weight.shape)}")
    dim = x.shape[1]
    if not is_power_of_two(dim):
        raise ValueError(f"x.shape[1] = D must be a power of two, got {dim}")
    if dim % b:
        raise ValueError(f"block size b = {b} (weight.shape[3]) must divide D = {dim}")
    check_dims("weight", weight, [None, STAGES, dim // b, b, b])
    return r, nb, b


def check_front_end_args(x: torch.Tensor, norm_weight: torch.Tensor, norm_bias: torch.Tensor, weight: torch.Tensor,
                         bias: torch.Tensor, tau: int) -> None:
    """x [B, d], norm_weight/norm_bias [d], weight [r, 4, D//b, b, b] with D the power of two
    >= d, bias [h*tau] with h*tau <= r*D, 1 <= tau <= 30; weight float32, the others float32 or
    all bfloat16."""
    check_tensor("x", x, STORAGE_DTYPES, 2)
    d = x.shape[1]
    for name, value in (("norm_weight", norm_weight), ("norm_bias", norm_bias)):
        check_tensor(name, value, x.dtype, 1)
        check_dims(name, value, [d])
    padded = torch.empty(0, padded_dim(d))
    r, nb, b = check_bh4_args(padded, weight)
    if not 1 <= tau <= MAX_CODE_BITS:
        raise ValueError(f"tau must be in [1, {MAX_CODE_BITS}] (int32 codes), got {tau}")
    check_bias(bias, r * nb * b, x.dtype)
    if bias.shape[0] % tau:
        raise ValueError(f"bias length {bias.shape[0]} must be h * tau, a multiple of tau = {tau}")


def check_lookup_ffn_args(x: torch.Tensor, norm_weight: torch.Tensor, norm_bias: torch.Tensor, weight: torch.Tensor,
                          proj_bias: torch.Tensor, tables: torch.Tensor, out_bias: torch.Tensor) -> None:
    """The whole layer's arguments: as :func:`check_front_end_args`, with tau from tables
    [h, 2**tau, d_out] (h*tau = proj_bias length) and out_bias [d_out]; weight float32, the
    others all float32 or all bfloat16."""
    check_tensor("tables", tables, STORAGE_DTYPES, 3)
    h, rows, d_out = tables.shape
    if not is_power_of_two(rows) or rows < 2:
        raise ValueError(f"tables.shape[1] must be 2**tau rows (tau >= 1), got {rows}")
    tau = rows.bit_length() - 1
    check_front_end_args(x, norm_weight, norm_bias, weight, proj_bias, tau)
    if proj_bias.shape[0] != h * tau:
        raise ValueError(f"proj_bias has {proj_bias.shape[0]} values, the tables need h * tau = {h * tau}")
    check_tensor("x", x, tables.dtype, 2)
    check_tensor("out_bias", out_bias, tables.dtype, 1)
    check_dims("out_bias", out_bias, [d_out])


def check_bh4_grad_args(grad_out: torch.Tensor, x: torch.Tensor, weight: torch.Tensor, acts: torch.Tensor) -> None:
    """The BH4 backward's inputs: grad_out [B, r*D], acts [3, B, r, nb, b] (stage outputs)."""
    r, nb, b = check_bh4_args(x, weight)
    check_tensor("grad_out", grad_out, torch.float32, 2)
    check_dims("grad_out", grad_out, [x.shape[0], r * nb * b])
    check_tensor("acts", acts, torch.float32, 5)
    check_dims("acts", acts, [STAGES - 1, x.shape[0], r, nb, b])


def check_bias(bias: torch.Tensor, width: int, dtype: torch.dtype = torch.float32) -> None:
    """bias [F] of ``dtype`` with 1 <= F <= width (= r*D)."""
    check_tensor("bias", bias, dtype, 1)
    if not 1 <= bias.shape[0] <= width:
        raise ValueError(f"bias length F must be in [1, r*D = {width}], got {bias.shape[0]}")


def check_hash_args(z: torch.Tensor, grad_scores: torch.Tensor | None = None) -> None:
    """z [B, h, tau] float32 with 1 <= tau <= 30; grad_scores [B, h] float32."""
    check_tensor("z", z, torch.float32, 3)
    if not 1 <= z.shape[2] <= MAX_CODE_BITS:
        raise ValueError(f"z.shape[2] = tau must be in [1, {MAX_CODE_BITS}] (int32 codes), got {z.shape[2]}")
    if z.shape[1] < 1:
        raise ValueError(f"z.shape[1] = h must be >= 1, got {z.shape[1]}")
    if grad_scores is not None:
        check_tensor("grad_scores", grad_scores, torch.float32, 2)
        check_dims("grad_scores", grad_scores, list(z.shape[:2]))


def check_gather_args(codes: torch.Tensor, tables: torch.Tensor, scores: torch.Tensor | None = None,
                      grad_out: torch.Tensor | None = None,
                      table_dtypes: tuple[torch.dtype, ...] = (torch.float32,)) -> None:
    """codes [B, h] int32 in [0, rows), tables [h, rows, d_out] of one of ``table_dtypes``,
    scores [B, h] and grad_out [B, d_out] float32 when given."""
    check_tensor("codes", codes, torch.int32, 2)
    check_tensor("tables", tables, table_dtypes, 3)
    h, rows, d_out = tables.shape
    if min(h, rows, d_out) < 1:
        raise ValueError(f"tables must have non-empty shape [h, rows, d_out], got {tuple(tables.shape)}")
    check_dims("codes", codes, [None, h])
    if scores is not None:
        check_tensor("scores", scores, torch.float32, 2)
        check_dims("scores", scores, [codes.shape[0], h])
    if grad_out is not None:
        check_tensor("grad_out", grad_out, torch.float32, 2)
        check_dims("grad_out", grad_out, [codes.shape[0], d_out])
    check_codes_range(codes, rows)
