"""Which oneDNN implementations PyTorch ran for a call (``brg_matmul:avx10_1_512_amx`` says AMX
tiles; ``gemm:jit`` AVX-512 or AVX2): read from oneDNN's verbose log, for the benchmark tables,
so that a figure against "the bf16 FFN" says which code that FFN ran."""
from __future__ import annotations

import ctypes
import os
import sys
import tempfile
from typing import Callable

import torch


def parse_verbose(text: str) -> list[str]:
    """The ``<primitive>:<implementation>`` of every primitive executed in a oneDNN verbose log,
    each once, in order (lines ``onednn_verbose,[v1,primitive,]exec,cpu,<primitive>,<impl>,...``)."""
    seen: list[str] = []
    for line in text.splitlines():
        fields = line.strip().split(",")
        if not fields or fields[0] not in ("onednn_verbose", "dnnl_verbose") or "exec" not in fields:
            continue
        at = fields.index("exec")
        if len(fields) > at + 3 and fields[at + 1] == "cpu":
            name = f"{fields[at + 2]}:{fields[at + 3]}"
            if name not in seen:
                seen.append(name)
    return seen


def implementations(call: Callable[[], object]) -> list[str]:
    """Run ``call`` once with oneDNN's verbose log on and return what it executed
    (:func:`parse_verbose`); empty when no oneDNN primitive ran (PyTorch's own kernels or MKL)."""
    sys.stdout.flush()
    saved = os.dup(1)
    with tempfile.TemporaryFile(mode="w+") as log:
        os.dup2(log.fileno(), 1)
        try:
            with torch.backends.mkldnn.verbose(torch.backends.mkldnn.VERBOSE_ON):
                call()
            ctypes.CDLL(None).fflush(None)
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        log.seek(0)
        return parse_verbose(log.read())


def describe(call: Callable[[], object]) -> str:
    """One line for a table: ``oneDNN matmul:brg_matmul:avx10_1_512_amx`` or that none ran."""
    ran = implementations(call)
    return "oneDNN " + ", ".join(ran) if ran else "no oneDNN primitive (PyTorch's own or MKL kernels)"
