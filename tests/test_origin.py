"""One origin rule for the planner and the ledger (oreline.origin).

The ledger's per-lot CRMA verdict and the planner's CRMA share cap must agree: a lot and a
plan flow of the same origin get the same findings, and the planner caps exactly the third
countries the shared rule names.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from oreline.ledger import Ledger
from oreline.network import compile_network
from oreline.origin import (
    CRMA_CAP,
    CRMA_STAGES,
    STAGES,
    UNKNOWN,
    OriginClass,
    crma_findings,
    crma_shares,
    dfars_stages,
    policy_allows,
)
from oreline.scenario import load_scenario
from oreline.scenario.schema import Policy
from tests.ledger.ledgerkit import KMP, L, alloy_scenario, doc


def _alloy_class(dy_origin: dict[str, str]) -> tuple[OriginClass, OriginClass]:
    """The planner's classes of the two parts of ledgerkit's alloy (NdPr and Dy)."""
    ndpr = OriginClass.declared({"mined": "AU", "separated": "MY"})
    dy = OriginClass.declared({k: v or UNKNOWN for k, v in dy_origin.items()})
    return tuple(c.with_stage("refined", "KR").with_stage("melted", "KR")  # type: ignore[return-value]
                 for c in (ndpr, dy))


@pytest.mark.parametrize("dy_origin", [
    {"mined": "AU", "separated": "MY"},      # all Lynas: above at mined and separated
    {"mined": "CN", "separated": "CN"},      # Chinese Dy: AU/MY still > 65 %
    {"mined": None, "separated": "MY"},      # undeclared mine: one more third country
    {"mined": "EE", "separated": "EE"},      # EU Dy: not capped
])
def test_a_lot_and_a_plan_flow_of_the_same_origin_get_the_same_crma_verdict(
        tmp_path: Path, dy_origin: dict[str, Any]) -> None:
    led = Ledger.open(tmp_path / "l.sqlite")
    led.register_site(KMP, "KMP Ochang", "KR", "alloying")
    led.capture(doc(*alloy_scenario(dy_origin)))
    lot = led.check(L + "a1", "crma")
    assay = led.lot(L + "a1")["assay"]
    led.close()
    ndpr, dy = _alloy_class(dy_origin)
    # parts are shares of the rare earths: the Dy part is Dy's share of Nd + Pr + Dy
    dy_share = assay["Dy"] / (assay["Nd"] + assay["Pr"] + assay["Dy"])
    flow = [(1 - dy_share, {s: ndpr.countries(s) for s in STAGES}),
            (dy_share, {s: dy.countries(s) for s in STAGES})]
    plan = crma_findings(flow)
    assert [(f["stage"], f["country"]) for f in lot["findings"]] == [(s, c) for s, c, _ in plan]
    assert [f["share"] for f in lot["findings"]] == pytest.approx([v for *_, v in plan])
    assert lot["status"] == ("above-benchmark" if plan else "within-benchmark")
    # the plant's own stages (KR refining and melting) never decide the verdict
    assert all(f["stage"] in CRMA_STAGES for f in lot["findings"])


def test_lots_are_told_apart_by_their_sourcing() -> None:
    """Single-source material is above the benchmark; a spread of sources is within it."""
    lynas = {"mined": {"AU"}, "separated": {"MY"}, "refined": {"KR"}, "melted": {"KR"}}
    us = {"mined": {"US"}, "separated": {"US"}, "refined": {"KR"}, "melted": {"KR"}}
    assert crma_findings([(1.0, lynas)]) == [("mined", "AU", 1.0), ("separated", "MY", 1.0)]
    assert crma_findings([(0.6, lynas), (0.4, us)]) == []
    assert crma_findings([(0.7, lynas), (0.3, us)]) == [("mined", "AU", 0.7),
                                                        ("separated", "MY", 0.7)]
    # unknown is one more third country, and exactly at the cap is within it
    assert crma_findings([(CRMA_CAP, {"mined": {UNKNOWN}}),
                          (1 - CRMA_CAP, {"mined": {"FR"}})]) == []


def test_the_planner_caps_exactly_the_third_countries_the_rule_names() -> None:
    sc = load_scenario("kmp")
    net = compile_network(sc)
    assert net.sales.crma, "kmp has a crma customer"
    for ci, share, by_country in net.sales.crma:
        cu = (*sc.customers, *sc.enquiries)[ci]  # demand lines: customers, then enquiries
        stages = list(cu.provenance.stages)
        assert share == cu.provenance.max_share
        rows = np.flatnonzero(np.asarray(net.sales.customer) == ci)
        cls_of = {int(k): net.classes[net.nodes.cls[net.sales.node[k]]] for k in rows}
        named = set().union(*(crma_shares([(1.0, {s: c.countries(s) for s in stages})],
                                          stages).get(s, {}) for c in cls_of.values()
                              for s in stages))
        assert set(by_country) == named
        for country, capped in by_country.items():
            touching = [k for k, c in cls_of.items()
                        if any(country in c.countries(s) for s in stages)]
            assert sorted(capped.tolist()) == touching


def test_dfars_stage_widening_and_policies() -> None:
    assert dfars_stages("2026-12") == ("melted", "produced")
    assert dfars_stages("2027-01") == STAGES
    mined_cn = OriginClass.declared({"mined": "CN", "separated": "MY"}).with_stage(
        "refined", "KR").with_stage("melted", "KR")
    unknown = OriginClass.declared({"mined": UNKNOWN, "separated": "US"})
    dfars = Policy(rule="dfars-2027")
    assert policy_allows(dfars, mined_cn, "2026-12")
    assert not policy_allows(dfars, mined_cn, "2027-01")
    assert not policy_allows(dfars, unknown, "2027-01")
    assert not policy_allows(Policy(rule="ex-china"), unknown, "2026-01")
    assert policy_allows(Policy(rule="crma", max_share=0.65), mined_cn, "2027-01")
    # a label writes the unknown marker compactly and reads it back
    assert unknown.label == "??>US"
    assert OriginClass.from_label("??>US") == unknown
