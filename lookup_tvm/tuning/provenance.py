"""Where a tuning log came from: the machine that measured it and the software versions
(``target.json``'s ``measured_on`` and ``versions``)."""
from __future__ import annotations

import platform
import time
from typing import Any

import torch

from lookup_tvm.calibration import fma_gflops_per_core
from lookup_tvm.cpu.host import HostProbe, current_probe, host_profile
from lookup_tvm.cpu.resolve import host_target
from lookup_tvm.cpu.tvm_api import TVM_VERSION
from lookup_tvm.version import __version__


def provenance() -> dict[str, Any]:
    """The ``target.json`` fields of a log started on this machine."""
    return {"measured_on": measured_on(), "versions": software_versions()}


def measured_on(probe: HostProbe | None = None) -> dict[str, Any]:
    """The machine running the measurements (its cpuinfo flags under ``isa``), when, and
    (for this machine, not a simulated probe) its measured fp32 FMA rate per core."""
    fma = None
    if probe is None:
        fma = round(fma_gflops_per_core(host_target()), 1)
    probe = probe or current_probe()
    profile = host_profile(probe)
    return {
        "fma_gflops_per_core": fma,
        "cpu_model": probe.cpu_model,
        "llvm_cpu": probe.llvm_cpu,
        "machine": probe.machine,
        "l1d_bytes": profile.l1d_bytes,
        "l2_bytes": profile.l2_bytes,
        "l3_bytes": profile.l3_bytes,
        "cores": profile.cores,
        "isa": sorted(probe.flags),
        "date": time.strftime("%Y-%m-%d"),
    }


def software_versions() -> dict[str, str]:
    return {"tvm": TVM_VERSION, "torch": torch.__version__, "lookup_tvm": __version__,
            "python": platform.python_version()}
