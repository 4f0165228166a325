"""The quality study's machinery on a tiny model: it learns (below the corpus's unigram
entropy), stays stable, resumes from checkpoints, and summarises."""
import dataclasses

import pytest

from studies.study import (LAST_EVALUATIONS, QUICK, alternative_rows, alternatives_table, build_model, config_dict,
                              ffn_flops_per_token, flop_matched_hidden, load_results, make_optimizer, markdown_table,
                              read_timing, set_warmup, summarize, time_steps, train_run, with_step_timing,
                              write_timing)

pytestmark = pytest.mark.slow  # leave out with -m 'not slow'


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
                assert layer["mean_abs_z"] < 5.0 and layer["rows_hit_vs_uniform"] > 0.1, (
                    run["task"], point["step"], layer)


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
    rows = summarize(load_results(out))
    assert {(r["task"], r["variant"]) for r in rows} == {(t, v) for t in ("lm", "mlm") for v in ("ffn", "lookup-h64")}
    assert "val loss at equal time" in markdown_table(rows)


def test_flop_matched_ffn():
    assert abs(ffn_flops_per_token("ffn-flops", 256) - ffn_flops_per_token("lookup-h64", 256)) <= 4 * 256
    assert flop_matched_hidden(256) < 4 * 256


def test_measured_step_times_set_the_time_axis(quick_runs):
    out, _ = quick_runs
    ms = time_steps(["lm"], ["ffn", "lookup-h64"], QUICK, rounds=2, steps=1, warmup=1)
    assert set(ms["lm"]) == {"ffn", "lookup-h64"} and all(v > 0 for v in ms["lm"].values())
    write_timing(out, QUICK, ms, "test CPU")
    timing = read_timing(out, dataclasses.replace(QUICK, steps=10 * QUICK.steps))  # more steps: same timing
    assert timing["cpu"] == "test CPU" and read_timing(out, dataclasses.replace(QUICK, lr=1e-3)) is None
    results = load_results(out)
    assert len(results) == 4  # timing.json is not a run
    for run in with_step_timing(results, timing):
        expected = ms.get(run["task"], {}).get(run["variant"])
        original = next(r for r in results if r["task"] == run["task"] and r["variant"] == run["variant"])
        for point, before in zip(run["history"], original["history"]):
            want = point["step"] * expected / 1e3 if expected else before["seconds"]
            assert point["seconds"] == pytest.approx(want)


def test_training_alternatives_learn_resume_and_compare(quick_runs, tmp_path):
    cfg = dataclasses.replace(QUICK, steps=100, warmup=20, clip=1.0, table_lr=5.0, bounded_scores=True,
                              score_temperature=2.0, output_dropout=0.1, table_init_std=0.05)
    run = train_run("lm", "lookup-h64", 0, cfg, tmp_path, log=lambda _: None)
    assert run["history"][-1]["val_loss"] < run["unigram_entropy"]
    assert all(layer["mean_score"] <= 8 for point in run["history"] for layer in point["diagnostics"])
    model = build_model("lm", "lookup-h64", cfg)
    opt = make_optimizer(model, cfg)
    assert [g["lr"] for g in opt.param_groups] == [cfg.lr, 5 * cfg.lr]
    set_warmup(opt, cfg, 4)
    assert [g["lr"] for g in opt.param_groups] == pytest.approx([cfg.lr / 4, 5 * cfg.lr / 4])
    longer = dataclasses.replace(cfg, steps=150)
    extended = train_run("lm", "lookup-h64", 0, longer, tmp_path, log=lambda _: None)
    assert extended["history"][:-1] == run["history"]
    out, baseline = quick_runs
    [row] = alternative_rows([extended], load_results(out))
    assert row["change"] == ("warmup=20, clip=1.0, table_lr=5.0, table_init_std=0.05, score_temperature=2.0, "
                             "bounded_scores=True, output_dropout=0.1")
    base = next(r for r in baseline if (r["task"], r["variant"]) == ("lm", "lookup-h64"))
    last = [h["val_loss"] for h in base["history"][-LAST_EVALUATIONS:]]
    assert row["step"] == 150 and row["baseline_val_loss"] == pytest.approx(sum(last) / len(last))
    assert "difference" in alternatives_table([row])


def test_configs_recorded_before_an_option_existed_still_match():
    old = {k: v for k, v in dataclasses.asdict(QUICK).items() if k not in ("warmup", "bounded_scores")}
    assert config_dict(old) == dataclasses.asdict(QUICK)
