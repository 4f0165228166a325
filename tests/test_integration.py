"""replace_ffn on common transformer shapes; the swapped model still trains on real text."""
import pytest
import torch
from torch import nn

from lookup_tvm import LookupFFN, replace_ffn
from studies.corpus import batches, byte_splits


def test_replaces_every_ffn_of_a_transformer_encoder_and_it_learns():
    torch.manual_seed(0)
    d = 64
    layer = nn.TransformerEncoderLayer(d, 4, dim_feedforward=256, dropout=0.0, batch_first=True, norm_first=True)
    encoder = nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)
    model = nn.Sequential(nn.Embedding(256, d), encoder, nn.Linear(d, 256))
    report = replace_ffn(model, num_tables=16, code_bits=6, block_size=16)
    assert [r.path for r in report] == ["1.layers.0", "1.layers.1"]
    assert all(isinstance(layer.linear1, LookupFFN) for layer in encoder.layers)
    assert all(isinstance(layer.self_attn, nn.MultiheadAttention) for layer in encoder.layers)
    assert all(r.kind == "linear1/activation/linear2" and (r.d_model, r.hidden, r.d_out) == (d, 256, d)
               for r in report)
    assert report[0].model_norms == ("1.layers.0.norm1", "1.layers.0.norm2")

    train, _ = byte_splits(200_000)
    gen = torch.Generator().manual_seed(0)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    x0, y0 = batches(train, 16, 32, gen)
    with torch.no_grad():
        first = nn.functional.cross_entropy(model(x0).reshape(-1, 256), y0.reshape(-1)).item()
    for _ in range(30):
        x, y = batches(train, 16, 32, gen)
        loss = nn.functional.cross_entropy(model(x).reshape(-1, 256), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        model(x0)
        last = nn.functional.cross_entropy(model(x0).reshape(-1, 256), y0.reshape(-1)).item()
    assert last < first - 0.5, (first, last)
    assert encoder.layers[0].linear1.tables.grad is not None


class Mlp(nn.Module):
    def __init__(self, d, hidden):
        super().__init__()
        self.fc1, self.act, self.fc2 = nn.Linear(d, hidden), nn.GELU(), nn.Linear(hidden, d)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class DecoderLayer(nn.Module):
    """OPT/Whisper style: fc1/fc2 sit next to attention and the norms in one module."""

    def __init__(self, d):
        super().__init__()
        self.self_attn = nn.MultiheadAttention(d, 2, batch_first=True)
        self.activation_fn = nn.ReLU()
        self.fc1, self.fc2 = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)
        self.final_layer_norm = nn.LayerNorm(d)

    def forward(self, x):
        x = x + self.self_attn(x, x, x, need_weights=False)[0]
        return x + self.fc2(self.activation_fn(self.fc1(self.final_layer_norm(x))))


