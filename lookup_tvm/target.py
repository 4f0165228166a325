"""Targets and CPU profiles, without importing TVM.

A target spec may be ``"host"``, a legacy TVM CLI string such as
``"llvm -mcpu=sapphirerapids -num-cores 56 -mattr=+avx512f"`` (TVM 0.27 rejects
those; we convert), a JSON string or a dict. :func:`parse_target` turns it into a
:class:`TargetSpec`: the TVM target attributes (always with ``num-cores``) plus a
:class:`CpuProfile` (vector width, cache sizes, cores, ISA features) that schedules
and search spaces size their tiles from.

Intel server CPUs and 512-bit vectors: LLVM's skylake-avx512, icelake-server and
sapphirerapids models carry ``prefer-256-bit``, so LLVM emits mostly 256-bit code.
Our kernels are streaming FMA/load loops where 512-bit registers halve the
instruction count, and the frequency penalty of AVX-512 is small from Ice Lake on,
so for a profile with ``vector_bits=512`` we add ``-prefer-256-bit`` to ``mattr``.
Override with ``{"vector_bits": 256}`` (in the JSON form) to keep LLVM's choice.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import shlex
from pathlib import Path
from typing import Any, Mapping

KIB = 1024
MIB = 1024 * 1024

_AVX2 = ("avx", "avx2", "fma", "f16c")
_AVX512 = _AVX2 + ("avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl")
_ICX = _AVX512 + ("avx512_vnni", "avx512vbmi", "avx512_vbmi2", "avx512ifma")


@dataclasses.dataclass(frozen=True)
class CpuProfile:
    """What the schedules need to know about a CPU. Sizes are bytes, per core for L1d/L2."""

    name: str
    vector_bits: int
    l1d_bytes: int
    l2_bytes: int
    l3_bytes: int
    cores: int
    features: tuple[str, ...]
    ghz: float = 2.5
    fma_units: int = 2

    def lanes(self, dtype_bits: int = 32) -> int:
        """SIMD lanes for one vector register of the given element width."""
        return max(1, self.vector_bits // dtype_bits)

    def peak_gflops(self, cores: int = 1) -> float:
        """Nominal fp32 FMA peak: clock x FMA issue per cycle (in vector_bits units) x lanes x 2."""
        return self.ghz * self.fma_units * self.lanes() * 2 * cores

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self) | {"features": list(self.features)}


CPU_PROFILES: dict[str, CpuProfile] = {
    p.name: p
    for p in (
        CpuProfile("haswell", 256, 32 * KIB, 256 * KIB, 30 * MIB, 12, _AVX2, 2.3, 2),
        CpuProfile("skylake-avx512", 512, 32 * KIB, 1 * MIB, 38 * MIB + 512 * KIB, 28, _AVX512, 1.9, 2),
        CpuProfile("icelake-server", 512, 48 * KIB, 1 * MIB + 256 * KIB, 60 * MIB, 40, _ICX, 2.3, 2),
        CpuProfile(
            "sapphirerapids", 512, 48 * KIB, 2 * MIB, 105 * MIB, 56,
            _ICX + ("avx512_bf16", "avx512_fp16", "amx_tile", "amx_bf16", "amx_int8"), 2.0, 2,
        ),
        CpuProfile("znver3", 256, 32 * KIB, 512 * KIB, 32 * MIB, 64, _AVX2, 2.45, 2),
        CpuProfile("znver4", 512, 32 * KIB, 1 * MIB, 32 * MIB, 96, _ICX + ("avx512_bf16",), 2.4, 1),
        CpuProfile("neoverse-v1", 128, 64 * KIB, 1 * MIB, 32 * MIB, 64, ("asimd", "sve", "bf16"), 2.6, 4),
    )
}

PREFER_512_BIT = "-prefer-256-bit"
_INTEL_PREFER_256 = {"skylake-avx512", "icelake-server", "sapphirerapids", "cascadelake", "cooperlake"}
_AARCH64_CPUS = {"neoverse-v1"}
_LIST_KEYS = {"mattr", "keys", "libs"}
_PROFILE_FIELDS = {f.name for f in dataclasses.fields(CpuProfile)} - {"name"}
_FLOAT_FIELDS = {"ghz"}


@dataclasses.dataclass(frozen=True)
class TargetSpec:
    """A TVM target (``attrs``: the JSON-dict form TVM 0.27 takes) and its CPU profile."""

    attrs: Mapping[str, Any]
    profile: CpuProfile
    is_host: bool = False

    @property
    def mcpu(self) -> str:
        return str(self.attrs.get("mcpu", "generic"))

    @property
    def key(self) -> str:
        """A directory-safe name, e.g. ``znver4-2c``; other attributes add a short hash."""
        extra = {k: v for k, v in self.attrs.items() if k not in ("kind", "mcpu", "num-cores")}
        if extra.get("mattr") == [PREFER_512_BIT]:
            del extra["mattr"]
        key = f"{self.mcpu}-{self.attrs['num-cores']}c"
        if extra:
            key += "-" + hashlib.sha256(json.dumps(extra, sort_keys=True).encode()).hexdigest()[:8]
        return key

    def to_json(self) -> dict[str, Any]:
        return {"target": dict(self.attrs), "profile": self.profile.to_json(), "is_host": self.is_host}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "TargetSpec":
        """Inverse of :meth:`to_json` (raises ValueError on a malformed description)."""
        try:
            profile = dict(data["profile"])
            profile["features"] = tuple(profile["features"])
            return cls(attrs=dict(data["target"]), profile=CpuProfile(**profile), is_host=bool(data.get("is_host")))
        except (KeyError, TypeError) as err:
            raise ValueError(f"malformed target description: {err}") from None


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


def parse_target(spec: str | Mapping[str, Any] | TargetSpec = "host") -> TargetSpec:
    """Parse ``"host"``, a CLI string, a JSON string or a dict into a :class:`TargetSpec`.

    Profile fields (``vector_bits``, ``l1d_bytes``, ``l2_bytes``, ``l3_bytes``, ``cores``,
    ``features``) may be given in the dict/JSON form to override the built-in table.
    """
    if isinstance(spec, TargetSpec):
        return spec
    if isinstance(spec, str):
        text = spec.strip()
        if text == "host":
            return host_target()
        if text.startswith("{"):
            try:
                spec = json.loads(text)
            except json.JSONDecodeError as err:
                raise ValueError(f"target JSON is not valid: {err}") from None
        else:
            spec = parse_cli_string(text)
    if not isinstance(spec, Mapping):
        raise TypeError(f"target must be 'host', a string or a dict, got {type(spec).__name__}")
    attrs = dict(spec)
    overrides = {k: attrs.pop(k) for k in list(attrs) if k in _PROFILE_FIELDS}
    if attrs.get("kind", "llvm") != "llvm":
        raise ValueError(f"only CPU ('llvm') targets are supported, got kind {attrs.get('kind')!r}")
    attrs["kind"] = "llvm"
    if attrs.get("mcpu") == "host" or not attrs.get("mcpu"):
        host = host_target()
        attrs.setdefault("num-cores", host.attrs["num-cores"])
        attrs["mcpu"] = host.mcpu
        base = host.profile
    else:
        base = CPU_PROFILES.get(attrs["mcpu"]) or _generic_profile(attrs["mcpu"])
    if "num-cores" in attrs:
        attrs["num-cores"] = _positive_int("num-cores", attrs["num-cores"])
        overrides.setdefault("cores", attrs["num-cores"])
    profile = _override(base, overrides)
    attrs["num-cores"] = profile.cores
    if attrs["mcpu"] in _AARCH64_CPUS:
        attrs.setdefault("mtriple", "aarch64-linux-gnu")
    if attrs["mcpu"] in _INTEL_PREFER_256 and profile.vector_bits == 512:
        mattr = list(attrs.get("mattr", []))
        if PREFER_512_BIT not in mattr and "+prefer-256-bit" not in mattr:
            attrs["mattr"] = mattr + [PREFER_512_BIT]
    return TargetSpec(attrs=attrs, profile=profile)


def _positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"target attribute {name!r} must be a positive integer, got {value!r}")
    return value


def _override(base: CpuProfile, overrides: Mapping[str, Any]) -> CpuProfile:
    fields = {}
    for name, value in overrides.items():
        if name == "features":
            fields[name] = tuple(value)
        elif name in _FLOAT_FIELDS:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise ValueError(f"profile field {name!r} must be a positive number, got {value!r}")
            fields[name] = float(value)
        else:
            fields[name] = _positive_int(name, value)
    return dataclasses.replace(base, **fields)


def _generic_profile(mcpu: str) -> CpuProfile:
    """A conservative profile for a CPU outside the table: AVX2-class, 1 MiB L2."""
    return CpuProfile(mcpu, 256, 32 * KIB, 1 * MIB, 32 * MIB, os.cpu_count() or 1, ())


def _read_cache_sizes(sysfs: Path) -> dict[str, int]:
    sizes = {}
    for index in sorted((sysfs / "cpu0" / "cache").glob("index*")):
        try:
            level = (index / "level").read_text().strip()
            kind = (index / "type").read_text().strip()
            size = (index / "size").read_text().strip()
        except OSError:
            continue
        units = {"K": KIB, "M": MIB, "G": 1024 * MIB}
        value = int(size[:-1]) * units[size[-1]] if size[-1] in units else int(size)
        if kind in ("Data", "Unified"):
            sizes[f"L{level}"] = value
    return sizes


def host_cpu_features(cpuinfo: Path = Path("/proc/cpuinfo")) -> frozenset[str]:
    """ISA flags of this machine (``/proc/cpuinfo`` 'flags' or 'Features' line)."""
    try:
        text = cpuinfo.read_text()
    except OSError:
        return frozenset()
    match = re.search(r"^(?:flags|Features)\s*:\s*(.*)$", text, re.MULTILINE)
    return frozenset(match.group(1).split()) if match else frozenset()


def host_cpu_model(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    try:
        match = re.search(r"^model name\s*:\s*(.*)$", cpuinfo.read_text(), re.MULTILINE)
    except OSError:
        return "unknown"
    return match.group(1).strip() if match else "unknown"


def host_profile(sysfs: Path = Path("/sys/devices/system/cpu")) -> CpuProfile:
    """Profile of this machine from sysfs and /proc/cpuinfo."""
    flags = host_cpu_features()
    sizes = _read_cache_sizes(sysfs)
    if "avx512f" in flags:
        vector_bits = 512
    elif "avx2" in flags or "sve" in flags:
        vector_bits = 256
    else:
        vector_bits = 128
    known = set().union(*(p.features for p in CPU_PROFILES.values()))
    return CpuProfile(
        name="host",
        ghz=_host_ghz(),
        vector_bits=vector_bits,
        l1d_bytes=sizes.get("L1", 32 * KIB),
        l2_bytes=sizes.get("L2", 1 * MIB),
        l3_bytes=sizes.get("L3", 32 * MIB),
        cores=os.cpu_count() or 1,  # the machine's, not this thread's affinity (torch may pin it)
        features=tuple(sorted(flags & known)),
    )


def _host_ghz(cpuinfo: Path = Path("/proc/cpuinfo")) -> float:
    """The clock /proc/cpuinfo reports (a nominal figure under virtualisation), else 2.5."""
    try:
        match = re.search(r"^cpu MHz\s*:\s*([\d.]+)", cpuinfo.read_text(), re.MULTILINE)
    except OSError:
        return 2.5
    return round(float(match.group(1)) / 1000, 2) if match else 2.5


def host_target() -> TargetSpec:
    """This machine: LLVM's name for its CPU, all its cores, its measured profile."""
    from lookup_tvm.tvm_api import host_llvm_cpu

    profile = host_profile()
    attrs: dict[str, Any] = {"kind": "llvm", "mcpu": host_llvm_cpu(), "num-cores": profile.cores}
    if profile.vector_bits == 512:
        attrs["mattr"] = [PREFER_512_BIT]
    return TargetSpec(attrs=attrs, profile=profile, is_host=True)


def missing_features(spec: TargetSpec, host: frozenset[str] | None = None) -> list[str]:
    """ISA features the target's code may use that this host lacks."""
    have = host_cpu_features() if host is None else host
    return sorted(set(spec.profile.features) - have)
