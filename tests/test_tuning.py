"""Tuning: a small real MetaSchedule run, reloading it in a new process, interruption,
corrupt and foreign logs, ISA mismatches, and measuring through an RPC tracker."""
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from conftest import REPO, run_python
from lookup_tvm.config import LayerConfig
from lookup_tvm.ops import kernel_key
from lookup_tvm.kernels import CompiledKernels, UnsupportedTargetError
from lookup_tvm.cpu.resolve import parse_target
from lookup_tvm.sources.logs import TuningLog, TuningLogError
from lookup_tvm.tuning.tuner import TuneOptions, tune_all

pytestmark = pytest.mark.slow  # leave out with -m 'not slow'

TINY = LayerConfig(d=16, h=4, tau=3, b=4, d_out=12)
TARGET = "llvm -mcpu=host -num-cores 1"  # this machine's CPU: the tuned code runs here
OPS = ("gather", "gather_small", "gather_table_grad", "hash", "bh4")
FLOAT_GATHERS = "gather-d_out12-h4-rows8,gather-bf161-d_out12-h4-rows8"  # --ops by kernel key: not the int8 one


@pytest.fixture(scope="module")
def tuned_log(tmp_path_factory):
    directory = tmp_path_factory.mktemp("log")
    options = TuneOptions(parse_target(TARGET), TINY, directory, tokens=64, trials=3, ops=OPS)
    with open(os.devnull, "w") as out:
        log = tune_all(options, out=out)
    return log


def test_tuning_writes_database_summary_and_target(tuned_log):
    directory = tuned_log.directory
    target = json.loads((directory / "target.json").read_text())
    assert target["target"] == dict(parse_target(TARGET).attrs) and target["measured_on"]["cpu_model"]
    assert target["versions"]["tvm"].startswith("0.27")
    records = (directory / "database_tuning_record.json").read_text().splitlines()
    assert len(records) >= 3
    kinds = {entry["op"] for entry in tuned_log.summary.values()}
    assert kinds == set(OPS)
    for entry in tuned_log.summary.values():
        assert entry["tokens"] == 64 and entry["trials"] >= 1 and entry["best_ms"] > 0
        assert entry.get("choice") or entry.get("layout")
        assert entry["verified"] and entry["error"] <= 1e-4


def test_decode_kernels_are_compared_at_every_batch_they_serve(tuned_log):
    """The small-batch gather's candidates are measured cold at 1, 8 and 64 tokens and at the
    largest batch it serves, the large gather's (``cold_timing``) cold at the count it was tuned
    at; the others are re-timed warm at that count."""
    from lookup_tvm.ops.dispatch import SMALL_TOKENS

    for entry in tuned_log.summary.values():
        timed = entry.get("timed_at")
        if entry["op"] == "gather_small":
            assert set(timed) == {"1", "8", "64", str(SMALL_TOKENS["gather"])}
        elif entry["op"] == "gather" and timed is not None:  # None where the search found only the default
            assert set(timed) == {str(entry["tokens"])}
        else:
            assert timed is None
        assert all(t["kept_ms"] > 0 for t in (timed or {}).values())


def test_rerun_resumes_without_new_trials(tuned_log):
    before = (tuned_log.directory / "database_tuning_record.json").read_text()
    options = TuneOptions(parse_target(TARGET), TINY, tuned_log.directory, tokens=64, trials=3, ops=OPS)
    with open(os.devnull, "w") as out:
        tune_all(options, out=out)
    assert (tuned_log.directory / "database_tuning_record.json").read_text() == before


