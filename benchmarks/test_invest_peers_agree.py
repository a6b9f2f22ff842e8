"""Ours, linopy and Pyomo build the same extensive form of ``oreline invest``.

Equal counts (columns, integer columns, rows, nonzeros, as HiGHS holds them) and the
same optimum to 1e-6 relative with HiGHS at MIP gap 0, on kmp with 2 and 3 sampled
scenarios of its stress set (risk-neutral, and with CVaR) and on tiny-invest. This is
the proof that ``benchmarks/invest_peers_bench.py`` times the same model three ways.

Run with ``pytest benchmarks/test_invest_peers_agree.py`` (needs the ``bench`` extra).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

pytest.importorskip("linopy")
pytest.importorskip("pyomo")

from invest_peers import INVEST_PEERS

from oreline.invest import InvestProblem, build_problem
from oreline.scenario import load_scenario
from oreline.stress.files import load_stress

RTOL = 1e-6


def _problem(name: str, n: int) -> InvestProblem:
    if name == "kmp":
        return build_problem(load_scenario("kmp"), load_stress("kmp")[0], n, None)
    return build_problem(load_scenario(name))


def _run(tool: str, problem: InvestProblem, w: float) -> tuple[tuple[int, ...], float]:
    t = INVEST_PEERS[tool](w)
    handle = t.load(t.build(problem))
    return t.counts(handle), t.solve(handle)


@pytest.mark.parametrize(("name", "n", "w"), [("tiny-invest", 1, 0.0), ("kmp", 2, 0.0),
                                              ("kmp", 3, 0.3)])
def test_peers_build_the_same_extensive_form(name: str, n: int, w: float) -> None:
    problem = _problem(name, n)
    assert problem.n_scenarios == n
    counts, objective = {}, {}
    for tool in ("oreline", "linopy", "pyomo"):
        counts[tool], objective[tool] = _run(tool, problem, w)
    assert counts["oreline"][1] == problem.first.n > 0, "the decisions are integer columns"
    assert counts["linopy"] == counts["oreline"]
    assert counts["pyomo"] == counts["oreline"]
    for tool in ("linopy", "pyomo"):
        assert objective[tool] == pytest.approx(objective["oreline"], rel=RTOL)


def test_kmp_exercises_every_invest_part() -> None:
    """kmp's form has what the peers must write: orders, buffers, supply, tree, budget."""
    problem = _problem("kmp", 3)
    net = problem.lp.net
    assert len(net.opening.order_node) > 0
    assert problem.expansion.link_upper[problem.lp.row_slice("Node-balance")].nnz > 0
    assert problem.lp.rows["Invest-supply"].size > 0
    assert len(problem.stages) == 2
    assert any(name.startswith("budget") for name in problem.first.row_names)
    assert any(":requires:" in name for name in problem.first.row_names)


def test_counts_match_our_form() -> None:
    """HiGHS holds exactly our extensive form: a copy of the invest LP per scenario."""
    from oreline.invest.extensive import build_extensive

    problem = _problem("kmp", 2)
    form = build_extensive(problem)
    counts, _ = _run("oreline", problem, 0.0)
    assert counts == (form.matrix.shape[1], problem.first.n, form.matrix.shape[0],
                      form.matrix.nnz)
    assert counts[0] == problem.first.n + problem.n_scenarios * problem.lp.n_cols
