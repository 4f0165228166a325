"""Quantized tables: the row-wise format (rounding bound, 4-bit packing), the gather kernels on
int8 and 4-bit tables against their reference on odd shapes, the layer API (quantize, reload bit
for bit, frozen-table gradients, fake quantization, dtypes, torch.compile), model-wide
quantization with filters, Hugging Face save/reload, and clear errors for bad input.

Tolerances: the kernels sum ``(score * scale) * q`` in float32 in another order than the
float64 reference: 1e-5 of the output's largest value (``CHECK_TOLERANCE`` is 1e-4)."""
import copy

import pytest
import torch

from lookup_tvm import LookupFFN, quantize_tables
from lookup_tvm.functional import kernels
from lookup_tvm.kit.checks import relative_error
from lookup_tvm.kit.operator import OpSpec
from lookup_tvm.ops.gather import gather_quantized
from lookup_tvm.ops.gather.checks import check_quantized_gather
from lookup_tvm.quantize import (INT4_GROUP, QuantizedTables, fake_quantize, gather_accumulate_quantized, pack_int4,
                                 quantize_tables as quantize, unpack_int4)

KERNEL_TOLERANCE = 1e-5


def random_tables(h, rows, d_out, seed=0):
    """Tables whose rows sit at offsets of up to 10x their spread (the shift must be right)."""
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(h, rows, d_out, generator=gen) * 0.02 + torch.randn(h, rows, 1, generator=gen) * 0.2


