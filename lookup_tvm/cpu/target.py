"""Targets and CPU profiles as data: one normal form per target.

A :class:`TargetSpec` is the TVM target attributes in their normal form (always with
``num-cores``) plus a :class:`CpuProfile` (vector width, cache sizes, cores) that
schedules and search spaces size their tiles from. ``"host"`` and the named target of
the same CPU normalise to the same attributes and key (:func:`normal_attrs` is the one
place that decides them). :func:`parse_cli_string` converts a legacy TVM CLI string
(``"llvm -mcpu=sapphirerapids -num-cores 56"``, which TVM 0.27 rejects) to the JSON-dict form.

This module imports nothing of lookup_tvm and no TVM: resolving ``"host"`` or an ``-mcpu``
outside the profile table (which asks LLVM) is :mod:`lookup_tvm.cpu.resolve`'s job.

512-bit vectors: LLVM's Intel server models carry ``prefer-256-bit``, so LLVM emits
mostly 256-bit code. Our kernels are streaming FMA/load loops where 512-bit registers
halve the instruction count, so every x86 profile with ``vector_bits=512`` gets
``-prefer-256-bit`` in ``mattr`` (a no-op where LLVM already prefers 512 bits, as on
znver4). Override with ``{"vector_bits": 256}`` in the JSON form: that adds
``+prefer-256-bit`` instead.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import shlex
from typing import Any, Mapping

KIB = 1024
MIB = 1024 * 1024
MAX_L3_PER_CORE = 5 * MIB  # the most L3 per core of the server CPUs we know (Emerald Rapids: 320 MiB / 64)


@dataclasses.dataclass(frozen=True)
class CpuProfile:
    """What the schedules need to know about a CPU. Sizes are bytes, per core for L1d/L2;
    ``vector_registers`` the architectural vector registers (register tiles are sized from it:
    16 on AVX2, 32 on AVX-512, NEON and SVE)."""

    name: str
    vector_bits: int
    l1d_bytes: int
    l2_bytes: int
    l3_bytes: int
    cores: int
    ghz: float = 2.5
    fma_units: int = 2
    bf16_dot_products: bool = False  # AVX512-BF16 vdpbf16ps: set only by lookup_tvm.cpu.isa.isa_profile
    amx_tiles: bool = False  # AMX-BF16 tiles for the BH4 matmuls: set only by lookup_tvm.cpu.isa.isa_profile
    vector_registers: int = 0  # architectural vector registers; 0: x86's, 32 with 512-bit vectors, else 16

    def __post_init__(self) -> None:
        if not self.vector_registers:
            object.__setattr__(self, "vector_registers", 32 if self.vector_bits >= 512 else 16)

    @property
    def l3_share_bytes(self) -> int:
        """One core's share of L3: ``l3_bytes / cores``, at most :data:`MAX_L3_PER_CORE` (a VM may
        report its socket's whole L3 to a slice of its cores)."""
        return min(self.l3_bytes // max(1, self.cores), MAX_L3_PER_CORE)

    def lanes(self, dtype_bits: int = 32) -> int:
        """SIMD lanes for one vector register of the given element width."""
        return max(1, self.vector_bits // dtype_bits)

    def peak_gflops(self, cores: int = 1) -> float:
        """Nominal fp32 FMA peak: clock x FMA issue per cycle (in vector_bits units) x lanes x 2."""
        return self.ghz * self.fma_units * self.lanes() * 2 * cores

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "CpuProfile":
        """Inverse of :meth:`to_json`; fields this version does not know are ignored."""
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


ARM_REGISTERS = 32  # AArch64's NEON and SVE register files

CPU_PROFILES: dict[str, CpuProfile] = {
    p.name: p
    for p in (
        CpuProfile("haswell", 256, 32 * KIB, 256 * KIB, 30 * MIB, 12, 2.3, 2),
        CpuProfile("skylake-avx512", 512, 32 * KIB, 1 * MIB, 38 * MIB + 512 * KIB, 28, 1.9, 2),
        CpuProfile("icelake-server", 512, 48 * KIB, 1 * MIB + 256 * KIB, 60 * MIB, 40, 2.3, 2),
        CpuProfile("sapphirerapids", 512, 48 * KIB, 2 * MIB, 105 * MIB, 56, 2.0, 2),
        CpuProfile("emeraldrapids", 512, 48 * KIB, 2 * MIB, 320 * MIB, 64, 1.9, 2),
        CpuProfile("znver3", 256, 32 * KIB, 512 * KIB, 32 * MIB, 64, 2.45, 2),
        CpuProfile("znver4", 512, 32 * KIB, 1 * MIB, 32 * MIB, 96, 2.4, 1),
        CpuProfile("znver5", 512, 48 * KIB, 1 * MIB, 512 * MIB, 128, 2.7, 2),
        CpuProfile("neoverse-v1", 256, 64 * KIB, 1 * MIB, 32 * MIB, 64, 2.6, 4, vector_registers=ARM_REGISTERS),
        CpuProfile("neoverse-v2", 128, 64 * KIB, 2 * MIB, 114 * MIB, 72, 3.1, 4, vector_registers=ARM_REGISTERS),
    )
}
AARCH64_TRIPLE = "aarch64-linux-gnu"
_TABLE_TRIPLES = {"neoverse-v1": AARCH64_TRIPLE, "neoverse-v2": AARCH64_TRIPLE}

PREFER_512_BIT = "-prefer-256-bit"
PREFER_256_BIT = "+prefer-256-bit"
_LIST_KEYS = {"mattr", "keys", "libs"}


@dataclasses.dataclass(frozen=True)
class TargetSpec:
    """A TVM target (``attrs``: the JSON-dict form TVM 0.27 takes) and its CPU profile."""

    attrs: Mapping[str, Any]
    profile: CpuProfile

    @property
    def mcpu(self) -> str:
        return str(self.attrs.get("mcpu", "generic"))

    @property
    def arch(self) -> str:
        """``x86_64`` or the architecture of ``mtriple``."""
        return target_arch(self.attrs)

    @property
    def key(self) -> str:
        """A directory-safe name, e.g. ``znver4-2c``; attributes beyond the normal form's
        automatic ones, and a vector width other than the CPU's, add a short hash."""
        extra = {k: v for k, v in self.attrs.items() if k not in ("kind", "mcpu", "num-cores")}
        if extra.get("mattr") == [PREFER_512_BIT]:
            del extra["mattr"]
        if extra.get("mtriple") == AARCH64_TRIPLE:
            del extra["mtriple"]
        native = CPU_PROFILES.get(self.mcpu)
        if native and native.vector_bits != self.profile.vector_bits:
            extra["vector_bits"] = self.profile.vector_bits
        key = f"{self.mcpu}-{self.attrs['num-cores']}c"
        if extra:
            key += "-" + hashlib.sha256(json.dumps(extra, sort_keys=True).encode()).hexdigest()[:8]
        return key

    def with_cores(self, cores: int) -> "TargetSpec":
        """The same target and profile for another core count (a log used on a bigger machine)."""
        return TargetSpec(attrs={**self.attrs, "num-cores": cores},
                          profile=dataclasses.replace(self.profile, cores=cores))

    def to_json(self) -> dict[str, Any]:
        return {"target": dict(self.attrs), "profile": self.profile.to_json()}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "TargetSpec":
        """Inverse of :meth:`to_json` (raises ValueError on a malformed description). The
        attributes are normalised again, so a file cannot smuggle in another form."""
        try:
            profile = CpuProfile.from_json(data["profile"])
            attrs = dict(data["target"])
            return cls(attrs=normal_attrs(attrs, profile), profile=profile)
        except (KeyError, TypeError, AttributeError) as err:
            raise ValueError(f"malformed target description: {err!r}") from None


def target_arch(attrs: Mapping[str, Any]) -> str:
    """The architecture a target compiles for: ``x86_64`` unless ``mtriple`` says otherwise."""
    return str(attrs.get("mtriple", "x86_64")).split("-")[0]


def normal_attrs(attrs: Mapping[str, Any], profile: CpuProfile, native_bits: int | None = None) -> dict[str, Any]:
    """The normal form of a target's attributes: ``kind``, ``mcpu``, ``num-cores`` (the
    profile's), ``mtriple`` only off x86, and ``mattr`` with the vector-width choice added:
    ``-prefer-256-bit`` for 512-bit profiles, ``+prefer-256-bit`` where the profile narrows a
    CPU whose native width (``native_bits``) is 512."""
    out = {k: v for k, v in attrs.items() if k not in ("mattr", "num-cores", "kind")}
    out["kind"] = "llvm"
    out["num-cores"] = profile.cores
    triple = _TABLE_TRIPLES.get(str(out.get("mcpu")))
    if triple:
        out.setdefault("mtriple", triple)
    mattr = list(dict.fromkeys(attrs.get("mattr", [])))
    if target_arch(out) == "x86_64" and not {PREFER_512_BIT, PREFER_256_BIT} & set(mattr):
        if profile.vector_bits == 512:
            mattr.append(PREFER_512_BIT)
        elif native_bits == 512:
            mattr.append(PREFER_256_BIT)
    if mattr:
        out["mattr"] = mattr
    return out


def parse_cli_string(text: str) -> dict[str, Any]:
    """Convert a legacy CLI target string to TVM 0.27's JSON-dict form.

    ``"llvm -mcpu=sapphirerapids -num-cores 56 -mattr=+avx512f,+fma"`` becomes
    ``{"kind": "llvm", "mcpu": "sapphirerapids", "num-cores": 56, "mattr": ["+avx512f", "+fma"]}``.
    """
    words = shlex.split(text)
    if not words or words[0].startswith("-"):
        raise ValueError(f"target string {text!r} must start with a kind such as 'llvm'")
    attrs: dict[str, Any] = {"kind": words[0]}
    i = 1
    while i < len(words):
        word = words[i]
        if not word.startswith("-") or word in ("-", "--"):
            raise ValueError(f"target string {text!r}: expected '-key=value' or '-key value', got {word!r}")
        name = word.lstrip("-")
        if "=" in name:
            name, value = name.split("=", 1)
        elif i + 1 < len(words) and not words[i + 1].startswith("-"):
            i += 1
            value = words[i]
        else:
            value = "true"
        attrs[name] = _convert_value(name, value)
        i += 1
    return attrs


def _convert_value(name: str, value: str) -> Any:
    if name in _LIST_KEYS:
        return [v for v in value.split(",") if v]
    if re.fullmatch(r"-?\d+", value):
        return int(value)
    if value in ("true", "false"):
        return value == "true"
    return value
