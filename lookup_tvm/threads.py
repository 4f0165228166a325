"""The thread count of torch and TVM together, set once by the scripts."""
from __future__ import annotations

import os


def use_threads(count: int | None) -> None:
    """Run torch and TVM's pool on ``count`` threads (None: leave both as they are).

    Must run before TVM's thread pool starts (the first kernel call): TVM reads
    ``TVM_NUM_THREADS`` once. OpenMP workers are told to sleep when idle, so timings of one
    library are not disturbed by the other's spinning threads.
    """
    if not count:
        return
    os.environ["TVM_NUM_THREADS"] = str(count)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import torch

    torch.set_num_threads(count)
