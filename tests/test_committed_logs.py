"""Every committed tuning log, on any CPU: its MetaSchedule database opens in a fresh process
(where only ``import lookup_tvm.tuning`` has registered our tensor intrinsics: through TVM's own
``JSONDatabase`` and as ``tune.py`` resumes it), every record's trace replays onto its workload
(structurally: nothing is built or run), no record is dead (a workload no kernel defines today),
and the README's table of committed logs states the log's coverage as it is."""
import json
import re
from pathlib import Path

import pytest

from conftest import REPO, run_python

pytestmark = pytest.mark.slow  # leave out with -m 'not slow'

LOGS = sorted(p for p in (Path(REPO) / "tuning_logs").iterdir() if (p / "target.json").exists())

AUDIT = """
import json, sys
from pathlib import Path
import lookup_tvm.tuning
from tvm.s_tir.meta_schedule.database import JSONDatabase
directory = Path(sys.argv[1])
opened = len(JSONDatabase(str(directory / "database_workload.json"), str(directory / "database_tuning_record.json")))
from lookup_tvm.tuning.coverage import audit_log
audit = audit_log(directory)
print(json.dumps({"problems": audit.problems, "dead": audit.dead, "records": audit.records, "opened": opened,
                  "coverage": audit.coverage.line()}))
"""


def _audit(directory: Path) -> dict:
    done = run_python(f"import sys; sys.argv = ['audit', {str(directory)!r}]\n{AUDIT}", timeout=600)
    assert done.returncode == 0, f"{directory.name}: auditing the log failed:\n{done.stderr[-3000:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def _readme_row(name: str) -> str:
    rows = [line for line in (Path(REPO) / "README.md").read_text().splitlines() if line.startswith(f"| `{name}` |")]
    assert len(rows) == 1, f"README.md's table of committed logs needs one row for {name}"
    return rows[0]


@pytest.mark.parametrize("directory", LOGS, ids=lambda p: p.name)
def test_committed_log_loads_and_replays_in_a_fresh_process(directory):
    audit = _audit(directory)
    assert audit["opened"] == audit["records"] > 0
    assert audit["problems"] == [], "\n".join(audit["problems"])
    assert audit["dead"] == 0, (
        f"{directory.name}: {audit['dead']} of {audit['records']} records are dead (no kernel defines their workload "
        "today): tune the log again on its CPU, or remove them with lookup_tvm.tuning.coverage.prune_dead_records")
    assert audit["coverage"] in _readme_row(directory.name), (
        f"README.md's row for {directory.name} must state its coverage: {audit['coverage']}")


def test_opening_a_log_registers_every_intrinsic_its_records_name():
    """Beyond the default schedules' intrinsics (registered on import): any AMX tile shape and the
    emulated dot product, read off the records' text."""
    from lookup_tvm.cpu.tvm_api import TensorIntrin
    from lookup_tvm.ops import register_intrinsics

    text = ('["lookup_tvm_amx_r8_c48_p64_s16"], ["lookup_tvm_dpbf16ps_16x2_emulated"], '
            '["lookup_tvm_amx_r4_c16_p8_s8_emulated"]')
    names = register_intrinsics(text)
    assert names == ["lookup_tvm_amx_r4_c16_p8_s8_emulated", "lookup_tvm_amx_r8_c48_p64_s16",
                     "lookup_tvm_dpbf16ps_16x2_emulated"]
    for name in names:
        assert TensorIntrin.get(name) is not None


def test_a_record_that_does_not_replay_is_named_with_its_log_and_kernel(tmp_path):
    """A record whose trace names a block its workload lacks: the audit names the log and the
    kernel, and pruning removes it (and only it)."""
    source = next(d for d in LOGS if d.name.startswith("znver3"))
    log = tmp_path / source.name
    log.mkdir()
    for path in source.glob("*.json"):
        (log / path.name).write_text(path.read_text())
    records = (log / "database_tuning_record.json").read_text().splitlines()
    broken = records[0].replace('"main"]', '"main_no_such_block"]', 1).replace('["root","main"]', '["nothere","main"]')
    assert broken != records[0]
    (log / "database_tuning_record.json").write_text("\n".join([broken, *records[1:]]) + "\n")
    from lookup_tvm.tuning.coverage import audit_log, prune_dead_records

    before = audit_log(log)
    problems, dead = before.problems, before.dead
    removed = prune_dead_records(log)
    after = audit_log(log)
    after_problems, after_dead, after_records = after.problems, after.dead, after.records
    assert dead == 1 and removed == 1, problems
    assert len(problems) == 2 and "the database does not open" in problems[0], problems  # as tune.py would find it
    assert str(log) in problems[1] and "does not replay" in problems[1]
    assert re.search(r": (hash|bh4|gather|front_end)\w*-[\w-]+: the record", problems[1]), problems[1]
    assert after_problems == [] and after_dead == 0 and after_records == len(records) - 1
