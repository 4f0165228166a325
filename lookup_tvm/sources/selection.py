"""Which tuning log the host's kernels use, in one documented order of precedence:

1. an explicitly named log (``use_tuning_logs(path)`` or ``$LOOKUP_TVM_TUNING_LOGS``, a log
   directory or a folder of them): a corrupt or foreign log, or one whose code this host
   cannot run, raises;
2. a log for this host's target measured on this CPU model;
3. a log for the same target (same ``-mcpu`` and features) measured on another CPU model,
   with one warning naming where it was measured;
4. the nearest log (:func:`nearest_log`): another CPU's whose code this host can run, the
   same vendor first, then the most ISA extensions shared with the host, its choices used
   for the host's own target, with one warning naming it;
5. the default schedules, with one warning giving the command to tune.

Core counts and caches need not match: a log tuned with 2 cores runs on a 16-core host with
the host's thread count, each operator's ``sized`` knobs (those its defaults derive from cores
and caches) re-sized to the host, the others kept.
Automatically found logs never break a forward pass: a damaged one is skipped with a
warning. Logs are looked up in the source checkout's ``tuning_logs/``, in the copy installed
with the package (``lookup_tvm/tuning_logs``) and, after those, in the user's own
(:func:`user_data_dir`, where ``lookup-tvm tune`` writes when there is no checkout); of two
logs that rank alike in 2 or 3 (the same target and CPU), the user's is taken.
"""
from __future__ import annotations

import dataclasses
import os
import warnings
from pathlib import Path

from lookup_tvm.config import configs_in_use
from lookup_tvm.cpu.host import HostProbe, current_probe
from lookup_tvm.cpu.isa import host_isa, missing_isa, target_isa
from lookup_tvm.cpu.resolve import host_target
from lookup_tvm.cpu.target import TargetSpec
from lookup_tvm.sources.logs import TuningLog, TuningLogError, measured_model, read_target_file

PACKAGE = Path(__file__).resolve().parent.parent
CHECKOUT_LOGS = PACKAGE.parent / "tuning_logs"
INSTALLED_LOGS = PACKAGE / "tuning_logs"


def user_data_dir() -> Path:
    """The user's lookup_tvm folder: ``$LOOKUP_TVM_HOME``, else ``$XDG_DATA_HOME/lookup_tvm``,
    else ``~/.local/share/lookup_tvm``; its ``tuning_logs/`` and ``schedules/`` hold what
    ``lookup-tvm tune`` measured outside a source checkout."""
    home = os.environ.get("LOOKUP_TVM_HOME")
    if home:
        return Path(home)
    data = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data) / "lookup_tvm"


def in_checkout() -> bool:
    """Whether the package runs from a source checkout (an editable install): its
    ``tuning_logs/`` beside the package."""
    return CHECKOUT_LOGS.is_dir() and (PACKAGE.parent / "pyproject.toml").is_file()


def tuning_home() -> tuple[Path, Path]:
    """Where tuning writes (log folders, readable schedules): the checkout's ``tuning_logs/`` and
    ``schedules/`` in a source checkout, else the user's (:func:`user_data_dir`)."""
    base = PACKAGE.parent if in_checkout() else user_data_dir()
    return base / "tuning_logs", base / "schedules"


def host_tune_command() -> str:
    """The command that tunes this host: one per layer config in use (``--config``), or the
    default config's when none is built yet."""
    base = "lookup-tvm tune --target host"
    return " ; ".join(f"{base} --config {c.cli()}" for c in configs_in_use()) or base


@dataclasses.dataclass
class Selection:
    """The log chosen for the host (None: default schedules), the target its kernels are
    built for, and the warning to give once (None: nothing to say)."""

    log: TuningLog | None
    target: TargetSpec
    warning: str | None


def log_roots() -> tuple[list[Path], bool]:
    """Where logs are looked up, in order (the checkout's, the installed copy, the user's), and
    whether they were named explicitly."""
    env = os.environ.get("LOOKUP_TVM_TUNING_LOGS")
    if env:
        return [Path(env)], True
    roots = (CHECKOUT_LOGS, INSTALLED_LOGS, user_data_dir() / "tuning_logs")
    return [root for root in dict.fromkeys(roots) if root.is_dir()], False


