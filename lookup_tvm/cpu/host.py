"""The host probe: what this machine is, read once, and replaceable for tests.

:class:`HostProbe` holds the raw facts (cpuinfo flags and model, cpu0's sysfs caches,
LLVM's name and features for the CPU, core count). Everything that depends on the
host (its target, profile, ISA, where tuning logs were measured) reads
:func:`current_probe`; :func:`simulated_host` swaps in another machine's facts.
"""
from __future__ import annotations

import contextlib
import dataclasses
import os
import platform
import re
import threading
from pathlib import Path
from typing import Iterator

from lookup_tvm.cpu.target import AARCH64_TRIPLE, ARM_REGISTERS, CPU_PROFILES, KIB, MIB, CpuProfile

_SIZE_UNITS = {"K": KIB, "M": MIB, "G": 1024 * MIB}


@dataclasses.dataclass(frozen=True)
class CacheLevel:
    """One of cpu0's sysfs cache entries: level, type (Data/Instruction/Unified), size text
    as sysfs has it (``"48K"``, possibly empty), and how many logical CPUs share it."""

    level: int
    kind: str
    size: str
    shared_cpus: int = 1

    def size_bytes(self) -> int | None:
        text = self.size.strip()
        match = re.fullmatch(r"(\d+)\s*([KMG]?)", text)
        if not match:
            return None
        return int(match.group(1)) * _SIZE_UNITS.get(match.group(2), 1)


@dataclasses.dataclass(frozen=True)
class HostProbe:
    """Raw facts about one machine."""

    machine: str
    cpu_model: str
    flags: frozenset[str]
    llvm_cpu: str
    llvm_features: frozenset[str]
    cores: int
    caches: tuple[CacheLevel, ...] = ()
    threads_per_core: int = 1
    max_mhz: float | None = None
    sve_vector_bytes: int | None = None


def parse_cpuinfo(text: str) -> tuple[str, frozenset[str]]:
    """(model name, ISA flags) from /proc/cpuinfo text (x86 'flags' or Arm 'Features')."""
    model = re.search(r"^(?:model name|Model|CPU part)\s*:\s*(.*)$", text, re.MULTILINE)
    flags = re.search(r"^(?:flags|Features)\s*:\s*(.*)$", text, re.MULTILINE)
    return (model.group(1).strip() if model else "unknown"), frozenset(flags.group(1).split() if flags else ())


def _count_cpus(cpu_list: str) -> int:
    """Logical CPUs in a sysfs list such as ``0-3,8``."""
    count = 0
    for part in filter(None, cpu_list.strip().split(",")):
        low, _, high = part.partition("-")
        count += int(high or low) - int(low) + 1
    return count


