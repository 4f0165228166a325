"""Many cores, seen on 2 vCPUs: every kernel scheduled for 16-128-core hosts gives each core
work, read from its scheduled TIR (thread_work), not timed.

Hosts: this CPU's ISA with server caches, and the table CPUs (schedule inspection only),
at 16, 32, 64 and 128 cores; schedules: the defaults and every committed log applied to
its own target with that many cores (sized knobs re-sized). Token counts:
- 4096 and 65536 (batches): every kernel but the decode ones, every thread busy, parallel
  efficiency >= 0.9;
- 1, 17 and 64 (decode): the gather a decode call runs gives every thread work (tables split
  into groups where the columns are too few); the small front end gives every thread work up
  to its tasks per stage (repeats x blocks x output vectors: 128 at d=512 with AVX2, 64 with
  AVX-512; 16-lane vectors in its bf16_dot variant);
- 1 and 17 (a training step that small, frozen tables too): every kernel that serves such calls
  gives every thread work: the small stages and hashes up to their tasks per token (their
  token-tiled kernels, ``min_tokens`` 65, are not called there), the large-batch gather a core
  each of its column chunks (COLUMN_CHUNKS: at least 2 cache lines each, 16 at d_out=512).
"""
from __future__ import annotations

import warnings
from pathlib import Path

import pytest
import torch

from conftest import REPO, assert_close
from lookup_tvm import reference as R
from lookup_tvm.config import LayerConfig
from lookup_tvm.cpu.host import SERVER_CACHES, many_core_probe, simulated_host
from lookup_tvm.cpu.resolve import host_target, parse_target
from lookup_tvm.kernels import CompiledKernels, DefaultSchedules
from thread_work import thread_work
from lookup_tvm.kit.tir import vector_lanes
from lookup_tvm.ops.bh4.bf16_dot import LANES as DOT_LANES
from lookup_tvm.ops import FAMILIES, operators
from lookup_tvm.sources.chosen import tuned_schedules
from lookup_tvm.sources.logs import TuningLog

pytestmark = pytest.mark.slow  # leave out with -m 'not slow'

CORES = (16, 32, 64, 128)
TABLE_CPUS = ("sapphirerapids", "emeraldrapids", "znver4", "znver5", "neoverse-v2")
LOGS = sorted(p.parent for p in (Path(REPO) / "tuning_logs").glob("*/target.json"))
CONFIG = LayerConfig()


def _targets():
    for cores in CORES:
        with simulated_host(many_core_probe(cores, SERVER_CACHES)):
            yield f"this-cpu-{cores}c", host_target(), DefaultSchedules()
        for cpu in TABLE_CPUS:
            yield f"{cpu}-{cores}c", parse_target(f"llvm -mcpu={cpu} -num-cores {cores}"), DefaultSchedules()
        for log in LOGS:
            opened = TuningLog.open(log)
            yield f"{log.name}-log-{cores}c", opened.target.with_cores(cores), tuned_schedules(opened)


TARGETS = list(_targets())


