"""replace_ffn on common transformer shapes; the swapped model still trains on real text."""
import torch
from torch import nn

from lookup_tvm import LookupFFN, replace_ffn
from lookup_tvm.corpus import batches, byte_splits


def test_replaces_every_ffn_of_a_transformer_encoder_and_it_learns():
    torch.manual_seed(0)
    d = 64
    layer = nn.TransformerEncoderLayer(d, 4, dim_feedforward=256, dropout=0.0, batch_first=True, norm_first=True)
    encoder = nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)
    model = nn.Sequential(nn.Embedding(256, d), encoder, nn.Linear(d, 256))
    report = replace_ffn(model, num_tables=16, code_bits=6, block_size=16)
    assert [r.path for r in report] == ["1.layers.0", "1.layers.1"]
    assert all(isinstance(l.linear1, LookupFFN) for l in encoder.layers)
    assert all(r.kind == "TransformerEncoderLayer" and r.d_model == d for r in report)

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


class BertLike(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.intermediate = nn.Sequential()
        self.intermediate.dense = nn.Linear(d, 4 * d)
        self.output = nn.Module()
        self.output.dense = nn.Linear(4 * d, d)

    def forward(self, x):
        return self.output.dense(self.intermediate(x))


def test_replaces_gpt_and_bert_style_blocks():
    model = nn.ModuleDict({"block": nn.Sequential(Mlp(32, 128)), "bert": BertLike(32)})
    report = replace_ffn(model, num_tables=4, code_bits=4, block_size=8)
    assert sorted(r.kind for r in report) == ["fc1/act/fc2", "intermediate/output"]
    assert isinstance(model["block"][0], LookupFFN)
    x = torch.randn(3, 32)
    assert model["block"](x).shape == (3, 32) and model["bert"](x).shape == (3, 32)
    assert all(r.params_after > 0 for r in report)
