"""A real text corpus that every machine with Python has: the standard library's sources."""
from __future__ import annotations

import sysconfig
from pathlib import Path

import torch


def stdlib_text(max_bytes: int = 4_000_000) -> bytes:
    """Concatenated ``.py`` files of the standard library (sorted, so the same on every run)."""
    root = Path(sysconfig.get_paths()["stdlib"])
    chunks, total = [], 0
    for path in sorted(root.glob("*.py")):
        data = path.read_bytes()
        chunks.append(data)
        total += len(data)
        if total >= max_bytes:
            break
    return b"\n".join(chunks)[:max_bytes]


def docs_text(max_bytes: int = 4_000_000) -> bytes:
    """English prose that ships with Python: the language reference and library topics
    ``pydoc`` shows (``pydoc_data.topics``), in sorted topic order."""
    from pydoc_data.topics import topics

    return "\n\n".join(topics[key] for key in sorted(topics)).encode("utf-8")[:max_bytes]


CORPORA = {"stdlib": stdlib_text, "docs": docs_text}


def byte_splits(max_bytes: int = 4_000_000, validation_fraction: float = 0.1,
                corpus: str = "stdlib") -> tuple[torch.Tensor, torch.Tensor]:
    """Byte tokens (vocabulary 256) of a corpus (:data:`CORPORA`: ``stdlib`` Python sources,
    ``docs`` English documentation) split into train and validation tensors (int64)."""
    if corpus not in CORPORA:
        raise ValueError(f"corpus must be one of {sorted(CORPORA)}, got {corpus!r}")
    data = torch.frombuffer(bytearray(CORPORA[corpus](max_bytes)), dtype=torch.uint8).long()
    cut = int(len(data) * (1 - validation_fraction))
    return data[:cut], data[cut:]


def batches(data: torch.Tensor, batch: int, context: int,
            generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Random windows: inputs [batch, context] and next-byte targets [batch, context]."""
    starts = torch.randint(0, len(data) - context - 1, (batch,), generator=generator)
    x = torch.stack([data[s: s + context] for s in starts])
    y = torch.stack([data[s + 1: s + context + 1] for s in starts])
    return x, y
