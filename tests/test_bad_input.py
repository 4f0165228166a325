"""Bad input gets a clear exception naming the argument, never a crash or a wrong answer.

All cases run one after another in a separate interpreter (importing TVM once), each
printing its outcome; a segfault there fails the case it died in and the ones after
it, not the suite.
"""
import json

import pytest

from conftest import run_python

SETUP = """
import torch
from lookup_tvm import functional as F
ops = torch.ops.lookup_tvm
x = torch.randn(4, 16); w = torch.randn(1, 4, 2, 8, 8); wf = torch.randn(4, 1, 2, 8, 8)
z = torch.randn(4, 3, 4)
codes = torch.randint(0, 16, (4, 3), dtype=torch.int32); scores = torch.randn(4, 3); tables = torch.randn(3, 16, 5)
"""

CASES = [
    # (call, exception type, words the message must contain)
    ("F.bh4(x.double(), w)", "TypeError", "x must have dtype torch.float32"),
    ("F.bh4(x, w.half())", "TypeError", "weight must have dtype"),
    ("F.bh4(x[0], w)", "ValueError", "x must be 2-D"),
    ("F.bh4(x.t().contiguous().t(), w)", "ValueError", "x must be contiguous"),
    ("F.bh4(x, w[0])", "ValueError", "weight must be 5-D"),
    ("F.bh4(torch.randn(4, 12), torch.randn(1, 4, 2, 6, 6))", "ValueError", "power of two"),
    ("F.bh4(x, torch.randn(1, 4, 2, 5, 5))", "ValueError", "must divide D"),
    ("F.bh4(x, torch.randn(1, 4, 4, 8, 8))", "ValueError", "weight has shape"),
    ("F.bh4(x, torch.randn(1, 3, 2, 8, 8))", "ValueError", "weight must have shape [r, 4, D//b, b, b]"),
    ("F.bh4(x.to('meta'), w)", "ValueError", "x must be on the CPU"),
    ("F.bh4(x.tolist(), w)", "TypeError", "x must be a torch.Tensor"),
    ("F.bh4_projection(x, w, torch.zeros(17))", "ValueError", "bias length F must be in [1, r*D = 16]"),
    ("F.bh4_projection(x, w, torch.zeros(2, 2))", "ValueError", "bias must be 1-D"),
    ("F.hash_codes(z.double())", "TypeError", "z must have dtype torch.float32"),
    ("F.hash_codes(z[0])", "ValueError", "z must be 3-D"),
    ("F.hash_codes(z.transpose(0, 1))", "ValueError", "z must be contiguous"),
    ("F.hash_codes(torch.randn(2, 3, 31))", "ValueError", "tau must be in [1, 30]"),
    ("F.hash_codes(torch.randn(2, 3, 0))", "ValueError", "tau must be in [1, 30]"),
    ("F.gather_accumulate(codes.long(), scores, tables)", "TypeError", "codes must have dtype torch.int32"),
    ("F.gather_accumulate(codes, scores.double(), tables)", "TypeError", "scores must have dtype"),
    ("F.gather_accumulate(codes, scores, tables[0])", "ValueError", "tables must be 3-D"),
    ("F.gather_accumulate(codes, scores[:3], tables)", "ValueError", "scores has shape"),
    ("F.gather_accumulate(codes[:, :2].contiguous(), scores, tables)", "ValueError", "codes has shape"),
    ("F.gather_accumulate(codes + 16, scores, tables)", "ValueError", "codes must lie in [0, 16)"),
    ("F.gather_accumulate(codes - 100, scores, tables)", "ValueError", "codes must lie in [0, 16)"),
    ("F.gather_accumulate(codes.t().contiguous().t(), scores, tables)", "ValueError", "codes must be contiguous"),
    ("F.gather_accumulate(codes, scores, tables[:, :, ::2])", "ValueError", "tables must be contiguous"),
    # The torch.library ops themselves (as torch.compile graphs and direct callers reach them).
    ("ops.gather_accumulate(codes + 16, scores, tables, 0)", "ValueError", "codes must lie in [0, 16)"),
    ("ops.gather_accumulate(codes - 16, scores, tables, 0)", "ValueError", "codes must lie in [0, 16)"),
    ("ops.gather_accumulate(codes, scores[:, :2].contiguous(), tables, 0)", "ValueError", "scores has shape"),
    ("ops.gather_accumulate(codes.t().contiguous().t(), scores, tables, 0)", "ValueError", "codes must be contiguous"),
    ("ops.gather_score_grad(torch.randn(4, 5), codes + 16, tables, 0)", "ValueError", "codes must lie"),
    ("ops.gather_score_grad(torch.randn(4, 6), codes, tables, 0)", "ValueError", "grad_out has shape"),
    ("ops.gather_table_grad(torch.randn(4, 5), codes - 16, scores, tables, 0)", "ValueError", "codes must lie"),
    ("ops.gather_table_grad(torch.randn(4, 5), codes, scores.double(), tables, 0)", "TypeError", "scores must have"),
    ("ops.hash_codes(z.transpose(0, 1), 0)", "ValueError", "z must be contiguous"),
    ("ops.hash_backward(z, torch.randn(4, 2), 0)", "ValueError", "grad_scores has shape"),
    ("ops.bh4(x, w[0], 0)", "ValueError", "weight must be 5-D"),
    ("ops.bh4_train(x.double(), w, 0)", "TypeError", "x must have dtype"),
    ("ops.bh4_projection(x, w, torch.zeros(17), 0)", "ValueError", "bias length F"),
    ("ops.bh4_backward(torch.randn(4, 16), x, w, torch.randn(3, 4, 1, 2, 7), 0)", "ValueError", "acts has shape"),
    ("ops.bh4_backward(torch.randn(4, 15), x, w, torch.randn(3, 4, 1, 2, 8), 0)", "ValueError", "grad_out has shape"),
    ("ops.front_end(x, torch.ones(16), torch.ones(15), w, torch.zeros(12), 4, 0)", "ValueError", "norm_bias has shape"),
    ("ops.front_end(x, torch.ones(16), torch.zeros(16), w, torch.zeros(10), 4, 0)", "ValueError", "multiple of tau"),
    ("ops.lookup_ffn_inference(x, torch.ones(16), torch.zeros(16), wf, torch.zeros(12), torch.randn(3, 15, 5), "
     "torch.zeros(5), 0)", "ValueError", "2**tau rows"),
    ("ops.lookup_ffn_inference(x, torch.ones(16), torch.zeros(16), wf, torch.zeros(8), tables, torch.zeros(5), 0)",
     "ValueError", "h * tau = 12"),
    ("ops.lookup_ffn_inference(x, torch.ones(16), torch.zeros(16), wf, torch.zeros(12), tables, torch.zeros(4), 0)",
     "ValueError", "out_bias has shape"),
]


