"""Exported libraries: one .so + manifest, loaded in a fresh process with identical outputs;
changed bytes, missing ISA features and another TVM version are refused before loading."""
import json

import pytest
import torch

import lookup_tvm
from conftest import run_python
from lookup_tvm.config import LayerConfig
from lookup_tvm.library import LibraryError, load_library

pytestmark = pytest.mark.slow  # leave out with -m 'not slow'

CONFIG = LayerConfig(d=48, h=6, tau=4, b=16, d_out=20)


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    return lookup_tvm.export_library(tmp_path_factory.mktemp("lib"), target="host", config=CONFIG)


def test_manifest_describes_the_library(library):
    manifest = json.loads((library / "manifest.json").read_text())
    assert manifest["config"]["d"] == 48 and manifest["tvm_version"].startswith("0.27")
    assert {k["op"] for k in manifest["kernels"]} == {op for op, _ in CONFIG.kernels()}
    assert len(list(library.glob("*.so"))) == 1


def test_fresh_process_gets_identical_outputs_and_gradients(library, tmp_path):
    torch.manual_seed(0)
    layer = lookup_tvm.LookupFFN(48, 6, 4, d_out=20, block_size=16)
    torch.save(layer.state_dict(), tmp_path / "ckpt.pt")
    x = torch.randn(9, 48)
    torch.save(x, tmp_path / "x.pt")
    code = f"""
    import torch, lookup_tvm
    layer = lookup_tvm.LookupFFN.from_library({str(library)!r})
    layer.load_state_dict(torch.load({str(tmp_path / 'ckpt.pt')!r}))
    x = torch.load({str(tmp_path / 'x.pt')!r}).requires_grad_()
    out = layer(x); out.sum().backward()
    torch.save((out.detach(), x.grad, layer.tables.grad), {str(tmp_path / 'out.pt')!r})
    """
    proc = run_python(code)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out, grad_x, grad_tables = torch.load(tmp_path / "out.pt")
    proc = run_python(code.replace("out.pt", "out2.pt"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    again = torch.load(tmp_path / "out2.pt")
    assert torch.equal(out, again[0]) and torch.equal(grad_x, again[1]) and torch.equal(grad_tables, again[2])
    reference = lookup_tvm.LookupFFN(48, 6, 4, d_out=20, block_size=16, backend="reference")
    reference.load_state_dict(torch.load(tmp_path / "ckpt.pt"))
    expected = reference(x)
    assert (out - expected).abs().max() <= 1e-4 * expected.abs().max()


def _copy(library, tmp_path):
    import shutil

    return shutil.copytree(library, tmp_path / "copy")


def test_changed_bytes_are_refused(library, tmp_path):
    copy = _copy(library, tmp_path)
    data = bytearray((copy / "kernels.so").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (copy / "kernels.so").write_bytes(bytes(data))
    with pytest.raises(LibraryError, match="sha256"):
        load_library(copy)


FUTURE_TARGET = {"target": {"kind": "llvm", "mcpu": "sapphirerapids", "num-cores": 2, "mattr": ["+amx-fp8"]},
                 "profile": {"name": "sapphirerapids", "vector_bits": 512, "l1d_bytes": 49152, "l2_bytes": 2097152,
                             "l3_bytes": 110100480, "cores": 2}}


@pytest.mark.parametrize("field,value,words", [
    ("required_isa", ["avx512f", "imaginary_isa"], "imaginary_isa"),
    ("tvm_version", "0.1.0", "built by TVM 0.1.0"),
    ("arch", "aarch64", "aarch64 code"),
    ("format", 1, "format 1"),
    ("target", FUTURE_TARGET, "amx-fp8"),  # an emptied required_isa cannot hide what the target's code may use
])
def test_manifest_mismatches_are_refused(library, tmp_path, field, value, words):
    copy = _copy(library, tmp_path)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest[field] = value
    if field == "target":
        manifest["required_isa"] = []
    (copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(LibraryError, match=words):
        load_library(copy)


def test_library_for_another_config_is_refused(library):
    kernels = load_library(library)
    with pytest.raises(ValueError, match="exported for"):
        lookup_tvm.LookupFFN(64, 8, 4, block_size=16).use_library(kernels)
