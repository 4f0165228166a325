"""Target parsing (host, legacy CLI strings, JSON) and CPU profiles."""
import json

import pytest

from lookup_tvm.cpu.host import host_profile
from lookup_tvm.cpu.isa import missing_isa
from lookup_tvm.cpu.resolve import parse_target
from lookup_tvm.cpu.target import CPU_PROFILES, parse_cli_string


def test_cli_string_to_json_dict():
    attrs = parse_cli_string("llvm -mcpu=sapphirerapids -num-cores 56 -mattr=+avx512f,+fma")
    assert attrs == {"kind": "llvm", "mcpu": "sapphirerapids", "num-cores": 56, "mattr": ["+avx512f", "+fma"]}


def test_legacy_string_gets_profile_and_num_cores():
    spec = parse_target("llvm -mcpu=znver4 -num-cores 2")
    assert dict(spec.attrs) == {"kind": "llvm", "mcpu": "znver4", "num-cores": 2, "mattr": ["-prefer-256-bit"]}
    assert spec.profile.vector_bits == 512 and spec.profile.cores == 2
    assert spec.key == "znver4-2c"


def test_named_cpu_without_cores_takes_table_default():
    spec = parse_target("llvm -mcpu=haswell")
    assert spec.attrs["num-cores"] == CPU_PROFILES["haswell"].cores
    assert spec.profile.lanes() == 8


def test_avx512_cpus_get_512_bit_vectors_unless_overridden():
    assert parse_target("llvm -mcpu=sapphirerapids").attrs["mattr"] == ["-prefer-256-bit"]
    spec = parse_target({"kind": "llvm", "mcpu": "skylake-avx512", "vector_bits": 256})
    assert spec.attrs["mattr"] == ["+prefer-256-bit"] and spec.profile.vector_bits == 256
    assert spec.key != parse_target("llvm -mcpu=skylake-avx512").key
    assert "mattr" not in parse_target("llvm -mcpu=haswell").attrs


def test_cpus_outside_the_table_ask_llvm():
    tiger = parse_target("llvm -mcpu=tigerlake")
    assert tiger.profile.vector_bits == 512 and tiger.attrs["mattr"] == ["-prefer-256-bit"]
    grace = parse_target("llvm -mcpu=neoverse-n2")
    assert grace.attrs["mtriple"] == "aarch64-linux-gnu" and grace.arch == "aarch64"
    with pytest.raises(ValueError, match="LLVM knows no CPU"):
        parse_target("llvm -mcpu=no-such-cpu")


def test_parsing_a_profiled_cpu_does_not_import_tvm():
    from conftest import run_python

    proc = run_python("""
    import sys
    from lookup_tvm.cpu.resolve import parse_target
    parse_target("llvm -mcpu=znver4 -num-cores 2").key
    assert not any(m == "tvm" or m.startswith("tvm.") for m in sys.modules), "tvm imported"
    """)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_json_string_and_profile_overrides():
    spec = parse_target(json.dumps({"kind": "llvm", "mcpu": "icelake-server", "num-cores": 8, "l2_bytes": 4 << 20}))
    assert spec.profile.l2_bytes == 4 << 20 and spec.profile.cores == 8
    assert spec.profile.l1d_bytes == CPU_PROFILES["icelake-server"].l1d_bytes


def test_every_table_entry_parses_to_a_tvm_target():
    from lookup_tvm.cpu.tvm_api import to_tvm_target

    for name in CPU_PROFILES:
        target = to_tvm_target(parse_target(f"llvm -mcpu={name}"))
        assert str(target.attrs["mcpu"]) == name
        assert int(target.attrs["num-cores"]) >= 1


def test_host_target_has_num_cores_and_profile():
    spec = parse_target("host")
    assert spec.attrs["num-cores"] >= 1 and "is_host" not in spec.to_json()
    profile = host_profile()
    assert profile.l1d_bytes > 0 and profile.l2_bytes > 0 and profile.vector_bits in (128, 256, 512)
    assert missing_isa(spec) == []


def test_host_key_does_not_follow_thread_affinity():
    """torch.set_num_threads(1) may pin the main thread; the host is still the whole machine."""
    import os

    import torch

    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        assert parse_target("host").attrs["num-cores"] == os.cpu_count()
    finally:
        torch.set_num_threads(before)


def test_missing_isa_comes_from_llvm_feature_sets():
    from hosts import simulated_hosts

    haswell = simulated_hosts()["haswell"]
    missing = missing_isa(parse_target("llvm -mcpu=sapphirerapids"), haswell)
    assert {"avx512f", "amx-tile", "avx512fp16"} <= set(missing) and "avx2" not in missing
    assert "prefer-256-bit" not in missing and "fast-gather" not in missing
    assert missing_isa(parse_target("llvm -mcpu=haswell"), haswell) == []


@pytest.mark.parametrize("bad,error", [
    ("-mcpu=znver4", ValueError),
    ("llvm -mcpu=znver4 stray", ValueError),
    ("cuda -arch=sm_80", ValueError),
    ("llvm -mcpu=znver4 -num-cores 0", ValueError),
    ("{not json", ValueError),
    (42, TypeError),
])
def test_bad_targets_are_refused(bad, error):
    with pytest.raises(error):
        parse_target(bad)
