"""On-disk cache of compiled kernel libraries, safe under concurrent builders.

Files live in ``$LOOKUP_TVM_CACHE`` (default ``~/.cache/lookup_tvm``), one shared
library per kernel, named by a hash of everything that changes the machine code.
A build takes an exclusive ``flock`` on the entry, writes a temporary file and
renames it into place, so readers never see a half-written library.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Callable, Iterator


def cache_root() -> Path:
    env = os.environ.get("LOOKUP_TVM_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "lookup_tvm"


def cache_key(fields: dict[str, Any]) -> str:
    """A stable hash of JSON-serialisable fields."""
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:20]


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def get_or_build(
    directory: Path,
    name: str,
    export: Callable[[str], None],
    load: Callable[[str], Any],
) -> Any:
    """Load ``directory/name.so``, building it with ``export(tmp_path)`` when missing or unreadable."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.so"
    if path.exists():
        with contextlib.suppress(Exception):
            return load(str(path))
    with _locked(directory / f"{name}.lock"):
        if path.exists():
            with contextlib.suppress(Exception):
                return load(str(path))
        fd, tmp = tempfile.mkstemp(suffix=".so", dir=directory)
        os.close(fd)
        try:
            export(tmp)
            os.replace(tmp, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
    return load(str(path))


def read_json(path: Path) -> Any | None:
    """A small JSON file of the cache (a verification result), or None when it is absent or unreadable."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError):
        return None


def write_json(path: Path, data: Any) -> None:
    """Write a small JSON file into the cache atomically (rename into place)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".json", dir=path.parent)
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle, sort_keys=True)
    os.replace(tmp, path)
