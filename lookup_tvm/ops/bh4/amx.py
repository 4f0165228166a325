"""AMX-BF16 tiles for the BH4 block matmuls of bfloat16 layers, as TVM tensor intrinsics.

A tile register holds up to 16 rows of 64 bytes. ``tdpbf16ps C, A, B`` adds to the float32
tile C [rows, 16] the products of A [rows, k pairs of bf16] and B [k rows, 16 outputs x 2 bf16]:
``C[m, n] += sum_k A[m, k, 0] B[k, n, 0] + A[m, k, 1] B[k, n, 1]``, exactly the pairs layout
of :mod:`~lookup_tvm.ops.bh4.bf16_dot` (activations ``[..., k/2, 2]``, weights
``[..., k/2, o, 2]``), so the same rounding code feeds both.

One intrinsic call computes ``C[rows, columns] += A . B`` over the block's whole reduction:
it loads the tile configuration (``ldtilecfg``: C tiles 0.., A tile 6, B tile 7), loads the C
tiles, and per chunk of ``pairs_per_step`` pairs loads A once and, per C tile, B and one
``tdpbf16ps``; then stores C and releases the tiles (``tilerelease``), so that no tile state
outlives the call (PyTorch's oneDNN may use tiles on the same thread). Its body is LLVM IR
written here (imported with ``pragma_import_llvm``) because TVM has no tile data type.
Knobs: ``amx_columns`` (16-64 outputs, 1-4 C tiles per A load) and ``amx_pairs`` (8 or 16
pairs per step). Rows are the token tile's, at most 16.
"""
from __future__ import annotations

import re

from lookup_tvm.cpu.tvm_api import T, TensorIntrin
from lookup_tvm.kit.tir import Emulation

ROWS = 16  # tile rows: tokens per tdpbf16ps
ROW_BYTES = 64  # bytes per tile row
COLUMNS = ROW_BYTES // 4  # float32 outputs per C tile row
MAX_PAIRS = ROW_BYTES // 4  # bf16 pairs per A row (and B rows)
A_TILE, B_TILE = 6, 7
MAX_C_TILES = A_TILE  # tiles 0..5 may hold C


