"""Decoding with a key-value cache (studies.lm.generate) gives the logits of the full
forward, step by step, and refuses bad prompts clearly."""
import pytest
import torch

from conftest import assert_close
from studies.lm import ByteLM, generate

pytestmark = pytest.mark.slow  # leave out with -m 'not slow'


@pytest.mark.parametrize("ffn", ["vanilla", "lookup-reference"])
def test_cached_decoding_matches_the_full_forward(ffn):
    torch.manual_seed(0)
    model = ByteLM(d_model=32, layers=2, heads=2, context=16, ffn=ffn, num_tables=4, code_bits=4, block_size=8).eval()
    prompt = torch.randint(0, 256, (3, 5))
    tokens = generate(model, prompt, 6, temperature=0)
    assert tokens.shape == (3, 11) and torch.equal(tokens[:, :5], prompt)
    with torch.inference_mode():
        logits = model(tokens[:, :-1])
    assert torch.equal(logits[:, 4:].argmax(-1), tokens[:, 5:])  # each greedy step is the full forward's argmax
    seen = []
    sampled = generate(model, prompt, 3, torch.Generator().manual_seed(1), temperature=1.0, on_step=seen.append)
    assert seen == [0, 1, 2] and sampled.shape == (3, 8) and torch.equal(sampled[:, :5], prompt)
    assert torch.equal(sampled, generate(model, prompt, 3, torch.Generator().manual_seed(1), temperature=1.0))


def test_cached_logits_match_the_full_forward():
    """The last position's logits after a cached prefill and one cached step, against the full
    forward of the same bytes."""
    from studies.lm import forward_cached

    torch.manual_seed(0)
    model = ByteLM(d_model=32, layers=2, heads=4, context=16, ffn="vanilla").eval()
    tokens = torch.randint(0, 256, (2, 9))
    with torch.inference_mode():
        caches = [[] for _ in model.blocks]
        prefill = forward_cached(model, tokens[:, :8], 0, caches)
        step = forward_cached(model, tokens[:, 8:], 8, caches)
        full = model(tokens)
    assert_close(prefill, full[:, :8], 1e-5)
    assert_close(step[:, -1], full[:, -1], 1e-5)


def test_bad_prompts_are_refused():
    model = ByteLM(d_model=16, layers=1, heads=2, context=8, ffn="vanilla").eval()
    with pytest.raises(ValueError, match="exceed the model's context of 8"):
        generate(model, torch.zeros(1, 5, dtype=torch.int64), 4)
    with pytest.raises(ValueError, match="prompt must be"):
        generate(model, torch.zeros(5, dtype=torch.int64), 2)
    with pytest.raises(ValueError, match="prompt must be"):
        generate(model, torch.zeros(1, 3, dtype=torch.int32), 2)
