"""MLPs found by structure (lookup_tvm.mlp_structure): families no name rule knows, and one
written here, are replaced, train, and save and reload bit for bit, with attention untouched;
attention-shaped modules and MLPs whose forward is not elementwise are not taken."""
import warnings

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from lookup_tvm import LookupFFN, replace_ffn
from lookup_tvm.mlp_structure import find_mlp

transformers = pytest.importorskip("transformers")
hf = pytest.importorskip("lookup_tvm.hf")

OPTIONS = dict(num_tables=16, code_bits=8)
D, LAYERS, HIDDEN, VOCAB = 64, 2, 256, 256
SMALL = dict(num_hidden_layers=LAYERS, num_attention_heads=2)


def _t5(gated: bool):
    return ("T5ForConditionalGeneration", "T5Config",
            dict(d_model=D, d_ff=HIDDEN, d_kv=32, num_layers=LAYERS, num_decoder_layers=LAYERS, num_heads=2,
                 vocab_size=VOCAB, feed_forward_proj="gated-gelu" if gated else "relu", decoder_start_token_id=0,
                 pad_token_id=0))


# family: (model class, config class, config fields), the replaced MLP's kind and where its
# LookupFFN sits ("whole": the MLP module is the LookupFFN; "in place": its in-projection is)
FAMILIES = {
    "gpt_neox": (("GPTNeoXForCausalLM", "GPTNeoXConfig", dict(hidden_size=D, intermediate_size=HIDDEN, vocab_size=VOCAB,
                                                              max_position_embeddings=64, **SMALL)),
                 "dense_h_to_4h/dense_4h_to_h (plain)", "whole"),
    "bloom": (("BloomForCausalLM", "BloomConfig", dict(hidden_size=D, n_layer=LAYERS, n_head=2, vocab_size=VOCAB)),
              "dense_h_to_4h/dense_4h_to_h (plain)", "in place"),
    "falcon": (("FalconForCausalLM", "FalconConfig", dict(hidden_size=D, ffn_hidden_size=HIDDEN, vocab_size=VOCAB,
                                                          **SMALL)),
               "dense_h_to_4h/dense_4h_to_h (plain)", "whole"),
    "phi3": (("Phi3ForCausalLM", "Phi3Config", dict(hidden_size=D, intermediate_size=HIDDEN, num_key_value_heads=2,
                                                    vocab_size=VOCAB, max_position_embeddings=64, pad_token_id=0,
                                                    eos_token_id=2, bos_token_id=1, **SMALL)),
             "gate_up_proj/down_proj (fused)", "whole"),
    "t5": (_t5(gated=False), "wi/wo (plain)", "whole"),
    "t5_gated": (_t5(gated=True), "wi_0/wi_1/wo (gated)", "whole"),
}


def _build(family):
    (model_class, config_class, fields), _, _ = FAMILIES[family]
    torch.manual_seed(0)
    return getattr(transformers, model_class)(getattr(transformers, config_class)(**fields))


def _batch(seed: int):
    ids = torch.randint(3, VOCAB, (4, 16), generator=torch.Generator().manual_seed(seed))
    ids[:, 1::2] = (ids[:, ::2] * 7 + 3) % VOCAB  # learnable: every second byte follows from the one before
    return ids


def _attention(model):
    return {n: sum(p.numel() for p in m.parameters())
            for n, m in model.named_modules() if "Attention" in type(m).__name__}


