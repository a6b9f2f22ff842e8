"""Lot search in SQL against a plain Python filter over every lot; the cheap head."""

from __future__ import annotations

import pytest

from oreline.ledger import Ledger
from tests.ledger.ledgerkit import alloy_scenario, doc, receipt, ship


def _python_filter(led: Ledger, text: str) -> list[str]:
    q = text.strip().lower()
    rows = [r for r in led.lots() if not q or any(
        q in str(r[k]).lower() for k in ("lot", "material", "form", "site"))]
    return [r["lot"] for r in reversed(rows)]  # newest first


@pytest.fixture
def led(ledger: Ledger) -> Ledger:
    ledger.capture(doc(*alloy_scenario({"mined": "AU", "separated": "MY"}),
                       receipt("odd%25lot_1", 50.0), receipt("ODDx25lotz1", 20.0),
                       ship("a1", 300.0, day=26)))
    return ledger


@pytest.mark.parametrize("text", ["", "a1", "OXIDE", "alloy", "kmp", "%", "_", "odd%25lot",
                                  "25lot_", "nothing-like-this", "  a1  "])
def test_find_lots_matches_a_python_filter(led: Ledger, text: str) -> None:
    want = _python_filter(led, text)
    total, rows = led.find_lots(text, limit=3)
    assert total == len(want)
    assert [r["lot"] for r in rows] == want[:3]
    every = {r["lot"]: r for r in led.lots()}
    for r in rows:
        assert r == every[r["lot"]]  # the same row as lots() gives, on-hand stock too


def test_like_wildcards_in_the_text_are_literal(led: Ledger) -> None:
    total, rows = led.find_lots("d%25lot_", limit=10)
    assert total == 1 and rows[0]["lot"].endswith("odd%25lot_1")


def test_head_moves_with_each_capture(ledger: Ledger) -> None:
    assert ledger.head() == (0, "")
    ledger.capture(doc(receipt("ox1", 10.0)))
    n, h = ledger.head()
    assert (n, h) == (1, ledger.verify()["head"])
    ledger.capture(doc(receipt("ox2", 10.0)))
    assert ledger.head()[0] == 2 and ledger.head()[1] != h
