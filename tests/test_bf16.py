"""bfloat16 storage: kernels and the layer against the float32 reference computed from the
same bfloat16-rounded parameters and inputs, training through bf16 parameters and autocast.

Tolerances: the kernels accumulate in float32 exactly as the float32 kernels do (REL_TOL);
the layer rounds its output to bfloat16 once (relative error <= 2**-8 of the magnitude);
codes are exact away from 0.
"""
import pytest
import torch

from conftest import REL_TOL, assert_close, max_rel_error, pinned_kernels
from lookup_tvm import LookupFFN
from lookup_tvm import functional as F
from lookup_tvm import reference as R
from lookup_tvm.functional import kernels
from lookup_tvm.kit.operator import OpSpec
from lookup_tvm.ops import operators

BF16_OUTPUT_TOL = 2.0**-8


@pytest.mark.parametrize("h,rows,d_out,batch", [(128, 256, 512, 300), (3, 4, 24, 1), (5, 8, 40, 67)])
def test_bf16_gather_matches_the_reference_on_widened_tables(h, rows, d_out, batch):
    codes = torch.randint(0, rows, (batch, h), dtype=torch.int32)
    scores, tables = torch.randn(batch, h), torch.randn(h, rows, d_out).bfloat16()
    out = F.gather_accumulate(codes, scores, tables)
    assert out.dtype == torch.float32
    assert_close(out, R.gather_accumulate(codes, scores, tables.float()), REL_TOL)


@pytest.mark.parametrize("op,params", [("gather", {"h": 6, "rows": 16, "d_out": 48}),
                                       ("gather_grad", {"h": 6, "rows": 16, "d_out": 48}),
                                       ("front_end", {"d": 40, "r": 1, "nb": 4, "b": 16, "h": 8, "tau": 4}),
                                       ("bh4_stage", {"r": 3, "r_in": 1, "nb": 2, "b": 32}),
                                       ("bh4_stage_grad", {"r": 3, "r_in": 3, "nb": 2, "b": 32})])
def test_bf16_variants_pass_their_operator_checks(op, params):
    ck = kernels()
    spec = ck.spec(op, **params, bf16=1)
    assert operators()[op].check(ck, spec, 131) <= operators()[op].tolerance(spec)


@pytest.mark.parametrize("d,h,tau,b", [(512, 128, 8, 64), (48, 6, 5, 16)])
def test_bf16_layer_inference_matches_the_reference_on_the_same_rounded_values(d, h, tau, b):
    """Against the reference on the same bf16 values, with the BH4 operands rounded as the
    kernels round them (``bf16_dot``, where the CPU has AVX512-BF16). The front end's codes
    are checked by its operator check; here the output is compared on the tokens whose codes
    all agree with the reference's (a code can differ where a z sits within ~1e-3 of 0)."""
    torch.manual_seed(0)
    layer = LookupFFN(d, h, tau, block_size=b, dtype=torch.bfloat16).eval()
    ref = {k: v.float() for k, v in layer.state_dict().items()}
    weight = ref["proj_weight"] * layer.weight_scale
    x = (torch.randn(257, d) * 2).bfloat16()
    with torch.no_grad():
        y = layer(x)
        codes, _ = F.front_end(x, layer.norm.weight, layer.norm.bias, weight, layer.proj_bias, tau)
        z = R.normed_projection(x.float(), ref["norm.weight"], ref["norm.bias"], weight, ref["proj_bias"],
                                bf16_operands=layer.uses_bf16_dot()).reshape(-1, h, tau)
        want_codes, want_scores = R.hash_codes(z)
        expected = R.gather_accumulate(want_codes, want_scores, ref["tables"]) + ref["out_bias"]
    agree = (codes == want_codes).all(-1)
    assert y.dtype == torch.bfloat16 and agree.float().mean() > 0.9
    assert max_rel_error(y.float()[agree], expected[agree]) <= BF16_OUTPUT_TOL


def test_bf16_parameters_train_with_gradients_of_the_widened_reference():
    """Output and parameter gradients against autograd on the reference from the same bf16
    values, the BH4 operands rounded as the kernels round them (``uses_bf16_dot``)."""
    torch.manual_seed(1)
    layer = LookupFFN(48, 6, 5, block_size=16, dtype=torch.bfloat16)
    ref = {k: v.detach().float().requires_grad_() for k, v in layer.named_parameters()}
    x = torch.randn(90, 48).bfloat16()
    grad = torch.randn(90, 48)
    y = layer(x)
    y.float().backward(grad)
    z = R.normed_projection(x.float(), ref["norm.weight"], ref["norm.bias"], ref["proj_weight"] * layer.weight_scale,
                            ref["proj_bias"], bf16_operands=layer.uses_bf16_dot()).reshape(-1, 6, 5)
    expected = R.gather_accumulate(*R.hash_codes(z), ref["tables"]) + ref["out_bias"]
    expected.backward(grad)
    assert y.dtype == torch.bfloat16 and max_rel_error(y.float(), expected) <= BF16_OUTPUT_TOL
    for name, param in layer.named_parameters():
        assert param.grad.dtype == torch.bfloat16, name
        assert max_rel_error(param.grad.float(), ref[name].grad) <= 2 * BF16_OUTPUT_TOL, name


