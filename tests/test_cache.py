"""The on-disk kernel cache: concurrent builders, damaged entries, keys per target."""
import os

import torch

from conftest import requires_target, run_python
from lookup_tvm import cache
from lookup_tvm.kernels import CompiledKernels

BUILD_AND_CHECK = """
import torch
from lookup_tvm.kernels import CompiledKernels
from lookup_tvm import reference as R
k = CompiledKernels("host").get("gather", h=3, rows=8, d_out=10)
codes = torch.randint(0, 8, (5, 3), dtype=torch.int32); scores = torch.randn(5, 3); tables = torch.randn(3, 8, 10)
out = torch.empty(5, 10); k(codes, scores, tables, out)
assert torch.allclose(out, R.gather_accumulate(codes, scores, tables), atol=1e-5)
print("ok")
"""


def test_two_processes_building_the_same_kernel(tmp_path):
    import subprocess
    import sys

    from conftest import REPO

    env = {**os.environ, "PYTHONPATH": REPO, "LOOKUP_TVM_CACHE": str(tmp_path)}
    procs = [subprocess.Popen([sys.executable, "-c", BUILD_AND_CHECK], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(3)]
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0 and out.strip() == "ok", err[-2000:]
    libraries = list(tmp_path.rglob("*.so"))
    assert len(libraries) == 1, libraries
    assert not [p for p in tmp_path.rglob("tmp*")], "temporary files left behind"


def test_damaged_library_is_rebuilt(tmp_path):
    first = run_python(BUILD_AND_CHECK, env={"LOOKUP_TVM_CACHE": str(tmp_path)})
    assert first.returncode == 0, first.stderr[-2000:]
    (library,) = tmp_path.rglob("*.so")
    library.write_bytes(b"not a shared library")
    second = run_python(BUILD_AND_CHECK, env={"LOOKUP_TVM_CACHE": str(tmp_path)})
    assert second.returncode == 0 and second.stdout.strip() == "ok", second.stderr[-2000:]
    assert library.read_bytes()[:4] == b"\x7fELF"


@requires_target("llvm -mcpu=haswell")
def test_cache_entries_are_per_target_and_profile(tmp_path):
    """Two targets every x86-64 with AVX2 runs, and one profile override: three entries."""
    a = CompiledKernels("llvm -mcpu=haswell -num-cores 2", cache_dir=tmp_path).get("hash", h=2, tau=3)
    b = CompiledKernels("llvm -mcpu=x86-64-v3 -num-cores 2", cache_dir=tmp_path).get("hash", h=2, tau=3)
    CompiledKernels({"mcpu": "haswell", "num-cores": 2, "l1d_bytes": 65536}, cache_dir=tmp_path).get("hash", h=2, tau=3)
    assert a.spec == b.spec
    assert sorted(p.parent.name for p in tmp_path.rglob("*.so")) == ["haswell-2c", "haswell-2c", "x86-64-v3-2c"]
    z = torch.randn(4, 2, 3)
    outs = []
    for kernel in (a, b):
        codes, scores = torch.empty(4, 2, dtype=torch.int32), torch.empty(4, 2)
        kernel(z, codes, scores)
        outs.append((codes, scores))
    assert torch.equal(outs[0][0], outs[1][0]) and torch.allclose(outs[0][1], outs[1][1])


def test_cache_key_is_stable_and_sensitive():
    fields = {"spec": {"op": "gather"}, "target": {"mcpu": "znver4"}}
    assert cache.cache_key(fields) == cache.cache_key(dict(reversed(list(fields.items()))))
    assert cache.cache_key(fields) != cache.cache_key({**fields, "target": {"mcpu": "haswell"}})
