"""Hugging Face transformers models (built from configs, nothing downloaded) with LookupFFN:
replacement report, parity with the reference backend, training, save/reload bit for bit,
torch.compile, and refusal of checkpoints that do not fit."""
import json
import warnings

import pytest
import torch

from conftest import assert_close
from lookup_tvm import LookupFFN
from studies.corpus import batches, byte_splits

transformers = pytest.importorskip("transformers")
hf = pytest.importorskip("lookup_tvm.hf")

OPTIONS = dict(num_tables=16, code_bits=8)
D, LAYERS, HIDDEN, VOCAB = 64, 2, 256, 256


def bert():
    return transformers.BertForMaskedLM(transformers.BertConfig(
        hidden_size=D, num_hidden_layers=LAYERS, num_attention_heads=2, intermediate_size=HIDDEN, vocab_size=VOCAB,
        max_position_embeddings=64))


def gpt2():
    return transformers.GPT2LMHeadModel(transformers.GPT2Config(
        n_embd=D, n_layer=LAYERS, n_head=2, vocab_size=VOCAB, n_positions=64, bos_token_id=0, eos_token_id=0))


def llama():
    return transformers.LlamaForCausalLM(transformers.LlamaConfig(
        hidden_size=D, num_hidden_layers=LAYERS, num_attention_heads=2, num_key_value_heads=2, intermediate_size=HIDDEN,
        vocab_size=VOCAB, max_position_embeddings=64, bos_token_id=0, eos_token_id=0, pad_token_id=0))


# family: (model builder, first replaced path, rule, the layer norms that stay, linear layers in the FFN)
FAMILIES = {
    "bert": (bert, "bert.encoder.layer.0", "intermediate/output",
             ("bert.encoder.layer.0.attention.output.LayerNorm", "bert.encoder.layer.0.output.LayerNorm"), 2),
    "gpt2": (gpt2, "transformer.h.0.mlp", "c_fc/act/c_proj", ("transformer.h.0.ln_1", "transformer.h.0.ln_2"), 2),
    "llama": (llama, "model.layers.0.mlp", "gate_proj/up_proj/down_proj",
              ("model.layers.0.input_layernorm", "model.layers.0.post_attention_layernorm"), 3),
}


def converted(family):
    torch.manual_seed(0)
    model = FAMILIES[family][0]()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # no tuned schedules for this small layer
        report = hf.replace_ffn(model, **OPTIONS)
    return model.eval(), report


def tokens(seed=0, batch=4, length=32):
    train, _ = byte_splits(200_000)
    return batches(train, batch, length, torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("family", FAMILIES)
def test_replacement_report(family):
    _, path, kind, norms, matmuls = FAMILIES[family]
    model, report = converted(family)
    assert [r.path for r in report] == [path.replace(".0", f".{i}") for i in range(LAYERS)]
    first = report[0]
    assert (first.kind, first.d_model, first.hidden, first.d_out) == (kind, D, HIDDEN, D)
    assert first.model_norms == norms
    assert first.flops_before == matmuls * 2 * D * HIDDEN
    layer = model.get_submodule(path)
    lookup = layer if isinstance(layer, LookupFFN) else next(m for m in layer.modules() if isinstance(m, LookupFFN))
    assert first.flops_after == lookup.config.flops_per_token()
    assert first.params_after == sum(p.numel() for p in lookup.parameters())
    assert sum(isinstance(m, LookupFFN) for m in model.modules()) == LAYERS
    assert model.config.lookup_ffn["replaced"] == [r.path for r in report]


@pytest.mark.parametrize("family", FAMILIES)
def test_forward_matches_the_reference_backend_and_reloads_bit_for_bit(family, tmp_path):
    model, _ = converted(family)
    x, _ = tokens()
    with torch.no_grad():
        logits = model(x).logits
    model.save_pretrained(tmp_path)
    assert json.loads((tmp_path / "config.json").read_text())["lookup_ffn"]["options"]["num_tables"] == 16
    reloaded = hf.from_pretrained(tmp_path)
    reference = hf.from_pretrained(tmp_path, backend="reference")
    with torch.no_grad():
        assert torch.equal(reloaded(x).logits, logits)
        assert_close(logits, reference(x).logits, tol=1e-4)
    if family == "gpt2":
        assert reloaded.lm_head.weight.data_ptr() == reloaded.transformer.wte.weight.data_ptr()
    lookup_params = [p for m in reloaded.modules() if isinstance(m, LookupFFN) for p in m.parameters()]
    assert all(p.data_ptr() % 64 == 0 for p in lookup_params)  # no per-call aligned copies


@pytest.mark.parametrize("family", FAMILIES)
def test_a_few_training_steps_lower_the_loss(family):
    model, _ = converted(family)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    x0, y0 = tokens(seed=1)
    labels = y0 if family == "bert" else x0  # causal LMs shift their labels themselves

    def loss(x, y):
        return model(input_ids=x, labels=y if family == "bert" else x).loss

    with torch.no_grad():
        first = loss(x0, labels).item()
    for step in range(25):
        x, y = tokens(seed=10 + step)
        opt.zero_grad()
        loss(x, y).backward()
        opt.step()
    with torch.no_grad():
        last = loss(x0, labels).item()
    assert last < first - 0.3, (first, last)


@pytest.mark.parametrize("family", FAMILIES)
def test_compiles_with_fullgraph(family):
    model, _ = converted(family)
    x, _ = tokens(batch=2, length=16)
    with torch.no_grad():
        eager = model(x).logits
        compiled = torch.compile(model, fullgraph=True)(x).logits
    assert_close(compiled, eager, tol=1e-4)


def test_refuses_checkpoints_that_do_not_fit(tmp_path):
    model, _ = converted("gpt2")
    model.save_pretrained(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    config["lookup_ffn"]["options"]["num_tables"] = 32
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match="do not fit"):
        hf.from_pretrained(tmp_path)
    del config["lookup_ffn"]
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match="no 'lookup_ffn' entry"):
        hf.from_pretrained(tmp_path)