def _scheduled(target, source):
    kernels = CompiledKernels(target, source, check_isa=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a log without a kernel's record: the default, warned elsewhere
        return {kernels.spec(op, **params): kernels.scheduled(kernels.spec(op, **params))
                for op, params in CONFIG.kernels()}


def _work(spec, func, tokens: int, threads: int):
    return thread_work(func, -(-tokens // spec.token_tile), threads)


@pytest.mark.parametrize("name,target,source", TARGETS, ids=[t[0] for t in TARGETS])
def test_every_core_gets_work(name, target, source):
    cores = target.profile.cores
    known = operators()
    problems = []
    scheduled = _scheduled(target, source)
    for spec, func in scheduled.items():
        if known[spec.op].max_tokens:
            continue  # a decode kernel: checked at the token counts it serves, below
        for tokens in (4096, 65536):
            work = _work(spec, func, tokens, cores)
            if work.busy_threads < cores or work.efficiency < 0.9:
                problems.append(f"{spec.name} at {tokens} tokens: {work.busy_threads}/{cores} threads busy, "
                                f"efficiency {work.efficiency:.2f}")
    by_op = {(s.op, s.bf16): (s, f) for s, f in scheduled.items()}
    for tokens in (1, 17, 64):
        for bf16 in (False, True):
            for family in FAMILIES:
                for op, params in family.inference(CONFIG, bf16, tokens, cores):
                    spec, func = by_op[(op, bool(params.get("bf16")))]
                    work = _work(spec, func, tokens, cores)
                    wanted = cores if op.startswith("gather") else min(cores, _front_end_tasks(spec, target, tokens))
                    if work.busy_threads < wanted:
                        problems.append(f"{spec.name} at {tokens} tokens: {work.busy_threads}/{cores} threads busy "
                                        f"(want {wanted})")
    assert not problems, f"{name}:\n" + "\n".join(problems)


def _front_end_tasks(spec, target, tokens: int = 1) -> int:
    """The tasks a small front end or a small stage offers: one per repeat, block and output
    vector of a stage (16 lanes with bf16_dot: one vdpbf16ps; the input gradient of a shared
    input has one repeat)."""
    lanes = DOT_LANES if spec.bf16_dot else vector_lanes(spec["b"], target.profile)
    return min(spec["r"], spec.get("r_in", spec["r"])) * spec["nb"] * spec["b"] // lanes


def test_the_analysis_sees_an_unbalanced_schedule():
    """A token loop blocked for more tokens than the batch (the pre-fix gather's structure) is
    reported: a parallel loop of 512 chunks where 4096 tokens fill 64 puts them all on 2 of 16."""
    from lookup_tvm.cpu.tvm_api import T

    @T.prim_func
    def blocked(x: T.handle, y: T.handle):
        batch = T.int32()
        X = T.match_buffer(x, (batch, 8), "float32")
        Y = T.match_buffer(y, (batch, 8), "float32")
        for block in range((batch + 32767) // 32768):
            for chunk in T.parallel(512):
                for t, d in T.grid(64, 8):
                    if block * 32768 + chunk * 64 + t < batch:
                        Y[block * 32768 + chunk * 64 + t, d] = X[block * 32768 + chunk * 64 + t, d]

    work = thread_work(blocked, 4096, 16)
    assert work.busy_threads == 2 and work.total == 4096 * 8
    assert work.efficiency == pytest.approx(2 / 16)
    assert thread_work(blocked, 32768, 16).efficiency == 1.0


@pytest.mark.parametrize("tokens", [1, 17, 100, 4099])
def test_many_core_schedules_match_the_reference(tokens, tmp_path):
    """Kernels scheduled for 64 cores (gather ranges, table groups, weight-gradient tasks, fold
    row ranges) run here on 2 threads and match the reference."""
    target = parse_target({"kind": "llvm", "num-cores": 64})
    kernels = CompiledKernels(target, cache_dir=tmp_path)
    h, rows, d_out = 6, 16, 40
    codes = torch.randint(0, rows, (tokens, h), dtype=torch.int32)
    scores, tables = torch.randn(tokens, h), torch.randn(h, rows, d_out)
    want = R.gather_accumulate(codes, scores, tables)
    for op in ("gather", "gather_small"):
        out = torch.empty(tokens, d_out)
        kernels.get(op, h=h, rows=rows, d_out=d_out)(codes, scores, tables, out)
        assert_close(out, want)
    known = operators()
    for op, params in LayerConfig(d=64, h=8, tau=4, b=16).kernels():
        if op.startswith(("bh4_fold", "bh4_weight_grad")):
            spec = kernels.spec(op, **params)
            assert known[op].check(kernels, spec, tokens) <= known[op].tolerance(spec), spec.name


def test_a_log_from_fewer_cores_is_resized():
    """A 2-core log used for 64 cores: a kernel with knobs sized from cores takes the 64-core
    defaults for all its knobs (they were tuned together); one without keeps the log's choice."""
    log = TuningLog.open(Path(REPO) / "tuning_logs" / "znver3-2c")
    big = log.target.with_cores(64)
    source = tuned_schedules(log)
    known = operators()
    for op, params in CONFIG.kernels():
        operator = known[op]
        spec = source.layout(operator, CompiledKernels(big, check_isa=False).spec(op, **params), big)
        if operator.schedule is None:
            default = operator.layout(spec.__class__.make(op, **params), big.profile)
            assert all(spec[k] == default[k] for k in operator.sized), spec.name
            continue
        choice = source.choice(operator, spec, big)
        default = operator.default_choice(spec, big.profile)
        entry = source.entries.get(operator.kernel_key(dict(spec.params)))
        if entry is None:  # a kernel the log lacks (the quantized gathers, added since): the defaults
            assert choice == default, spec.name
            continue
        recorded = entry["choice"]
        assert choice == (default if operator.sized & set(default) else {**default, **recorded}), spec.name


COLUMN_CHUNKS = {"gather": lambda spec: spec["d_out"] // 32}  # chunks of at least 2 cache lines: its tasks at 1 token


def _tasks_per_token(spec, target) -> int:
    """The tasks a small-batch kernel offers at one token: the decode gather one per core or
    more, the small hashes one per table, the small stages (and the small front end) one per
    repeat, block and output vector of a stage (:func:`_front_end_tasks`)."""
    if spec.op.startswith("gather"):
        return target.profile.cores
    if spec.op.startswith("hash"):
        return spec["h"]
    return _front_end_tasks(spec, target)


@pytest.mark.parametrize("name,target,source", TARGETS[::6], ids=[t[0] for t in TARGETS[::6]])
def test_every_kernel_gives_every_core_work_at_1_and_17_tokens(name, target, source):
    """Every kernel that serves calls of 1 and 17 tokens (those with ``min_tokens`` above that are
    not called there: their family runs the small-batch kernel) keeps every core busy, up to the
    tasks it offers per token."""
    cores = target.profile.cores
    known = operators()
    problems = []
    for spec, func in _scheduled(target, source).items():
        operator = known[spec.op]
        for tokens in (1, 17):
            if tokens < (operator.min_tokens or 1):
                continue
            if spec.op in COLUMN_CHUNKS:
                wanted = min(cores, COLUMN_CHUNKS[spec.op](spec))
            else:
                wanted = min(cores, _tasks_per_token(spec, target)) if operator.max_tokens else cores
            work = _work(spec, func, tokens, cores)
            if work.busy_threads < wanted:
                problems.append(f"{spec.name} at {tokens} tokens: {work.busy_threads}/{cores} threads busy "
                                f"(want {wanted})")
    assert not problems, f"{name}:\n" + "\n".join(problems)
