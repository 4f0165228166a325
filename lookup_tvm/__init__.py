"""lookup_tvm: LookupFFN (hashing + table look-ups) with TVM-generated CPU kernels for PyTorch."""
from lookup_tvm import reference
from lookup_tvm.config import LayerConfig
from lookup_tvm.module import LookupFFN

__all__ = ["LayerConfig", "LookupFFN", "reference", "use_tuning_logs"]
__version__ = "0.1.0"


def use_tuning_logs(path):
    """Run ``lookup_tvm.functional`` on the kernels tuned in ``path`` (``tuning_logs/<target>``).

    ``None`` returns to the automatic choice (this host's log if one exists, else defaults).
    """
    from lookup_tvm.kernels import use_tuning_logs as _use

    return _use(path)
