"""Which compiled kernel set a custom op runs on.

Custom ops take no Python objects, so a kernel set travels as an integer handle: 0 is the
process default (its provider is installed by :mod:`lookup_tvm.kernels`), others come from
:func:`handle_of`. :func:`kernels_for` also sizes TVM's pool to torch's thread count first
(the policy is :mod:`lookup_tvm.cpu.threads`').
"""
from __future__ import annotations

import threading
from typing import Any, Callable

from lookup_tvm.cpu import threads
from lookup_tvm.cpu.tvm_api import set_num_threads

_SETS: list[Any] = []
_LOCK = threading.Lock()
_DEFAULT: list[Callable[[], Any]] = []


def install_default(provider: Callable[[], Any]) -> None:
    """Make ``provider()`` the kernel set of handle 0."""
    _DEFAULT[:] = [provider]


def handle_of(kernels: Any | None) -> int:
    """The handle of a kernel set (registered on first use); 0 for the process default."""
    if kernels is None:
        return 0
    with _LOCK:
        for index, known in enumerate(_SETS):
            if known is kernels:
                return index + 1
        _SETS.append(kernels)
        return len(_SETS)


def kernels_for(handle: int) -> Any:
    """The kernel set of a handle, with TVM's pool following torch's thread count."""
    threads.follow_torch(set_num_threads)
    if handle:
        return _SETS[handle - 1]
    if not _DEFAULT:
        raise RuntimeError("the process default kernel set is installed by lookup_tvm.kernels: import "
                           "lookup_tvm.functional or lookup_tvm.kernels before calling the ops with handle 0")
    return _DEFAULT[0]()
