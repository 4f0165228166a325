"""What every kernel is: an :class:`OpSpec` (its identity) and an :class:`Operator` (how to
define, schedule, check and benchmark it).

Each kernel is a function of its spec (static shape parameters, plus the layout parameters
its operator chooses) returning an unscheduled PrimFunc with a symbolic token count, and a
hand-written default schedule sized from the target's CPU profile.
"""
from __future__ import annotations

import dataclasses
import functools
from typing import Any, Callable, Mapping

from lookup_tvm.cpu.target import CpuProfile
from lookup_tvm.cpu.tvm_api import PrimFunc, Schedule
from lookup_tvm.kit.footprint import Footprint

BF16 = "bf16"  # the spec parameter of a kernel's bfloat16-storage variant (bf16=1)
TABLE_BITS = "table_bits"  # the spec parameter of a gather on quantized tables (8 or 4)


def storage_variant(bf16: bool) -> dict[str, int]:
    """The spec parameter of a bfloat16 layer's kernel variant (``bf16=1``), or none."""
    return {BF16: 1} if bf16 else {}


def table_variant(bf16: bool, table_bits: int = 0) -> dict[str, int]:
    """The spec parameters of a gather: on quantized tables (``table_bits=8`` or ``4``, whatever
    the layer's dtype: the gather's scores and output are float32 in both), else the layer's
    storage variant."""
    return {TABLE_BITS: table_bits} if table_bits else storage_variant(bf16)


