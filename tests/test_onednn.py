"""Reading which oneDNN implementation a baseline ran (the benchmark tables name it)."""
from __future__ import annotations

import pytest
import torch

from lookup_tvm import onednn

LOG = """onednn_verbose,v1,info,cpu,runtime:OpenMP,nthr:16
onednn_verbose,v1,primitive,exec,cpu,matmul,brg_matmul:avx10_1_512_amx,undef,src:bf16::blocked:abc::f0,,,8x8192x64,1.09
onednn_verbose,exec,cpu,inner_product,brgemm:avx512_core_amx,forward_training,src_bf16::blocked:ab:f0,,,mb4096ic512,3.2
onednn_verbose,v1,primitive,exec,cpu,matmul,brg_matmul:avx10_1_512_amx,undef,x,,,8x8,1.0
onednn_verbose,v1,primitive,create:cache_miss,cpu,matmul,brg_matmul:avx10_1_512_amx,undef,x,,,8x8,0.1
unrelated output, exec, cpu
"""


def test_parse_verbose_lists_each_executed_implementation_once():
    assert onednn.parse_verbose(LOG) == ["matmul:brg_matmul:avx10_1_512_amx", "inner_product:brgemm:avx512_core_amx"]
    assert onednn.parse_verbose("") == []


@pytest.mark.skipif(not torch.backends.mkldnn.is_available(), reason="this PyTorch has no oneDNN")
def test_implementations_reads_what_ran_and_restores_stdout(capfd):
    weight, x = torch.randn(16, 8, 3, 3), torch.randn(2, 8, 32, 32)
    ran = onednn.implementations(lambda: torch.nn.functional.conv2d(x, weight))
    assert any(name.startswith("convolution:") for name in ran), ran
    print("still here")
    assert "still here" in capfd.readouterr().out
    assert onednn.describe(lambda: None).startswith("no oneDNN primitive")
