"""Instruction sets, in LLVM's names: what a target's code may use, what a host can run.

LLVM's feature set for a target (``tvm.target.codegen.llvm_get_cpu_features``) mixes
instruction-set extensions (``avx512f``, ``amx-bf16``, ``sve2``) with tuning flags
(``prefer-256-bit``, ``fast-gather``). :func:`isa_part` keeps the extensions a compiler
may emit in user code; :func:`cpuinfo_isa` maps the host's ``/proc/cpuinfo`` flags to the
same names. A target is safe on a host when its ISA part is a subset of the host's.

This is the one module that answers ISA questions, for kernels, libraries, logs and
``tune.py`` alike: what a target's code may use (:func:`target_isa`), what a host runs
(:func:`host_isa`), whether a host can run a target's code (:func:`missing_isa`,
:func:`check_runnable`) and whether a target has bf16 dot products or AMX tiles
(:func:`isa_profile`).
"""
from __future__ import annotations

import dataclasses
import functools
import json
import os
import re
from typing import Any, Iterable, Mapping

from lookup_tvm.cpu.host import HostProbe, current_probe
from lookup_tvm.cpu.target import CpuProfile, TargetSpec

# Extensions whose instructions LLVM may emit in our kernels (vector, bit manipulation,
# crypto, conversions). System instructions (xsave, rdpid, ...) never appear in them.
_X86_ISA = re.compile(
    r"^(mmx|sse|sse2|sse3|ssse3|sse4\.1|sse4\.2|sse4a|avx|avx2|avx512\w+|avxvnni\w*|avxifma|avxneconvert|"
    r"amx-\w+|fma|fma4|xop|f16c|bmi|bmi2|lzcnt|popcnt|movbe|adx|tbm|aes|vaes|pclmul|vpclmulqdq|gfni|sha|"
    r"sha512|sm3|sm4|crc32|cx16|sahf|evex512|avx10\.\d+(-\d+)?)$")
_ARM_ISA = re.compile(
    r"^(neon|fp-armv8|fullfp16|fp16fml|bf16|i8mm|dotprod|rdm|lse|crc|aes|sha2|sha3|sm4|sve|sve2|sve-bitperm|"
    r"sve-aes|sve-sha3|sve-sm4|sme\d*(-[\w-]+)?|f32mm|f64mm)$")

# /proc/cpuinfo flag -> LLVM feature(s), where the names differ by more than '_' vs ''.
_CPUINFO_ALIASES = {
    "pni": ("sse3",), "sse4_1": ("sse4.1",), "sse4_2": ("sse4.2", "crc32"), "pclmulqdq": ("pclmul",),
    "sha_ni": ("sha",), "bmi1": ("bmi",), "abm": ("lzcnt",), "lahf_lm": ("sahf",),
    "avx512f": ("avx512f", "evex512"), "avx_vnni": ("avxvnni",),
    "asimd": ("neon",), "fp": ("fp-armv8",), "fphp": ("fullfp16",), "asimdhp": ("fullfp16",),
    "asimddp": ("dotprod",), "asimdfhm": ("fp16fml",), "asimdrdm": ("rdm",), "atomics": ("lse",),
    "crc32": ("crc", "crc32"), "svebitperm": ("sve-bitperm",), "sveaes": ("sve-aes",),
    "svesha3": ("sve-sha3",), "svesm4": ("sve-sm4",),
}


def isa_part(llvm_features: Iterable[str]) -> frozenset[str]:
    """The instruction-set extensions among LLVM feature names (tuning flags dropped)."""
    return frozenset(f for f in llvm_features if _X86_ISA.match(f) or _ARM_ISA.match(f))


def cpuinfo_isa(flags: Iterable[str]) -> frozenset[str]:
    """The LLVM names of the extensions a host's ``/proc/cpuinfo`` flags report."""
    names: set[str] = set()
    for flag in flags:
        if flag in _CPUINFO_ALIASES:
            names.update(_CPUINFO_ALIASES[flag])
        elif flag.startswith("amx_"):
            names.add("amx-" + flag[4:].replace("_", "-"))
        else:
            names.add(flag.replace("_", ""))
    return isa_part(names)


def target_isa(attrs: Mapping[str, Any]) -> frozenset[str]:
    """The extensions code compiled for a TVM target (JSON-dict attributes) may use."""
    return _target_isa(json.dumps(dict(attrs), sort_keys=True))


