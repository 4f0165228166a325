"""AVX512-BF16 dot products for the BH4 block matmuls, as a TVM tensor intrinsic.

``vdpbf16ps`` adds to each of 16 float32 lanes the two products of a pair of bfloat16
values: ``acc[i] += a[2i] * b[2i] + a[2i+1] * b[2i+1]`` (products exact, accumulation in
float32). TVM 0.27 cannot call it directly: LLVM's intrinsic takes ``<32 x bfloat>`` vectors,
and TVM legalizes bfloat16 to 16-bit integers before code generation. So the intrinsic's
implementation calls a three-line LLVM IR function (imported into the module with the
``pragma_import_llvm`` attribute) that bitcasts two ``<16 x i32>`` vectors of bf16 pairs to
``<32 x bfloat>``; LLVM inlines it, leaving one ``vdpbf16ps`` per call.

Operands are stored as the bf16 bit patterns in ``uint16`` buffers, pairs along the
reduction axis innermost: activations ``[..., k/2, 2]`` (one pair broadcast to all lanes),
weights ``[..., k/2, o, 2]`` (16 output lanes of pairs, one 64-byte load).
"""
from __future__ import annotations

from lookup_tvm.cpu.tvm_api import T, TensorIntrin, tirx
from lookup_tvm.kit.tir import Emulation

LANES = 16
INTRINSIC = "lookup_tvm_dpbf16ps_16x2"
EMULATED = "lookup_tvm_dpbf16ps_16x2_emulated"

_LLVM_IR = r"""
define linkonce_odr <16 x float> @lookup_tvm_dpbf16ps(<16 x float> %acc, <16 x i32> %a, <16 x i32> %b) #0 {
  %a.bf16 = bitcast <16 x i32> %a to <32 x bfloat>
  %b.bf16 = bitcast <16 x i32> %b to <32 x bfloat>
  %sum = call <16 x float> @llvm.x86.avx512bf16.dpbf16ps.512(<16 x float> %acc, <32 x bfloat> %a.bf16,
                                                            <32 x bfloat> %b.bf16)
  ret <16 x float> %sum
}
declare <16 x float> @llvm.x86.avx512bf16.dpbf16ps.512(<16 x float>, <32 x bfloat>, <32 x bfloat>)
attributes #0 = { alwaysinline nounwind readnone "target-features"="+avx512f,+avx512bf16" }
"""


def bf16_bits(value):
    """The bfloat16 bit pattern (uint16) of a float32 expression, rounded to nearest even
    (as ``torch.Tensor.to(torch.bfloat16)`` does for finite values)."""
    bits = tirx.reinterpret("uint32", value)
    sixteen = tirx.const(16, "uint32")
    odd = (bits >> sixteen) & tirx.const(1, "uint32")
    return ((bits + tirx.const(0x7FFF, "uint32") + odd) >> sixteen).astype("uint16")


def from_bf16_bits(bits):
    """The float32 value of a bfloat16 bit pattern (uint16 expression): exact."""
    return tirx.reinterpret("float32", bits.astype("uint32") << tirx.const(16, "uint32"))


def _dot(implementation: bool):
    """The intrinsic's description (``acc[16] += widen(weight[16, 2]) . widen(pair[2])`` as loops)
    or its implementation (one call of the LLVM IR function above): the same buffers."""

    @T.prim_func(s_tir=True)
    def dot(weight: T.Buffer((LANES, 2), "uint16", offset_factor=1), pair: T.Buffer((2,), "uint16", offset_factor=1),
            acc: T.Buffer((LANES,), "float32", offset_factor=1)):
        with T.sblock("root"):
            T.reads(acc[0:LANES], weight[0:LANES, 0:2], pair[0:2])
            T.writes(acc[0:LANES])
            if implementation:
                with T.attr(0, "pragma_import_llvm", _LLVM_IR):
                    acc[T.ramp(T.int32(0), 1, LANES)] = T.call_pure_extern(
                        "float32x16", "lookup_tvm_dpbf16ps", acc.vload([0], "float32x16"),
                        T.broadcast(T.reinterpret("int32", pair.vload([0], "uint16x2")), LANES),
                        T.reinterpret("int32x16", weight.vload([0, 0], "uint16x32")))
            else:
                for i, k in T.grid(LANES, 2):
                    with T.sblock("update"):
                        vi, vk = T.axis.remap("SR", [i, k])
                        acc[vi] = acc[vi] + (
                            T.reinterpret("float32", T.shift_left(T.Cast("uint32", weight[vi, vk]), T.uint32(16)))
                            * T.reinterpret("float32", T.shift_left(T.Cast("uint32", pair[vk]), T.uint32(16))))

    return dot


_registered: set[str] = set()
_EMULATION = Emulation()


def register_dot(name: str) -> str:
    """Register :data:`INTRINSIC` or :data:`EMULATED` (once per process) and return its name."""
    if name not in (INTRINSIC, EMULATED):
        raise ValueError(f"{name!r} is not a bf16 dot-product intrinsic")
    if name not in _registered:
        TensorIntrin.register(name, _dot(implementation=False), _dot(implementation=name == INTRINSIC), override=True)
        _registered.add(name)
    return name


def dot_intrinsic() -> str:
    """The registered tensor intrinsic's name: ``acc[16] += widen(weight[16, 2]) . widen(pair[2])``
    (a block whose two innermost loops are 16 output lanes and one bf16 pair). Inside
    :func:`emulated_dot_products`, the intrinsic whose implementation is its description's loops."""
    return register_dot(EMULATED if _EMULATION else INTRINSIC)


def emulated_dot_products():
    """Kernels scheduled inside this block tensorize their bf16 matmuls with plain float32
    loops instead of ``vdpbf16ps``: the same schedule (the same loops, pairs and rounding)
    runs, exactly, on a CPU without AVX512-BF16. For checking the ``bf16_dot`` schedules
    anywhere; build such kernels into their own cache (their names do not say emulated)."""
    return _EMULATION.on()