def test_new_process_uses_the_tuned_kernels(tuned_log):
    proc = run_python(f"""
    import torch, lookup_tvm
    from lookup_tvm import functional as F, reference as R
    kernels = lookup_tvm.use_tuning_logs({str(tuned_log.directory)!r})
    assert kernels.source.identity.startswith("chosen-"), kernels.source.identity
    codes = torch.randint(0, 8, (37, 4), dtype=torch.int32); scores = torch.randn(37, 4, requires_grad=True)
    tables = torch.randn(4, 8, 12, requires_grad=True)
    out = F.gather_accumulate(codes, scores, tables); ref = R.gather_accumulate(codes, scores, tables)
    assert torch.allclose(out, ref, atol=1e-5)
    g = torch.randn_like(out)
    assert torch.allclose(torch.autograd.grad(out, tables, g)[0], torch.autograd.grad(ref, tables, g)[0], atol=1e-5)
    x = torch.randn(37, 16); w = torch.randn(1, 4, 4, 4, 4) / 8
    with torch.no_grad():
        got, want = F.bh4(x, w), R.bh4(x, w)
    assert (got - want).abs().max() <= 2e-5 * want.abs().max()
    spec = kernels.spec("gather_table_grad", h=4, rows=8, d_out=12)
    print("tuned layout", dict(spec.params))
    """)
    assert proc.returncode == 0, proc.stderr[-3000:]
    layout = tuned_log.summary["gather_table_grad-d_out12-h4-rows8"]["layout"]
    assert f"'token_block': {layout['token_block']}" in proc.stdout


def test_exported_schedules_load_without_database(tuned_log, tmp_path):
    from lookup_tvm.tuning.export import export_schedules
    from lookup_tvm.sources.chosen import exported_schedules

    directory = export_schedules(tuned_log, TINY, tmp_path / "schedules")
    scripts = sorted(p.name for p in directory.glob("*.py"))
    assert any(name.startswith("gather-") for name in scripts)
    assert "T.prim_func" in (directory / scripts[0]).read_text() or "def main" in (directory / scripts[0]).read_text()
    source = exported_schedules(directory)
    kernels = CompiledKernels(TARGET, source, cache_dir=tmp_path / "cache")
    kernel = kernels.get("hash", h=4, tau=3)
    z = torch.randn(9, 4, 3)
    codes, scores = torch.empty(9, 4, dtype=torch.int32), torch.empty(9, 4)
    kernel(z, codes, scores)
    from lookup_tvm import reference as R

    assert torch.equal(codes, R.hash_codes(z)[0])


def test_corrupt_record_in_the_middle_names_the_file(tuned_log, tmp_path):
    copy = tmp_path / "log"
    subprocess.run(["cp", "-r", str(tuned_log.directory), str(copy)], check=True)
    records = copy / "database_tuning_record.json"
    lines = records.read_text().splitlines()
    lines[0] = lines[0][:40]
    records.write_text("\n".join(lines) + "\n")
    with pytest.raises(TuningLogError, match="database_tuning_record.json: line 1"):
        TuningLog.open(copy)


def test_truncated_last_record_is_dropped_and_the_rest_kept(tuned_log, tmp_path):
    copy = tmp_path / "log"
    subprocess.run(["cp", "-r", str(tuned_log.directory), str(copy)], check=True)
    records = copy / "database_tuning_record.json"
    complete = records.read_text().splitlines()
    records.write_text("\n".join(complete) + "\n" + complete[-1][:25])
    with pytest.warns(UserWarning, match="truncated last line"):
        TuningLog.open(copy)
    assert records.read_text().splitlines() == complete


def test_foreign_and_damaged_target_descriptions(tuned_log, tmp_path):
    with pytest.raises(TuningLogError, match="tuned for"):
        TuningLog.open(tuned_log.directory, parse_target("llvm -mcpu=haswell -num-cores 1"))
    copy = tmp_path / "log"
    subprocess.run(["cp", "-r", str(tuned_log.directory), str(copy)], check=True)
    (copy / "target.json").write_text("{ broken")
    with pytest.raises(TuningLogError, match="target.json"):
        TuningLog.open(copy)
    with pytest.raises(TuningLogError, match="no tuning log"):
        TuningLog.open(tmp_path / "empty")


# An extension no CPU of today has (AMX-FP8 is announced for Diamond Rapids).
FUTURE_TARGET = {"kind": "llvm", "mcpu": "sapphirerapids", "num-cores": 1, "mattr": ["+amx-fp8"]}


def test_isa_mismatch_is_refused_before_running():
    with pytest.raises(UnsupportedTargetError, match="amx-fp8"):
        CompiledKernels(FUTURE_TARGET)
    CompiledKernels(FUTURE_TARGET, check_isa=False)  # compiling for another machine stays possible


@pytest.mark.parametrize("target,words", [(json.dumps(FUTURE_TARGET), "amx-fp8"),
                                          ("llvm -mcpu=neoverse-v2", "aarch64 architecture")])
