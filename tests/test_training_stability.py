"""LookupFFN trains stably with a plain AdamW(model.parameters()) at lr 2e-3: z stays bounded
and the hashing keeps using the tables' rows (with the projection weights stored at the
spec's 1/sqrt(b*D) scale, z grows ~1000x and every token lands in a few rows)."""
import pytest
import torch
from torch import nn

from lookup_tvm import LookupFFN
from studies.corpus import batches, byte_splits
from studies.lm import ByteLM

pytestmark = pytest.mark.slow  # leave out with -m 'not slow'

STEPS = 250
MAX_MEAN_ABS_Z = 5.0
MIN_ROWS_HIT = 0.2


def test_a_small_lm_keeps_z_bounded_and_rows_in_use():
    torch.manual_seed(0)
    train, _ = byte_splits(400_000)
    model = ByteLM(d_model=64, layers=2, heads=2, context=32, ffn="lookup", num_tables=16, code_bits=6, block_size=16)
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3)
    gen = torch.Generator().manual_seed(0)
    inputs = {}
    layers = [m for m in model.modules() if isinstance(m, LookupFFN)]
    for layer in layers:
        layer.register_forward_hook(lambda mod, args, out: inputs.__setitem__(mod, args[0].detach()))
    first = None
    for _ in range(STEPS):
        x, y = batches(train, 16, 32, gen)
        loss = nn.functional.cross_entropy(model(x).reshape(-1, 256), y.reshape(-1))
        first = first if first is not None else loss.item()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < first - 1.0, (first, loss.item())
    for index, layer in enumerate(layers):
        stats = layer.diagnostics(inputs[layer])
        assert stats["mean_abs_z"] < MAX_MEAN_ABS_Z, (index, stats)
        assert stats["rows_hit"] > MIN_ROWS_HIT, (index, stats)
        assert stats["output_norm"] < 10 * stats["residual_norm"], (index, stats)


def test_version_1_checkpoints_load_unchanged(tmp_path):
    """A state dict saved with the weights at the spec's scale gives the same function."""
    torch.manual_seed(0)
    layer = LookupFFN(32, 8, 4, block_size=8, backend="reference")
    old = layer.state_dict()
    old["proj_weight"] = layer.projection_weight().detach().clone()
    old._metadata[""]["version"] = 1
    restored = LookupFFN(32, 8, 4, block_size=8, backend="reference")
    restored.load_state_dict(old)
    x = torch.randn(5, 32)
    assert torch.equal(restored(x), layer(x))
    torch.save(restored.state_dict(), tmp_path / "v2.pt")
    again = LookupFFN(32, 8, 4, block_size=8, backend="reference")
    again.load_state_dict(torch.load(tmp_path / "v2.pt"))
    assert torch.equal(again(x), layer(x))
    unversioned = LookupFFN(32, 8, 4, block_size=8, backend="reference")
    unversioned.load_state_dict(dict(restored.state_dict()))  # no metadata, as read from safetensors
    assert torch.equal(unversioned(x), layer(x))
