"""Simulated hosts: what the host probe would read on CPUs this machine may not be.

Zen 4 and the Intel AMX VM use the cpuinfo flags recorded in the committed tuning logs
(measured on those machines); the others carry the Linux flag names of the extensions
LLVM's model of the CPU has, plus the baseline flags every such CPU reports. LLVM's
features come from the real LLVM (TVM) for the named CPU.
"""
from __future__ import annotations

import json
from pathlib import Path

from lookup_tvm.cpu.host import CacheLevel, HostProbe
from lookup_tvm.cpu.isa import isa_part

REPO = Path(__file__).resolve().parent.parent
X86_BASE = ("fpu", "tsc", "msr", "cx8", "cmov", "clflush", "mmx", "fxsr", "sse", "sse2", "ht", "syscall", "nx", "lm",
            "rep_good", "nopl", "cpuid", "pni", "ssse3", "cx16", "sse4_1", "sse4_2", "popcnt", "xsave", "hypervisor",
            "lahf_lm")
# Linux names that differ from LLVM's by more than dropping '_' (inverse of lookup_tvm.cpu.isa's aliases).
_LINUX_NAMES = {"sse3": "pni", "sse4.1": "sse4_1", "sse4.2": "sse4_2", "pclmul": "pclmulqdq", "sha": "sha_ni",
                "bmi": "bmi1", "lzcnt": "abm", "sahf": "lahf_lm", "avxvnni": "avx_vnni", "crc32": "sse4_2",
                "evex512": "avx512f", "avx512vnni": "avx512_vnni", "avx512bf16": "avx512_bf16",
                "avx512vbmi2": "avx512_vbmi2", "avx512bitalg": "avx512_bitalg",
                "avx512vpopcntdq": "avx512_vpopcntdq", "avx512fp16": "avx512_fp16",
                "neon": "asimd", "fp-armv8": "fp", "fullfp16": "fphp", "dotprod": "asimddp", "fp16fml": "asimdfhm",
                "rdm": "asimdrdm", "lse": "atomics", "crc": "crc32", "sve-bitperm": "svebitperm"}
ARM_BASE = ("evtstrm", "cpuid", "pmull", "sha1", "jscvt", "fcma", "lrcpc", "dcpop")


def linux_flags(llvm_isa) -> set[str]:
    """The /proc/cpuinfo flags a CPU with these LLVM extensions reports."""
    return {_LINUX_NAMES.get(f, f.replace("-", "_")) for f in llvm_isa}


def _logged_flags(log: str) -> tuple[str, list[str]]:
    measured = json.loads((REPO / "tuning_logs" / log / "target.json").read_text())["measured_on"]
    return measured["cpu_model"], measured["isa"]


def _llvm(mcpu: str, triple: str = "x86_64-linux-gnu") -> frozenset[str]:
    from lookup_tvm.cpu.tvm_api import llvm_cpu_features

    return llvm_cpu_features({"kind": "llvm", "mcpu": mcpu, "mtriple": triple})


def _caches(l1d: str, l2: str, l3: str, l2_shared: int = 2, l3_shared: int = 2) -> tuple[CacheLevel, ...]:
    """cpu0's caches on an SMT machine (L1 and L2 shared by the core's two threads)."""
    return (CacheLevel(1, "Data", l1d, 2), CacheLevel(1, "Instruction", "32K", 2),
            CacheLevel(2, "Unified", l2, l2_shared), CacheLevel(3, "Unified", l3, l3_shared))


def _x86(model: str, llvm_cpu: str, flags, caches, cores: int = 2) -> HostProbe:
    """An SMT x86 host: two logical CPUs per core, sharing L1 and L2."""
    features = _llvm(llvm_cpu)
    return HostProbe("x86_64", model, frozenset(flags), llvm_cpu, features, cores, caches, threads_per_core=2)


