"""Permission to use AMX tiles. Linux hands a process the large tile state only on request
(``arch_prctl(ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA)``); a tile instruction before it
dies with SIGILL. The request covers the whole process, so it is made once, before the first
kernel that uses tiles is loaded (:meth:`lookup_tvm.kernels.CompiledKernels.compile`).
"""
from __future__ import annotations

import ctypes
import errno
import functools
import os
import platform

SYS_ARCH_PRCTL = 158  # x86-64
ARCH_REQ_XCOMP_PERM = 0x1023
XFEATURE_XTILEDATA = 18


class AmxUnavailableError(RuntimeError):
    """The kernel uses AMX tiles and this process may not (no AMX, an old kernel, or refused)."""


@functools.lru_cache(maxsize=None)
def request_tile_permission() -> None:
    """Ask Linux for the AMX tile state once per process; raise :class:`AmxUnavailableError`
    with the reason if it refuses (then no tile instruction may run)."""
    if platform.system() != "Linux" or platform.machine() != "x86_64":
        raise AmxUnavailableError(f"AMX tiles need Linux on x86-64, not {platform.system()} {platform.machine()}")
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.syscall(SYS_ARCH_PRCTL, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) != 0:
        code = ctypes.get_errno()
        raise AmxUnavailableError(
            f"Linux refused the AMX tile state (arch_prctl: {errno.errorcode.get(code, code)}, "
            f"{os.strerror(code)}): this CPU or kernel (5.16+ needed) has no AMX for user code; "
            "unset LOOKUP_TVM_AMX to use the AVX-512 kernels")
