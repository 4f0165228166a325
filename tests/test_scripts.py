"""The command-line scripts run end to end on tiny settings."""
import json
import subprocess
import sys

import pytest

from conftest import REPO

pytestmark = pytest.mark.slow  # leave out with -m 'not slow'


def run(*args, timeout=300):
    proc = subprocess.run([sys.executable, *args], cwd=REPO, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    return proc.stdout


def test_help_texts():
    for script in ("scripts/tune.py", "scripts/export.py", "scripts/train_lm.py", "scripts/infer.py",
                   "scripts/demo.py", "scripts/quality.py", "scripts/replace_hf.py", "scripts/generate.py",
                   "scripts/bf16_bound.py", "scripts/compare.py"):
        assert "usage" in run(script, "--help")


def test_train_export_infer(tmp_path):
    out = run("scripts/train_lm.py", "--steps", "4", "--eval-every", "2", "--batch", "4", "--context", "32",
              "--d-model", "64", "--layers", "1", "--config", "h=16,b=16",
              "--checkpoint", str(tmp_path / "lm.pt"))
    summary = json.loads(out.strip().splitlines()[-2])
    assert summary["ffn"] == "lookup" and summary["final_val_loss"] < 5.6
    run("scripts/export.py", str(tmp_path / "lib"), "--config", "d=64,h=16,b=16")
    assert "tokens/s" in run("scripts/infer.py", str(tmp_path / "lm.pt"), str(tmp_path / "lib"), "--batch", "4",
                             "--rounds", "2")
    out = run("scripts/generate.py", str(tmp_path / "lm.pt"), "--steps", "6", "--batch", "3", "--rounds", "1")
    assert "lookup FFN:" in out and "vanilla FFN:" in out and out.count("tokens/s") == 2


def test_replace_hf_converts_trains_and_saves_a_reloadable_model(tmp_path):
    pytest.importorskip("transformers")
    out = run("scripts/replace_hf.py", "gpt2", "--set", "n_layer=2,n_embd=64,n_head=2,vocab_size=256,n_positions=64",
              "--config", "h=16", "--steps", "3", "--context", "32", "--out", str(tmp_path / "gpt2"))
    assert "| transformer.h.1.mlp | c_fc/act/c_proj | name       | ln_1, ln_2" in out and "step 3/3 loss" in out
    from lookup_tvm import LookupFFN, hf

    model = hf.from_pretrained(tmp_path / "gpt2")
    assert sum(isinstance(m, LookupFFN) for m in model.modules()) == 2


def test_replace_hf_takes_a_family_found_by_structure(tmp_path):
    pytest.importorskip("transformers")
    out = run("scripts/replace_hf.py", "t5", "--set",
              "d_model=64,d_ff=128,d_kv=32,num_layers=1,num_heads=2,vocab_size=256,feed_forward_proj=gated-gelu",
              "--config", "h=16", "--steps", "2", "--context", "16", "--out", str(tmp_path / "t5"))
    assert "| encoder.block.0.layer.1.DenseReluDense | wi_0/wi_1/wo (gated) | structure" in out
    assert "encoder.block.0.layer.1.DenseReluDense: dropout dropout (p=0.1) inside the MLP dropped" in out
    assert "step 2/2 loss" in out


def test_replace_hf_trains_on_a_file_replaces_some_layers_quantizes_and_keeps_the_tokenizer(tmp_path):
    """``--data`` (a text file), ``--filter`` (only layer 1), ``--table-format int8``, and the source
    directory's tokenizer saved beside the model (a character-level one built here: no download)."""
    transformers = pytest.importorskip("transformers")
    from tokenizers import Tokenizer, models, pre_tokenizers

    text = "the quick brown fox jumps over the lazy dog. " * 40
    chars = sorted(set(text))
    vocab = {c: i for i, c in enumerate(["[UNK]", *chars])}
    core = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    core.pre_tokenizer = pre_tokenizers.Split("", "isolated")
    tokenizer = transformers.PreTrainedTokenizerFast(tokenizer_object=core, unk_token="[UNK]")
    source = tmp_path / "source"
    transformers.GPT2LMHeadModel(transformers.GPT2Config(
        n_layer=2, n_embd=64, n_head=2, vocab_size=len(vocab), n_positions=64)).save_pretrained(source)
    tokenizer.save_pretrained(source)
    data = tmp_path / "text.txt"
    data.write_text(text)
    out = run("scripts/replace_hf.py", str(source), "--data", str(data), "--filter", "transformer.h.1*",
              "--table-format", "int8", "--config", "h=16", "--steps", "2", "--context", "32",
              "--out", str(tmp_path / "o"))
    assert "transformer.h.1.mlp" in out and "transformer.h.0.mlp" not in out and "with its tokenizer" in out
    from lookup_tvm import LookupFFN, hf

    model = hf.from_pretrained(tmp_path / "o")
    assert [m.table_format for m in model.modules() if isinstance(m, LookupFFN)] == ["int8"]
    reloaded = transformers.AutoTokenizer.from_pretrained(tmp_path / "o")
    assert reloaded("fox")["input_ids"] == tokenizer("fox")["input_ids"]
