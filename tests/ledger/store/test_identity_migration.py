"""Revision 0009: GS1 lot IDs stored before it are re-keyed to their canonical key."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect

from oreline.ledger import lot_master, receive_event, ship_event, transform_event
from tests.ledger.ledgerkit import AU_MY, KMP, METAL, OX, RE_OX, ledger_at_revision, t

URN = "urn:epc:class:lgtin:4012345.012345.OX1"
KEY = "https://id.gs1.org/01/04012345123456/10/OX1"
METAL_URN = "urn:epc:class:lgtin:4012345.012346.M1"
METAL_KEY = "https://id.gs1.org/01/04012345123463/10/M1"


def test_lot_ids_of_a_ledger_of_revision_0007_are_re_keyed(tmp_path: Path) -> None:
    metal_kg = round(400.0 * RE_OX * 0.96, 3)
    events = [
        receive_event(URN, kg=1000.0, site=KMP, time=t(1), material="NdPr oxide",
                      form="oxide", assay=OX, origin=AU_MY),
        transform_event("electrolytic_reduction", site=KMP, time=t(5), inputs={URN: 400.0},
                        outputs={METAL_URN: (metal_kg, lot_master("NdPr metal", "metal",
                                                                  METAL))}),
        ship_event(URN, kg=100.0, site=KMP, time=t(6)),
    ]
    # as revision 0007 stored them: the lot IDs as written, no hash ID index
    undo = ["DROP INDEX ix_entries_hash_id"] + [
        f"UPDATE {table} SET {col} = REPLACE({col}, '{new}', '{old}')"
        for table, col in (("lots", "lot_id"), ("lots", "origin"), ("movements", "lot_id"),
                           ("edges", "child"), ("edges", "parent"))
        for old, new in ((URN, KEY), (METAL_URN, METAL_KEY))]
    led = ledger_at_revision(tmp_path / "old.sqlite", "0007", undo, *events)
    try:
        assert "ix_entries_hash_id" in {ix["name"] for ix in inspect(
            led.store.engine).get_indexes("entries")}
        assert led.lot(URN)["lot"] == KEY and led.lot(KEY)["on_hand_kg"] == 500.0
        assert led.trace_back(METAL_URN)["inputs"][0]["lot"]["lot"] == KEY
        assert led.verify(deep=True)["entries"] == 3  # every derived row as a replay gives
    finally:
        led.close()