def log_directories(root: Path) -> list[Path]:
    if (root / "target.json").exists():
        return [root]
    if not root.is_dir():
        return []
    return sorted(d for d in root.iterdir() if (d / "target.json").exists())


def _readable_logs(roots: list[Path], skip):
    """(directory, target, info) of every log under ``roots`` whose target file reads;
    ``skip(err)`` handles a damaged one."""
    for root in roots:
        for directory in log_directories(root):
            try:
                logged, info = read_target_file(directory)
            except TuningLogError as err:
                skip(err)
                continue
            yield directory, logged, info


def same_code(a: TargetSpec, b: TargetSpec) -> bool:
    """Whether two targets compile to the same code (all attributes but ``num-cores``)."""
    strip = lambda t: {k: v for k, v in t.attrs.items() if k != "num-cores"}  # noqa: E731
    return strip(a) == strip(b)


def select_host_log(probe: HostProbe | None = None, roots: list[Path] | None = None) -> Selection:
    """The log the host's kernels use, by the precedence in this module's docstring.
    ``roots`` replaces the automatic folders (:func:`log_roots`)."""
    probe = probe or current_probe()
    host = host_target(probe)
    roots, explicit = (roots, False) if roots is not None else log_roots()
    def skip(err: TuningLogError) -> None:
        if explicit:
            raise err
        warnings.warn(f"skipping a damaged tuning log: {err}", stacklevel=4)

    ranked = []
    for directory, logged, info in _readable_logs(roots, skip):
        if same_code(logged, host):
            here = measured_model(info) == probe.cpu_model
            users = directory.parent == user_data_dir() / "tuning_logs"  # tuned by this user: before shipped logs
            ranked.append(((not here, logged.profile.cores != probe.cores, not users, str(directory)), directory, info))
    for (elsewhere, *_), directory, info in sorted(ranked, key=lambda item: item[0]):
        try:
            log = TuningLog.open(directory)
        except TuningLogError as err:
            skip(err)
            continue
        warning = None
        if elsewhere:
            cores = (info.get("measured_on") or {}).get("cores", "?")
            warning = (f"using the tuning log {directory}: tuned for {host.mcpu} but measured on "
                       f"{measured_model(info) or 'an unknown CPU'} ({cores} cores), not on this "
                       f"{probe.cpu_model}; tune here with: {host_tune_command()}")
        return Selection(log, log.target.with_cores(probe.cores), warning)
    nearest = nearest_log(host, probe, roots, skip)
    if nearest is not None:
        log, info = nearest
        warning = (f"no tuning log for this CPU ({host.key}, {probe.cpu_model}); using the nearest one, "
                   f"{log.directory} (tuned for {log.target.mcpu} on {measured_model(info) or 'an unknown CPU'}), "
                   f"re-sized to this host's cores and caches. Tune here with: {host_tune_command()}")
        return Selection(log, host, warning)
    where = ", ".join(map(str, roots)) or "no log folder"
    return Selection(None, host, f"no tuning log for this CPU ({host.key}, {probe.cpu_model}) in {where}; using the "
                                 f"default schedules. Tune with: {host_tune_command()}")


def cpu_vendor(mcpu: str) -> str:
    """The vendor of an LLVM CPU name, as far as log choice cares: ``amd`` (``znver*``), else
    ``intel`` on x86, ``arm`` for Arm cores."""
    if mcpu.startswith("znver"):
        return "amd"
    if mcpu.startswith(("neoverse", "cortex", "apple")):
        return "arm"
    return "intel"


def nearest_log(host: TargetSpec, probe: HostProbe, roots: list[Path], skip) -> tuple[TuningLog, dict] | None:
    """The log of the CPU nearest the host among those whose code it can run (never one whose
    code needs ISA the host lacks): the same vendor first, then the most ISA extensions shared
    with the host, then the name. ``skip(err)`` handles a damaged log."""
    ranked = []
    for directory, logged, info in _readable_logs(roots, skip):
        if missing_isa(logged, probe):
            continue
        shared = len(target_isa(dict(logged.attrs)) & host_isa(probe))
        ranked.append(((cpu_vendor(logged.mcpu) != cpu_vendor(host.mcpu), -shared, str(directory)), directory, info))
    for _, directory, info in sorted(ranked, key=lambda item: item[0]):
        try:
            return TuningLog.open(directory), info
        except TuningLogError as err:
            skip(err)
    return None
