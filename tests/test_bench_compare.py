"""Benchmark statistics and tables on synthetic timings, the comparison of tuning logs, and a
--quick smoke run of scripts/bench.py."""
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO
from benchmarks.bench import Row, crossovers, format_rows, summarize
from benchmarks.compare import differing_choices, format_comparison, trials_to_fraction
from lookup_tvm.config import LayerConfig
from lookup_tvm.timing import Samples, interleaved


def synthetic(rounds):
    return Samples([{"tvm": t, "torch": p} for t, p in rounds])


def test_medians_and_per_round_ratios():
    samples = synthetic([(1.0, 3.0), (2.0, 2.0), (1.0, 5.0)])
    assert samples.medians() == {"tvm": 1.0, "torch": 3.0}
    assert samples.ratio("torch", "tvm") == 3.0  # rounds give 3, 1, 5


def test_summarize_rates_and_peak():
    row = summarize("kernel", "gather", 4096, 1, synthetic([(0.01, 0.04)] * 3), "tvm", flops=2e9, nbytes=1e8,
                    peak_gflops=400.0)
    assert row.subject_ms == pytest.approx(10.0) and row.baselines_ms == {"torch": pytest.approx(40.0)}
    assert row.speedups["torch"] == pytest.approx(4.0)
    assert row.gflops == pytest.approx(200.0) and row.gbytes == pytest.approx(10.0)
    assert row.peak_percent == pytest.approx(50.0)


def test_tables_and_json_round_trip():
    row = summarize("end to end", "inference", 4096, 2, synthetic([(0.05, 0.2)]), "tvm", flops=1e9)
    text = format_rows([row])
    assert "inference" in text and "4.00x vs torch" in text and "50.00" in text
    markdown = format_rows([row], markdown=True)
    assert markdown.startswith("| group")
    assert Row(**json.loads(json.dumps(row.to_json()))) == row


def test_unclean_rounds_are_rejected():
    class FakeProbe:
        readings = iter([2.0, 2.0, 1.0, 2.0, 2.0, 2.0, 2.0, 2.0])

        def read(self):
            return next(self.readings)

    samples = interleaved({"a": lambda: None}, rounds=3, warmup=0, probe=FakeProbe())
    assert len(samples.rounds) == 3 and samples.rejected == 1


def test_each_round_starts_one_candidate_later():
    order = []
    interleaved({name: (lambda n=name: order.append(n)) for name in "abc"}, rounds=3, warmup=0)
    assert "".join(order) == "abcbcacab"


def test_no_clean_round_is_an_error():
    class BusyProbe:
        def read(self):
            return 1.0

    with pytest.raises(RuntimeError, match="no clean sample"):
        interleaved({"a": lambda: None}, rounds=2, warmup=0, probe=BusyProbe(), max_attempts=3)


def test_decode_crossover_is_the_batch_from_which_lookup_wins_at_every_batch():
    def row(tokens, threads, **speedups):
        return Row("decode", "inference (eval)", tokens, threads, 1.0, dict.fromkeys(speedups, 1.0), speedups)

    rows = [row(1, 1, fp32=0.9, int8=0.5), row(8, 1, fp32=1.2, int8=0.7), row(64, 1, fp32=0.95, int8=0.8),
            row(256, 1, fp32=1.5, int8=0.9), row(1, 2, fp32=1.1), row(8, 2, fp32=1.3)]
    assert crossovers(rows) == ["1 thread(s): LookupFFN faster than fp32 from 256 tokens on",
                                "1 thread(s): LookupFFN faster than int8 at no measured batch",
                                "2 thread(s): LookupFFN faster than fp32 from 1 tokens on"]
    assert "us per token" in format_rows(rows)


def test_trials_to_95_percent_of_best():
    assert trials_to_fraction([10.0, None, 5.2, 5.0, 7.0]) == 3
    assert trials_to_fraction([None, None]) is None


def test_comparison_shows_differing_choices():
    rows = [
        {"kernel": "gather", "target": "a-2c", "host": "cpu A", "best_ms": 1.0, "gflops": 2.0, "gbytes": 3.0,
         "trials": 8, "trials_to_95": 4, "choice": {"tokens": 64, "order": 0}},
        {"kernel": "gather", "target": "b-2c", "host": "cpu B", "best_ms": 2.0, "gflops": 1.0, "gbytes": 1.5,
         "trials": 8, "trials_to_95": 2, "choice": {"tokens": 16, "order": 0}},
    ]
    assert differing_choices(rows) == {"gather": ["tokens"]}
    text = format_comparison(rows)
    assert "tokens=64" in text and "tokens=16" in text and "cpu B" in text and "4/8" in text
    rows[1]["choice"] = {"tokens": 64}  # a log from a search space without the knob "order"
    assert differing_choices(rows) == {"gather": ["order"]}
    assert "order=(none)" in format_comparison(rows)