def test_model_to_bfloat16_and_autocast_give_the_bf16_path():
    layer = LookupFFN(48, 6, 5, block_size=16)
    x = torch.randn(20, 48)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        y = layer(x)
    assert y.dtype == torch.bfloat16
    y.float().sum().backward()
    assert layer.tables.grad.dtype == torch.float32  # the fp32 master weights get the gradients
    with torch.no_grad():
        assert layer.to(torch.bfloat16).eval()(x.bfloat16()).dtype == torch.bfloat16
    with pytest.raises(TypeError, match="float32 or torch.bfloat16"):
        layer.to(torch.float64)(x.double())


def test_bf16_kernels_have_their_own_specs():
    ck = kernels()
    assert ck.spec("gather", h=4, rows=8, d_out=16, bf16=1) != ck.spec("gather", h=4, rows=8, d_out=16)
    assert "bf16" in OpSpec.make("gather", h=4, rows=8, d_out=16, bf16=1).name


def test_bf16_code_flips_count_codes_that_change():
    layer = LookupFFN(48, 6, 5, block_size=16)
    x = torch.randn(300, 48)
    flips = layer.bf16_code_flips(x)
    assert 0.0 < flips < 0.2  # rounding moves some z across 0, not most
    exact = x.bfloat16().float()
    with torch.no_grad():
        for p in layer.parameters():
            p.copy_(p.bfloat16().float())
    assert layer.bf16_code_flips(exact, bf16_operands=False) == 0.0  # values bf16 already holds do not move
    assert 0.0 < layer.bf16_code_flips(exact, bf16_operands=True) < 0.1  # rounded stage inputs move a few


@pytest.mark.parametrize("target,dot", [("llvm -mcpu=znver4 -num-cores 2", 1),
                                        ("llvm -mcpu=sapphirerapids -num-cores 2", 1),
                                        ("llvm -mcpu=znver4 -num-cores 2 -mattr=-avx512bf16", 0),
                                        ("llvm -mcpu=icelake-server -num-cores 2", 0),
                                        ("llvm -mcpu=haswell -num-cores 2", 0)])
def test_bf16_dot_products_only_where_the_target_has_avx512_bf16(target, dot, tmp_path):
    """The ISA decides (LLVM's feature set for the target), and the code follows: vdpbf16ps in
    the bf16 front end and training stages where it may run, nowhere else."""
    from lookup_tvm.kernels import CompiledKernels
    from lookup_tvm.cpu.tvm_api import build

    ck = CompiledKernels(target, check_isa=False, cache_dir=tmp_path)
    for op, params in [("front_end", {"d": 40, "r": 1, "nb": 4, "b": 16, "h": 8, "tau": 4}),
                       ("front_end_small", {"d": 40, "r": 1, "nb": 4, "b": 16, "h": 8, "tau": 4}),
                       ("bh4_stage", {"r": 2, "r_in": 2, "nb": 2, "b": 32}),
                       ("bh4_stage_grad", {"r": 2, "r_in": 1, "nb": 2, "b": 32})]:
        spec = ck.spec(op, **params, bf16=1)
        assert spec["bf16_dot"] == dot, (target, op)
        asm = build(ck.scheduled(spec), ck.target).inspect_source("asm")
        assert ("vdpbf16ps" in asm) == bool(dot), (target, op)
    assert "bf16_dot" not in dict(ck.spec("front_end", d=40, r=1, nb=4, b=16, h=8, tau=4).params)  # fp32 kernels


@pytest.mark.parametrize("op,params", [("front_end_small", {"d": 100, "r": 1, "nb": 4, "b": 32, "h": 8, "tau": 4}),
                                       ("front_end_small", {"d": 512, "r": 2, "nb": 8, "b": 64, "h": 128, "tau": 8}),
                                       ("front_end_small", {"d": 64, "r": 2, "nb": 1, "b": 64, "h": 16, "tau": 8}),
                                       ("front_end", {"d": 40, "r": 1, "nb": 4, "b": 16, "h": 8, "tau": 4}),
                                       ("bh4_stage", {"r": 3, "r_in": 1, "nb": 2, "b": 32}),
                                       ("bh4_stage_grad", {"r": 3, "r_in": 3, "nb": 2, "b": 32})])
def test_bf16_dot_schedules_match_the_reference_on_any_cpu(op, params, tmp_path):
    """The ``bf16_dot`` kernels' schedules (the AVX512-BF16 ones) with ``vdpbf16ps`` emulated by
    its description's loops, so they run here whatever the CPU: the same loops, bf16 pairs and
    rounding, against the reference on rounded operands, at decode and odd batches (each check
    runs the pinned kernel through its family's path, at the token counts that reach it)."""
    from lookup_tvm.ops.bh4.bf16_dot import emulated_dot_products

    ck = pinned_kernels(op, {**params, "bf16": 1}, {"bf16_dot": 1}, tmp_path)
    with emulated_dot_products():
        spec = ck.spec(op, **params, bf16=1)
        assert spec.bf16_dot
        for tokens in (1, 17, 131):
            assert operators()[op].check(ck, spec, tokens) <= operators()[op].tolerance(spec), (spec.name, tokens)
    assert spec in ck.compiled_specs()
