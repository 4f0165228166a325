"""Portable tuned libraries: every kernel of one layer config, for one target, in ONE shared
library plus ``manifest.json``; loading verifies the manifest before any code is loaded.

A server that loads a library needs neither tuning logs nor the TVM compiler path.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from lookup_tvm.config import LayerConfig
from lookup_tvm.cpu.host import current_probe
from lookup_tvm.cpu.isa import host_isa, missing_isa, target_isa
from lookup_tvm.cpu.resolve import parse_target
from lookup_tvm.cpu.target import TargetSpec
from lookup_tvm.cpu.tvm_api import TVM_VERSION, build_functions, load_module
from lookup_tvm.kernels import CompiledKernels, Kernel
from lookup_tvm.kit.operator import Choice, Operator, OpSpec
from lookup_tvm.ops import kernel_key
from lookup_tvm.sources.chosen import DefaultSchedules, tuned_schedules
from lookup_tvm.sources.logs import TuningLog

LIBRARY_FILE = "kernels.so"
MANIFEST_FILE = "manifest.json"
MANIFEST_FORMAT = 2


class LibraryError(RuntimeError):
    """A library that is damaged, built by another TVM, or for a CPU this host cannot run."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def export_library(path: str | os.PathLike, target: str | TargetSpec = "host", config: LayerConfig | None = None,
                   tuning_logs: str | os.PathLike | None = None) -> Path:
    """Compile every kernel (forward and backward) of ``config`` for ``target`` into
    ``path/kernels.so`` and write ``path/manifest.json``. Schedules come from
    ``tuning_logs`` (a ``tuning_logs/<target-key>`` directory) or the defaults."""
    config = config or LayerConfig()
    spec = parse_target(target)
    source: Any = DefaultSchedules()
    if tuning_logs is not None:
        source = tuned_schedules(TuningLog.open(tuning_logs, spec))
    kernels = CompiledKernels(spec, source, check_isa=False)
    functions, entries = {}, []
    for op, params in config.kernels():
        full = kernels.spec(op, **params)
        symbol = full.name.replace("-", "_")
        functions[symbol] = kernels.scheduled(full)
        entries.append({"symbol": symbol, **full.to_json()})
    directory = Path(path)
    directory.mkdir(parents=True, exist_ok=True)
    build_functions(functions, spec).export_library(str(directory / LIBRARY_FILE))
    manifest = {
        "format": MANIFEST_FORMAT,
        "config": config.to_json(),
        "target": spec.to_json(),
        "arch": spec.arch,
        "required_isa": sorted(target_isa(dict(spec.attrs))),
        "tvm_version": TVM_VERSION,
        "schedules": getattr(source, "identity", "default"),
        "kernels": entries,
        "sha256": _sha256(directory / LIBRARY_FILE),
    }
    (directory / MANIFEST_FILE).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return directory


class LibrarySource:
    """Schedule source of a loaded library: layouts from the manifest, nothing to compile."""

    def __init__(self, manifest: dict[str, Any], directory: Path):
        self.specs = {kernel_key(e["op"], e["params"]): OpSpec.from_json(e) for e in manifest["kernels"]}
        self.identity = f"library-{manifest['sha256'][:12]}"
        self.directory = directory
        self.config = LayerConfig(**manifest["config"])

    def layout(self, operator: Operator, spec: OpSpec, target: TargetSpec) -> OpSpec:
        key = operator.kernel_key(dict(spec.params))
        if key not in self.specs:
            raise LibraryError(f"{self.directory} has no kernel {spec.name}: it was exported for another layer config")
        return self.specs[key]

    def choice(self, operator: Operator, spec: OpSpec, target: TargetSpec) -> Choice:
        raise LibraryError(f"{self.directory} has no kernel {spec.name}")


def read_manifest(path: str | os.PathLike) -> dict[str, Any]:
    manifest_path = Path(path) / MANIFEST_FILE
    try:
        manifest = json.loads(manifest_path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise LibraryError(f"{manifest_path}: cannot read the manifest ({err})") from None
    if manifest.get("format") != MANIFEST_FORMAT:
        raise LibraryError(f"{manifest_path}: manifest format {manifest.get('format')!r}, this lookup_tvm reads "
                           f"format {MANIFEST_FORMAT}; export the library again")
    missing = {"config", "target", "arch", "required_isa", "tvm_version", "kernels", "sha256"} - set(manifest)
    if missing:
        raise LibraryError(f"{manifest_path}: manifest lacks {sorted(missing)}")
    return manifest


def verify_library(path: str | os.PathLike) -> tuple[dict[str, Any], TargetSpec]:
    """Check a library without loading it: the manifest, the library's hash, the TVM
    version, and that this host (:func:`lookup_tvm.cpu.host.current_probe`) runs its code.
    Returns the manifest and the library's target; raises :class:`LibraryError`."""
    directory = Path(path)
    manifest = read_manifest(directory)
    library = directory / LIBRARY_FILE
    if not library.exists():
        raise LibraryError(f"{library} is missing")
    if _sha256(library) != manifest["sha256"]:
        raise LibraryError(f"{library}: sha256 differs from the manifest; the library was changed or damaged")
    if manifest["tvm_version"] != TVM_VERSION:
        raise LibraryError(f"{library} was built by TVM {manifest['tvm_version']}; this is TVM {TVM_VERSION}")
    try:
        target = TargetSpec.from_json(manifest["target"])
    except ValueError as err:
        raise LibraryError(f"{directory / MANIFEST_FILE}: {err}") from None
    probe = current_probe()
    if manifest["arch"] != probe.machine:
        raise LibraryError(f"{library} holds {manifest['arch']} code; this host is {probe.machine}")
    lacking = sorted(set(missing_isa(target, probe)) | (set(manifest["required_isa"]) - host_isa(probe)))
    if lacking:
        raise LibraryError(f"{library} may use ISA extensions this CPU ({probe.cpu_model}) lacks: {', '.join(lacking)}")
    return manifest, target


def load_library(path: str | os.PathLike) -> CompiledKernels:
    """Verify the library (:func:`verify_library`) and only then load ``path/kernels.so``.
    Returns the kernels, ready for :meth:`lookup_tvm.LookupFFN.use_kernels`."""
    directory = Path(path)
    manifest, target = verify_library(directory)
    module = load_module(directory / LIBRARY_FILE)
    kernels = CompiledKernels(target, LibrarySource(manifest, directory), check_isa=False)
    for entry in manifest["kernels"]:
        spec = OpSpec.from_json(entry)
        kernels.add(Kernel(spec, module[entry["symbol"]]))
    return kernels
