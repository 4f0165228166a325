"""The tensor intrinsics that BH4 schedules tensorize with, registered by name.

A MetaSchedule record's trace names the intrinsics it tensorized with, and TVM replays every
trace when it opens a database: a name not yet registered in the process fails the whole
database. :func:`register_named` registers every BH4 intrinsic that a text (a database's
records) names, whatever the host's ISA: registering builds no code.
"""
from __future__ import annotations

import re

from lookup_tvm.ops.bh4 import amx, bf16_dot

DEFAULT_BLOCK = 64  # the default layer's BH4 block size (LayerConfig)
_DOT_PATTERN = re.compile(rf"{bf16_dot.INTRINSIC}(?:_emulated)?")


def register_known() -> list[str]:
    """Register the intrinsics the default schedules can name for the default block size (64): the
    bf16 dot product (and its emulated form) and the AMX tiles of every tile-knob candidate
    (:func:`lookup_tvm.ops.bh4.schedule.tile_knobs`); their names, sorted (about 0.5 s). A
    database whose records name others is opened through :func:`register_named` first."""
    names = {bf16_dot.register_dot(name) for name in (bf16_dot.INTRINSIC, bf16_dot.EMULATED)}
    for b in (DEFAULT_BLOCK,):
        for rows in (amx.ROWS, amx.ROWS // 2):
            for columns in (c for c in (64, 32, 16) if b % c == 0):
                for step in (s for s in (amx.MAX_PAIRS, amx.MAX_PAIRS // 2) if (b // 2) % s == 0):
                    names.add(amx.register_tile(rows, columns, b // 2, step, emulated=False))
    return sorted(names)


def register_named(text: str) -> list[str]:
    """Register each bf16-dot and AMX tile intrinsic named in ``text``; their names, sorted."""
    names = {bf16_dot.register_dot(match.group(0)) for match in _DOT_PATTERN.finditer(text)}
    for match in amx.NAME_PATTERN.finditer(text):
        rows, columns, pairs, step = (int(group) for group in match.groups()[:4])
        names.add(amx.register_tile(rows, columns, pairs, step, emulated=match.group(5) is not None))
    return sorted(names)
