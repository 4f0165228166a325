"""Portability, run as if on other CPUs: each simulated host (tests/hosts.py) gets its
target's normal form, profile, tuning-log choice, ISA refusals and library checks.

What each host exercises:
- zen4 (AMD EPYC, AVX-512 + BF16, no AMX): host == named ``znver4`` target; the committed
  EPYC log is chosen without warning; the AMX log (sapphirerapids) is refused.
- intel-vm-amx (the Intel VM LLVM calls rocketlake, with AMX): its own log, no warning.
- sapphirerapids (AMX, 16 cores): a log measured elsewhere and with 2 cores is used with one
  warning and 16 threads.
- icelake, skylake-avx512: committed logs measured on another CPU model, with a warning.
- zen3, haswell (AVX2 only): every AVX-512 log and library is refused, naming avx512f.
- unknown-x86 (LLVM says ``generic``): the host's extensions are added to mattr; an empty
  L2 size in sysfs falls back; defaults with a warning.
- neoverse-v1/v2 (aarch64, 256- and 128-bit SVE): x86 logs and libraries are refused for
  their architecture; the SVE length sets the vector width.
"""
import dataclasses
import json
import shutil
import warnings

import pytest

from hosts import EXPECTED, REPO, simulated_hosts
from lookup_tvm.cpu.host import (CacheLevel, HostProbe, host_profile, parse_cpuinfo, read_sysfs_caches,
                                 simulated_host)
from lookup_tvm.cpu.isa import UnsupportedTargetError, cpuinfo_isa, host_isa, isa_part, missing_isa
from lookup_tvm.cpu.resolve import host_target, parse_target
from lookup_tvm.cpu.target import CPU_PROFILES, TargetSpec, normal_attrs

HOSTS = simulated_hosts()
NAMED = {"zen4": "znver4", "intel-vm-amx": "rocketlake", "sapphirerapids": "sapphirerapids", "zen3": "znver3",
         "emeraldrapids": "emeraldrapids", "zen5": "znver5",
         "icelake": "icelake-server", "skylake-avx512": "skylake-avx512", "haswell": "haswell",
         "neoverse-v1": "neoverse-v1", "neoverse-v2": "neoverse-v2"}
LOGS = sorted(p.parent.name for p in (REPO / "tuning_logs").glob("*/target.json"))
MEASURED_HERE = {"zen4": "znver4-2c", "intel-vm-amx": "rocketlake-2c"}
MEASURED_ELSEWHERE = {"sapphirerapids": "sapphirerapids-2c", "icelake": "icelake-server-2c",
                      "skylake-avx512": "skylake-avx512-2c", "haswell": "haswell-2c"}
# Hosts without a log of their own: the nearest log whose code they can run (same vendor first,
# then the most shared ISA). Zen 3 can run no AMD log here (Zen 4's needs AVX-512).
NEAREST = {"emeraldrapids": "sapphirerapids-2c", "zen5": "znver4-2c", "zen3": "haswell-2c",
           "unknown-x86": "haswell-2c"}


@pytest.fixture(autouse=True)
def _committed_logs_only(monkeypatch):
    monkeypatch.delenv("LOOKUP_TVM_TUNING_LOGS", raising=False)


@pytest.mark.parametrize("name", sorted(HOSTS))
def test_host_and_named_target_share_one_normal_form(name):
    probe = HOSTS[name]
    host = host_target(probe)
    assert missing_isa(host, probe) == [], "a host must run its own code"
    with simulated_host(probe):
        assert dict(parse_target("host").attrs) == dict(host.attrs)
        assert dict(parse_target({"kind": "llvm", "mcpu": "host"}).attrs) == dict(host.attrs)
    if name == "unknown-x86":
        assert host.mcpu == "generic" and {"+avx2", "+fma"} <= set(host.attrs["mattr"])
        return
    named = parse_target({"kind": "llvm", "mcpu": NAMED[name], "num-cores": probe.cores})
    assert dict(named.attrs) == dict(host.attrs) and named.key == host.key


