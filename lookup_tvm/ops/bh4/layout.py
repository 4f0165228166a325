"""The BH4 kernels' layouts: token tiles sized from L2 (:func:`default_token_tile`), the bf16
dot-product and AMX variants (:func:`bf16_dot_layout`), and what a stage keeps in registers and
caches (:func:`stage_footprint`)."""
from __future__ import annotations

from lookup_tvm.cpu.target import CpuProfile
from lookup_tvm.kit.footprint import Footprint, largest_fitting
from lookup_tvm.kit.operator import Choice, OpSpec
from lookup_tvm.kit.tir import vector_lanes
from lookup_tvm.ops.bh4 import amx
from lookup_tvm.ops.bh4.bf16_dot import LANES as DOT_LANES
from lookup_tvm.spec import STAGES

from lookup_tvm.ops.bh4.schedule import REGISTER_TILE, register_tile_tokens, register_tile_vectors

TILE_LAYOUT = frozenset({"token_tile"})  # the layout parameters of token-tiled kernels
DOT_LAYOUT = frozenset({"token_tile", "bf16_dot", "amx"})  # and of those with a bf16 variant


def bf16_dot_layout(spec: OpSpec, profile: CpuProfile) -> OpSpec:
    """The token tile (:func:`default_token_tile`) and, for a bfloat16 layer's variant (``bf16=1``),
    ``bf16_dot``: 1 where the target has AVX512-BF16 dot products and the blocks hold whole
    16-lane vectors (elsewhere the variant computes in float32); with them, ``amx=1`` and tiles
    of :data:`~lookup_tvm.ops.bh4.amx.ROWS` tokens where the profile allows AMX tiles (only
    kernels not yet tiled: the small front end's one-token tiles keep the dot products)."""
    usable = spec.bf16 and profile.bf16_dot_products and spec["b"] % DOT_LANES == 0
    tiles = spec.get("amx", int(usable and profile.amx_tiles and not spec.tiled))
    if tiles and not spec.tiled:
        spec = spec.with_params(amx=1, token_tile=amx.ROWS)
    spec = default_token_tile(spec, profile)
    if spec.bf16 and "bf16_dot" not in dict(spec.params):
        spec = spec.with_params(bf16_dot=int(usable))
    return spec


TOKEN_TILES = (16, 8, 4)
STAGE_BUFFERS = 4  # [tile, r, nb, b] buffers a stage keeps warm: its input, matmul and cross outputs, the next input


def _kernel_weight_bytes(spec: OpSpec) -> int:
    """The float32 block weights a kernel reads per token tile: one stage's (kernels with
    ``r_in``) or all four (the fused BH4, projection and front end)."""
    stages = 1 if "r_in" in dict(spec.params) else STAGES
    return stages * spec["r"] * spec["nb"] * spec["b"] * spec["b"] * 4


def _weights_stay_in_l2(spec: OpSpec, profile: CpuProfile) -> bool:
    """Whether a kernel's weights fit L2 beside the stage buffers of the smallest token tile."""
    smallest = STAGE_BUFFERS * TOKEN_TILES[-1] * spec["r"] * spec["nb"] * spec["b"] * 4
    return _kernel_weight_bytes(spec) + smallest <= profile.l2_bytes


def stage_footprint(spec: OpSpec, profile: CpuProfile, choice: Choice | None = None) -> Footprint:
    """A token tile's stage buffers (:data:`STAGE_BUFFERS` of [tile, r, nb, b] float32) in L2,
    with the kernel's weights where they stay there (:func:`_weights_stay_in_l2`), and, with
    register tiles (or bf16 dot products), the accumulators, weight vectors and broadcast input
    in registers and a group's weights (b x its output vectors) in L1 across the tile's
    register tiles."""
    buffers = STAGE_BUFFERS * spec.token_tile * spec["r"] * spec["nb"] * spec["b"] * 4
    weights = _kernel_weight_bytes(spec) if _weights_stay_in_l2(spec, profile) else 0
    registers = group = 0
    if spec.amx:
        group = spec["b"] * spec["b"] * 2  # a block's weight pairs, read by every row group of the tile
    elif spec.bf16_dot:
        registers = register_tile_tokens(spec) * (spec["b"] // DOT_LANES) + 2
        group = spec["b"] * spec["b"] * 2
    elif choice is None or choice.get("mm_order", REGISTER_TILE) == REGISTER_TILE:
        vectors = register_tile_vectors(spec, profile)
        registers = (register_tile_tokens(spec) + 1) * vectors + 1
        group = spec["b"] * vectors * vector_lanes(spec["b"], profile) * 4
    return Footprint(registers=registers, l1=group, l2=weights + buffers)


def default_token_tile(spec: OpSpec, profile: CpuProfile) -> OpSpec:
    """Tokens per tile: each tile reads all the kernel's weights once. Where they stay in L2
    beside the buffers (one stage, 256 KiB at d = 512), the smallest tile of
    :data:`TOKEN_TILES` (its buffers stay in L1); where they do not (the fused four stages, 1
    MiB), the largest whose buffers fit L2 (:func:`stage_footprint`), so the weights stream in
    a quarter as often. The Zen 3 VM (512 KiB L2), tuned, 2 threads, 4096 tokens: front end
    21.8 -> 19.2 ms with 16 tokens, a stage 3.7 -> 4.2 and its input gradient 4.7 -> 5.7."""
    if spec.tiled:
        return spec
    sizes = largest_fitting(TOKEN_TILES, lambda tile: stage_footprint(spec.with_params(token_tile=tile), profile),
                            profile)
    return spec.with_params(token_tile=sizes[-1] if _weights_stay_in_l2(spec, profile) else sizes[0])
