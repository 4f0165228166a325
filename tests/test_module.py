"""LookupFFN module: TVM backend against the reference backend, outputs and every gradient."""
import dataclasses
import itertools

import pytest
import torch

from conftest import assert_close, max_rel_error
from lookup_tvm import LookupFFN, reference

CONFIGS = [
    dict(d_model=512, num_tables=128, code_bits=8),
    dict(d_model=100, num_tables=24, code_bits=4, d_out=37, block_size=32),
    dict(d_model=64, num_tables=8, code_bits=8, projection="dense"),
    dict(d_model=60, num_tables=5, code_bits=10, block_size=8, projection="dense", d_out=13),
]


@pytest.mark.parametrize("kwargs", CONFIGS, ids=lambda k: ",".join(f"{a}={b}" for a, b in k.items()))
def test_tvm_backend_matches_reference_backend(kwargs):
    tvm_ffn = LookupFFN(**kwargs)
    ref_ffn = LookupFFN(**kwargs, backend="reference")
    ref_ffn.load_state_dict(tvm_ffn.state_dict())
    x = torch.randn(3, 11, kwargs["d_model"], requires_grad=True)
    out, expected = tvm_ffn(x), ref_ffn(x)
    assert out.shape == (3, 11, kwargs.get("d_out") or kwargs["d_model"])
    assert_close(out, expected, tol=1e-4)
    grad = torch.randn_like(out)
    out.backward(grad)
    expected.backward(grad)
    for (name, p), (_, q) in zip(tvm_ffn.named_parameters(), ref_ffn.named_parameters()):
        err = max_rel_error(p.grad, q.grad)
        assert err <= 1e-4, f"gradient of {name}: {err:.3g}"


def test_eval_no_grad_and_inference_mode():
    ffn = LookupFFN(64, 8, 4, block_size=16).eval()
    x = torch.randn(5, 64)
    with torch.no_grad():
        a = ffn(x)
    with torch.inference_mode():
        b = ffn(x)
    ffn.backend = "reference"
    with torch.no_grad():
        c = ffn(x)
    assert torch.equal(a, b)
    assert_close(a, c, tol=1e-4)


def test_state_dict_round_trip_between_backends(tmp_path):
    ffn = LookupFFN(64, 8, 4, block_size=16, backend="reference")
    torch.save(ffn.state_dict(), tmp_path / "ckpt.pt")
    other = LookupFFN(64, 8, 4, block_size=16)
    other.load_state_dict(torch.load(tmp_path / "ckpt.pt"))
    x = torch.randn(4, 64)
    assert_close(other(x), ffn(x), tol=1e-4)


def test_extra_repr_and_bad_input():
    ffn = LookupFFN(512)
    text = repr(ffn)
    assert "num_tables=128" in text and "flops_per_token=692,224" in text
    with pytest.raises(ValueError, match="d_model = 512"):
        ffn(torch.randn(2, 100))
    with pytest.raises(ValueError, match="backend"):
        LookupFFN(512, backend="cuda")
    with pytest.raises(TypeError, match="float32 or torch.bfloat16"):
        ffn.to(torch.float64)(torch.randn(2, 512, dtype=torch.float64))
    with pytest.raises(TypeError, match="float32 or torch.bfloat16"):
        LookupFFN(512, dtype=torch.float16)
    with pytest.raises(TypeError, match="input is torch.float32"):
        ffn.to(torch.bfloat16)(torch.randn(2, 512))


def test_defaults_are_the_specs_math():
    ffn = LookupFFN(100, 24, 4, d_out=37, block_size=32, backend="reference")
    x = torch.randn(7, 100)
    params = (ffn.norm.weight, ffn.norm.bias, ffn.projection_weight(), ffn.proj_bias, ffn.tables, ffn.out_bias)
    assert torch.equal(ffn(x), reference.lookup_ffn(x, *params))


STUDY_OPTIONS = dict(score_temperature=2.5, bounded_scores=True, table_init_std=0.5)


def test_study_options_match_between_backends_with_gradients():
    tvm_ffn = LookupFFN(100, 24, 4, d_out=37, block_size=32, **STUDY_OPTIONS)
    ref_ffn = LookupFFN(100, 24, 4, d_out=37, block_size=32, backend="reference", **STUDY_OPTIONS)
    ref_ffn.load_state_dict(tvm_ffn.state_dict())
    x = torch.randn(3, 11, 100)
    out, expected = tvm_ffn(x), ref_ffn(x)
    assert_close(out, expected, tol=1e-4)
    out.sum().backward()
    expected.sum().backward()
    for (name, p), (_, q) in zip(tvm_ffn.named_parameters(), ref_ffn.named_parameters()):
        assert max_rel_error(p.grad, q.grad) <= 1e-4, name
    assert "score_temperature=2.5, bounded_scores=True" in repr(tvm_ffn)