@pytest.mark.parametrize("name", sorted(HOSTS))
def test_profile_from_the_probe(name):
    profile = host_profile(HOSTS[name])
    assert (profile.vector_bits, profile.l2_bytes) == EXPECTED[name]
    assert profile.cores == HOSTS[name].cores and profile.ghz > 0
    arm = name.startswith("neoverse")
    assert profile.vector_registers == (32 if arm or profile.vector_bits == 512 else 16)
    named = parse_target({"kind": "llvm", "mcpu": HOSTS[name].llvm_cpu, "num-cores": 2}).profile
    assert named.vector_registers == profile.vector_registers  # the table and LLVM agree with the probe


@pytest.mark.parametrize("cpu", sorted(CPU_PROFILES))
def test_every_profile_has_one_normal_form(cpu):
    forms = [parse_target(f"llvm -mcpu={cpu} -num-cores 3"),
             parse_target({"kind": "llvm", "mcpu": cpu, "num-cores": 3}),
             parse_target(json.dumps({"mcpu": cpu, "num-cores": 3}))]
    assert all(dict(f.attrs) == dict(forms[0].attrs) and f.key == forms[0].key for f in forms)
    spec = forms[0]
    assert dict(TargetSpec.from_json(spec.to_json()).attrs) == dict(spec.attrs)
    assert normal_attrs(spec.attrs, spec.profile) == dict(spec.attrs)
    assert spec.attrs["num-cores"] == 3 and spec.key.startswith(f"{cpu}-3c")
    narrow = parse_target({"mcpu": cpu, "num-cores": 3, "vector_bits": 128})
    assert narrow.key != spec.key or spec.profile.vector_bits == 128


@pytest.mark.parametrize("log", LOGS)
def test_committed_logs_are_in_normal_form(log):
    logged = TargetSpec.from_json(json.loads((REPO / "tuning_logs" / log / "target.json").read_text()))
    named = parse_target({"kind": "llvm", "mcpu": logged.mcpu, "num-cores": logged.attrs["num-cores"]})
    assert dict(named.attrs) == dict(logged.attrs) and logged.key == log


def test_cpuinfo_names_map_to_llvm_names():
    for name, probe in HOSTS.items():
        assert isa_part(probe.llvm_features) <= host_isa(probe) or name == "unknown-x86", name
    zen4 = host_isa(HOSTS["zen4"])
    assert {"avx512f", "avx512vnni", "avx512bf16", "sse4.2", "pclmul", "sha", "lzcnt"} <= zen4
    assert not {"amx-tile", "avx512fp16", "smep"} & zen4
    assert {"amx-tile", "amx-bf16", "avx512fp16", "avxvnni"} <= host_isa(HOSTS["intel-vm-amx"])
    assert {"neon", "sve", "sve2", "bf16", "i8mm"} <= host_isa(HOSTS["neoverse-v2"])
    assert cpuinfo_isa(["prefer_256_bit", "fast_gather"]) == frozenset()


def test_masked_extensions_are_switched_off():
    """A hypervisor that hides AVX-512 from a Skylake-X: LLVM's name implies it, cpuinfo lacks it."""
    skx = HOSTS["skylake-avx512"]
    masked = HostProbe(skx.machine, skx.cpu_model, frozenset(f for f in skx.flags if not f.startswith("avx512")),
                       skx.llvm_cpu, skx.llvm_features, skx.cores, skx.caches, skx.threads_per_core)
    target = host_target(masked)
    assert "-avx512f" in target.attrs["mattr"] and host_profile(masked).vector_bits == 256
    assert missing_isa(target, masked) == []
    assert target.key != host_target(skx).key


