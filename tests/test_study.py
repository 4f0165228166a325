"""The quality study's machinery on a tiny model: it learns (below the corpus's unigram
entropy), stays stable, resumes from checkpoints, and summarises."""
import dataclasses
import json

import pytest

from lookup_tvm.study import QUICK, flop_matched_hidden, ffn_flops_per_token, markdown_table, summarize, train_run


@pytest.fixture(scope="module")
def quick_runs(tmp_path_factory):
    out = tmp_path_factory.mktemp("quality")
    runs = [train_run(task, variant, 0, QUICK, out, log=lambda _: None)
            for task in ("lm", "mlm") for variant in ("ffn", "lookup-h64")]
    return out, runs


def test_every_quick_run_learns_below_the_unigram_entropy(quick_runs):
    _, runs = quick_runs
    for run in runs:
        final = run["history"][-1]
        assert final["step"] == QUICK.steps
        assert final["val_loss"] < run["unigram_entropy"], (run["task"], run["variant"], final["val_loss"])


def test_lookup_runs_stay_stable(quick_runs):
    _, runs = quick_runs
    for run in (r for r in runs if r["variant"] == "lookup-h64"):
        for point in run["history"]:
            for layer in point["diagnostics"]:
                assert layer["mean_abs_z"] < 5.0 and layer["rows_hit_vs_uniform"] > 0.1, (run["task"], point["step"], layer)


def test_runs_resume_from_their_checkpoints(quick_runs):
    out, runs = quick_runs
    again = train_run("lm", "ffn", 0, QUICK, out, log=lambda _: None)
    assert again["history"] == runs[0]["history"]
    longer = dataclasses.replace(QUICK, steps=QUICK.steps + QUICK.eval_every)
    extended = train_run("lm", "ffn", 0, longer, out, log=lambda _: None)
    assert extended["history"][:-1] == runs[0]["history"] and extended["history"][-1]["step"] == longer.steps
    with pytest.raises(ValueError, match="was trained with"):
        train_run("lm", "ffn", 0, dataclasses.replace(QUICK, lr=1e-3), out, log=lambda _: None)


def test_summary_table(quick_runs):
    out, runs = quick_runs
    rows = summarize([json.loads(p.read_text()) for p in sorted(out.glob("*.json"))])
    assert {(r["task"], r["variant"]) for r in rows} == {(t, v) for t in ("lm", "mlm") for v in ("ffn", "lookup-h64")}
    assert "val loss at equal time" in markdown_table(rows)


def test_flop_matched_ffn():
    assert abs(ffn_flops_per_token("ffn-flops", 256) - ffn_flops_per_token("lookup-h64", 256)) <= 4 * 256
    assert flop_matched_hidden(256) < 4 * 256