@dataclasses.dataclass(frozen=True)
class OpSpec:
    """One kernel's identity: operator name and static parameters."""

    op: str
    params: tuple[tuple[str, int], ...]

    @classmethod
    def make(cls, op: str, **params: int) -> "OpSpec":
        return cls(op, tuple(sorted((k, int(v)) for k, v in params.items())))

    def __getitem__(self, name: str) -> int:
        return dict(self.params)[name]

    def get(self, name: str, default: int = 0) -> int:
        return dict(self.params).get(name, default)

    def with_params(self, **params: int) -> "OpSpec":
        """The spec with parameters added (or replaced)."""
        return OpSpec.make(self.op, **{**dict(self.params), **params})

    @property
    def name(self) -> str:
        """Readable and file-name safe, e.g. ``gather-d_out512-h128-rows256``."""
        return "-".join([self.op] + [f"{k}{v}" for k, v in self.params])

    @property
    def tiled(self) -> bool:
        """Whether the kernel takes its batched arguments as tiles ``[tiles, token_tile, ...]``."""
        return "token_tile" in dict(self.params)

    @property
    def token_tile(self) -> int:
        """Tokens per tile of the kernel's batched arguments (1 also for untiled kernels)."""
        return self.get("token_tile", 1)

    @property
    def bf16(self) -> bool:
        """The bfloat16-storage variant (``bf16=1``): parameters and activations stored in
        bfloat16, accumulated in float32."""
        return bool(self.get(BF16))

    @property
    def bf16_dot(self) -> bool:
        """Block matmuls on bf16 dot products (layout parameter ``bf16_dot``)."""
        return bool(self.get("bf16_dot"))

    @property
    def amx(self) -> bool:
        """Block matmuls on AMX tiles (layout parameter ``amx``, with ``bf16_dot``'s pairs)."""
        return bool(self.get("amx"))

    @property
    def table_bits(self) -> int:
        """Bits per table value of a gather on quantized tables (8 or 4), 0 for float tables."""
        return self.get(TABLE_BITS)

    @property
    def table_bytes(self) -> float:
        """Bytes per table value: 4 (float32), 2 (bfloat16), 1 (int8) or 0.5 (4-bit)."""
        return self.table_bits / 8 if self.table_bits else (2 if self.bf16 else 4)

    @property
    def storage_dtype(self) -> str:
        """``bfloat16`` for the bf16 variant, else ``float32`` (also torch's dtype name)."""
        return "bfloat16" if self.bf16 else "float32"

    def to_json(self) -> dict[str, Any]:
        return {"op": self.op, "params": dict(self.params)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "OpSpec":
        return cls.make(data["op"], **data["params"])


Knobs = dict[str, list[int]]
Choice = dict[str, int]

CHECK_TOLERANCE = 1e-4  # float32 accumulation in another order than the reference's


DECODE_TOKENS = (1, 8, 64)
"""The batches of decoding (one token to a few sequences'): a small-batch kernel's candidates are
compared at these (:meth:`Operator.timing_tokens`)."""


@functools.lru_cache(maxsize=512)
def _defined(define: Callable[..., PrimFunc], spec: OpSpec) -> PrimFunc:
    """``define(spec)`` once per spec (PrimFuncs are immutable; scheduling copies them)."""
    return define(spec)


def same_sizes(a: CpuProfile, b: CpuProfile) -> bool:
    """Whether two profiles size schedules alike: cores, L1d, L2 and the per-core L3 share."""
    return (a.cores, a.l1d_bytes, a.l2_bytes, a.l3_share_bytes) == (b.cores, b.l1d_bytes, b.l2_bytes, b.l3_share_bytes)


def no_knobs(spec: OpSpec, profile: CpuProfile) -> Knobs:
    return {}


def fixed_layout(spec: OpSpec, profile: CpuProfile) -> OpSpec:
    return spec


def verify_tokens(spec: OpSpec) -> int:
    """Tokens for a correctness check: two full tiles of the largest token split plus a tail."""
    return 2 * max(spec.token_tile, 256) + 37


def float32_tolerance(spec: OpSpec) -> float:
    return CHECK_TOLERANCE


@dataclasses.dataclass(frozen=True, kw_only=True)
class Operator:
    """How to define, schedule, check and benchmark one kernel.

    ``define(spec, batch)`` returns the PrimFunc, with a symbolic token count when ``batch``
    is None (tiles of ``spec.token_tile`` tokens for tiled kernels). ``knobs(spec, profile)``
    lists each schedule knob's candidates, sized from the CPU profile, the default first;
    ``schedule(sch, spec, profile, choice)`` applies one choice in place. The default schedule
    is the first candidate of every knob; the MetaSchedule search space samples the same
    knobs, the ``sampled_knobs`` (which only size a split) inside one design space per
    combination of the others. ``schedule`` is None for hand-written TIR, whose knobs are
    layout parameters: ``layout_search(spec, profile)`` lists the candidates of those the tuner
    measures directly. ``layout(spec, profile)`` adds the layout
    parameters the caller does not choose (``layout_params``: ``token_tile``, ...) to a spec;
    a spec with ``token_tile`` > 1 lays its batched arguments out as ``[tiles, token_tile, ...]``.
    ``check(kernels, spec, tokens)`` runs the kernel of ``spec`` from a compiled kernel set on
    random inputs of ``tokens`` tokens and returns its error against the pure-PyTorch
    reference (max abs difference over the reference's max magnitude; inf for a wrong code),
    which ``tolerance(spec)`` bounds. ``workload(spec, tokens)`` gives the benchmark inputs,
    the PyTorch baseline and the FLOP and byte counts (:class:`lookup_tvm.kit.workload.Workload`).
    ``max_tokens``: the largest token count a call of a small-batch kernel gets on up to 16 cores
    (its family runs another kernel of the same operator above it; the small kernels serve up to 4
    tokens per core on more, :mod:`lookup_tvm.ops.dispatch`), or None; ``min_tokens``:
    the smallest (below it the family runs its small-batch kernel), or None. ``sized``: the knobs and layout parameters
    sized from the target's cores and caches; a choice tuned on another core count or cache
    sizes takes this target's defaults for them (:meth:`resized`). ``footprint(spec, profile,
    choice)``: for operators whose knobs or layout are sized from registers or caches, what a
    choice (for hand-written TIR, the layout in the spec) keeps in them
    (:class:`lookup_tvm.kit.footprint.Footprint`); their candidates are the ones that fit.
    ``cold_timing``: the tuner re-times its best candidates with the caches flushed before each
    call, as small-batch kernels are: in a model the weights it reads (the gather's tables) come
    from memory at every call, and a choice that is fastest warm can be slower cold.
    """

    name: str
    define: Callable[..., PrimFunc]
    schedule: Callable[[Schedule, OpSpec, CpuProfile, Choice], None] | None
    check: Callable[[Any, OpSpec, int], float]
    workload: Callable[[OpSpec, int], Any]
    knobs: Callable[[OpSpec, CpuProfile], Knobs] = no_knobs
    layout: Callable[[OpSpec, CpuProfile], OpSpec] = fixed_layout
    tolerance: Callable[[OpSpec], float] = float32_tolerance
    sampled_knobs: frozenset[str] = frozenset()
    layout_params: frozenset[str] = frozenset()
    layout_search: Callable[[OpSpec, CpuProfile], list[dict[str, int]]] | None = None
    max_tokens: int | None = None
    min_tokens: int | None = None
    sized: frozenset[str] = frozenset()
    footprint: Callable[[OpSpec, CpuProfile, Choice], Footprint] | None = None
    cold_timing: bool = False

    def resized(self, recorded: Mapping[str, int], tuned_for: CpuProfile | None, profile: CpuProfile) -> dict[str, int]:
        """A recorded choice or layout for use on ``profile``: all of it when it was tuned for
        these cores and cache sizes (``tuned_for``; None: unknown) or holds nothing sized from
        them; otherwise none of it, so that the kernel takes the target's defaults for every
        knob. Knobs are tuned together: the Zen 3 log's gather choice with its sized knobs
        re-sized for 16 cores ran 37.1 ms on 16 threads, the 16-core defaults 29.2 ms."""
        if tuned_for is None or same_sizes(tuned_for, profile) or not self.sized & set(recorded):
            return dict(recorded)
        return {}

    def tuning_tokens(self, tokens: int) -> int:
        """The token count the kernel is tuned and benchmarked at, given the one asked for: at
        most ``max_tokens`` (the largest batch its family calls it with), else as asked."""
        return min(tokens, self.max_tokens) if self.max_tokens else tokens

    def timing_tokens(self, tokens: int) -> tuple[int, ...]:
        """The token counts the tuner re-times its best candidates at: a decode kernel's
        :data:`DECODE_TOKENS` up to ``max_tokens``, and ``max_tokens`` (it serves all of them),
        else the one tuned at."""
        if not self.max_tokens:
            return (tokens,)
        return tuple(dict.fromkeys([c for c in DECODE_TOKENS if c <= self.max_tokens] + [self.max_tokens]))

    def default_choice(self, spec: OpSpec, profile: CpuProfile) -> Choice:
        return {name: values[0] for name, values in self.knobs(spec, profile).items()}

    def tuning_func(self, spec: OpSpec, batch: int) -> PrimFunc:
        """``define(spec, batch)`` tagged with the operator's name (attribute
        ``lookup_tvm.operator``): operators that share a definition (gather and gather_small)
        are separate workloads in a tuning database, whose records replay on their own blocks."""
        return self.define(spec, batch).with_attr("lookup_tvm.operator", self.name)

    def scheduled(self, spec: OpSpec, profile: CpuProfile, choice: Choice | None) -> PrimFunc:
        """The kernel's PrimFunc with one knob choice applied (hand-written TIR as it is)."""
        func = _defined(self.define, spec)
        if self.schedule is None:
            return func
        sch = Schedule(func)
        self.schedule(sch, spec, profile, choice)
        return sch.mod["main"]

    def verify(self, kernels: Any, spec: OpSpec) -> tuple[float, bool]:
        """The check a choice must pass to be used: ``check`` of the kernel set's kernel for
        ``spec`` (its shape parameters; the set picks the layout) at :func:`verify_tokens`
        tokens; (error, whether ``tolerance`` bounds it)."""
        full = kernels.spec(spec.op, **self.shape_params(dict(spec.params)))
        error = self.check(kernels, full, verify_tokens(full))
        return error, error <= self.tolerance(full)

    def shape_params(self, params: Mapping[str, int]) -> dict[str, int]:
        """A kernel's shape parameters: its parameters without the layout ones."""
        return {k: v for k, v in params.items() if k not in self.layout_params}

    def kernel_key(self, params: Mapping[str, int]) -> str:
        """A kernel's key in tuning results: operator and shape parameters (no layout ones)."""
        return OpSpec.make(self.name, **self.shape_params(params)).name
