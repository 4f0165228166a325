"""lookup_tvm: LookupFFN (hashing + table look-ups) with TVM-generated CPU kernels for PyTorch."""
from lookup_tvm import reference

__all__ = ["reference"]
__version__ = "0.1.0"
