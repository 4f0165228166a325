"""The fused inference front end (LayerNorm + BH4 projection + hash) against the reference:
odd widths (padding), several repeats, tails of token tiles; codes bit-exact wherever no
value of the code lies within 1e-3 of 0 (elsewhere a rounding difference may flip a bit)."""
import pytest
import torch

from torch.utils._python_dispatch import TorchDispatchMode

from conftest import assert_close
from lookup_tvm import LookupFFN
from lookup_tvm import functional as F
from lookup_tvm import reference as R

# (d, h, tau, b): the default layer, padding (d not a power of two), h*tau < D and > D
# (several repeats), tau = 1, one block (b = D) and tiny blocks.
SHAPES = [(512, 128, 8, 64), (100, 24, 4, 32), (37, 5, 3, 8), (64, 8, 8, 64), (16, 1, 1, 4), (48, 40, 6, 16)]


def inputs(d, h, tau, b, batch, seed=0):
    gen = torch.Generator().manual_seed(seed)
    dim = 1 << max(0, (d - 1).bit_length())
    repeats = max(1, -(-h * tau // dim))
    x = torch.randn(batch, d, generator=gen) * 3 + 1
    norm_weight, norm_bias = 1 + 0.1 * torch.randn(d, generator=gen), 0.1 * torch.randn(d, generator=gen)
    weight = torch.randn(repeats, 4, dim // b, b, b, generator=gen) / (b * dim) ** 0.5
    return x, norm_weight, norm_bias, weight, 0.1 * torch.randn(h * tau, generator=gen)


@pytest.mark.parametrize("d,h,tau,b", SHAPES)
@pytest.mark.parametrize("batch", [1, 7, 130])
def test_front_end_matches_the_reference(d, h, tau, b, batch):
    args = inputs(d, h, tau, b, batch)
    codes, scores = F.front_end(*args, tau)
    want_codes, want_scores, z = R.front_end(*args, tau)
    assert codes.dtype == torch.int32 and codes.shape == (batch, h)
    clear = z.abs().amin(-1) > 1e-3
    assert clear.float().mean() > 0.9
    assert torch.equal(codes[clear], want_codes[clear])
    assert_close(scores, want_scores, tol=1e-5)


def test_lookup_ffn_inference_is_one_op_and_matches_the_reference():
    ffn = LookupFFN(100, 24, 4, d_out=37, block_size=32).eval()
    reference = LookupFFN(100, 24, 4, d_out=37, block_size=32, backend="reference").eval()
    reference.load_state_dict(ffn.state_dict())
    x = torch.randn(3, 11, 100)
    first, calls = [], []
    with torch.no_grad(), OpsCalled(first):
        ffn(x)
    with torch.no_grad(), OpsCalled(calls):
        out = ffn(x)
    ours = [c for c in first if c.startswith("lookup_tvm")]
    assert ours == ["lookup_tvm.bh4_fold.default", "lookup_tvm.lookup_ffn_inference.default"]  # the fold: once
    assert [c for c in calls if c.startswith("lookup_tvm")] == ["lookup_tvm.lookup_ffn_inference.default"]
    with torch.no_grad():
        assert_close(out, reference(x), tol=1e-4)


class OpsCalled(TorchDispatchMode):
    """Records the name of every op dispatched inside it."""

    def __init__(self, calls):
        super().__init__()
        self.calls = calls

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.calls.append(str(func))
        return func(*args, **(kwargs or {}))


@pytest.mark.parametrize("change,match", [
    (lambda a: {**a, "x": a["x"].double()}, "x must have dtype"),
    (lambda a: {**a, "norm_weight": a["norm_weight"][:-1].contiguous()}, "norm_weight has shape"),
    (lambda a: {**a, "bias": a["bias"][:-1].contiguous()}, "multiple of tau"),
    (lambda a: {**a, "tau": 31}, "tau must be in"),
    (lambda a: {**a, "weight": a["weight"][:, :3].contiguous()}, "weight must have shape"),
])
def test_bad_input_is_refused(change, match):
    x, norm_weight, norm_bias, weight, bias = inputs(100, 24, 4, 32, 5)
    args = change(dict(x=x, norm_weight=norm_weight, norm_bias=norm_bias, weight=weight, bias=bias, tau=4))
    with pytest.raises((TypeError, ValueError), match=match):
        F.front_end(**args)