@pytest.mark.parametrize("bits", [8, 4])
def test_rounding_is_within_half_a_step_and_constant_rows_are_exact(bits):
    tables = random_tables(3, 16, 64)
    tables[1, 5] = 0.37  # a constant row: scale 0
    q = quantize(tables, bits)
    error = (q.dequantize() - tables).abs()
    half_step = q.scale.unsqueeze(-1) / 2
    assert bool((error <= half_step * (1 + 1e-5) + 1e-7).all())
    assert float(error[1, 5].max()) < 1e-7
    assert q.values().max() <= 2 ** bits - 1
    assert q.nbytes == 3 * 16 * (64 * bits // 8 + 8)


def test_int4_packing_is_its_own_inverse_and_groups_columns():
    q = torch.randint(0, 16, (2, 3, 2 * INT4_GROUP), dtype=torch.uint8)
    packed = pack_int4(q)
    assert packed.shape == (2, 3, INT4_GROUP)
    assert torch.equal(unpack_int4(packed), q)
    assert int(packed[0, 0, 0]) == int(q[0, 0, 0]) | int(q[0, 0, INT4_GROUP // 2]) << 4


ODD_SHAPES = [(8, 5, 8, 40), (8, 3, 16, 24), (4, 5, 8, 64), (4, 7, 32, 96)]
SERVING_SHAPES = [(8, 128, 256, 512), (4, 128, 256, 512)]


@pytest.mark.parametrize("bits,h,rows,d_out,tokens", [(*shape, tokens) for shape in ODD_SHAPES for tokens in
                                                      (1, 7, 67, 600)] + [(*shape, tokens) for shape in SERVING_SHAPES
                                                                          for tokens in (1, 7, 600)])
def test_gather_kernels_match_the_reference(bits, h, rows, d_out, tokens):
    """Small-batch and token-tiled kernels (600 tokens runs the latter)."""
    gen = torch.Generator().manual_seed(tokens)
    q = quantize(random_tables(h, rows, d_out), bits)
    codes = torch.randint(0, rows, (tokens, h), dtype=torch.int32, generator=gen)
    scores = torch.rand(tokens, h, generator=gen) * 4
    got = gather_quantized(codes, scores, q.packed, q.scale, q.offset, bits, 0)
    assert relative_error(got, gather_accumulate_quantized(codes, scores, q)) < KERNEL_TOLERANCE
    assert relative_error(got, torch.einsum("bk,bkd->bd", scores, q.dequantize()[torch.arange(h), codes.long()])) < 1e-5


@pytest.mark.parametrize("op", ["gather", "gather_small"])
@pytest.mark.parametrize("bits", [8, 4])
def test_the_operator_check_passes_and_catches_a_wrong_shift(op, bits, monkeypatch):
    spec = OpSpec.make(op, h=6, rows=16, d_out=64, table_bits=bits)
    assert check_quantized_gather(kernels(), spec, 37) < KERNEL_TOLERANCE
    import lookup_tvm.ops.gather.checks as checks
    true_reference = checks.gather_accumulate_quantized
    monkeypatch.setattr(checks, "gather_accumulate_quantized", lambda c, s, q: true_reference(
        c, s, QuantizedTables(q.packed, q.scale, torch.zeros_like(q.offset), q.bits)))
    assert check_quantized_gather(kernels(), spec, 37) > 1e-2


def trained_like_layer(seed=0, **options):
    torch.manual_seed(seed)
    layer = LookupFFN(64, 16, 8, block_size=16, **options).eval()
    with torch.no_grad():
        layer.tables.copy_(random_tables(16, 256, 64, seed))
    return layer


@pytest.mark.parametrize("table_format", ["int8", "int4"])
def test_a_quantized_layer_matches_its_reference_and_reloads_bit_for_bit(table_format):
    layer = trained_like_layer()
    x = torch.randn(53, 64)
    with torch.no_grad():
        float_out = layer(x)
        layer.quantize_tables(table_format)
        assert layer.table_format == table_format and "tables" not in dict(layer.named_parameters())
        out = layer(x)
        reference = copy.deepcopy(layer)
        reference.backend = "reference"
        assert relative_error(out, reference(x)) < 1e-5
        for tokens in (1, 9, 700):
            xs = torch.randn(tokens, 64)
            assert relative_error(layer(xs), reference(xs)) < 1e-5
    bound = 0.02 if table_format == "int8" else 0.25  # relative RMS change of the output, rounding the tables
    assert float((out - float_out).norm() / (float_out - layer.out_bias).norm()) < bound
    fresh = LookupFFN(64, 16, 8, block_size=16).eval()
    fresh.load_state_dict(layer.state_dict())  # a float layer takes a quantized state dict: converted
    assert fresh.table_format == table_format
    with torch.no_grad():
        assert torch.equal(fresh(x), out)


def test_back_to_float_and_requantizing():
    layer = trained_like_layer().quantize_tables("int8")
    values = layer.float_tables().clone()
    layer.quantize_tables("float")
    assert layer.table_format == "float" and torch.equal(layer.tables.detach(), values)
    assert layer.quantize_tables("int4").table_format == "int4"


def test_gradients_reach_the_input_and_other_parameters_through_frozen_quantized_tables():
    layer = trained_like_layer().quantize_tables("int8")
    reference = copy.deepcopy(layer)
    reference.backend = "reference"
    x = torch.randn(20, 64)
    grads = []
    for model in (layer, reference):
        xg = x.clone().requires_grad_()
        model(xg).square().sum().backward()
        grads.append((xg.grad, model.norm.weight.grad, model.proj_bias.grad))
    for got, want in zip(*grads):
        assert relative_error(got, want) < 1e-4


def test_fake_quantization_serves_the_quantized_function_and_passes_gradients_straight_through():
    layer = trained_like_layer(fake_quant="int4")
    quantized = trained_like_layer().quantize_tables("int4")
    x = torch.randn(30, 64)
    with torch.no_grad():
        assert relative_error(layer(x), quantized(x)) < 1e-5
    float_layer = trained_like_layer()
    float_layer.train()
    layer.train()
    grads = []
    for model in (layer, float_layer):
        model(x).sum().backward()
        grads.append(model.tables.grad)
    assert relative_error(grads[0], grads[1]) < 1e-4
    assert torch.equal(fake_quantize(layer.tables, 4).detach(), quantize(layer.tables, 4).dequantize())


def test_bfloat16_layers_keep_float32_scales_and_serve_quantized_tables():
    layer = trained_like_layer().quantize_tables("int8")
    x = torch.randn(40, 64)
    with torch.no_grad():
        want = layer(x)
        layer.to(torch.bfloat16)
        assert layer.tables_scale.dtype == torch.float32 and layer.tables_packed.dtype == torch.uint8
        got = layer(x.bfloat16())
    assert got.dtype == torch.bfloat16
    assert float((got.float() - want).norm() / want.norm()) < 0.1  # bf16 input and front end: some codes flip


def test_compiled_quantized_layer_matches_eager():
    layer = trained_like_layer().quantize_tables("int4")
    x = torch.randn(12, 64)
    with torch.no_grad():
        compiled = torch.compile(layer, fullgraph=True, backend="aot_eager")
        assert relative_error(compiled(x), layer(x)) < 1e-6


class TwoBlocks(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = torch.nn.ModuleList([trained_like_layer(seed) for seed in range(2)])

    def forward(self, x):
        for block in self.blocks:
            x = x + block(x)
        return x


def test_model_wide_quantization_with_filters():
    model = TwoBlocks()
    assert quantize_tables(model, "int8", filter="blocks.1") == ["blocks.1"]
    assert [b.table_format for b in model.blocks] == ["float", "int8"]
    assert quantize_tables(model, "int4", filter=lambda path, layer: path.endswith("0")) == ["blocks.0"]
    assert quantize_tables(model, "int8") == ["blocks.0", "blocks.1"]
    with pytest.raises(ValueError, match="no LookupFFN"):
        quantize_tables(model, "int8", filter=["encoder.*"])


def test_bad_input_is_refused_clearly():
    q = quantize(random_tables(4, 16, 64), 8)
    codes, scores = torch.randint(0, 16, (3, 4), dtype=torch.int32), torch.randn(3, 4)
    with pytest.raises(TypeError, match="uint8"):
        gather_quantized(codes, scores, q.packed.to(torch.int8), q.scale, q.offset, 8, 0)
    with pytest.raises(ValueError, match="table scales"):
        gather_quantized(codes, scores, q.packed, q.scale[:, :8].contiguous(), q.offset, 8, 0)
    with pytest.raises(ValueError, match=r"\[0, 16\)"):
        gather_quantized(codes + 16, scores, q.packed, q.scale, q.offset, 8, 0)
    with pytest.raises(ValueError, match="8 or 4 bits"):
        gather_quantized(codes, scores, q.packed, q.scale, q.offset, 2, 0)
    with pytest.raises(ValueError, match="multiple of 32"):
        LookupFFN(48, 4, 4, block_size=16, tables="int4")
    with pytest.raises(ValueError, match="tables must be one of"):
        LookupFFN(64, 4, 4, block_size=16, tables="int3")
    with pytest.raises(ValueError, match="multiple of 32"):
        quantize(torch.randn(2, 4, 40), 4)


def test_gpt2_with_quantized_tables_saves_and_reloads_bit_for_bit(tmp_path):
    transformers = pytest.importorskip("transformers")
    hf = pytest.importorskip("lookup_tvm.hf")
    model = transformers.GPT2LMHeadModel(transformers.GPT2Config(
        n_embd=64, n_layer=2, n_head=2, vocab_size=256, n_positions=64, bos_token_id=0, eos_token_id=0))
    hf.replace_ffn(model, num_tables=16, code_bits=8, block_size=16)
    quantize_tables(model, "int8", filter="transformer.h.0.*")
    quantize_tables(model, "int4", filter="transformer.h.1.*")
    model.eval()
    ids = torch.randint(0, 256, (2, 20))
    with torch.no_grad():
        want = model(ids).logits
    model.save_pretrained(tmp_path)
    loaded = hf.from_pretrained(tmp_path)
    formats = [m.table_format for m in loaded.modules() if isinstance(m, LookupFFN)]
    assert formats == ["int8", "int4"]
    with torch.no_grad():
        assert torch.equal(loaded(ids).logits, want)
    generated = loaded.generate(ids[:1, :5], max_new_tokens=4, do_sample=False)
    assert generated.shape == (1, 9)


@pytest.mark.parametrize("cores", [64, 128])
@pytest.mark.parametrize("bits", [8, 4])
def test_the_small_quantized_gather_on_many_cores_narrows_its_vectors_and_stays_right(cores, bits):
    """Above a vector per core, the small quantized gather's tasks take narrower vectors (it cannot
    split its tables into groups); run here on the cores there are."""
    from lookup_tvm.cpu.resolve import parse_target
    from lookup_tvm.kernels import CompiledKernels
    from lookup_tvm.ops import operators

    many = CompiledKernels(parse_target("host").with_cores(cores), check_isa=False)
    spec = many.spec("gather_small", h=16, rows=32, d_out=512, table_bits=bits)
    assert 512 // many.source.choice(operators()["gather_small"], spec, many.target)["cols"] >= cores
    assert check_quantized_gather(many, spec, 9) < KERNEL_TOLERANCE
