"""Sweeps: determinism across executors, warm/cold agreement, summaries, CLI."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from oreline.scenario import load_scenario
from oreline.stress import draw_samples, load_stress, run_sweep
from oreline.stress.runner import Worker
from oreline.stress.summary import compare_sweeps, cvar, summarise

N = 24


@pytest.fixture(scope="module")
def setup():
    stress, base = load_stress("kmp")
    scenario = load_scenario(base)
    worker = Worker(scenario)
    return stress, scenario, worker


def _key(result) -> pd.DataFrame:
    cols = [c for c in result.metrics.columns if c not in ("seconds", "iterations")]
    return result.metrics[cols].sort_values("sample", ignore_index=True)


def test_same_seed_same_samples(setup):
    stress, _, worker = setup
    a = draw_samples(stress, worker.ctx, N, seed=7)
    b = draw_samples(stress, worker.ctx, N, seed=7)
    c = draw_samples(stress, worker.ctx, N, seed=8)
    assert [s.label for s in a] == [s.label for s in b]
    assert [s.label for s in a] != [s.label for s in c]
    # sample i does not depend on how many samples are drawn
    assert [s.label for s in draw_samples(stress, worker.ctx, 5, seed=7)] == \
        [s.label for s in a[:5]]


def test_probability_zero_never_happens(setup):
    stress, _, worker = setup
    never = stress.model_copy(update={"events": [e.model_copy(update={"probability": 0.0})
                                                 for e in stress.events]})
    assert all(not s.occurrences for s in draw_samples(never, worker.ctx, 20))


def test_executors_agree_and_cold_checks_pass(setup):
    stress, scenario, worker = setup
    samples = draw_samples(stress, worker.ctx, N, seed=11)
    inproc = run_sweep(scenario, samples, executor="inprocess")
    pool = run_sweep(scenario, samples, executor="process", workers=2)
    pd.testing.assert_frame_equal(_key(inproc), _key(pool), check_exact=False, rtol=1e-9)
    checked = inproc.metrics.dropna(subset=["cold_objective"])
    assert len(checked) == stress.cold_check
    assert np.allclose(checked["objective"], checked["cold_objective"], rtol=1e-6)


def test_dask_local_cluster_agrees(setup):
    pytest.importorskip("dask.distributed")
    from dask.distributed import LocalCluster

    stress, scenario, worker = setup
    samples = draw_samples(stress, worker.ctx, 12, seed=3)
    inproc = run_sweep(scenario, samples, executor="inprocess")
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        viadask = run_sweep(scenario, samples, executor="dask", scheduler=cluster.scheduler_address)
    pd.testing.assert_frame_equal(_key(inproc), _key(viadask), check_exact=False, rtol=1e-9)


def test_summary_statistics_match_numpy(setup):
    stress, scenario, worker = setup
    res = run_sweep(scenario, draw_samples(stress, worker.ctx, N, seed=5), "inprocess")
    summary, customers = summarise(res)
    s = summary.set_index("statistic")["value"]
    margin = res.metrics["margin"].to_numpy()
    assert s["P50 margin"] == pytest.approx(np.median(margin))
    worst = np.sort(margin)[: int(np.ceil(N * 0.05))]
    assert s["CVaR95 margin"] == pytest.approx(worst.mean())
    assert s["base margin"] == pytest.approx(worker.base["margin"])
    assert set(customers["customer"]) == set(scenario_ids(scenario))
    assert (customers["p_extra_shortfall"].between(0, 1)).all()


def scenario_ids(scenario):
    return [c.id for c in (*scenario.customers, *scenario.enquiries)]


def test_dy_buffer_mitigation_has_value(setup):
    stress, scenario, worker = setup
    samples = draw_samples(stress, worker.ctx, 12, seed=1)
    base = run_sweep(scenario, samples, "inprocess")
    mitigated = run_sweep(load_scenario("kmp-dy-stock"), samples, "inprocess")
    comp = compare_sweeps(base, mitigated)
    gain = comp.per_sample["margin_gain"]
    assert (gain >= -1e-6 * base.metrics["margin"].abs().max()).all()  # free stock never hurts
    assert gain.mean() > 0
    assert comp.table.set_index("statistic").loc["samples", "value"] == 12


def test_cvar_by_hand():
    assert cvar(np.array([5.0, 1.0, 3.0, 2.0, 4.0]), 0.6) == pytest.approx(1.5)


def test_stress_cli_end_to_end(tmp_path):
    out = tmp_path / "stress"
    res = subprocess.run(
        [sys.executable, "-c", "from oreline.cli import main; main()", "stress", "kmp",
         "--samples", "16", "--executor", "inprocess", "--out", str(out)],
        capture_output=True, text=True, timeout=600, env={"COLUMNS": "150", "HOME": "/tmp",
                                                          "PATH": "/usr/bin:/bin"})
    assert res.returncode == 0, res.stderr
    assert "Risk summary" in res.stdout
    assert "CVaR95 margin" in res.stdout
    cells = [[c.strip() for c in line.split("│")[1:-1]] for line in res.stdout.splitlines()]
    assert ["samples", "16"] in cells  # a count, not 16.0
    assert "Tornado: margin change, one event at a time (M USD)" in res.stdout
    licences = next(c for c in cells if c and c[0] == "april-2025-licences")
    assert all(v.startswith(("+", "-")) and "USD" not in v for v in licences[1:])
    assert "april-2025-licences" in res.stdout
    samples = pd.read_parquet(out / "samples.parquet")
    assert len(samples) == 16
    assert (out / "stress_report.html").stat().st_size > 1_000_000
    assert "plot-tornado" in (out / "stress_report.html").read_text(encoding="utf-8")