@pytest.fixture(scope="module")
def outcomes():
    script = SETUP + f"""
import json, sys
for call in {json.dumps([c[0] for c in CASES])}:
    try:
        eval(call)
    except Exception as err:
        print(json.dumps([call, type(err).__name__, str(err)]), flush=True)
    else:
        print(json.dumps([call, None, "no exception"]), flush=True)
"""
    proc = run_python(script)
    results = {call: (kind, message) for call, kind, message in map(json.loads, proc.stdout.splitlines())}
    return results, proc


@pytest.mark.parametrize("call,kind,words", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_refused(outcomes, call, kind, words):
    results, proc = outcomes
    assert call in results, f"interpreter died before this case (rc {proc.returncode}): {proc.stderr[-2000:]}"
    got_kind, message = results[call]
    assert got_kind == kind, f"{call}: expected {kind}, got {got_kind}: {message}"
    assert words in message, message


CORRUPTIONS = {
    "wrong dtype": ("TypeError", "must have dtype"),
    "not contiguous": ("ValueError", "must be contiguous"),
    "an extra dimension": ("ValueError", "-D, got shape"),
}


@pytest.fixture(scope="module")
def corrupted_outcomes():
    """Every registered custom op (each family's samples and the layer's), each tensor argument
    corrupted in turn: a wider dtype, a non-contiguous view, an extra leading dimension."""
    proc = run_python("""
import json, torch
from lookup_tvm import functional, layer
from lookup_tvm.ops import FAMILIES

def corrupt(t, how):
    if how == "wrong dtype":
        return t.detach().double() if t.is_floating_point() else t.long()
    if how == "not contiguous":
        return torch.stack([t.detach(), t.detach()], -1)[..., 0]
    return t.detach().unsqueeze(0)

samples = [s for family in FAMILIES for s in family.samples()] + layer.op_samples()
for op, args in samples:
    for index, arg in enumerate(args):
        if not isinstance(arg, torch.Tensor):
            continue
        for how in %s:
            bad = list(args)
            bad[index] = corrupt(arg, how)
            try:
                op(*bad)
            except Exception as err:
                outcome = [type(err).__name__, str(err)]
            else:
                outcome = [None, "no exception"]
            print(json.dumps([str(op._qualname), index, how, *outcome]), flush=True)
""" % json.dumps(list(CORRUPTIONS)))
    return [json.loads(line) for line in proc.stdout.splitlines()], proc


def test_every_op_refuses_every_corrupted_tensor_argument(corrupted_outcomes):
    outcomes, proc = corrupted_outcomes
    assert proc.returncode == 0, proc.stderr[-3000:]
    ops = {op for op, *_ in outcomes}
    assert len(ops) >= 12, ops
    wrong = [f"{op} argument {index}, {how}: {kind}: {message}" for op, index, how, kind, message in outcomes
             if (kind, CORRUPTIONS[how][1] in message) != (CORRUPTIONS[how][0], True)]
    assert wrong == []


def test_inputs_off_the_64_byte_boundary_give_the_aligned_answer():
    """Views at an offset and memory-mapped tensors can start anywhere; the kernels assume
    64-byte aligned data. Run in a subprocess: a regression would crash or give wrong values."""
    proc = run_python("""
        import warnings; warnings.simplefilter("ignore")
        import torch
        from lookup_tvm import functional as F

        def offset(t, floats=3):
            flat = torch.empty(t.numel() + floats)[floats:].view_as(t)
            assert flat.data_ptr() % 64
            return flat.copy_(t).requires_grad_(t.requires_grad)

        torch.manual_seed(0)
        x, w = torch.randn(37, 128, requires_grad=True), torch.randn(1, 4, 2, 64, 64, requires_grad=True)
        z = torch.randn(37, 16, 8, requires_grad=True)
        tables, scores = torch.randn(16, 256, 32, requires_grad=True), torch.rand(37, 16, requires_grad=True)
        codes = torch.randint(0, 256, (37, 16), dtype=torch.int32)
        calls = {"bh4": (F.bh4, (x, w)),
                 "bh4_projection": (F.bh4_projection, (x.detach(), w.detach(), torch.randn(128))),
                 "hash_codes": (lambda z: F.hash_codes(z)[1], (z,)),
                 "gather": (lambda s, t: F.gather_accumulate(codes, s, t), (scores, tables))}
        # a read-only memory map at an odd offset (as safetensors leaves parameters): never written
        import numpy as np, tempfile
        path = tempfile.mktemp()
        np.concatenate([np.zeros(1, np.float32), tables.detach().numpy().ravel()]).tofile(path)
        read_only = torch.from_numpy(np.memmap(path, dtype=np.float32, mode="r")[1:]).view_as(tables)
        assert read_only.data_ptr() % 64 and torch.equal(read_only, tables)
        assert torch.equal(F.gather_accumulate(codes, scores.detach(), read_only),
                           F.gather_accumulate(codes, scores.detach(), tables.detach()))
        for name, (fn, args) in calls.items():
            moved = [offset(a) for a in args]
            out, expected = fn(*moved), fn(*args)
            assert torch.equal(out, expected), name
            grad = torch.randn_like(out)
            if out.requires_grad:
                got = torch.autograd.grad(out, [a for a in moved if a.requires_grad], grad)
                want = torch.autograd.grad(expected, [a for a in args if a.requires_grad], grad)
                assert all(torch.equal(g, e) for g, e in zip(got, want)), name
        print("ok")
    """)
    assert proc.returncode == 0 and "ok" in proc.stdout, proc.stdout[-2000:] + proc.stderr[-3000:]