@pytest.mark.slow
def test_every_committed_log_compares_together():
    """The README's `python scripts/compare.py tuning_logs/*/`: every log's coverage, then its
    kernels side by side."""
    logs = sorted(str(p.parent) + "/" for p in (Path(REPO) / "tuning_logs").glob("*/target.json"))
    assert len(logs) >= 2
    proc = subprocess.run([sys.executable, "scripts/compare.py", *logs], cwd=REPO, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    coverage = proc.stdout.split("\n\n")[0]
    kernels = len(LayerConfig().kernels())
    for log in logs:
        assert re.search(rf"^{re.escape(Path(log).name)} +\d+/{kernels} ", coverage, re.M), coverage
        assert Path(log).name in proc.stdout.split("\n\n")[1]


@pytest.mark.slow
def test_bench_quick_smoke(tmp_path):
    out_json = tmp_path / "bench.json"
    proc = subprocess.run([sys.executable, "scripts/bench.py", "--quick", "--tokens", "256", "--json", str(out_json)],
                          cwd=REPO,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = json.loads(out_json.read_text())
    groups = {(r["group"], r["name"]) for r in rows}
    assert ("end to end", "inference (eval)") in groups and ("end to end", "training step (fwd+bwd)") in groups
    compared = [r for r in rows if "breakdown" not in r["group"] and r["group"] != "memory"]
    assert {"inference breakdown, bf16", "training breakdown"} <= {r["group"] for r in rows}
    assert all(r["subject_ms"] > 0 and r["baselines_ms"] for r in compared)
    assert "FFN bf16" in proc.stdout
    import torch

    inference = next(r for r in rows if r["name"] == "inference (eval)")
    assert ("FFN int8 dynamic" in inference["baselines_ms"]) == ("x86" in torch.backends.quantized.supported_engines)
    parts = [r for r in rows if r["group"] == "inference breakdown"]
    assert [r["name"].split("-")[0] for r in parts] == ["front_end", "gather", "framework: torch ops, "
                                                         "allocation, Python (the rest)"]  # the fold: once per weight
    assert sum(r["share"] for r in parts) == pytest.approx(1.0)
    assert all(r["subject_ms"] > 0 for r in parts[:-1])
    step = [r for r in rows if r["group"] == "training breakdown"]
    assert [r["name"].split("-")[0] for r in step[:-1]] == [op for op, _, _ in LayerConfig().training_kernels()]
    assert "(x3)" in step[2]["name"] and sum(r["share"] for r in step) == pytest.approx(1.0)
    memory = {r["name"]: r["memory_mib"] for r in rows if r["group"] == "memory"}
    assert set(memory) == {"training step, LookupFFN", "training step, FFN fp32"}
    assert all(m["saved"] > 0 and m["peak_extra"] >= 0 and m["kept"] >= 0 for m in memory.values())
    # the measured step allocates its reused buffers afresh (warm, its peak was 0.11x the saved tensors, which
    # include the parameters; fresh about 0.9x)
    assert memory["training step, LookupFFN"]["peak_extra"] >= memory["training step, LookupFFN"]["saved"] * 0.5
    assert "saved activations MiB" in proc.stdout


def test_every_kernel_has_a_workload_whose_baseline_and_kernel_run():
    from lookup_tvm.ops import make_workload
    from lookup_tvm.functional import kernels

    ck = kernels()
    for op, params in LayerConfig(d=64, h=8, tau=4, b=16).kernels():
        kernel = ck.get(op, **params)
        load = make_workload(kernel.spec, 96)
        load.torch_fn()
        kernel(*load.args)
        assert load.flops >= 0 and load.bytes > 0, kernel.spec.name


def test_thread_scaling_and_the_simulated_share(tmp_path):
    """Speed-up and efficiency per series from rows at 1 and 2 threads (the FFN's from the
    baselines), and a simulated 16-core run as a share of this host's own 2-thread speed-up."""
    from benchmarks.scaling import format_scaling, plot_scaling, scaling_table, simulated_table

    def row(threads, ms, ffn=None, simulated=None):
        return Row("end to end", "inference (eval)", 4096, threads, ms, {"FFN fp32": ffn} if ffn else {}, {},
                   simulated_cores=simulated)

    rows = [row(1, 100.0, 300.0), row(2, 50.0, 200.0), row(16, 75.0, 250.0, simulated=16)]
    table = {(r["what"], r["threads"]): r for r in scaling_table(rows)}
    assert table[("inference (eval)", 2)]["speedup"] == pytest.approx(2.0)
    assert table[("inference (eval)", 2)]["efficiency"] == pytest.approx(1.0)
    assert table[("inference (eval): FFN fp32", 2)]["speedup"] == pytest.approx(1.5)
    assert ("inference (eval)", 16) not in table  # a simulated run is not a real thread count
    [simulated] = simulated_table(rows)
    assert simulated["simulated_speedup"] == pytest.approx(4 / 3) and simulated["share"] == pytest.approx(2 / 3)
    text = format_scaling(rows)
    assert "67%" in text and "16 cores, 16 threads" in text
    pytest.importorskip("matplotlib")
    assert plot_scaling(rows, tmp_path / "s.png", "t") and (tmp_path / "s.png").stat().st_size > 0


def test_rounds_keep_the_candidates_order_whatever_ran_first():
    samples = interleaved({name: (lambda: None) for name in "abc"}, rounds=3, warmup=0)
    assert all(list(r) == ["a", "b", "c"] for r in samples.rounds)
