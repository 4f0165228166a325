"""Memory the kernel calls reuse instead of allocating per call.

A fresh multi-MiB tensor costs a page fault per 4 KiB on first touch (glibc maps every
allocation over 32 MiB anew and unmaps it on free): about 1.7 us a page on the development
VM, 55 ms per 128 MiB, which at 32768 tokens was a third of a training step. The kernel calls
take their outputs (activations saved for the backward, gradients handed to autograd) and
their intermediates from one pool of storages instead. A storage goes back out only when no
tensor uses it any more (its reference count is the pool's alone), so reuse can never
overwrite data somebody still holds: graphs alive at once, held outputs and gradients keep
their own.

The pool keeps what it allocated (the memory a step needed stays resident for the next one)
but drops a free storage that has not been handed out for :data:`IDLE_SECONDS` (checked on each
call), so outputs a caller collected and then dropped do not stay resident for good;
:func:`release_buffers` gives back at once what no tensor uses.
"""
from __future__ import annotations

import dataclasses
import math
import threading
import time

import torch

IDLE_SECONDS = 60.0  # longer than a training step: a step's buffers come back every step
SMALL_BYTES = 64 * 1024  # below this, malloc serves from its arenas (no page faults): no pooling


@dataclasses.dataclass
class _Pooled:
    storage: torch.UntypedStorage
    handed_out: float  # time.monotonic() of the last hand-out


_POOL: list[_Pooled] = []
_POOL_LOCK = threading.Lock()


def _storage_use_count():
    """torch's reference count of a storage (an internal function), or None where this torch
    lacks it: then :func:`reusable` allocates every tensor afresh and pools nothing."""
    return getattr(torch._C, "_storage_Use_Count", None)


def _unused(storage: torch.UntypedStorage) -> bool:
    """Whether only the pool references ``storage`` (no tensor, no autograd graph)."""
    return _storage_use_count()(storage._cdata) == 1


def reusable(shape: tuple[int, ...], dtype: torch.dtype) -> torch.Tensor:
    """An uninitialised contiguous tensor [shape] of ``dtype`` (not a view) on the smallest
    pooled storage that no tensor uses and that is large enough, or on a new one added to the
    pool. Safe for outputs that leave the call: the storage is not handed out again while the
    tensor, or anything sharing its storage, is alive. A plain allocation where the pool cannot
    work: while torch.compile traces (it cannot trace the pool) or without the reference count,
    and for tensors under :data:`SMALL_BYTES` (a decode step's: the pool's bookkeeping would cost
    more than the allocation)."""
    nbytes = max(math.prod(shape) * dtype.itemsize, 1)
    if nbytes < SMALL_BYTES or torch.compiler.is_compiling() or _storage_use_count() is None:
        return torch.empty(shape, dtype=dtype)
    now = time.monotonic()
    with _POOL_LOCK:
        _POOL[:] = [p for p in _POOL if now - p.handed_out <= IDLE_SECONDS or not _unused(p.storage)]
        fitting = [p for p in _POOL if p.storage.nbytes() >= nbytes and _unused(p.storage)]
        if fitting:
            chosen = min(fitting, key=lambda p: p.storage.nbytes())
            chosen.handed_out = now
        else:
            with torch.inference_mode(False):
                chosen = _Pooled(torch.empty(nbytes, dtype=torch.uint8).untyped_storage(), now)
            _POOL.append(chosen)
        return torch.empty(0, dtype=dtype).set_(chosen.storage, 0, shape)


def release_buffers() -> None:
    """Free every pooled storage that no tensor uses (the next calls allocate afresh)."""
    with _POOL_LOCK:
        _POOL[:] = [p for p in _POOL if _storage_use_count() is not None and not _unused(p.storage)]