class BertLike(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.intermediate = nn.Sequential()
        self.intermediate.dense = nn.Linear(d, 4 * d)
        self.output = nn.Module()
        self.output.dense = nn.Linear(4 * d, d)

    def forward(self, x):
        return self.output.dense(self.intermediate(x))


class GatedMlp(nn.Module):
    def __init__(self, d, hidden):
        super().__init__()
        self.gate_proj, self.up_proj = nn.Linear(d, hidden, bias=False), nn.Linear(d, hidden, bias=False)
        self.down_proj, self.act_fn = nn.Linear(hidden, d, bias=False), nn.SiLU()

    def forward(self, x):
        return self.down_proj(self.act_fn(self.gate_proj(x)) * self.up_proj(x))


def test_replaces_each_mlp_shape_and_never_its_parent():
    model = nn.ModuleDict({"mlp": nn.Sequential(Mlp(32, 128)), "bert": BertLike(32), "decoder": DecoderLayer(32),
                           "gated": nn.Sequential(GatedMlp(32, 96))})
    report = replace_ffn(model, num_tables=4, code_bits=4, block_size=8)
    assert {r.path: r.kind for r in report} == {"mlp.0": "fc1/act/fc2", "bert": "intermediate/output",
                                                "decoder": "fc1/activation_fn/fc2",
                                                "gated.0": "gate_proj/up_proj/down_proj"}
    assert isinstance(model["mlp"][0], LookupFFN)  # a module holding only the MLP is replaced whole
    assert isinstance(model["decoder"].self_attn, nn.MultiheadAttention)  # attention beside fc1 stays
    assert isinstance(model["decoder"].fc1, LookupFFN) and isinstance(model["decoder"].fc2, nn.Identity)
    assert isinstance(model["gated"][0], LookupFFN)
    by_path = {r.path: r for r in report}
    assert by_path["decoder"].model_norms == ("decoder.final_layer_norm",)
    assert by_path["gated.0"].flops_before == 3 * 2 * 32 * 96
    assert by_path["mlp.0"].flops_before == 2 * 2 * 32 * 128
    x = torch.randn(3, 5, 32)
    for name in ("mlp", "bert", "decoder", "gated"):
        assert model[name](x).shape == (3, 5, 32)
    assert all(r.params_after == sum(p.numel() for p in LookupFFN(32, 4, 4, block_size=8).parameters())
               for r in report)


def test_strict_names_the_mlp_modules_it_did_not_recognise():
    class T5Style(nn.Module):
        def __init__(self):
            super().__init__()
            self.wi, self.wo, self.act = nn.Linear(8, 32), nn.Linear(32, 8), nn.ReLU()

    model = nn.Sequential(T5Style())
    with pytest.raises(ValueError, match=r"T5Style\(wi, wo\)"):
        replace_ffn(model, num_tables=4, code_bits=4, block_size=8)
    assert replace_ffn(model, strict=False, num_tables=4) == []


def test_follows_device_casts_float16_and_refuses_other_dtypes_on_the_tvm_backend():
    model = nn.Sequential(Mlp(16, 64)).to(torch.float64)
    with pytest.raises(TypeError, match="bfloat16"):
        replace_ffn(model, num_tables=4, code_bits=4, block_size=8)
    half = nn.Sequential(Mlp(16, 64)).to(torch.float16)
    with pytest.warns(UserWarning, match="float16.*bfloat16"):
        replace_ffn(half, num_tables=4, code_bits=4, block_size=8)
    assert half[0].tables.dtype == torch.bfloat16
    with torch.no_grad():
        assert half(torch.randn(3, 16, dtype=torch.bfloat16)).dtype == torch.bfloat16
    model = nn.Sequential(Mlp(16, 64)).to(torch.float16)
    [report] = replace_ffn(model, num_tables=4, code_bits=4, block_size=8, backend="reference")
    assert model[0].tables.dtype == torch.float16 and report.kind == "fc1/act/fc2"
    model = nn.Sequential(Mlp(16, 64)).to(torch.bfloat16)
    replace_ffn(model, num_tables=4, code_bits=4, block_size=8)
    assert model[0].tables.dtype == torch.bfloat16
    assert model(torch.randn(3, 16, dtype=torch.bfloat16)).dtype == torch.bfloat16


@pytest.mark.parametrize("chosen", [["1", "3"], "[13]", lambda path, module: path in ("1", "3")])
def test_a_filter_replaces_only_the_layers_it_selects(chosen):
    model = nn.Sequential(*[Mlp(16, 64) for _ in range(4)])
    report = replace_ffn(model, filter=chosen, num_tables=4, code_bits=4, block_size=8)
    assert [r.path for r in report] == ["1", "3"]
    assert [type(m).__name__ for m in model] == ["Mlp", "LookupFFN", "Mlp", "LookupFFN"]
    with pytest.raises(ValueError, match="layer_filter|filter="):
        replace_ffn(nn.Sequential(Mlp(16, 64)), filter="encoder.*", num_tables=4)