def test_sysfs_caches_and_cpuinfo_parsing(tmp_path):
    for index, (level, kind, size, shared) in enumerate([("1", "Data", "48K", "0-1"), ("2", "Unified", "", "0-1"),
                                                          ("3", "Unified", "32M", "0-15"), ("x", "Data", "1K", "0")]):
        directory = tmp_path / "cpu0" / "cache" / f"index{index}"
        directory.mkdir(parents=True)
        for field, value in (("level", level), ("type", kind), ("size", size), ("shared_cpu_list", shared)):
            (directory / field).write_text(value + "\n")
    caches = read_sysfs_caches(tmp_path)
    assert caches == (CacheLevel(1, "Data", "48K", 2), CacheLevel(2, "Unified", "", 2),
                      CacheLevel(3, "Unified", "32M", 16))
    probe = HostProbe("x86_64", "X @ 3.10GHz", frozenset({"avx2"}), "haswell", frozenset(), 16, caches,
                      threads_per_core=2)
    profile = host_profile(probe)
    assert profile.l1d_bytes == 48 << 10 and profile.l2_bytes == CPU_PROFILES["haswell"].l2_bytes
    assert profile.l3_bytes == 32 << 20 and profile.ghz == 3.1
    model, flags = parse_cpuinfo("processor\t: 0\nmodel name\t: Some CPU\nflags\t\t: fpu avx2 avx512f\n")
    assert model == "Some CPU" and flags == {"fpu", "avx2", "avx512f"}
    model, flags = parse_cpuinfo("processor\t: 0\nFeatures\t: fp asimd sve\nCPU part\t: 0xd4f\n")
    assert flags == {"fp", "asimd", "sve"}


def test_clock_is_the_maximum_not_the_current_one():
    probe = HOSTS["zen4"]
    assert host_profile(probe).ghz == CPU_PROFILES["znver4"].ghz
    with_max = dataclasses.replace(probe, max_mhz=3700.0)
    assert host_profile(with_max).ghz == 3.7


@pytest.fixture(scope="module")
def selection_logs(tmp_path_factory):
    """A log folder of its own holding the committed logs this test expects (not whatever
    the repository holds when it runs: a tuning run adds its own)."""
    root = tmp_path_factory.mktemp("logs")
    for log in {**MEASURED_HERE, **MEASURED_ELSEWHERE}.values():
        shutil.copytree(REPO / "tuning_logs" / log, root / log)
    return root


@pytest.mark.parametrize("name", sorted(HOSTS))
def test_log_selection_precedence(name, selection_logs):
    from lookup_tvm.sources.selection import select_host_log

    probe = HOSTS[name]
    selection = select_host_log(probe, roots=[selection_logs])
    assert selection.target.attrs["num-cores"] == probe.cores
    if name in MEASURED_HERE:
        assert selection.log.directory.name == MEASURED_HERE[name] and selection.warning is None
    elif name in MEASURED_ELSEWHERE:
        assert selection.log.directory.name == MEASURED_ELSEWHERE[name]
        assert "measured on Intel(R) Xeon(R) Processor" in selection.warning
    elif name in NEAREST:
        assert selection.log.directory.name == NEAREST[name]
        assert f"using the nearest one, {selection.log.directory}" in selection.warning
        assert selection.target.attrs == host_target(probe).attrs  # the host's own code, the log's choices
        assert missing_isa(selection.log.target, probe) == []
    else:
        assert selection.log is None and "lookup-tvm tune --target host" in selection.warning
    assert missing_isa(selection.target, probe) == []


@pytest.mark.parametrize("name", sorted(HOSTS))
@pytest.mark.parametrize("log", LOGS)
def test_logs_whose_code_the_host_cannot_run_are_refused(name, log, tmp_path):
    from lookup_tvm import kernels

    probe = HOSTS[name]
    copy = tmp_path / log
    shutil.copytree(REPO / "tuning_logs" / log, copy)
    info = json.loads((copy / "target.json").read_text())
    (copy / "target.json").write_text(json.dumps({**info, "is_host": True}))  # nothing in a file turns the check off
    logged = TargetSpec.from_json(info)
    missing = missing_isa(logged, probe)
    if probe.machine == "aarch64":
        assert missing and "x86_64 architecture" in missing[0]
    elif "avx512f" not in host_isa(probe):
        assert "avx512f" in missing or logged.profile.vector_bits < 512
    if name == "zen4":
        assert bool(missing) == (log == "sapphirerapids-2c")
    with simulated_host(probe):
        if missing:
            with pytest.raises(UnsupportedTargetError, match="lacks"):
                kernels.use_tuning_logs(copy)
        else:
            assert kernels.CompiledKernels(logged).target == logged
    kernels.use_tuning_logs(None)


