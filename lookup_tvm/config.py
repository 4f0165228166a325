"""LayerConfig: the shape of one LookupFFN layer, and the kernels it needs."""
from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

from lookup_tvm.reference import padded_dim


BF16 = {"bf16": 1}  # the spec parameter of a kernel's bfloat16-storage variant


@dataclasses.dataclass(frozen=True)
class LayerConfig:
    """d: model size; h: tables; tau: code bits; b: BH4 block; d_out: output size (default d)."""

    d: int = 512
    h: int = 128
    tau: int = 8
    b: int = 64
    d_out: int | None = None
    projection: str = "bh4"

    def __post_init__(self) -> None:
        for name in ("d", "h", "tau", "b"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"LayerConfig.{name} must be a positive integer, got {value!r}")
        if self.d_out is None:
            object.__setattr__(self, "d_out", self.d)
        if self.projection not in ("bh4", "dense"):
            raise ValueError(f"projection must be 'bh4' or 'dense', got {self.projection!r}")
        if self.projection == "bh4" and (self.dim % self.b or self.b & (self.b - 1)):
            raise ValueError(f"block size b = {self.b} must be a power of two dividing D = {self.dim}")
        if self.tau > 30:
            raise ValueError(f"tau = {self.tau} exceeds 30 bits (int32 codes)")

    @property
    def dim(self) -> int:
        """D: d padded to a power of two."""
        return padded_dim(self.d)

    @property
    def repeats(self) -> int:
        """r: independent BH4 repeats, enough for h*tau hash values."""
        return max(1, math.ceil(self.h * self.tau / self.dim))

    @property
    def rows(self) -> int:
        return 1 << self.tau

    @property
    def bh4_shape(self) -> dict[str, int]:
        """The BH4 kernels' shape parameters: repeats r, blocks nb, block size b."""
        return {"r": self.repeats, "nb": self.dim // self.b, "b": self.b}

    def kernels(self) -> list[tuple[str, dict[str, int]]]:
        """(operator, shape parameters) of every kernel, forward and backward."""
        h, tau, rows, d_out = self.h, self.tau, self.rows, self.d_out
        needed: list[tuple[str, dict[str, int]]] = []
        if self.projection == "bh4":
            shape = self.bh4_shape
            needed += [("bh4_fold", {**shape, "mode": mode}) for mode in (0, 1, 2)]
            needed.append(("bh4", shape))
            needed.append(("bh4_projection", {**shape, "features": h * tau}))
            needed += [("front_end", {**shape, "d": self.d, "h": h, "tau": tau, **bf16}) for bf16 in ({}, BF16)]
            for r_in in sorted({1, self.repeats}):
                needed += [(op, {**shape, "r_in": r_in}) for op in ("bh4_stage", "bh4_stage_grad", "bh4_weight_grad")]
                needed += [(op, {**shape, "r_in": r_in, **BF16}) for op in ("bh4_stage", "bh4_stage_grad")]
        needed += [("hash", {"h": h, "tau": tau}), ("hash_grad", {"h": h, "tau": tau})]
        gather = {"h": h, "rows": rows, "d_out": d_out}
        needed += [(op, gather) for op in ("gather", "gather_score_grad", "gather_table_grad", "gather_grad")]
        needed += [(op, {**gather, **BF16}) for op in ("gather", "gather_grad")]
        return needed

    def inference_kernels(self, bf16: bool = False) -> list[tuple[str, dict[str, int]]]:
        """The kernels the no-gradient forward runs, in order (BH4: fold, front end, gather;
        dense: hash, gather after torch's linear), in their bfloat16-storage variants for a
        bfloat16 layer (the fold and the hash stay float32)."""
        storage = BF16 if bf16 and self.projection == "bh4" else {}
        gather = ("gather", {"h": self.h, "rows": self.rows, "d_out": self.d_out, **storage})
        if self.projection == "dense":
            return [("hash", {"h": self.h, "tau": self.tau}), gather]
        front_end = {**self.bh4_shape, "d": self.d, "h": self.h, "tau": self.tau, **storage}
        return [("bh4_fold", {**self.bh4_shape, "mode": 0}), ("front_end", front_end), gather]

    def training_kernels(self) -> list[tuple[str, dict[str, int], int]]:
        """(operator, shape parameters, calls) of the kernels one training step runs, in order:
        forward (fold, 4 BH4 stages, hash, gather; dense: torch's linear, hash, gather), then
        backward (fused gather gradient, hash gradient, BH4 stage and weight gradients, the
        folds)."""
        steps: list[tuple[str, dict[str, int], int]] = []
        if self.projection == "bh4":
            shape = self.bh4_shape
            later = 3 if self.repeats > 1 else 0  # stages 2-4 read r repeats (or the shared x when r == 1)

            def stages(op: str) -> list[tuple[str, dict[str, int], int]]:
                return [(op, {**shape, "r_in": 1}, 4 - later)] + ([(op, {**shape, "r_in": self.repeats}, later)]
                                                                   if later else [])

            steps += [("bh4_fold", {**shape, "mode": 0}, 1), *stages("bh4_stage")]
        gather = {"h": self.h, "rows": self.rows, "d_out": self.d_out}
        steps += [("hash", {"h": self.h, "tau": self.tau}, 1), ("gather", gather, 1), ("gather_grad", gather, 1),
                  ("hash_grad", {"h": self.h, "tau": self.tau}, 1)]
        if self.projection == "bh4":
            steps += [("bh4_fold", {**shape, "mode": 1}, 1), *stages("bh4_stage_grad"), *stages("bh4_weight_grad"),
                      ("bh4_fold", {**shape, "mode": 2}, 1)]
        return steps

    def flops_per_token(self) -> int:
        """The spec's count: BH4 (or dense) projection + hash + gather."""
        if self.projection == "bh4":
            proj = self.repeats * 4 * (2 * self.dim * self.b + self.dim * int(math.log2(self.dim)))
        else:
            proj = 2 * self.d * self.h * self.tau
        return proj + 2 * self.h * self.d_out

    def cli(self) -> str:
        """The ``--config`` argument of the scripts for this config (``d=512,h=128,...``)."""
        return ",".join(f"{k}={v}" for k, v in dataclasses.asdict(self).items())

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def parse(cls, text: str) -> "LayerConfig":
        """From JSON (``'{"d": 512, "h": 64}'``) or ``key=value`` pairs (``"d=512,h=64"``)."""
        text = text.strip()
        if text.startswith("{"):
            fields = json.loads(text)
        else:
            fields = {}
            for item in filter(None, (p.strip() for p in text.split(","))):
                key, sep, value = item.partition("=")
                if not sep:
                    raise ValueError(f"config item {item!r} is not key=value")
                fields[key.strip()] = value.strip() if key.strip() == "projection" else int(value)
        unknown = set(fields) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise ValueError(f"unknown config fields: {sorted(unknown)}")
        return cls(**fields)


_IN_USE: list[LayerConfig] = []


def note_in_use(config: LayerConfig) -> None:
    """Record a layer config built in this process (tuning hints name its ``--config``)."""
    if config not in _IN_USE:
        _IN_USE.append(config)


def configs_in_use() -> list[LayerConfig]:
    return list(_IN_USE)


def config_with_kernel(op: str, params: dict[str, int]) -> LayerConfig | None:
    """The first layer config in use whose kernels include ``op`` at these shape parameters."""
    return next((c for c in _IN_USE if (op, params) in c.kernels()), None)
