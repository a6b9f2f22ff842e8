"""The rules work on plain values: no database, no store, hand-made rows and parts.

(tests/test_project.py holds that no rule module imports SQLAlchemy or the store.)
"""

from __future__ import annotations

import pytest

from oreline.ledger.records import LotRecord, OriginPart
from oreline.ledger.rules.accounts import (
    credit_account,
    reversal,
    rolling_account,
    rolling_window,
)
from oreline.ledger.rules.campaign import add_taken, from_lines, taps
from oreline.ledger.rules.compliance import check_lot, crma_report, crma_status, dfars_status
from oreline.ledger.rules.custody import check_balance


def _part(share: float, **stages: str) -> OriginPart:
    return {"share": share, "stages": dict(stages), "custody": "segregated", "evidence": [],
            "lots": ["urn:oreline:lot:r1"]}


LYNAS = _part(1.0, mined="AU", separated="MY", refined="KR")


def test_dfars_on_hand_made_parts() -> None:
    """Metal: mined, separated and refined need a country; CN fails, unknown is unproven."""
    assert dfars_status([LYNAS], "metal")["status"] == "pass"
    china = _part(0.1, mined="CN", separated="CN", refined="KR")
    result = dfars_status([{**LYNAS, "share": 0.9}, china], "metal")
    assert result["status"] == "fail"
    assert [(f["stage"], f["country"], f["share"]) for f in result["findings"]] == [
        ("mined", "CN", 0.1), ("separated", "CN", 0.1)]
    unknown = _part(1.0, separated="US", refined="KR")
    assert dfars_status([unknown], "metal")["status"] == "unproven"
    assert dfars_status([], "reagent")["status"] == "not-applicable"
    assert dfars_status([{**LYNAS, "custody": "mass_balance"}], "metal")["status"] == (
        "unproven")


def test_crma_on_hand_made_parts() -> None:
    """Half Lynas, half US: no third country above 65 % at the sourcing stages."""
    us = _part(0.5, mined="US", separated="US", refined="KR")
    result = crma_status([{**LYNAS, "share": 0.5}, us], "metal")
    assert result["status"] == "within-benchmark"
    assert result["by_stage"]["refined"] == {"KR": 1.0}  # shown, not assessed
    assert result["stages_assessed"] == ["mined", "separated"]
    assert crma_status([LYNAS], "metal")["status"] == "above-benchmark"


def test_check_lot_marks_a_retracted_lot() -> None:
    info: LotRecord = {"lot": "L", "material": "NdPr metal", "form": "metal",
                       "custody": "segregated", "kg": 10.0, "on_hand_kg": 10.0, "site": "s",
                       "assay": {"Nd": 1.0}, "origin": [LYNAS], "claim_share": None,
                       "event_id": "e", "event_time": "2026-01-01T00:00:00Z",
                       "retracted": True}
    result = check_lot(info, "dfars-2027")
    assert (result["status"], result["lot"], result["form"]) == ("retracted", "L", "metal")
    assert check_lot({**info, "retracted": False}, "crma")["status"] == "above-benchmark"


def test_crma_report_weights_lots_by_kg() -> None:
    """300 kg AU + 100 kg CN mined: AU holds 75 %, above the 65 % benchmark."""
    report = crma_report("2026", [(300.0, "metal", [LYNAS]),
                                  (100.0, "metal", [_part(1.0, mined="CN", separated="CN",
                                                          refined="KR")])])
    assert (report["lots"], report["kg"]) == (2, 400.0)
    mined = report["stages"]["mined"]
    assert mined["shares"] == {"AU": 0.75, "CN": 0.25}
    assert (mined["top_third_country"], mined["above_benchmark"]) == ("AU", True)
    assert report["stages"]["refined"]["assessed"] is False
    assert crma_report("2026", [])["stages"] == {}


def test_check_balance_on_hand_made_masses() -> None:
    """Electrolysis keeps 92.5-99.5 %: 90 % is an unexplained loss, 96 % balances."""
    assert check_balance("electrolytic_reduction", {"Nd": 100.0}, {"Nd": 96.0}) == []
    assert check_balance("electrolytic_reduction", {"Nd": 100.0}, {"Nd": 90.0})[0].startswith(
        "unexplained loss of Nd")
    assert check_balance("electrolytic_reduction", {"Nd": 100.0}, {"Nd": 90.0},
                         floor=False) == []


def test_account_arithmetic_on_hand_made_sums() -> None:
    """Opening 50; 80 credited, 30 claimed, 4 lost: closing 96; rolling 76/95."""
    before = {"receipt": (50.0, 50.0, 0.0)}
    rows = {"receipt": (100.0, 80.0, 0.0), "claim": (0.0, 0.0, 30.0),
            "loss": (-5.0, 0.0, 4.0)}
    credit = credit_account("s", "Nd", "ex-china", "2026-03", before, rows)
    assert (credit["opening_kg"], credit["credits_kg"], credit["debits_kg"]) == (
        50.0, 80.0, 34.0)
    assert (credit["claims_kg"], credit["losses_kg"], credit["closing_kg"]) == (30.0, 4.0, 96.0)
    everything = credit_account("s", "Nd", "ex-china", None, None, rows)
    assert (everything["period"], everything["opening_kg"]) == ("all", 0.0)
    rolling = rolling_account("s", "Nd", "ex-china", rolling_window("2026-03"), rows)
    assert rolling["window"] == "2025-04..2026-03"
    assert (rolling["input_kg"], rolling["compliant_kg"], rolling["lost_kg"]) == (
        95.0, 76.0, 5.0)
    assert rolling["percentage"] == pytest.approx(76.0 / 95.0)


def test_reversal_gives_back_debits_and_refuses_spent_credits() -> None:
    claim = {"site": "s", "element": "Nd", "characteristic": "ex-china", "period": "2026-01",
             "input_kg": 0.0, "credit_kg": 0.0, "debit_kg": 5.0, "kind": "claim"}
    undo, problem = reversal([claim, {**claim, "kind": "retract-claim"}], "ev", 3,
                             lambda *_: 0.0)
    assert problem is None
    assert [(r["kind"], r["debit_kg"], r["period"], r["seq"]) for r in undo] == [
        ("retract-claim", -5.0, "2026-01", 3)]
    receipt = {**claim, "credit_kg": 10.0, "debit_kg": 0.0, "kind": "receipt"}
    assert reversal([receipt], "ev", 3, lambda *_: 10.0)[1] is None
    assert reversal([receipt], "ev", 3, lambda *_: 9.0)[1] == (
        "its 10.000 kg Nd ex-china credits at s were spent since")


def test_campaign_from_hand_made_lines() -> None:
    """Fed 400 + 100 kg, tapped one lot that took 200 kg of ox1: 300 kg of it left."""
    found = from_lines([("c", "s", "electrolytic_reduction", "input", "ox1", 400.0, "feed",
                         "e1"),
                        ("c", "s", "electrolytic_reduction", "input", "ox2", 100.0, "feed",
                         "e1"),
                        ("c", "s", "electrolytic_reduction", "output", "m1", 150.0, "tap",
                         "e2")])
    owner = taps(found)
    assert list(owner) == ["m1"]
    add_taken(owner, [("m1", "ox1", 120.0), ("m1", "ox1", 80.0)])
    assert found["c"].remaining() == {"ox1": 200.0, "ox2": 100.0}
    assert found["c"].closed_by is None
