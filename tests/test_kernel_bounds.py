"""Every batched kernel writes exactly its rows: called on a view of a larger buffer at odd
token counts, the rows after the view keep their canary values (a tail predicate lost
by a schedule would write past the end)."""
import pytest
import torch

from lookup_tvm.functional import kernels
from lookup_tvm.kit.tiling import run_tiled

CANARY = 12345.0


def canary_buffer(shape, dtype=torch.float32):
    return torch.full((shape[0] + 8, *shape[1:]), CANARY, dtype=dtype)


def check(buffer, rows):
    tail = buffer[rows:]
    assert torch.all(tail == CANARY), "kernel wrote past the last token"


@pytest.mark.parametrize("batch", [1, 7, 17, 33])
def test_token_kernels_stay_in_bounds(batch):
    ck = kernels()
    h, rows, d_out, tau = 8, 16, 24, 4
    codes = torch.randint(0, rows, (batch, h), dtype=torch.int32)
    scores, tables = torch.randn(batch, h), torch.randn(h, rows, d_out)
    z, g = torch.randn(batch, h, tau), torch.randn(batch, d_out)

    out = canary_buffer((batch, d_out))
    ck.get("gather", h=h, rows=rows, d_out=d_out)(codes, scores, tables, out[:batch])
    check(out, batch)

    out = canary_buffer((batch, h))
    ck.get("gather_score_grad", h=h, rows=rows, d_out=d_out)(g, codes, tables, out[:batch])
    check(out, batch)

    out_codes, out_scores = canary_buffer((batch, h), torch.int32), canary_buffer((batch, h))
    ck.get("hash", h=h, tau=tau)(z, out_codes[:batch], out_scores[:batch])
    check(out_codes, batch)
    check(out_scores, batch)

    out = canary_buffer((batch, h, tau))
    ck.get("hash_grad", h=h, tau=tau)(z, scores, out[:batch])
    check(out, batch)


@pytest.mark.parametrize("batch", [1, 7, 17])
def test_tiled_bh4_kernels_stay_in_bounds(batch):
    ck = kernels()
    r, nb, b = 2, 4, 8
    x = torch.randn(batch, 1, nb, b)
    folded, cross = torch.randn(4, r, nb, b, b), torch.randn(nb, nb)
    out = canary_buffer((batch, r, nb, b))
    run_tiled(ck.get("bh4", r=r, nb=nb, b=b), [x], [folded, cross], [out[:batch]])
    check(out, batch)
    out = canary_buffer((batch, 20))
    run_tiled(ck.get("bh4_projection", r=r, nb=nb, b=b, features=20), [x], [folded, cross, torch.randn(20)],
              [out[:batch]])
    check(out, batch)
    out = canary_buffer((batch, r, nb, b))
    run_tiled(ck.get("bh4_stage", r=r, r_in=1, nb=nb, b=b), [x], [folded[0], cross], [out[:batch]])
    check(out, batch)
    grad = torch.randn(batch, r, nb, b)
    grad_mm, grad_in = canary_buffer((batch, r, nb, b)), canary_buffer((batch, 1, nb, b))
    run_tiled(ck.get("bh4_stage_grad", r=r, r_in=1, nb=nb, b=b), [grad], [folded[0], cross],
              [grad_mm[:batch], grad_in[:batch]])
    check(grad_mm, batch)
    check(grad_in, batch)