def _converted(family):
    model = _build(family)
    attention = _attention(model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # no tuned schedules for this small layer
        report = hf.replace_ffn(model, **OPTIONS)
    return model, report, attention


def _loss(model, ids):
    return model(input_ids=ids, labels=ids).loss


@pytest.mark.parametrize("family", FAMILIES)
def test_found_by_structure_trains_and_reloads_bit_for_bit(family, tmp_path):
    _, kind, where = FAMILIES[family]
    model, report, attention = _converted(family)
    layers = 2 * LAYERS if family.startswith("t5") else LAYERS  # encoder and decoder
    assert len(report) == layers and {(r.kind, r.found_by) for r in report} == {(kind, "structure")}
    assert (report[0].d_model, report[0].hidden, report[0].d_out) == (D, HIDDEN if family != "bloom" else 4 * D, D)
    mlp = model.get_submodule(report[0].path)
    assert isinstance(mlp, LookupFFN) == (where == "whole")
    assert _attention(model) == attention
    assert not any(isinstance(m, LookupFFN) for n, m in model.named_modules() for a in attention if n.startswith(a))
    if family.startswith("t5"):
        assert report[0].notes == ("dropout dropout (p=0.1) inside the MLP dropped",)

    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    model.train()
    with torch.no_grad():
        first = _loss(model, _batch(0)).item()
    for step in range(25):
        opt.zero_grad()
        _loss(model, _batch(1 + step)).backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        assert _loss(model, _batch(0)).item() < first - 0.2
        logits = model(input_ids=_batch(0), decoder_input_ids=_batch(0)).logits if family.startswith("t5") \
            else model(_batch(0)).logits
    model.save_pretrained(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reloaded = hf.from_pretrained(tmp_path)
    with torch.no_grad():
        again = reloaded(input_ids=_batch(0), decoder_input_ids=_batch(0)).logits if family.startswith("t5") \
            else reloaded(_batch(0)).logits
    assert torch.equal(again, logits)


class SwishMLP(nn.Module):
    """An MLP no name rule knows: the activation a function call inside forward, dropout inside."""

    def __init__(self, d, k):
        super().__init__()
        self.expand, self.contract, self.drop = nn.Linear(d, k), nn.Linear(k, d), nn.Dropout(0.1)

    def forward(self, x):
        return self.contract(self.drop(F.silu(self.expand(x))))


class TokenMixer(nn.Module):
    """Two linears that chain like an MLP but mix tokens in between: not an MLP."""

    def __init__(self, d, k):
        super().__init__()
        self.expand, self.contract = nn.Linear(d, k), nn.Linear(k, d)

    def forward(self, x):
        return self.contract(torch.relu(self.expand(x)).cumsum(-2))


class Block(nn.Module):
    def __init__(self, d, k, mlp=SwishMLP):
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.attention = nn.MultiheadAttention(d, 2, batch_first=True)
        self.mlp = mlp(d, k)

    def forward(self, x):
        h = self.norm1(x)
        x = x + self.attention(h, h, h, need_weights=False)[0]
        return x + self.mlp(self.norm2(x))


class TinyLM(nn.Module):
    def __init__(self, mlp=SwishMLP):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, D)
        self.blocks = nn.Sequential(*(Block(D, HIDDEN, mlp) for _ in range(LAYERS)))
        self.head = nn.Linear(D, VOCAB)

    def forward(self, ids):
        return self.head(self.blocks(self.embed(ids)))


def test_a_custom_mlp_is_found_trains_and_reloads(tmp_path):
    torch.manual_seed(0)
    model = TinyLM()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = replace_ffn(model, **OPTIONS)
    assert [(r.path, r.kind, r.found_by) for r in report] == [
        (f"blocks.{i}.mlp", "expand/contract (plain)", "structure") for i in range(LAYERS)]
    assert report[0].notes == ("dropout drop (p=0.1) inside the MLP dropped",)
    assert all(isinstance(b.attention, nn.MultiheadAttention) for b in model.blocks)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)

    def loss(ids):
        return F.cross_entropy(model(ids[:, :-1]).flatten(0, 1), ids[:, 1:].flatten())

    with torch.no_grad():
        first = loss(_batch(0)).item()
    for step in range(25):
        opt.zero_grad()
        loss(_batch(1 + step)).backward()
        opt.step()
    with torch.no_grad():
        assert loss(_batch(0)).item() < first - 0.2
        out = model.eval()(_batch(0))
    torch.save(model.state_dict(), tmp_path / "model.pt")
    torch.manual_seed(1)
    fresh = TinyLM()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        replace_ffn(fresh, **OPTIONS)
    fresh.load_state_dict(torch.load(tmp_path / "model.pt"))
    with torch.no_grad():
        assert torch.equal(fresh.eval()(_batch(0)), out)


class NormedHead(nn.Module):
    """RoBERTa's LM head: dense, GELU, LayerNorm (mixes a token's units), decoder: not an MLP."""

    def __init__(self, d, k):
        super().__init__()
        self.dense, self.norm, self.decoder = nn.Linear(d, d), nn.LayerNorm(d), nn.Linear(d, k)

    def forward(self, x):
        return self.decoder(self.norm(F.gelu(self.dense(x))))


def test_attention_and_token_mixing_are_not_taken():
    torch.manual_seed(0)
    assert find_mlp(TokenMixer(D, HIDDEN)) is None
    assert find_mlp(NormedHead(D, VOCAB)) is None
    with torch.device("meta"):  # as transformers builds a model before loading it
        assert find_mlp(NormedHead(D, VOCAB)) is None
        assert find_mlp(SwishMLP(D, HIDDEN)) is not None
    assert find_mlp(nn.MultiheadAttention(D, 2)) is None
    llama = transformers.LlamaConfig(hidden_size=D, intermediate_size=HIDDEN, num_key_value_heads=2, vocab_size=VOCAB,
                                     **SMALL)
    attention = transformers.models.llama.modeling_llama.LlamaAttention(llama, 0)
    assert find_mlp(attention) is None
    with pytest.raises(ValueError, match=r"TokenMixer\(expand, contract\)"):
        replace_ffn(TinyLM(TokenMixer), **OPTIONS)