def test_a_config_alone_builds_a_fresh_converted_model():
    model, _ = converted("llama")
    fresh = hf.from_pretrained(model.config)
    assert type(fresh) is type(model)
    assert sum(isinstance(m, LookupFFN) for m in fresh.modules()) == LAYERS


def _ids(model):
    return {"input_ids": torch.randint(1, VOCAB, (2, 12), generator=torch.Generator().manual_seed(0))}


def _pixels(model):
    return {"pixel_values": torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(0))}


def _audio(model):
    gen = torch.Generator().manual_seed(0)
    return {"input_features": torch.randn(2, 8, 32, generator=gen),
            "decoder_input_ids": torch.randint(3, VOCAB, (2, 5), generator=gen)}


SMALL = dict(num_hidden_layers=LAYERS, num_attention_heads=2, intermediate_size=HIDDEN)
TOKENS = dict(vocab_size=VOCAB, pad_token_id=0, bos_token_id=1, eos_token_id=2)
# family: (model class, config, inputs, rule, the kind of module that must survive beside the FFN)
MORE_FAMILIES = {
    "roberta": ("RobertaForMaskedLM", "RobertaConfig", dict(hidden_size=D, **SMALL, **TOKENS), _ids,
                "intermediate/output"),
    "distilbert": ("DistilBertForMaskedLM", "DistilBertConfig",
                   dict(dim=D, n_layers=LAYERS, n_heads=2, hidden_dim=HIDDEN, vocab_size=VOCAB, pad_token_id=0), _ids,
                   "lin1/activation/lin2"),
    "opt": ("OPTForCausalLM", "OPTConfig", dict(hidden_size=D, num_hidden_layers=LAYERS, num_attention_heads=2,
                                                ffn_dim=HIDDEN, word_embed_proj_dim=D, **TOKENS), _ids,
            "fc1/activation_fn/fc2"),
    "mistral": ("MistralForCausalLM", "MistralConfig", dict(hidden_size=D, num_key_value_heads=2, **SMALL, **TOKENS),
                _ids, "gate_proj/up_proj/down_proj"),
    "qwen2": ("Qwen2ForCausalLM", "Qwen2Config", dict(hidden_size=D, num_key_value_heads=2, **SMALL, **TOKENS), _ids,
              "gate_proj/up_proj/down_proj"),
    "vit": ("ViTModel", "ViTConfig", dict(hidden_size=D, image_size=32, patch_size=8, **SMALL), _pixels,
            "fc1/activation_fn/fc2"),
    "clip": ("CLIPVisionModel", "CLIPVisionConfig", dict(hidden_size=D, image_size=32, patch_size=8, **SMALL), _pixels,
             "fc1/activation_fn/fc2"),
    "whisper": ("WhisperModel", "WhisperConfig",
                dict(d_model=D, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2,
                     decoder_attention_heads=2,
                     encoder_ffn_dim=HIDDEN, decoder_ffn_dim=HIDDEN, num_mel_bins=8, max_source_positions=16,
                     decoder_start_token_id=1, **TOKENS), _audio, "fc1/activation_fn/fc2"),
}


@pytest.mark.parametrize("family", MORE_FAMILIES)
def test_more_families_replace_keep_attention_and_reload(family, tmp_path):
    model_class, config_class, fields, inputs, kind = MORE_FAMILIES[family]
    torch.manual_seed(0)
    model = getattr(transformers, model_class)(getattr(transformers, config_class)(**fields)).eval()
    attention = sorted(n for n, m in model.named_modules() if "Attention" in type(m).__name__)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = hf.replace_ffn(model, **OPTIONS)
        assert len(report) == LAYERS and {r.kind for r in report} == {kind}
        assert all(r.model_norms for r in report)
        assert sorted(n for n, m in model.named_modules() if "Attention" in type(m).__name__) == attention
        with torch.no_grad():
            out = model(**inputs(model))[0]
        model.save_pretrained(tmp_path)
        with torch.no_grad():
            assert torch.equal(hf.from_pretrained(tmp_path)(**inputs(model))[0], out)


def test_a_filtered_replacement_saves_and_reloads_only_those_layers(tmp_path):
    model = gpt2()
    report = hf.replace_ffn(model, filter="transformer.h.1.*", **OPTIONS)
    assert [r.path for r in report] == ["transformer.h.1.mlp"]
    model.eval()
    ids = torch.randint(0, VOCAB, (1, 12))
    with torch.no_grad():
        want = model(ids).logits
    model.save_pretrained(tmp_path)
    loaded = hf.from_pretrained(tmp_path)
    assert [type(block.mlp).__name__ for block in loaded.transformer.h] == ["GPT2MLP", "LookupFFN"]
    with torch.no_grad():
        assert torch.equal(loaded(ids).logits, want)
