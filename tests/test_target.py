"""Target parsing (host, legacy CLI strings, JSON) and CPU profiles."""
import json

import pytest

from lookup_tvm.target import CPU_PROFILES, host_profile, missing_features, parse_cli_string, parse_target


def test_cli_string_to_json_dict():
    attrs = parse_cli_string("llvm -mcpu=sapphirerapids -num-cores 56 -mattr=+avx512f,+fma")
    assert attrs == {"kind": "llvm", "mcpu": "sapphirerapids", "num-cores": 56, "mattr": ["+avx512f", "+fma"]}


def test_legacy_string_gets_profile_and_num_cores():
    spec = parse_target("llvm -mcpu=znver4 -num-cores 2")
    assert dict(spec.attrs) == {"kind": "llvm", "mcpu": "znver4", "num-cores": 2}
    assert spec.profile.vector_bits == 512 and spec.profile.cores == 2
    assert spec.key == "znver4-2c"


def test_named_cpu_without_cores_takes_table_default():
    spec = parse_target("llvm -mcpu=haswell")
    assert spec.attrs["num-cores"] == CPU_PROFILES["haswell"].cores
    assert spec.profile.lanes() == 8


def test_intel_server_cpus_get_512_bit_vectors_unless_overridden():
    assert "-prefer-256-bit" in parse_target("llvm -mcpu=sapphirerapids").attrs["mattr"]
    spec = parse_target({"kind": "llvm", "mcpu": "skylake-avx512", "vector_bits": 256})
    assert "mattr" not in spec.attrs and spec.profile.vector_bits == 256


def test_json_string_and_profile_overrides():
    spec = parse_target(json.dumps({"kind": "llvm", "mcpu": "icelake-server", "num-cores": 8, "l2_bytes": 4 << 20}))
    assert spec.profile.l2_bytes == 4 << 20 and spec.profile.cores == 8
    assert spec.profile.l1d_bytes == CPU_PROFILES["icelake-server"].l1d_bytes


def test_every_table_entry_parses_to_a_tvm_target():
    from lookup_tvm.tvm_api import to_tvm_target

    for name in CPU_PROFILES:
        target = to_tvm_target(parse_target(f"llvm -mcpu={name}"))
        assert str(target.attrs["mcpu"]) == name
        assert int(target.attrs["num-cores"]) >= 1


def test_host_target_has_num_cores_and_profile():
    spec = parse_target("host")
    assert spec.is_host and spec.attrs["num-cores"] >= 1
    profile = host_profile()
    assert profile.l1d_bytes > 0 and profile.l2_bytes > 0 and profile.vector_bits in (128, 256, 512)
    assert missing_features(spec) == []


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


def test_missing_features_names_what_the_host_lacks():
    spec = parse_target("llvm -mcpu=sapphirerapids")
    assert missing_features(spec, host=frozenset({"avx", "avx2", "fma"})) == sorted(
        set(CPU_PROFILES["sapphirerapids"].features) - {"avx", "avx2", "fma"})


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