def _read(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""


def read_sysfs_caches(cpu_dir: Path) -> tuple[CacheLevel, ...]:
    """cpu0's cache entries under ``cpu_dir`` (``/sys/devices/system/cpu``); unreadable or
    malformed entries are skipped."""
    caches = []
    for index in sorted((cpu_dir / "cpu0" / "cache").glob("index*")):
        level, kind = _read(index / "level"), _read(index / "type")
        if not level.isdigit() or not kind:
            continue
        shared = _read(index / "shared_cpu_list")
        try:
            shared_cpus = max(1, _count_cpus(shared)) if shared else 1
        except ValueError:
            shared_cpus = 1
        caches.append(CacheLevel(int(level), kind, _read(index / "size"), shared_cpus))
    return tuple(caches)


def read_host_probe(proc: Path = Path("/proc"), cpu_dir: Path = Path("/sys/devices/system/cpu")) -> HostProbe:
    """Probe this machine: /proc/cpuinfo, sysfs, and LLVM (through TVM, imported only now) for
    the CPU's name."""
    from lookup_tvm.cpu.tvm_api import llvm_cpu_features, llvm_host_cpu

    model, flags = parse_cpuinfo(_read(proc / "cpuinfo"))
    siblings = _read(cpu_dir / "cpu0" / "topology" / "thread_siblings_list")
    max_khz = _read(cpu_dir / "cpu0" / "cpufreq" / "cpuinfo_max_freq")
    sve = _read(proc / "sys" / "abi" / "sve_default_vector_length")
    llvm_cpu = llvm_host_cpu()
    attrs = {"kind": "llvm", "mcpu": llvm_cpu}
    if platform.machine() == "aarch64":
        attrs["mtriple"] = AARCH64_TRIPLE
    return HostProbe(
        machine=platform.machine(), cpu_model=model, flags=flags, llvm_cpu=llvm_cpu,
        llvm_features=frozenset(llvm_cpu_features(attrs)),
        cores=os.cpu_count() or 1,  # the machine's, not this thread's affinity (torch may pin it)
        caches=read_sysfs_caches(cpu_dir),
        threads_per_core=_count_cpus(siblings) if re.fullmatch(r"[\d,\-]+", siblings) else 1,
        max_mhz=int(max_khz) / 1000 if max_khz.isdigit() else None,
        sve_vector_bytes=int(sve) if sve.isdigit() else None,
    )


_PROBE: list[HostProbe] = []
_SIMULATED = threading.local()
_PROBE_LOCK = threading.Lock()


def current_probe() -> HostProbe:
    """The host everything is decided for: a simulated one inside :func:`simulated_host`,
    else this machine (probed once)."""
    simulated = getattr(_SIMULATED, "stack", None)
    if simulated:
        return simulated[-1]
    with _PROBE_LOCK:
        if not _PROBE:
            _PROBE.append(read_host_probe())
        return _PROBE[0]


SERVER_CACHES = (CacheLevel(1, "Data", "48K"), CacheLevel(2, "Unified", "2048K"), CacheLevel(3, "Unified", "327680K"))


def many_core_probe(cores: int, caches: tuple[CacheLevel, ...] | None = None) -> HostProbe:
    """This machine with ``cores`` cores: its ISA and per-core L1d and L2, its L3 shared by all
    of them (schedules sized for those cores still fit this machine's caches when run here), or
    the ``caches`` given (e.g. :data:`SERVER_CACHES`, Emerald Rapids' sizes)."""
    probe = current_probe()
    caches = tuple(dataclasses.replace(c, shared_cpus=cores if c.level >= 3 else 1) for c in caches or probe.caches)
    return dataclasses.replace(probe, cores=cores, caches=caches, threads_per_core=1)


@contextlib.contextmanager
def simulated_host(probe: HostProbe) -> Iterator[HostProbe]:
    """Decide everything inside the block as if on ``probe``'s machine (this thread only).
    Code for it may be compiled but must not be run unless this host can run it."""
    stack = getattr(_SIMULATED, "stack", None)
    if stack is None:
        stack = _SIMULATED.stack = []
    stack.append(probe)
    try:
        yield probe
    finally:
        stack.pop()


def _cache_bytes(probe: HostProbe, level: int, per_core: bool) -> int | None:
    for cache in probe.caches:
        size = cache.size_bytes()
        if cache.level == level and cache.kind in ("Data", "Unified") and size:
            if per_core and cache.shared_cpus > probe.threads_per_core:
                return size * probe.threads_per_core // cache.shared_cpus
            return size
    return None


def _vector_bits(probe: HostProbe) -> int:
    """From the cpuinfo flags (the same names in Linux and LLVM for these three)."""
    if probe.machine == "aarch64":
        return probe.sve_vector_bytes * 8 if "sve" in probe.flags and probe.sve_vector_bytes else 128
    if "avx512f" in probe.flags:
        return 512
    return 256 if "avx2" in probe.flags else 128


def _ghz(probe: HostProbe, nominal: CpuProfile | None) -> float:
    """The maximum clock (cpufreq), else the one in the model name, else the CPU's nominal one."""
    if probe.max_mhz:
        return round(probe.max_mhz / 1000, 2)
    match = re.search(r"@\s*([\d.]+)\s*GHz", probe.cpu_model)
    if match:
        return float(match.group(1))
    return nominal.ghz if nominal else 2.5


def host_profile(probe: HostProbe | None = None) -> CpuProfile:
    """The profile of a host from its probe; missing cache sizes take the named CPU's."""
    probe = probe or current_probe()
    nominal = CPU_PROFILES.get(probe.llvm_cpu)
    fallback = nominal or CpuProfile("host", 256, 32 * KIB, 1 * MIB, 32 * MIB, 1)
    return CpuProfile(
        name="host",
        vector_bits=_vector_bits(probe),
        l1d_bytes=_cache_bytes(probe, 1, True) or fallback.l1d_bytes,
        l2_bytes=_cache_bytes(probe, 2, True) or fallback.l2_bytes,
        l3_bytes=_cache_bytes(probe, 3, False) or fallback.l3_bytes,
        cores=probe.cores,
        ghz=_ghz(probe, nominal),
        fma_units=fallback.fma_units,
        vector_registers=ARM_REGISTERS if probe.machine == "aarch64" else 0,
    )