def test_a_log_measured_on_another_cpu_is_not_resumed(tmp_path):
    from lookup_tvm.sources.logs import log_directory

    zen4 = parse_target("llvm -mcpu=znver4 -num-cores 2")
    shutil.copytree(REPO / "tuning_logs" / "znver4-2c", tmp_path / "znver4-2c")
    assert log_directory(tmp_path, zen4, HOSTS["zen4"]) == tmp_path / "znver4-2c"
    other = dataclasses.replace(HOSTS["zen4"], cpu_model="AMD Ryzen 9 7950X")
    assert log_directory(tmp_path, zen4, other) == tmp_path / "znver4-2c-amd-ryzen-9-7950x"


def test_a_damaged_log_found_automatically_is_skipped(tmp_path):
    from lookup_tvm.sources.selection import select_host_log

    shutil.copytree(REPO / "tuning_logs" / "znver4-2c", tmp_path / "znver4-2c")
    shutil.copytree(REPO / "tuning_logs" / "znver4-2c", tmp_path / "znver4-2c-copy")
    (tmp_path / "znver4-2c" / "database_tuning_record.json").write_text("[1, 2]\n{ damaged\n[3, 4]\n")
    with pytest.warns(UserWarning, match="skipping a damaged tuning log"):
        selection = select_host_log(HOSTS["zen4"], roots=[tmp_path])
    assert selection.log.directory == tmp_path / "znver4-2c-copy"


def test_explicit_log_errors_are_raised(tmp_path, monkeypatch):
    from lookup_tvm.sources.logs import TuningLogError
    from lookup_tvm.sources.selection import select_host_log

    shutil.copytree(REPO / "tuning_logs" / "znver4-2c", tmp_path / "znver4-2c")
    (tmp_path / "znver4-2c" / "target.json").write_text("{ damaged")
    monkeypatch.setenv("LOOKUP_TVM_TUNING_LOGS", str(tmp_path))
    with pytest.raises(TuningLogError, match="target.json"):
        select_host_log(HOSTS["zen4"])


@pytest.fixture(scope="module")
def libraries(tmp_path_factory):
    from lookup_tvm.config import LayerConfig
    from lookup_tvm.library import export_library

    root = tmp_path_factory.mktemp("libraries")
    tiny = LayerConfig(d=16, h=4, tau=3, b=4)
    return {cpu: export_library(root / cpu, f"llvm -mcpu={cpu} -num-cores 2", tiny)
            for cpu in ("haswell", "rocketlake")}


@pytest.mark.parametrize("name", sorted(HOSTS))
def test_library_checks_use_what_the_code_may_use(name, libraries):
    from lookup_tvm.library import LibraryError, verify_library

    probe = HOSTS[name]
    manifest = json.loads((libraries["rocketlake"] / "manifest.json").read_text())
    assert "avx512f" in manifest["required_isa"] and not any(f.startswith("amx") for f in manifest["required_isa"])
    with simulated_host(probe):
        for cpu, directory in libraries.items():
            if probe.machine == "aarch64":
                with pytest.raises(LibraryError, match="x86_64 code"):
                    verify_library(directory)
            elif cpu == "rocketlake" and "avx512vbmi2" not in host_isa(probe):
                with pytest.raises(LibraryError, match="avx512"):
                    verify_library(directory)
            else:
                verify_library(directory)


def test_warnings_name_the_command(monkeypatch):
    from lookup_tvm.sources.selection import select_host_log

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        selection = select_host_log(HOSTS["zen3"])
    assert "znver3-2c" in selection.warning and "AMD EPYC 7763" in selection.warning
