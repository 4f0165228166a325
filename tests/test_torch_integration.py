"""LookupFFN inside PyTorch's machinery: torch.compile without graph breaks, torch.export,
and several Python threads calling one module at once."""
import threading

import torch
from torch import nn

from conftest import assert_close
from lookup_tvm import LookupFFN


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.inp = nn.Linear(40, 64)
        self.ffn = LookupFFN(64, 8, 4, block_size=16)

    def forward(self, x):
        h = self.inp(x)
        return h + self.ffn(h)


def _assert_compiled_training_matches_eager(model, x):
    """torch.compile(fullgraph=True) output and parameter gradients equal eager's."""
    compiled = torch.compile(model, fullgraph=True, backend="aot_eager")
    out, expected = compiled(x), model(x)
    assert_close(out, expected, tol=1e-6)
    grads = torch.autograd.grad(out.square().sum(), list(model.parameters()))
    expected_grads = torch.autograd.grad(model(x).square().sum(), list(model.parameters()))
    for got, want in zip(grads, expected_grads):
        assert_close(got, want, tol=1e-5)


def test_torch_compile_fullgraph_matches_eager():
    torch.manual_seed(0)
    _assert_compiled_training_matches_eager(Block(), torch.randn(2, 7, 40))


def test_torch_compile_fullgraph_trains_through_the_residual_mix():
    """h * tau a multiple of d: the projection's residual mix runs its own autograd Function
    (pooled buffers when eager), which must trace too."""
    torch.manual_seed(0)
    _assert_compiled_training_matches_eager(LookupFFN(64, 16, 4, block_size=16), torch.randn(9, 64))


def test_torch_compile_inductor_eval():
    model = Block().eval()
    x = torch.randn(5, 40)
    with torch.no_grad():
        assert_close(torch.compile(model, fullgraph=True)(x), model(x), tol=1e-5)


def test_torch_export_captures_the_custom_ops():
    model = Block().eval()
    x = torch.randn(6, 40)
    exported = torch.export.export(model, (x,))
    targets = {str(node.target) for node in exported.graph.nodes if node.op == "call_function"}
    assert any("lookup_tvm" in t for t in targets), targets
    assert_close(exported.module()(x), model(x), tol=1e-6)


def test_four_threads_share_one_module():
    torch.manual_seed(0)
    model = LookupFFN(64, 8, 4, block_size=16).eval()
    inputs = [torch.randn(50 + i, 64) for i in range(4)]
    with torch.no_grad():
        expected = [model(x) for x in inputs]
    results, errors = [None] * 4, []

    def work(i):
        try:
            with torch.no_grad():
                for _ in range(5):
                    results[i] = model(inputs[i])
        except Exception as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    for got, want in zip(results, expected):
        assert torch.equal(got, want)


def op_samples():
    """Every family's custom ops and the layer's, each with small valid arguments."""
    from lookup_tvm import layer
    from lookup_tvm.ops import FAMILIES

    return [sample for family in FAMILIES for sample in family.samples()] + layer.op_samples()


def test_opcheck_every_op():
    """torch.library.opcheck over every registered lookup_tvm op: schema, fake (meta)
    implementation, autograd registration."""
    from torch.library import opcheck

    samples = op_samples()
    registered = {n for n in torch._C._dispatch_get_all_op_names() if n.startswith("lookup_tvm::")}
    assert {str(op._qualname) for op, _ in samples} == registered  # no custom op without a sample
    for op, args in samples:
        opcheck(op, args, test_utils=("test_schema", "test_autograd_registration", "test_faketensor"))


def test_tvm_pool_grows_back_with_torch_threads():
    """torch at 1 thread when lookup_tvm is imported must not cap TVM's pool at 1."""
    import os

    from conftest import run_python

    proc = run_python("""
    import os, torch
    torch.set_num_threads(1)
    from lookup_tvm import functional as F
    from lookup_tvm.cpu.tvm_api import num_threads
    codes = torch.randint(0, 8, (64, 2), dtype=torch.int32); scores = torch.randn(64, 2); tables = torch.randn(2, 8, 16)
    F.gather_accumulate(codes, scores, tables)
    assert num_threads() == 1, num_threads()
    torch.set_num_threads(2)
    F.gather_accumulate(codes, scores, tables)
    print(num_threads())
    """)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert int(proc.stdout.split()[-1]) == min(2, os.cpu_count())
