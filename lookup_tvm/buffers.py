"""Memory the kernel calls reuse instead of allocating per call.

A fresh multi-MiB tensor costs a page fault per 4 KiB on first touch (glibc maps every
allocation over 32 MiB anew and unmaps it on free): about 1.7 us a page on the development
VM, 55 ms per 128 MiB, which at 32768 tokens was a third of a training step. Two kinds of
buffer avoid it:

- :func:`scratch`: per-thread, for intermediates that never leave a call;
- :func:`reusable`: for outputs that do leave it (activations saved for the backward,
  gradients handed to autograd): a call gets a storage of an earlier one back only when no
  tensor uses it any more (its reference count is the pool's alone), so reuse can never
  overwrite data somebody still holds.

Both stay allocated after the call (the memory a step needed stays resident for the next);
:func:`release_buffers` gives it back.
"""
from __future__ import annotations

import math
import threading

import torch

_SCRATCH = threading.local()
_POOL: dict[str, list[torch.UntypedStorage]] = {}
_POOL_LOCK = threading.Lock()


def scratch(name: str, shape: tuple[int, ...], dtype: torch.dtype) -> torch.Tensor:
    """A per-thread buffer for intermediates that never leave a call (the inference op's codes,
    scores and float32 output before rounding to bf16; the float32 table gradient of bf16
    tables; the BH4 backward's stage gradients), grown as needed and reused, so a call
    allocates only what it returns."""
    buffers = _SCRATCH.__dict__.setdefault("buffers", {})
    numel = math.prod(shape)
    held = buffers.get((name, dtype))
    if held is None or held.numel() < numel:
        with torch.inference_mode(False):  # a normal tensor: written in place in and out of inference mode
            held = buffers[(name, dtype)] = torch.empty(max(numel, 1), dtype=dtype)
    return held[:numel].view(shape)


def _unused(storage: torch.UntypedStorage) -> bool:
    """Whether only the pool references ``storage`` (no tensor, no autograd graph). False where
    this torch lacks the reference count: then nothing is reused, every call allocates."""
    use_count = getattr(torch._C, "_storage_Use_Count", None)
    return use_count is not None and use_count(storage._cdata) == 1


def reusable(name: str, shape: tuple[int, ...], dtype: torch.dtype) -> torch.Tensor:
    """An uninitialised contiguous tensor [shape] of ``dtype`` for an output that leaves the call,
    on the smallest storage of pool ``name`` that no tensor uses any more and is large enough;
    a new storage when none is (free ones too small for it are dropped then, so a pool holds at
    most as many storages as were in use at once)."""
    nbytes = max(math.prod(shape) * dtype.itemsize, 1)
    with _POOL_LOCK:
        held = _POOL.setdefault(name, [])
        free = [s for s in held if _unused(s)]
        fitting = [s for s in free if s.nbytes() >= nbytes]
        if fitting:
            storage = min(fitting, key=lambda s: s.nbytes())
        else:
            held[:] = [s for s in held if not any(s is f for f in free)]
            with torch.inference_mode(False):
                storage = torch.empty(nbytes, dtype=torch.uint8).untyped_storage()
            held.append(storage)
        return torch.empty(0, dtype=dtype).set_(storage, 0, shape)


def release_buffers() -> None:
    """Free the calling thread's scratch and every pooled storage no tensor uses (memory kept
    from earlier calls; the next call allocates afresh)."""
    _SCRATCH.__dict__.pop("buffers", None)
    with _POOL_LOCK:
        for held in _POOL.values():
            held[:] = [s for s in held if not _unused(s)]
