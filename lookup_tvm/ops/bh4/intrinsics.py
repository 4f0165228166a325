"""The tensor intrinsics that BH4 schedules tensorize with, registered by name.

A MetaSchedule record's trace names the intrinsics it tensorized with, and TVM replays every
trace when it opens a database: a name not yet registered in the process fails the whole
database. :func:`register_named` registers every BH4 intrinsic that a text (a database's
records) names, whatever the host's ISA: registering builds no code.
"""
from __future__ import annotations

import re

from lookup_tvm.ops.bh4 import amx, bf16_dot

_DOT_PATTERN = re.compile(rf"{bf16_dot.INTRINSIC}(?:_emulated)?")


def register_named(text: str) -> list[str]:
    """Register each bf16-dot and AMX tile intrinsic named in ``text``; their names, sorted."""
    names = {bf16_dot.register_dot(match.group(0)) for match in _DOT_PATTERN.finditer(text)}
    for match in amx.NAME_PATTERN.finditer(text):
        rows, columns, pairs, step = (int(group) for group in match.groups()[:4])
        names.add(amx.register_tile(rows, columns, pairs, step, emulated=match.group(5) is not None))
    return sorted(names)