def _llvm_ir(name: str, rows: int, columns: int, pairs: int, step: int) -> str:
    """The intrinsic's implementation: ``i32 name(ptr c, i32 c_stride, ptr a, i32 a_stride, ptr b,
    i32 b_stride)``, strides in bytes, straight-line tile code."""
    c_tiles = columns // COLUMNS
    shape = {t: (rows, ROW_BYTES) for t in range(c_tiles)}
    shape[A_TILE] = (rows, step * 4)
    shape[B_TILE] = (step, ROW_BYTES)
    body = ["  %cfg = alloca [64 x i8], align 64",
            "  call void @llvm.memset.p0.i64(ptr align 64 %cfg, i8 0, i64 64, i1 false)",
            "  store i8 1, ptr %cfg, align 64"]
    for tile, (tile_rows, row_bytes) in shape.items():
        body += [f"  %colsb{tile} = getelementptr i8, ptr %cfg, i64 {16 + 2 * tile}",
                 f"  store i16 {row_bytes}, ptr %colsb{tile}, align 2",
                 f"  %rows{tile} = getelementptr i8, ptr %cfg, i64 {48 + tile}",
                 f"  store i8 {tile_rows}, ptr %rows{tile}, align 1"]
    body += ["  call void @llvm.x86.ldtilecfg(ptr %cfg)"]
    for which in ("c", "a", "b"):
        body.append(f"  %{which}s = sext i32 %{which}_stride to i64")
    for t in range(c_tiles):
        body += [f"  %c{t} = getelementptr i8, ptr %c, i64 {t * ROW_BYTES}",
                 f"  call void @llvm.x86.tileloadd64(i8 {t}, ptr %c{t}, i64 %cs)"]
    for s in range(pairs // step):
        body += [f"  %a{s} = getelementptr i8, ptr %a, i64 {s * step * 4}",
                 f"  call void @llvm.x86.tileloadd64(i8 {A_TILE}, ptr %a{s}, i64 %as)",
                 f"  %boff{s} = mul i64 %bs, {s * step}",
                 f"  %brow{s} = getelementptr i8, ptr %b, i64 %boff{s}"]
        for t in range(c_tiles):
            body += [f"  %b{s}_{t} = getelementptr i8, ptr %brow{s}, i64 {t * ROW_BYTES}",
                     f"  call void @llvm.x86.tileloadd64(i8 {B_TILE}, ptr %b{s}_{t}, i64 %bs)",
                     f"  call void @llvm.x86.tdpbf16ps(i8 {t}, i8 {A_TILE}, i8 {B_TILE})"]
    for t in range(c_tiles):
        body.append(f"  call void @llvm.x86.tilestored64(i8 {t}, ptr %c{t}, i64 %cs)")
    body += ["  call void @llvm.x86.tilerelease()", "  ret i32 0"]
    return "\n".join([
        f"define linkonce_odr i32 @{name}(ptr %c, i32 %c_stride, ptr %a, i32 %a_stride, ptr %b, i32 %b_stride) #0 {{",
        "entry:", *body, "}",
        "declare void @llvm.memset.p0.i64(ptr, i8, i64, i1 immarg)",
        "declare void @llvm.x86.ldtilecfg(ptr)",
        "declare void @llvm.x86.tileloadd64(i8 immarg, ptr, i64)",
        "declare void @llvm.x86.tdpbf16ps(i8 immarg, i8 immarg, i8 immarg)",
        "declare void @llvm.x86.tilestored64(i8 immarg, ptr, i64)",
        "declare void @llvm.x86.tilerelease()",
        'attributes #0 = { alwaysinline nounwind "target-features"="+amx-tile,+amx-bf16" }', ""])


def _widen(bits):
    return T.reinterpret("float32", T.shift_left(T.Cast("uint32", bits), T.uint32(16)))


def _tile_matmul(rows: int, columns: int, pairs: int, step: int, name: str | None):
    """The intrinsic's description (``C[rows, columns] += widen(B) . widen(A)`` over ``pairs``
    bf16 pairs, as loops) or, with ``name``, its implementation (one call of the IR above).
    A and C keep the activations' unit (repeat, block) dimensions between tokens and columns:
    C is a [tile, r, nb, b] region, A a [tile, r_in, nb, b/2, 2] one, B [b/2, b, 2]."""

    @T.prim_func(s_tir=True)
    def tile_matmul(a: T.handle, b: T.handle, c: T.handle):
        a_stride, a_repeat, a_block, b_stride = T.int32(), T.int32(), T.int32(), T.int32()
        c_stride, c_repeat, c_block = T.int32(), T.int32(), T.int32()
        A = T.match_buffer(a, (rows, 1, 1, pairs, 2), "uint16", strides=(a_stride, a_repeat, a_block, 2, 1),
                           offset_factor=1)
        B = T.match_buffer(b, (pairs, columns, 2), "uint16", strides=(b_stride, 2, 1), offset_factor=1)
        C = T.match_buffer(c, (rows, 1, 1, columns), "float32", strides=(c_stride, c_repeat, c_block, 1),
                           offset_factor=1)
        with T.sblock("root"):
            T.reads(C[0:rows, 0, 0, 0:columns], B[0:pairs, 0:columns, 0:2], A[0:rows, 0, 0, 0:pairs, 0:2])
            T.writes(C[0:rows, 0, 0, 0:columns])
            if name is not None:
                with T.attr(0, "pragma_import_llvm", _llvm_ir(name, rows, columns, pairs, step)):
                    T.evaluate(T.call_extern("int32", name, C.access_ptr("rw"), c_stride * 4,
                                             A.access_ptr("r"), a_stride * 2, B.access_ptr("r"), b_stride * 2))
            else:
                for m, n, k, p in T.grid(rows, columns, pairs, 2):
                    with T.sblock("update"):
                        vm, vn, vk, vp = T.axis.remap("SSRR", [m, n, k, p])
                        C[vm, 0, 0, vn] = C[vm, 0, 0, vn] + _widen(B[vk, vn, vp]) * _widen(A[vm, 0, 0, vk, vp])

    return tile_matmul


_registered: set[str] = set()
_EMULATION = Emulation()


def tile_intrinsic(rows: int, columns: int, pairs: int, step: int) -> str:
    """The registered intrinsic's name for ``C[rows, columns] += A[rows, pairs, 2] . B[pairs,
    columns, 2]`` in steps of ``step`` pairs (rows <= 16, columns a multiple of 16 up to 96,
    step <= 16 dividing pairs). Inside :func:`emulated_tiles`, one whose implementation is its
    description's loops."""
    if not (rows <= ROWS and columns % COLUMNS == 0 and columns // COLUMNS <= MAX_C_TILES
            and step <= MAX_PAIRS and pairs % step == 0):
        raise ValueError(f"no AMX tiling of {rows} rows x {columns} columns x {pairs} pairs in steps of {step}")
    return register_tile(rows, columns, pairs, step, emulated=bool(_EMULATION))


NAME_PATTERN = re.compile(r"lookup_tvm_amx_r(\d+)_c(\d+)_p(\d+)_s(\d+)(_emulated)?")


def register_tile(rows: int, columns: int, pairs: int, step: int, emulated: bool) -> str:
    """Register one tile intrinsic (once per process) and return its name: the AMX one, or with
    ``emulated`` the one whose implementation is its description's loops."""
    name = f"lookup_tvm_amx_r{rows}_c{columns}_p{pairs}_s{step}" + ("_emulated" if emulated else "")
    if name not in _registered:
        TensorIntrin.register(name, _tile_matmul(rows, columns, pairs, step, None),
                              _tile_matmul(rows, columns, pairs, step, None if emulated else name), override=True)
        _registered.add(name)
    return name


def tiles_emulated() -> bool:
    """Whether kernels scheduled now tensorize with :func:`emulated_tiles`' loops."""
    return bool(_EMULATION)


def emulated_tiles():
    """Kernels scheduled inside this block tensorize their tile matmuls with float32 loops
    instead of AMX: the same schedule (loops, pairs, rounding) runs on any CPU. For checking
    the AMX schedules anywhere; build such kernels into their own cache."""
    return _EMULATION.on()
