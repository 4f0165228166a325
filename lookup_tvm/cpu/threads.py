"""Thread counts: the one place that decides how many threads torch and TVM's pool use.

- TVM sizes its pool's capacity once, at first parallel use, from ``TVM_NUM_THREADS``:
  :func:`prepare_tvm_environment` (run before ``import tvm``) makes it the whole machine so
  the pool can grow back later, unless the user fixed ``TVM_NUM_THREADS`` themselves, and
  turns spin-waiting off (TVM and torch's OpenMP threads share the cores).
- Each kernel call then uses torch's thread count (:func:`follow_torch`), up or down.
- Scripts take ``--threads`` through :func:`add_threads_argument` and :func:`use_threads`;
  benchmark workers get their environment from :func:`worker_environment`.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
from typing import Any, Callable

import torch

SIZED_MARKER = "LOOKUP_TVM_SIZED_POOL"  # child processes inherit our pool size: the marker says it was ours


def prepare_tvm_environment() -> bool:
    """Set TVM's pool environment before TVM is imported; returns whether the user fixed
    ``TVM_NUM_THREADS`` (then every call keeps that count)."""
    user_fixed = "TVM_NUM_THREADS" in os.environ and SIZED_MARKER not in os.environ
    if not user_fixed:
        os.environ["TVM_NUM_THREADS"] = str(max(os.cpu_count() or 1, torch.get_num_threads()))
        os.environ[SIZED_MARKER] = "1"
    os.environ.setdefault("TVM_THREAD_POOL_SPIN_COUNT", "0")
    return user_fixed


USER_FIXED_THREADS = prepare_tvm_environment()
_FOLLOWED = threading.local()


def follow_torch(set_pool_threads: Callable[[int], None]) -> None:
    """Before a kernel call: size TVM's pool (for the calling OS thread) to torch's thread count,
    through ``set_pool_threads``, when it changed; nothing when the user fixed TVM_NUM_THREADS."""
    wanted = torch.get_num_threads()
    if USER_FIXED_THREADS or getattr(_FOLLOWED, "count", None) == wanted:
        return
    set_pool_threads(wanted)
    _FOLLOWED.count = wanted


def use_threads(count: int | None) -> None:
    """Run torch and TVM's pool on ``count`` threads (None: leave both as they are).

    Must run before TVM's thread pool starts (the first kernel call): TVM reads
    ``TVM_NUM_THREADS`` once. OpenMP workers are told to sleep when idle, so timings of one
    library are not disturbed by the other's spinning threads.
    """
    global USER_FIXED_THREADS
    if not count:
        return
    os.environ["TVM_NUM_THREADS"] = str(count)
    os.environ.pop(SIZED_MARKER, None)
    USER_FIXED_THREADS = True  # a fixed choice: calls keep it whatever torch's count becomes
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    torch.set_num_threads(count)


def add_threads_argument(parser: argparse.ArgumentParser, default: int | list[int] | None = None,
                         unset: str = "torch's own count") -> None:
    """Every script's ``--threads`` option: one count for torch and TVM together (``default``
    None: ``unset`` says what then), or, with a list as ``default``, several counts."""
    if isinstance(default, list):
        parser.add_argument("--threads", type=int, nargs="+", default=default,
                            help=f"thread counts, each in its own process (default {' '.join(map(str, default))})")
    else:
        shown = unset if default is None else default
        parser.add_argument("--threads", type=int, default=default, help=f"torch/TVM threads (default: {shown})")


def measuring_threads(target_cores: int, requested: int | None = None) -> int:
    """Threads to measure a target's kernels with: the requested count, else the target's
    cores, at most the CPUs this process may run on."""
    return requested or min(target_cores, len(os.sched_getaffinity(0)))


def worker_environment(count: int, **extra: str) -> dict[str, str]:
    """The environment of a child process that runs torch and TVM on exactly ``count`` threads."""
    env = {**os.environ, "TVM_NUM_THREADS": str(count), "OMP_NUM_THREADS": str(count), **extra}
    env.pop(SIZED_MARKER, None)  # the child's TVM_NUM_THREADS is a fixed choice
    return env


def run_json_worker(module: str, args: list[str], env: dict[str, str], what: str) -> Any:
    """Run ``python -m module *args`` in ``env`` (:func:`worker_environment`) and return the
    JSON value its last line of output holds; RuntimeError naming ``what`` if it fails."""
    proc = subprocess.run([sys.executable, "-m", module, *args], env=env, stdout=subprocess.PIPE, text=True)
    if proc.returncode:
        raise RuntimeError(f"{what} worker failed with exit code {proc.returncode}")
    return json.loads(proc.stdout.strip().splitlines()[-1])