def test_bounded_scores_and_temperature_change_scores_not_codes():
    ffn = LookupFFN(64, 8, 8, block_size=16, backend="reference")
    bounded = LookupFFN(64, 8, 8, block_size=16, backend="reference", bounded_scores=True, score_temperature=0.1)
    bounded.load_state_dict(ffn.state_dict())
    x = torch.randn(50, 64) * 5
    z = ffn._z_reference(x).reshape(-1, 8, 8)
    codes, scores = reference.hash_codes(z)
    hot_codes, hot_scores = reference.hash_codes(bounded._tempered(z.reshape(50, -1)).reshape(-1, 8, 8))
    assert torch.equal(codes, hot_codes) and hot_scores.max() > 8  # z / 0.1: scores beyond tau
    assert bounded._bounded(hot_scores).max() <= 8 and bounded.diagnostics(x)["mean_score"] <= 8


def test_output_dropout_only_in_training():
    ffn = LookupFFN(64, 8, 4, block_size=16, backend="reference", output_dropout=0.5)
    x = torch.randn(20, 64)
    assert (ffn(x) == 0).float().mean() > 0.3
    assert (ffn.eval()(x) == 0).float().mean() == 0


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16], ids=["fp32", "bf16"])
@pytest.mark.parametrize("kwargs", [{}, {"projection": "dense"}, {"d_model": 48, "num_tables": 4, "block_size": 8}])
def test_the_kernel_lists_name_what_a_forward_and_a_step_run(kwargs, dtype, monkeypatch):
    """LayerConfig.inference_kernels / training_kernels (the bench's breakdowns) list exactly
    the kernels, and the number of calls, that the module runs (a step: float32 layers)."""
    from collections import Counter

    from lookup_tvm import kernels as compiled
    from lookup_tvm.ops import kernel_key

    args = {"d_model": 64, "num_tables": 16, "code_bits": 4, "block_size": 16, **kwargs}
    layer = LookupFFN(**args, dtype=dtype)
    bf16 = dtype == torch.bfloat16
    calls = Counter()
    original = compiled.CompiledKernels.get

    def counting(kernels, op, **params):  # every call site gets its kernels here, then runs kernel.func
        kernel = original(kernels, op, **params)
        key = kernel_key(kernel.spec.op, dict(kernel.spec.params))

        def func(*tensors):
            calls[key] += 1
            kernel.func(*tensors)

        return dataclasses.replace(kernel, func=func)

    monkeypatch.setattr(compiled.CompiledKernels, "get", counting)
    x = torch.randn(1024, layer.config.d, dtype=dtype, requires_grad=True)  # whole token tiles, above the small ones
    with torch.no_grad():
        layer.eval()(x)  # folds the weights once
        for tokens in (1024, 128, 8):
            calls.clear()
            layer(x[:tokens])
            assert calls == Counter(kernel_key(op, p) for op, p in layer.config.inference_kernels(bf16, tokens))
    for bf16_variant, tokens in itertools.product((False, True), (None, 1)):  # what tune.py tunes covers every forward
        assert all(kernel in layer.config.kernels() for kernel in layer.config.inference_kernels(bf16_variant, tokens))
    if bf16:
        return
    calls.clear()
    layer.train()(x).sum().backward()
    assert calls == Counter({kernel_key(op, p): n for op, p, n in layer.config.training_kernels()})


def test_inference_reuses_its_scratch_across_inference_mode_and_batch_sizes():
    """The inference op keeps codes and scores in per-thread scratch: calls in and out of
    inference mode, growing and shrinking batches with tails, give the reference's outputs."""
    torch.manual_seed(0)
    layer = LookupFFN(48, 6, 5, block_size=16).eval()
    reference = LookupFFN(48, 6, 5, block_size=16, backend="reference").eval()
    reference.load_state_dict(layer.state_dict())
    modes = ((7, torch.inference_mode), (301, torch.no_grad), (5, torch.no_grad), (64, torch.inference_mode))
    for batch, mode in modes:
        x = torch.randn(batch, 48)
        with mode():
            first, again = layer(x).clone(), layer(x)
            assert_close(first, reference(x))
        assert torch.equal(first, again)
