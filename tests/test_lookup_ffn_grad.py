"""A whole LookupFFN forward built from the three functional ops: outputs and every
parameter's gradient against autograd on the reference."""
import pytest
import torch

from conftest import assert_close, max_rel_error
from lookup_tvm import functional as F
from lookup_tvm import reference as R


def lookup_ffn_from_functional(x, norm_weight, norm_bias, proj_weight, proj_bias, tables, out_bias):
    """Spec steps 1-6 with the TVM kernels doing BH4, hash and gather."""
    h, rows, _ = tables.shape
    tau = rows.bit_length() - 1
    repeats, _, blocks, bsize, _ = proj_weight.shape
    dim = blocks * bsize
    xn = torch.nn.functional.layer_norm(x, (x.shape[1],), norm_weight, norm_bias, eps=1e-5)
    x_pad = torch.nn.functional.pad(xn, (0, dim - x.shape[1]))
    z = 0.7 * F.bh4(x_pad, proj_weight) + 0.3 * x_pad.repeat(1, repeats)
    z = z[:, : h * tau] + proj_bias
    codes, scores = F.hash_codes(z.reshape(-1, h, tau).contiguous())
    return F.gather_accumulate(codes, scores, tables) + out_bias


# (d, h, tau, b, d_out): the paper's at a small batch, and an odd one (d padded, r = 3).
CONFIGS = [(512, 128, 8, 64, 512), (100, 24, 4, 32, 37), (60, 5, 10, 8, 60)]


@pytest.mark.parametrize("d,h,tau,b,d_out", CONFIGS)
def test_lookup_ffn_outputs_and_gradients(d, h, tau, b, d_out):
    dim = R.padded_dim(d)
    repeats = max(1, -(-h * tau // dim))
    params = [
        torch.randn(d).mul(0.1).add(1),
        torch.randn(d).mul(0.1),
        torch.randn(repeats, 4, dim // b, b, b) / (b * dim) ** 0.5,
        torch.randn(h * tau) * 0.1,
        torch.randn(h, 2**tau, d_out) * 0.02,
        torch.randn(d_out) * 0.001,
    ]
    params = [p.requires_grad_() for p in params]
    x = torch.randn(33, d, requires_grad=True)
    out = lookup_ffn_from_functional(x, *params)
    expected = R.lookup_ffn(x, *params)
    # Codes decide which rows are read: they must agree exactly for the outputs to agree.
    assert_close(out, expected, tol=1e-4)
    grad = torch.randn_like(expected)
    got = torch.autograd.grad(out, [x, *params], grad)
    want = torch.autograd.grad(expected, [x, *params], grad)
    for name, g, w in zip(["x", "norm_w", "norm_b", "proj_w", "proj_b", "tables", "out_b"], got, want):
        err = max_rel_error(g, w)
        assert err <= 1e-4, f"gradient of {name}: max relative error {err:.3g}"
