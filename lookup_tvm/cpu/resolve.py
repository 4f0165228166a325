"""Resolving a target spec: ``"host"`` (through the host probe), a CLI string, a JSON string
or a dict, into a :class:`~lookup_tvm.cpu.target.TargetSpec` in normal form. An ``-mcpu``
outside the profile table gets a conservative profile from LLVM's view of it.
"""
from __future__ import annotations

import dataclasses
import json
from typing import Any, Mapping

from lookup_tvm.cpu.host import HostProbe, current_probe, host_profile
from lookup_tvm.cpu.isa import host_mattr, isa_part
from lookup_tvm.cpu.target import (AARCH64_TRIPLE, ARM_REGISTERS, CPU_PROFILES, KIB, MIB, PREFER_256_BIT,
                                   PREFER_512_BIT, CpuProfile, TargetSpec, normal_attrs, parse_cli_string)

_PROFILE_FIELDS = {f.name for f in dataclasses.fields(CpuProfile)} - {"name", "bf16_dot_products", "amx_tiles"}
_FLOAT_FIELDS = {"ghz"}


def host_target(probe: HostProbe | None = None) -> TargetSpec:
    """The host's target in normal form: LLVM's name for its CPU, all its cores, its profile."""
    probe = probe or current_probe()
    profile = host_profile(probe)
    attrs: dict[str, Any] = {"kind": "llvm", "mcpu": probe.llvm_cpu, "mattr": host_mattr(probe)}
    if probe.machine == "aarch64":
        attrs["mtriple"] = AARCH64_TRIPLE
    return TargetSpec(attrs=normal_attrs(attrs, profile), profile=profile)


def parse_target(spec: str | Mapping[str, Any] | TargetSpec = "host") -> TargetSpec:
    """Parse ``"host"``, a CLI string, a JSON string or a dict into a :class:`TargetSpec`.

    Profile fields (``vector_bits``, ``l1d_bytes``, ``l2_bytes``, ``l3_bytes``, ``cores``,
    ``ghz``, ``fma_units``) may be given in the dict/JSON form to override the built-in table.
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
    if attrs.get("mcpu") in (None, "", "host"):
        host = host_target()
        attrs["mcpu"] = host.mcpu
        automatic = (PREFER_512_BIT, PREFER_256_BIT)
        attrs["mattr"] = [m for m in host.attrs.get("mattr", []) if m not in automatic] + list(attrs.get("mattr", []))
        attrs.setdefault("num-cores", host.attrs["num-cores"])
        base = host.profile
    elif attrs["mcpu"] in CPU_PROFILES:
        base = CPU_PROFILES[attrs["mcpu"]]
    else:
        base, triple = _llvm_profile(str(attrs["mcpu"]), attrs.get("mtriple"))
        if triple:
            attrs.setdefault("mtriple", triple)
    if "num-cores" in attrs:
        overrides.setdefault("cores", _positive_int("num-cores", attrs["num-cores"]))
    profile = _override(base, overrides)
    return TargetSpec(attrs=normal_attrs(attrs, profile, base.vector_bits), profile=profile)


def _llvm_profile(mcpu: str, triple: str | None) -> tuple[CpuProfile, str | None]:
    """A conservative profile for a CPU outside the table, from LLVM's view of it: its
    vector width from its features, 32 KiB L1d, 1 MiB L2, 2 cores (override in JSON)."""
    from lookup_tvm.cpu.tvm_api import llvm_cpu_features, llvm_cpu_triple  # TVM only for CPUs outside the table

    triple = triple or llvm_cpu_triple(mcpu)
    if triple is None:
        raise ValueError(f"LLVM knows no CPU named {mcpu!r} (for x86_64 or aarch64); "
                         "see `llc -mcpu=help` for the names")
    x86 = triple.startswith("x86_64")
    features = isa_part(llvm_cpu_features({"kind": "llvm", "mcpu": mcpu, "mtriple": triple}))
    if "avx512f" in features:
        bits = 512
    elif "avx2" in features:
        bits = 256
    else:
        bits = 128
    registers = 0 if x86 else ARM_REGISTERS  # 0: x86's count from the vector width
    return CpuProfile(mcpu, bits, 32 * KIB, 1 * MIB, 32 * MIB, 2, vector_registers=registers), None if x86 else triple


def _positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"target attribute {name!r} must be a positive integer, got {value!r}")
    return value


def _override(base: CpuProfile, overrides: Mapping[str, Any]) -> CpuProfile:
    fields = {}
    for name, value in overrides.items():
        if name in _FLOAT_FIELDS:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise ValueError(f"profile field {name!r} must be a positive number, got {value!r}")
            fields[name] = float(value)
        else:
            fields[name] = _positive_int(name, value)
    return dataclasses.replace(base, **fields)