def _x86_from_llvm(model: str, llvm_cpu: str, caches, cores: int = 2) -> HostProbe:
    return _x86(model, llvm_cpu, linux_flags(isa_part(_llvm(llvm_cpu))) | set(X86_BASE), caches, cores)


def _arm(model: str, llvm_cpu: str, sve_bytes: int, l2: str) -> HostProbe:
    features = _llvm(llvm_cpu, "aarch64-linux-gnu")
    flags = linux_flags(isa_part(features)) | set(ARM_BASE)
    return HostProbe("aarch64", model, frozenset(flags), llvm_cpu, features, 4,
                     (CacheLevel(1, "Data", "64K"), CacheLevel(2, "Unified", l2),
                      CacheLevel(3, "Unified", "32768K", 4)),
                     sve_vector_bytes=sve_bytes)


def simulated_hosts() -> dict[str, HostProbe]:
    """Name -> probe of every simulated host the portability tests run as."""
    zen4_model, zen4_flags = _logged_flags("znver4-2c")
    intel_model, intel_flags = _logged_flags("rocketlake-2c")
    return {
        "zen4": _x86(zen4_model, "znver4", zen4_flags, _caches("32K", "1024K", "32768K")),
        "intel-vm-amx": _x86(intel_model, "rocketlake", intel_flags, _caches("48K", "2048K", "491520K")),
        "sapphirerapids": _x86("Intel(R) Xeon(R) Platinum 8480+ @ 2.00GHz", "sapphirerapids", intel_flags,
                               _caches("48K", "2048K", "107520K", 2, 112), cores=16),
        "emeraldrapids": _x86("INTEL(R) XEON(R) PLATINUM 8592+", "emeraldrapids", intel_flags,
                              _caches("48K", "2048K", "327680K", 2, 128), cores=16),
        "zen5": _x86_from_llvm("AMD EPYC 9755 128-Core Processor", "znver5", _caches("48K", "1024K", "32768K", 2, 16)),
        "zen3": _x86_from_llvm("AMD EPYC 7763 64-Core Processor", "znver3", _caches("32K", "512K", "32768K", 2, 16)),
        "icelake": _x86_from_llvm("Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz", "icelake-server",
                                  _caches("48K", "1280K", "55296K", 2, 64)),
        "skylake-avx512": _x86_from_llvm("Intel(R) Xeon(R) Platinum 8175M CPU @ 2.50GHz", "skylake-avx512",
                                         _caches("32K", "1024K", "33792K", 2, 48)),
        "haswell": _x86_from_llvm("Intel(R) Xeon(R) CPU E5-2676 v3 @ 2.40GHz", "haswell",
                                  _caches("32K", "256K", "30720K", 2, 24)),
        "unknown-x86": HostProbe("x86_64", "Future Vendor CPU",
                                 frozenset(linux_flags(isa_part(_llvm("x86-64-v3"))) | set(X86_BASE)
                                           | {"pclmulqdq", "aes"}),
                                 "generic", _llvm("generic"), 2, _caches("48K", "", "16384K", 8), threads_per_core=2),
        "neoverse-v1": _arm("Neoverse-V1", "neoverse-v1", 32, "1024K"),
        "neoverse-v2": _arm("Neoverse-V2", "neoverse-v2", 16, "2048K"),
    }


# The expected profile facts of each simulated host: vector bits and per-core L2.
EXPECTED = {
    "zen4": (512, 1 << 20), "intel-vm-amx": (512, 2 << 20), "sapphirerapids": (512, 2 << 20),
    "emeraldrapids": (512, 2 << 20), "zen5": (512, 1 << 20),
    "zen3": (256, 512 << 10), "icelake": (512, 1280 << 10), "skylake-avx512": (512, 1 << 20),
    "haswell": (256, 256 << 10), "unknown-x86": (256, 1 << 20), "neoverse-v1": (256, 1 << 20),
    "neoverse-v2": (128, 2 << 20),
}
