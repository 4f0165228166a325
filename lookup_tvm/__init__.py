"""lookup_tvm: LookupFFN (hashing + table look-ups) with TVM-generated CPU kernels for PyTorch.

The public names load on first use, so importing a part of the package (parsing a target,
reading a tuning log) does not import TVM.
"""
from __future__ import annotations

import importlib

from lookup_tvm.version import __version__

_PUBLIC = {
    "LayerConfig": "lookup_tvm.config", "LookupFFN": "lookup_tvm.module", "export_library": "lookup_tvm.library",
    "keep_freed_memory": "lookup_tvm.memory", "load_library": "lookup_tvm.library",
    "quantize_tables": "lookup_tvm.integration",
    "reference": "lookup_tvm.reference", "refresh_weights": "lookup_tvm.module",
    "release_buffers": "lookup_tvm.kit.buffers",
    "replace_ffn": "lookup_tvm.integration", "use_tuning_logs": "lookup_tvm.kernels",
}
__all__ = [*_PUBLIC, "__version__"]


def __getattr__(name: str):
    if name not in _PUBLIC:
        raise AttributeError(f"module 'lookup_tvm' has no attribute {name!r}")
    module = importlib.import_module(_PUBLIC[name])
    return module if name == "reference" else getattr(module, name)


def __dir__() -> list[str]:
    return sorted(__all__)
