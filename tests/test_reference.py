"""The pure-PyTorch reference against the spec's golden values and identities."""
import itertools
import math

import pytest
import torch

from lookup_tvm import reference as R

GOLDEN_Z = [0.3, -0.2, 1.5, -0.7, 0.05, -2.0, 0.9, -0.4]
GOLDEN_GRAD = [0.47674373, -0.52798539, 0.14190378, -0.30597591, 0.60839956, -0.10978582, 0.24491939, -0.42839367]


def test_golden_code_score_and_gradient():
    z = torch.tensor([[GOLDEN_Z]], dtype=torch.float64, requires_grad=True)
    codes, scores = R.hash_codes(z)
    assert codes.dtype == torch.int32 and codes.item() == 170
    assert scores.item() == pytest.approx(0.5454879538065946, rel=1e-12)
    magnitude = z.detach().abs()
    assert torch.prod(1 + torch.exp(-2 * magnitude)).item() == pytest.approx(11.090987358714536, rel=1e-12)
    (grad,) = torch.autograd.grad(scores.sum(), z)
    assert torch.allclose(grad.flatten(), torch.tensor(GOLDEN_GRAD, dtype=torch.float64), atol=1e-8)


def test_score_is_l1_norm_times_softmax_probability():
    z = torch.tensor(GOLDEN_Z, dtype=torch.float64)
    patterns = torch.tensor(list(itertools.product([1.0, -1.0], repeat=8)), dtype=torch.float64)
    logits = patterns @ z
    assert torch.exp(logits).sum().item() == pytest.approx(torch.prod(torch.exp(z) + torch.exp(-z)).item())
    prob_of_sign_pattern = torch.softmax(logits, 0).max().item()
    _, score = R.hash_codes(z.view(1, 1, 8))
    assert score.item() == pytest.approx(z.abs().sum().item() * prob_of_sign_pattern, rel=1e-12)


def test_zero_gives_bit_zero_and_first_value_is_msb():
    z = torch.tensor([[[0.0, 1.0, 0.0, -1.0]]])
    codes, _ = R.hash_codes(z)
    assert codes.item() == 0b0100


@pytest.mark.parametrize("n", [1, 2, 8, 64])
def test_hadamard_matches_sylvester_matrix(n):
    sylvester = torch.tensor([[(-1) ** bin(i & j).count("1") for j in range(n)] for i in range(n)], dtype=torch.float64)
    x = torch.randn(3, n, dtype=torch.float64)
    assert torch.allclose(R.hadamard(x), x @ sylvester)


def test_bh4_matches_dense_matrices():
    r, nb, b = 2, 4, 8
    dim = nb * b
    weight = torch.randn(r, 4, nb, b, b, dtype=torch.float64)
    x = torch.randn(5, dim, dtype=torch.float64)
    hadamard = R.hadamard(torch.eye(dim, dtype=torch.float64))
    outs = []
    for rep in range(r):
        y = x
        for s in range(4):
            block_diag = torch.block_diag(*weight[rep, s])  # [out, in]
            y = y @ block_diag.T @ hadamard
        outs.append(y)
    assert torch.allclose(R.bh4(x, weight), torch.cat(outs, 1))


def test_bh4_projection_residual_slice_and_bias():
    weight = torch.randn(2, 4, 2, 4, 4)
    x = torch.randn(3, 6)
    bias = torch.randn(12)
    x_pad = torch.nn.functional.pad(x, (0, 2))
    expected = (0.7 * R.bh4(x_pad, weight) + 0.3 * torch.cat([x_pad, x_pad], 1))[:, :12] + bias
    assert torch.allclose(R.bh4_projection(x, weight, bias), expected)


def test_gather_accumulate_matches_embedding_bag():
    h, rows, d_out = 5, 16, 7
    codes = torch.randint(0, rows, (9, h), dtype=torch.int32)
    scores, tables = torch.randn(9, h), torch.randn(h, rows, d_out)
    flat = codes.long() + torch.arange(h) * rows
    expected = torch.nn.functional.embedding_bag(flat, tables.reshape(-1, d_out), per_sample_weights=scores, mode="sum")
    assert torch.allclose(R.gather_accumulate(codes, scores, tables), expected, atol=1e-5)


def test_padded_dim():
    assert [R.padded_dim(d) for d in (1, 2, 3, 512, 513)] == [1, 2, 4, 512, 1024]
    assert math.log2(R.padded_dim(100)) == 7
