"""Ours, linopy and Pyomo build the same LP: equal counts, equal optimum (small sizes).

Run with ``pytest benchmarks/test_peers_agree.py`` (needs the ``bench`` extra).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

pytest.importorskip("linopy")
pytest.importorskip("pyomo")

from generator import make_scenario
from peers import PEERS

from oreline.network import compile_network

RTOL = 1e-6


def _run(tool: str, net: object) -> tuple[tuple[int, int, int], float]:
    peer = PEERS[tool]()
    handle = peer.load(peer.build(net))
    objective = peer.solve(handle)
    peer.read(handle)
    return peer.counts(handle), objective


@pytest.mark.parametrize(("regions", "periods", "seed"), [(1, 4, 0), (2, 12, 3), (4, 8, 7)])
def test_peers_build_the_same_lp(regions: int, periods: int, seed: int) -> None:
    net = compile_network(make_scenario(regions, periods=periods, seed=seed))
    assert net.sales.crma, "the scenario should exercise CRMA rows"
    counts, objective = {}, {}
    for tool in ("oreline", "linopy", "pyomo"):
        counts[tool], objective[tool] = _run(tool, net)
    assert counts["linopy"] == counts["oreline"]
    assert counts["pyomo"] == counts["oreline"]
    for tool in ("linopy", "pyomo"):
        assert objective[tool] == pytest.approx(objective["oreline"], rel=RTOL)


def test_counts_match_our_model_layout() -> None:
    """HiGHS holds exactly our matrix: columns, rows and nonzeros of ``build_model``."""
    from oreline.model import build_model

    net = compile_network(make_scenario(1, periods=6, seed=1))
    lp = build_model(net)
    counts, _ = _run("oreline", net)
    assert counts == (lp.n_cols, lp.n_rows, lp.matrix.nnz)
