"""LayerConfig: the shape of one LookupFFN layer, and the kernels it needs (each family's list)."""
from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

from lookup_tvm.ops import FAMILIES
from lookup_tvm.reference import padded_dim
from lookup_tvm.spec import MAX_CODE_BITS, STAGES


@dataclasses.dataclass(frozen=True)
class LayerConfig:
    """One layer's shape: ``d`` the model size, ``h`` tables of ``2**tau`` rows (``tau`` code bits),
    ``b`` the BH4 block size, ``d_out`` the output size (default ``d``), and the ``projection``:
    ``"bh4"`` (the spec's) or ``"dense"`` (a linear layer, for comparison)."""

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
        if self.tau > MAX_CODE_BITS:
            raise ValueError(f"tau = {self.tau} exceeds {MAX_CODE_BITS} bits (int32 codes)")

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
        """(operator, shape parameters) of every kernel, forward and backward, fp32 and bf16."""
        return [kernel for family in FAMILIES for kernel in family.kernels(self)]

    def inference_kernels(self, bf16: bool = False, tokens: int | None = None, cores: int = 1,
                          table_bits: int = 0) -> list[tuple[str, dict[str, int]]]:
        """The kernels the no-gradient forward of ``tokens`` tokens (None: many) runs on a target
        of ``cores`` cores, in order (BH4: front end, gather; dense: hash, gather after torch's
        linear), in their bfloat16-storage variants for a bfloat16 layer where the family has one,
        the gather on ``table_bits``-bit quantized tables where given."""
        return [kernel for family in FAMILIES for kernel in family.inference(self, bf16, tokens, cores, table_bits)]

    def training_kernels(self) -> list[tuple[str, dict[str, int], int]]:
        """(operator, shape parameters, calls) of the kernels one training step of a batch above the
        small-batch kernels' sizes runs, in order: each family's forward kernels, then their
        backward ones in reverse family order."""
        forward = [step for family in FAMILIES for step in family.forward(self)]
        return forward + [step for family in reversed(FAMILIES) for step in family.backward(self)]

    def flops_per_token(self) -> int:
        """The spec's count: BH4 (or dense) projection + hash + gather."""
        if self.projection == "bh4":
            proj = self.repeats * STAGES * (2 * self.dim * self.b + self.dim * int(math.log2(self.dim)))
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


LAYER_OPTION_NAMES = {"h": "num_tables", "tau": "code_bits", "b": "block_size", "projection": "projection"}


def layer_options(text: str) -> dict[str, int | str]:
    """:class:`~lookup_tvm.LookupFFN` keyword options from a ``--config`` string without ``d`` and
    ``d_out`` (a model's width gives them): ``"h=64,tau=8,b=64"`` -> ``{"num_tables": 64, ...}``."""
    fields = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or key not in LAYER_OPTION_NAMES:
            raise ValueError(f"a layer --config here takes h=, tau=, b= and projection= (d and d_out are the "
                             f"model's), got {item!r}")
        fields[LAYER_OPTION_NAMES[key]] = value.strip() if key == "projection" else int(value)
    return fields


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