def test_tune_script_refuses_isa_mismatch_without_rpc(target, words):
    proc = subprocess.run([sys.executable, "scripts/tune.py", "--target", target],
                          capture_output=True, text=True, cwd=REPO, timeout=120)
    assert proc.returncode == 2 and words in proc.stderr


def _records(directory: Path) -> int:
    path = directory / "database_tuning_record.json"
    return len(path.read_text().splitlines()) if path.exists() else 0


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_interrupted_run_keeps_completed_records(tmp_path, sig):
    command = [sys.executable, "scripts/tune.py", "--target", TARGET, "--config", "d=16,h=4,tau=3,b=4,d_out=12",
               "--tokens", "64", "--trials", "4", "--work-dir", str(tmp_path), "--schedules-dir",
               str(tmp_path / "schedules"), "--ops", "gather-d_out12-h4-rows8,hash", "--no-report"]
    proc = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    deadline = time.time() + 240
    while _records(tmp_path) < 2 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
    os.killpg(proc.pid, sig)
    proc.wait(timeout=60)
    kept = _records(tmp_path)
    assert kept >= 2
    log = TuningLog.open(tmp_path)
    assert _records(tmp_path) >= kept - 1  # at most a line cut mid-write is dropped
    rerun = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stdout[-3000:] + rerun.stderr[-3000:]
    tuned = [op for op, _ in LayerConfig.parse("d=16,h=4,tau=3,b=4,d_out=12").kernels()
             if op == "hash" or kernel_key(op, _) == "gather-d_out12-h4-rows8"]  # the float32 gather and the hash
    assert len(TuningLog.open(tmp_path).summary) == len(tuned) == 2
    assert _records(tmp_path) >= kept - 1
    del log


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_measuring_through_an_rpc_tracker(tmp_path):
    from lookup_tvm.tuning import metaschedule

    tracker_port, server_port = _free_port(), _free_port()
    env = {**os.environ, "PYTHONPATH": REPO}
    tracker = subprocess.Popen([sys.executable, "-m", "tvm.exec.rpc_tracker", "--host", "127.0.0.1",
                                "--port", str(tracker_port), "--port-end", str(tracker_port + 1)], env=env,
                               start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = None
    try:
        time.sleep(2)
        server = subprocess.Popen([sys.executable, "-m", "tvm.exec.rpc_server", "--host", "127.0.0.1",
                                   "--port", str(server_port), "--port-end", str(server_port + 1),
                                   "--tracker", f"127.0.0.1:{tracker_port}",
                                   "--key", "lookup-test"], env=env, start_new_session=True,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        rpc = metaschedule.rpc_config(f"127.0.0.1:{tracker_port}", "lookup-test")
        deadline, servers = time.time() + 60, 0
        while time.time() < deadline and not servers:
            try:
                servers = rpc.count_num_servers()
            except RuntimeError:
                time.sleep(0.5)
        assert servers == 1, "the RPC server did not register with the tracker"
        options = TuneOptions(parse_target(TARGET), TINY, tmp_path, tokens=64, trials=2, rpc=rpc,
                              ops=tuple(FLOAT_GATHERS.split(",")))
        unnamed = logging.StreamHandler(open(os.devnull, "w"))  # an application's handler: MetaSchedule chokes on it
        logging.getLogger("tvm.s_tir.meta_schedule").addHandler(unnamed)
        try:
            with open(os.devnull, "w") as out:
                log = tune_all(options, out=out)
            assert unnamed in logging.getLogger("tvm.s_tir.meta_schedule").handlers  # put back after tuning
        finally:
            logging.getLogger("tvm.s_tir.meta_schedule").removeHandler(unnamed)
            unnamed.stream.close()
        assert len(log.summary) == 2  # the gather in float32 and bfloat16 storage
        assert all(entry["best_ms"] < 1e6 and entry["choice"] for entry in log.summary.values())
    finally:
        for proc in (server, tracker):
            if proc is not None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=30)


def test_a_wrong_choice_is_rejected_for_the_next_correct_one(tmp_path):
    """The verification step keeps the first candidate whose kernel matches the reference."""
    import dataclasses

    from lookup_tvm.ops import operators
    from lookup_tvm.tuning.tuner import _first_correct

    gather = operators()["gather"]
    wrong = {"cols": 4, "order": 0, "register_tables": 0, "tables": 4, "tokens": 64, "unroll": 1}

    def check(kernels, spec, tokens):
        chosen = next(iter(kernels.source.entries.values()))["choice"]
        return float("inf") if chosen == wrong else gather.check(kernels, spec, tokens)

    operator = dataclasses.replace(gather, check=check)
    spec = CompiledKernels(TARGET).spec("gather", h=4, rows=8, d_out=12)
    right = {**wrong, "tables": 2}
    with open(os.devnull, "w") as out:
        kept = _first_correct(operator, spec, parse_target(TARGET), [{"choice": wrong}, {"choice": right}], out)
    assert kept["choice"] == right and kept["verified"] and kept["rejected"][0]["choice"] == wrong


def test_exported_schedules_refuse_unknown_knobs_and_duplicates(tuned_log, tmp_path):
    from lookup_tvm.tuning.export import export_schedules
    from lookup_tvm.sources.chosen import exported_schedules

    directory = export_schedules(tuned_log, TINY, tmp_path / "schedules")
    (gather,) = [p for p in directory.glob("gather-d_out*.json") if "table_bits" not in p.name]  # float32 storage
    data = json.loads(gather.read_text())
    stale = directory / "gather-old-layout.json"
    stale.write_text(json.dumps(data))
    with pytest.raises(TuningLogError, match="both hold"):
        exported_schedules(directory)
    export_schedules(tuned_log, TINY, directory)  # re-export removes the stale file
    assert not stale.exists() and gather.exists()
    gather.write_text(json.dumps({**data, "choice": {**data["choice"], "tokens_per_block": 3}}))
    with pytest.raises(TuningLogError, match="tokens_per_block"):
        exported_schedules(directory)


def test_a_log_from_another_core_count_is_used_with_this_hosts_threads(tuned_log, tmp_path):
    """Logs travel between machine sizes: a 1-core log picked for a host with more cores."""
    import dataclasses

    from lookup_tvm.cpu.host import current_probe
    from lookup_tvm.sources.selection import select_host_log

    here = current_probe()
    bigger = dataclasses.replace(here, cores=here.cores + 14)
    selection = select_host_log(bigger, roots=[tuned_log.directory])
    assert selection.log.directory == tuned_log.directory and selection.warning is None
    assert selection.target.attrs["num-cores"] == here.cores + 14


def test_records_and_choices_of_an_older_search_space_are_passed_over(tuned_log, tmp_path):
    """After an operator's knobs change, its old records stay in the database but are not
    chosen, and a stale summary choice is not exported (the kernel runs its default)."""
    import dataclasses
    import shutil

    from lookup_tvm.ops import operators
    from lookup_tvm.tuning import metaschedule
    from lookup_tvm.tuning.export import export_schedules

    kernels = CompiledKernels(tuned_log.target, check_isa=False)
    spec = kernels.spec("gather", h=4, rows=8, d_out=12)
    operator = operators()["gather"]
    func = operator.tuning_func(spec, 64)  # as tuned: 64 tokens
    database = metaschedule.open_database(tuned_log.directory, allow_missing=False)
    assert metaschedule.records_in_space(database, operator, spec, func, tuned_log.target, 1)
    renamed = dataclasses.replace(operator, knobs=lambda s, p: {
        ("unroll_outer" if k == "unroll" else k): v for k, v in operator.knobs(s, p).items()})
    assert metaschedule.records_in_space(database, renamed, spec, func, tuned_log.target, 8) == []
    assert metaschedule.ranked_choices(database, renamed, spec, func, tuned_log.target, 8) == []

    copy = tmp_path / "log"
    shutil.copytree(tuned_log.directory, copy)
    log = TuningLog.open(copy)
    directory = export_schedules(log, TINY, tmp_path / "schedules")
    (gather,) = [p for p in directory.glob("gather-d_out*.json") if "table_bits" not in p.name]  # float32 storage
    key = next(k for k, e in log.summary.items() if e["op"] == "gather" and "bf16" not in e["params"])
    log.summary[key]["choice"] = {**log.summary[key]["choice"], "retired_knob": 1}
    with pytest.warns(UserWarning, match="not in its search space"):
        export_schedules(log, TINY, directory)
    assert not gather.exists() and not gather.with_suffix(".py").exists()
