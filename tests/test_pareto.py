"""The Pareto study's machinery: variant names, the dense frontier, the comparison of each
variant with it, and the script end to end on a tiny model (train, measure costs, report)."""
import json
import subprocess
import sys

import pytest

from conftest import REPO
from studies.pareto import pareto_rows, pareto_table, verdicts
from studies.study import Variant, build_model, ffn_flops_per_token
from test_scripts import run


@pytest.mark.parametrize("name, kind, tables, hidden", [
    ("ffn", "vanilla", 64, 2048), ("ffn-128", "vanilla", 64, 128), ("lookup-h32", "lookup", 32, None),
    ("lookup-dense", "lookup-dense", 64, None), ("lookup-dense-h128", "lookup-dense", 128, None)])
def test_variant_names(name, kind, tables, hidden):
    variant = Variant.parse(name)
    assert (variant.kind, variant.tables, variant.hidden_width(512)) == (kind, tables, hidden)


@pytest.mark.parametrize("name", ["ffn-0", "ffn-x", "lookup", "lookup-h", "lookup-h0", "lookup-dense-",
                                  "lookup-denseh64"])
def test_unknown_variant_names_are_refused(name):
    with pytest.raises(ValueError, match="unknown FFN variant"):
        Variant.parse(name)


def test_variants_build_the_model_they_name():
    from studies.study import QUICK

    model = build_model("lm", "ffn-48", QUICK)
    assert model.blocks[0].ffn.fc1.out_features == 48
    assert ffn_flops_per_token("ffn-48", QUICK.d_model) == 4 * QUICK.d_model * 48
    lookup = build_model("lm", "lookup-h16", QUICK).blocks[0].ffn
    assert lookup.tables.shape[0] == 16


def _result(variant, loss, seed=0, steps=100):
    return {"task": "lm", "variant": variant, "seed": seed, "ffn_flops_per_token": 1,
            "history": [{"step": steps, "seconds": 1.0, "val_loss": loss}]}


def _costs(model_ms):
    variants = list(model_ms)
    return {"parameter_bytes": {v: 4 for v in variants}, "train_step_ms": {v: 10.0 for v in variants},
            "inference": {"1": {"model_ms": model_ms, "ffn_ms": {v: ms / 2 for v, ms in model_ms.items()}}}}


def test_each_variant_is_placed_against_the_dense_frontier():
    results = [_result("ffn-128", 2.0), _result("ffn-512", 1.8), _result("ffn-2048", 1.85),
               _result("lookup-h64", 1.70, seed=0), _result("lookup-h64", 1.74, seed=1), _result("lookup-h128", 1.9)]
    costs = _costs({"ffn-128": 10.0, "ffn-512": 20.0, "ffn-2048": 40.0, "lookup-h64": 15.0, "lookup-h128": 30.0})
    rows = {r["variant"]: r for r in pareto_rows(results, costs)}
    assert rows["lookup-h64"]["seeds"] == 2 and rows["lookup-h64"]["val_loss"] == pytest.approx(1.72)
    assert rows["lookup-h64"]["best_dense_as_fast"] == 2.0 and rows["lookup-h64"]["on_frontier"]
    assert 1.8 < rows["lookup-h64"]["dense_frontier_at_same_ms"] < 2.0
    assert rows["lookup-h128"]["best_dense_as_fast"] == 1.8 and not rows["lookup-h128"]["on_frontier"]
    assert rows["ffn-2048"]["best_dense_as_fast"] == 1.8 and not rows["ffn-2048"]["on_frontier"]
    assert rows["ffn-128"]["on_frontier"] and rows["ffn-128"]["ffn_share_1"] == 0.5
    lines = verdicts(list(rows.values()))
    assert lines[0].startswith("lookup-h128: not on the frontier") or lines[1].startswith("lookup-h128: not on")
    assert any(line.startswith("lookup-h64: on the frontier, loss 1.720, 0.280 below") for line in lines)
    assert "on the frontier" in pareto_table(list(rows.values()))


