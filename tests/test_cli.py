"""The ``lookup-tvm`` command line: its dispatch, ``logs``, and where tuning writes and logs are
found outside a source checkout (the user's folder, no environment variable needed)."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import REPO as _REPO
from lookup_tvm import cli
from lookup_tvm.sources import selection

REPO = Path(_REPO)


def test_unknown_commands_and_help():
    assert cli.main(["--help"]) == 0
    assert cli.main([]) == 2
    assert cli.main(["frobnicate"]) == 2


def test_every_command_answers_help():
    for name in cli.COMMANDS:
        proc = subprocess.run([sys.executable, "-m", "lookup_tvm.cli", name, "--help"], cwd=REPO, capture_output=True,
                              text=True, timeout=120)
        assert proc.returncode == 0 and "usage" in proc.stdout, (name, proc.stderr[-2000:])


def test_logs_lists_the_committed_logs_and_the_one_in_use():
    proc = subprocess.run([sys.executable, "-m", "lookup_tvm.cli", "logs", "--json"], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    listed = json.loads(proc.stdout)
    names = {p.name for p in (REPO / "tuning_logs").iterdir() if (p / "target.json").exists()}
    assert names <= {json_row["log"].rsplit("/", 1)[-1] for json_row in listed["logs"]}
    assert sum(row["used_here"] for row in listed["logs"]) == (listed["used"] is not None)


def test_outside_a_checkout_tuning_writes_to_the_user_folder_and_the_kernels_find_it(tmp_path, monkeypatch):
    """An installed package (no checkout beside it): ``tune`` writes under $LOOKUP_TVM_HOME (else
    $XDG_DATA_HOME/lookup_tvm), and the selection finds the logs there, after the repository's."""
    checkout = selection.select_host_log()
    monkeypatch.setattr(selection, "in_checkout", lambda: False)
    monkeypatch.setattr(selection, "CHECKOUT_LOGS", tmp_path / "no-checkout")
    monkeypatch.setattr(selection, "INSTALLED_LOGS", tmp_path / "no-install")
    monkeypatch.delenv("LOOKUP_TVM_TUNING_LOGS", raising=False)
    monkeypatch.delenv("LOOKUP_TVM_HOME", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert selection.tuning_home() == (tmp_path / "data" / "lookup_tvm" / "tuning_logs",
                                       tmp_path / "data" / "lookup_tvm" / "schedules")
    monkeypatch.setenv("LOOKUP_TVM_HOME", str(tmp_path / "home"))
    logs, _ = selection.tuning_home()
    assert logs == tmp_path / "home" / "tuning_logs"
    nothing = selection.select_host_log()
    assert nothing.log is None and "default schedules" in nothing.warning
    shutil.copytree(REPO / "tuning_logs", logs, ignore=shutil.ignore_patterns("work"))
    found = selection.select_host_log()
    assert (found.log is None) == (checkout.log is None)
    if found.log is not None:
        assert found.log.directory.parent == logs and found.log.directory.name == checkout.log.directory.name