@functools.lru_cache(maxsize=None)
def _target_isa(attrs_json: str) -> frozenset[str]:
    from lookup_tvm.cpu.tvm_api import llvm_cpu_features  # TVM only when LLVM is asked

    return isa_part(llvm_cpu_features(json.loads(attrs_json)))


def has_bf16_dot_products(attrs: Mapping[str, Any]) -> bool:
    """Whether a target may use AVX512-BF16's ``vdpbf16ps`` (16 fp32 lanes, each the sum of two
    bf16 products): the BH4 block matmuls of bfloat16 layers use it where it is."""
    return {"avx512bf16", "avx512f"} <= target_isa(attrs)



AMX_OPT_IN = "LOOKUP_TVM_AMX"  # "1": bfloat16 layers' BH4 matmuls on AMX tiles where the target has them
AMX_EXTENSIONS = frozenset({"amx-tile", "amx-bf16"})


def has_amx_tiles(attrs: Mapping[str, Any]) -> bool:
    """Whether a target has AMX-BF16 tiles (``tdpbf16ps``) besides AVX512-BF16 (the bf16 pairs
    the tiles multiply are made with the same code)."""
    return AMX_EXTENSIONS <= target_isa(attrs) and has_bf16_dot_products(attrs)


def host_has_amx_tiles(probe: HostProbe | None = None) -> bool:
    """Whether this host runs AMX-BF16 tile code (its cpuinfo flags; the OS must still grant the
    tile state, :func:`lookup_tvm.cpu.amx.request_tile_permission`)."""
    return AMX_EXTENSIONS <= host_isa(probe)


def amx_tiles_enabled() -> bool:
    """Whether the AMX path is switched on (:data:`AMX_OPT_IN` = 1). Off by default: it has not
    yet run on a CPU with AMX (docs/cpus.md, "AMX tiles")."""
    return os.environ.get(AMX_OPT_IN) == "1"


def isa_profile(target: TargetSpec) -> CpuProfile:
    """The target's profile with its ISA-derived fields (``bf16_dot_products``, ``amx_tiles``)
    filled in from LLVM's feature set for its attributes: what kernel layouts are chosen from."""
    return dataclasses.replace(target.profile, bf16_dot_products=has_bf16_dot_products(target.attrs),
                               amx_tiles=amx_tiles_enabled() and has_amx_tiles(target.attrs))


def host_isa(probe: HostProbe | None = None) -> frozenset[str]:
    """The extensions a host runs, in LLVM's names (from its cpuinfo flags)."""
    return cpuinfo_isa((probe or current_probe()).flags)


def host_mattr(probe: HostProbe) -> list[str]:
    """Feature edits that make LLVM's model of the host CPU match what the host runs:
    extensions the CPU name implies but cpuinfo lacks (masked by a hypervisor) are
    removed; for a CPU LLVM does not know (``generic``) the host's extensions are added."""
    implied = isa_part(probe.llvm_features)
    if probe.llvm_cpu == "generic":
        return [f"+{f}" for f in sorted(host_isa(probe) - implied)]
    return [f"-{f}" for f in sorted(implied - host_isa(probe))]


def missing_isa(target: TargetSpec, probe: HostProbe | None = None) -> list[str]:
    """Why code for ``target`` cannot run on the host: the extensions it may use that the
    host lacks (LLVM's feature sets), or its architecture when that differs. Empty: safe."""
    probe = probe or current_probe()
    if target.arch != probe.machine:
        return [f"the {target.arch} architecture (this host is {probe.machine})"]
    return sorted(target_isa(dict(target.attrs)) - host_isa(probe))


class UnsupportedTargetError(RuntimeError):
    """Code for this target would use ISA extensions the host lacks (it would die with SIGILL)."""


def check_runnable(target: TargetSpec, what: str = "code", probe: HostProbe | None = None) -> None:
    """Raise :class:`UnsupportedTargetError` unless the host can run ``target``'s code."""
    missing = missing_isa(target, probe)
    if missing:
        raise UnsupportedTargetError(
            f"{what} for {dict(target.attrs)} may use {', '.join(missing)}, which this CPU "
            f"({(probe or current_probe()).cpu_model}) lacks; tune for this host instead "
            "(lookup-tvm tune --target host)")
