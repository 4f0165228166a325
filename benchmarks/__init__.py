"""Benchmark drivers (outside the package ``lookup_tvm``, which never imports them): the
end-to-end and per-kernel benchmarks against the PyTorch baselines (:mod:`.bench`), thread
scaling (:mod:`.scaling`) and comparing tuned kernels across CPUs (:mod:`.compare`). Run through
``lookup-tvm bench`` and ``lookup-tvm compare``."""