@pytest.mark.slow
def test_the_pareto_script_trains_measures_and_reports(tmp_path):
    out = tmp_path / "pareto"
    trained = run("scripts/quality.py", "--pareto", "--quick", "--out", str(out))
    assert "lm-lookup-h16-s0: step 20/20" in trained
    run("scripts/quality.py", "--pareto", "--quick", "--time", "--out", str(out))
    costs = json.loads((out / "costs.json").read_text())
    assert set(costs["inference"]["1"]["model_ms"]) == {"ffn-32", "ffn-256", "lookup-h16"}
    assert all(0 < costs["inference"]["1"]["ffn_ms"][v] < costs["inference"]["1"]["model_ms"][v]
               for v in costs["parameter_bytes"])
    report = run("scripts/quality.py", "--pareto", "--quick", "--report", "--out", str(out))
    assert "| lookup-h16 " in report and "lookup-h16: " in report and "on the frontier" in report


@pytest.mark.slow
def test_the_quality_script_trains_and_reports(tmp_path):
    out = run("scripts/quality.py", "--quick", "--tasks", "lm", "--variants", "ffn", "--steps", "20",
              "--eval-every", "10", "--out", str(tmp_path))
    assert "lm-ffn-s0: step 20/20" in out and "| lm     | ffn " in out


def test_a_report_without_runs_says_so(tmp_path):
    proc = subprocess.run([sys.executable, "scripts/quality.py", "--pareto", "--minimal", "--report", "--out",
                           str(tmp_path)], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1 and "no finished runs" in proc.stderr


def test_quantized_table_variants_are_named_and_built():
    from studies.study import QUICK, Variant

    assert Variant.parse("lookup-h16-int4").table_format == "int4"
    assert Variant.parse("lookup-dense-int8").kind == "lookup-dense"
    assert [b.ffn.table_format for b in build_model("lm", "lookup-h16-int8", QUICK).blocks] == ["int8"] * 2


@pytest.mark.slow
def test_the_quantized_study_evaluates_fine_tunes_and_places_runs(tmp_path, monkeypatch):
    """A short run evaluated with quantized tables; with goals below any change, every format
    is fine-tuned fake-quantized against the float model fine-tuned alike."""
    import dataclasses

    import studies.quantized as quantized
    from studies.pareto import QUICK_PARETO
    from studies.study import train_run

    cfg = dataclasses.replace(QUICK_PARETO, d_model=64, steps=10, eval_every=10)
    train_run("lm", "lookup-h16", 0, cfg, tmp_path, diagnostics=False, log=lambda _: None)
    monkeypatch.setattr(quantized, "GOALS", {"int8": -1.0, "int4": -1.0})
    result = quantized.evaluate_checkpoint(tmp_path / "lm-lookup-h16-s0.pt", eval_batches=2, finetune_steps=2,
                                           log=lambda _: None)
    assert result["step"] == 10 and result["table_mib"]["int4"] < result["table_mib"]["int8"]
    for table_format in ("int8", "int4"):
        assert abs(result[table_format] - result["float"]) < 0.05
        assert result[f"{table_format}_finetuned"]["steps"] == 2
    rows = quantized.quality_rows([result])
    assert [row[2] for row in rows] == ["int8", "int4"] and all(row[8] == "no" for row in rows)
    dense = {"task": "lm", "variant": "ffn-32", "seed": 0, "ffn_flops_per_token": 1,
             "history": [{"step": 10, "val_loss": 3.0}, {"step": 20, "val_loss": 2.9}]}
    recorded = {"task": "lm", "variant": "lookup-h16", "seed": 0, "ffn_flops_per_token": 1,
                "history": [{"step": 10, "val_loss": 2.5}]}
    points = quantized.pareto_points([result], [dense, recorded], step=10)
    assert [p["variant"] for p in points] == ["ffn-32", "lookup-h16", "lookup-h16-int8", "lookup-h16-int4"]
    losses = [p["history"][-1]["val_loss"] for p in points]
    assert losses[:2] == [3.0, 2.5] and losses[2] == pytest.approx(2.5 + result["int8"] - result["float"])
