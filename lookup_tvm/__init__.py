"""lookup_tvm: LookupFFN (hashing + table look-ups) with TVM-generated CPU kernels for PyTorch."""
from lookup_tvm import reference
from lookup_tvm.buffers import release_buffers
from lookup_tvm.config import LayerConfig
from lookup_tvm.integration import replace_ffn
from lookup_tvm.memory import keep_freed_memory
from lookup_tvm.module import LookupFFN

__all__ = ["LayerConfig", "LookupFFN", "export_library", "keep_freed_memory", "load_library", "reference",
           "release_buffers", "replace_ffn", "use_tuning_logs"]
__version__ = "0.1.0"


def use_tuning_logs(path):
    """Run ``lookup_tvm.functional`` on the kernels tuned in ``path`` (``tuning_logs/<target>``).

    ``None`` returns to the automatic choice (this host's log if one exists, else defaults).
    """
    from lookup_tvm.kernels import use_tuning_logs as _use

    return _use(path)


def export_library(path, target="host", config=None, tuning_logs=None):
    """Compile every kernel of ``config`` for ``target`` into one library plus a manifest."""
    from lookup_tvm.library import export_library as _export

    return _export(path, target=target, config=config, tuning_logs=tuning_logs)


def load_library(path):
    """Verify a library's manifest, then load it; returns kernels for ``LookupFFN.use_library``."""
    from lookup_tvm.library import load_library as _load

    return _load(path)
