"""Tamper evidence: any changed byte, deleted or reordered entry is found and named."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import delete, select, update

from oreline.errors import ChainError
from oreline.ledger import Ledger
from oreline.ledger.epcis.canonical import sha256_hex
from oreline.ledger.integrity.chain import merkle_root, verify_pack
from oreline.ledger.store.schema import checkpoints, entries
from tests.ledger.ledgerkit import L, doc, electrolysis, receipt, ship

METAL_KG = 326.4


def _fill(ledger: Ledger) -> None:
    ledger.capture(doc(receipt("ox1", 1000.0), receipt("ox2", 500.0)))
    ledger.capture(doc(electrolysis({"ox1": 400.0}, "m1", METAL_KG)))
    ledger.capture(doc(ship("m1", 100.0, customer="urn:oreline:party:noveon"),
                       ship("ox2", 50.0)))


def _unlock(ledger: Ledger) -> None:
    """Drop the append-only triggers, as an intruder with database rights could."""
    with ledger.store.write() as conn:
        if ledger.store.dialect == "sqlite":
            conn.exec_driver_sql("DROP TRIGGER IF EXISTS entries_no_update")
            conn.exec_driver_sql("DROP TRIGGER IF EXISTS entries_no_delete")
        else:
            conn.exec_driver_sql("DROP TRIGGER IF EXISTS entries_append_only ON entries")


def test_database_refuses_update_and_delete_of_entries(ledger: Ledger) -> None:
    _fill(ledger)
    from sqlalchemy.exc import DBAPIError

    with pytest.raises(DBAPIError, match="append-only"), ledger.store.write() as conn:
        conn.execute(update(entries).where(entries.c.seq == 2).values(actor="x"))
    with pytest.raises(DBAPIError, match="append-only"), ledger.store.write() as conn:
        conn.execute(delete(entries).where(entries.c.seq == 2))
    assert ledger.verify()["entries"] == 5


def _body(ledger: Ledger, seq: int) -> str:
    with ledger.store.read() as conn:
        return str(conn.execute(select(entries.c.body).where(entries.c.seq == seq)).scalar_one())


def _set(ledger: Ledger, seq: int, **values: object) -> None:
    _unlock(ledger)
    with ledger.store.write() as conn:
        conn.execute(update(entries).where(entries.c.seq == seq).values(**values))


def test_untouched_ledger_verifies(ledger: Ledger) -> None:
    _fill(ledger)
    assert ledger.verify()["entries"] == 5


def test_every_byte_of_a_stored_event_is_covered(ledger: Ledger) -> None:
    _fill(ledger)
    original = _body(ledger, 3)
    step = 1 if ledger.store.dialect == "sqlite" else 17
    for pos in range(0, len(original), step):
        ch = original[pos]
        tampered = original[:pos] + ("0" if ch != "0" else "1") + original[pos + 1:]
        _set(ledger, 3, body=tampered)
        with pytest.raises(ChainError, match=r"^entry 3 \(event "):
            ledger.verify()
    _set(ledger, 3, body=original)
    assert ledger.verify()["entries"] == 5


@pytest.mark.parametrize("field", ["hash_id", "content_hash", "recorded_at", "actor",
                                   "prev_hash", "entry_hash", "event_id"])
def test_changed_entry_fields_are_named(ledger: Ledger, field: str) -> None:
    _fill(ledger)
    with ledger.store.read() as conn:
        value = conn.execute(select(entries.c[field]).where(entries.c.seq == 2)).scalar_one()
    _set(ledger, 2, **{field: ("f" if value[0] != "f" else "e") + value[1:]})
    with pytest.raises(ChainError, match=r"^entry 2 \(event "):
        ledger.verify()


def test_deleted_middle_entry_is_found(ledger: Ledger) -> None:
    _fill(ledger)
    _unlock(ledger)
    with ledger.store.write() as conn:
        conn.execute(delete(entries).where(entries.c.seq == 2))
    with pytest.raises(ChainError, match=r"entry 3 .*expected entry 2 here"):
        ledger.verify()


def test_reordered_entries_are_found(ledger: Ledger) -> None:
    _fill(ledger)
    _unlock(ledger)
    with ledger.store.write() as conn:
        conn.execute(update(entries).where(entries.c.seq == 2).values(seq=-2))
        conn.execute(update(entries).where(entries.c.seq == 3).values(seq=2))
        conn.execute(update(entries).where(entries.c.seq == -2).values(seq=3))
    with pytest.raises(ChainError, match=r"^entry 2 .*prev_hash does not match"):
        ledger.verify()


def test_deleted_tail_is_found_by_checkpoint(ledger: Ledger, tmp_path: Path) -> None:
    _fill(ledger)
    cp = ledger.checkpoint(tmp_path / "org.key")
    assert cp["upto_seq"] == 5
    assert ledger.verify(trusted_key=cp["public_key"])["checkpoints"] == 1
    _unlock(ledger)
    with ledger.store.write() as conn:
        conn.execute(delete(entries).where(entries.c.seq == 5))
    with pytest.raises(ChainError, match=r"entries 5\.\.5 were deleted"):
        ledger.verify()


def test_forged_checkpoint_and_foreign_key(ledger: Ledger, tmp_path: Path) -> None:
    _fill(ledger)
    cp = ledger.checkpoint(tmp_path / "org.key")
    with pytest.raises(ChainError, match="not the trusted key"):
        ledger.verify(trusted_key="00" * 32)
    with ledger.store.write() as conn:
        conn.execute(update(checkpoints).values(signature="00" * 64))
    with pytest.raises(ChainError, match="signature does not verify"):
        ledger.verify(trusted_key=cp["public_key"])


def test_checkpoint_root_is_independent_merkle(ledger: Ledger, tmp_path: Path) -> None:
    _fill(ledger)
    cp = ledger.checkpoint(tmp_path / "org.key")
    with ledger.store.read() as conn:
        hashes = conn.execute(select(entries.c.entry_hash).order_by(entries.c.seq)).scalars().all()
    # independent: pairwise with 0x01 prefix, odd carried up
    level = [bytes.fromhex(h) for h in hashes]
    while len(level) > 1:
        level = [bytes.fromhex(sha256_hex(b"\x01" + level[i] + level[i + 1]))
                 if i + 1 < len(level) else level[i] for i in range(0, len(level), 2)]
    assert cp["root"] == level[0].hex() == merkle_root(hashes)


def test_audit_pack_verifies_offline_and_detects_tampering(ledger: Ledger,
                                                           tmp_path: Path) -> None:
    _fill(ledger)
    pack = tmp_path / "m1.zip"
    res = ledger.write_pack(pack, tmp_path / "org.key", lot=L + "m1")
    assert res["entries"] == 5
    assert res["shared"] == 3  # ox1 receipt, electrolysis, m1 shipment; others redacted
    ok = verify_pack(pack)
    assert ok["entries"] == 5
    with zipfile.ZipFile(pack) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    d = json.loads(parts["document.jsonld"])
    d["epcisBody"]["eventList"][1]["outputQuantityList"][0]["quantity"] = 999.0
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as zf:
        for n, data in parts.items():
            zf.writestr(n, json.dumps(d) if n == "document.jsonld" else data)
    with pytest.raises(ChainError, match=r"^entry 3 \(event .*differs from the ledger entry"):
        verify_pack(bad)
    manifest = json.loads(parts["manifest.json"])
    del manifest[3]
    with zipfile.ZipFile(bad, "w") as zf:
        for n, data in parts.items():
            zf.writestr(n, json.dumps(manifest) if n == "manifest.json" else data)
    with pytest.raises(ChainError, match=r"^entry 5 .*expected entry 4"):
        verify_pack(bad)


def test_deep_verify_rederives_origins_and_stock(ledger: Ledger) -> None:
    from oreline.ledger.store.schema import lots, movements
    from tests.ledger.ledgerkit import alloy_scenario

    ledger.capture(doc(*alloy_scenario({"mined": "CN", "separated": "CN"})))
    ledger.capture(doc(ship("a1", 100.0)))
    counts = ledger.verify(deep=True)["derived_rows"]
    assert counts["lots"] == 6 and counts["edges"] == 6
    assert ledger.check(L + "a1")["status"] == "fail"
    with ledger.store.read() as conn:
        origin = conn.execute(select(lots.c.origin).where(lots.c.lot_id == L + "a1")
                              ).scalar_one()
    with ledger.store.write() as conn:  # launder the Chinese Dy into Australian
        conn.execute(update(lots).where(lots.c.lot_id == L + "a1").values(
            origin=origin.replace('"CN"', '"AU"')))
    assert ledger.check(L + "a1")["status"] == "pass"
    assert ledger.verify()["entries"] == 7  # the chain itself is intact...
    with pytest.raises(ChainError, match=r"lots row urn:oreline:lot:a1 differs from what the "
                       r"events give: origin is .*\"AU\".*, the events give .*\"CN\""):
        ledger.verify(deep=True)  # ...but the derived origin no longer matches the events
    with ledger.store.write() as conn:
        conn.execute(update(lots).where(lots.c.lot_id == L + "a1").values(origin=origin))
        conn.execute(update(movements).where(movements.c.kind == "shipping").values(
            delta_kg=-10.0))
    with pytest.raises(ChainError, match=r"movements row seq \d+, lot_id urn:oreline:lot:a1, "
                       r".*delta_kg is -10.0, the events give -100.0"):
        ledger.verify(deep=True)


def test_site_country_is_chained(ledger: Ledger) -> None:
    from oreline.ledger.store.schema import lots, sites
    from tests.ledger.ledgerkit import KMP, alloy_scenario

    ledger.capture(doc(*alloy_scenario({"mined": "AU", "separated": "MY"})))
    with ledger.store.read() as conn:
        ctx = conn.execute(select(entries.c.context).where(entries.c.seq == 4)).scalar_one()
    assert json.loads(ctx) == {"site": KMP, "name": "KMP Ochang", "stage": "alloying",
                               "country": "KR", "policy": "reject"}
    # relabel the plant as Chinese in both the site and the derived origins: plain verify
    # compares the sites table with the context the chain recorded (the first entry at KMP
    # is the receipt, entry 1)
    with ledger.store.write() as conn:
        conn.execute(update(sites).where(sites.c.site_id == KMP).values(country="CN"))
        for lot_id, origin in conn.execute(select(lots.c.lot_id, lots.c.origin)).all():
            conn.execute(update(lots).where(lots.c.lot_id == lot_id).values(
                origin=origin.replace('"KR"', '"CN"')))
    with pytest.raises(ChainError, match=r"^entry 1 \(event .*has country 'CN' in the sites "
                                         r"table but the chain recorded 'KR'"):
        ledger.verify()
    with ledger.store.read() as conn:
        from oreline.ledger.integrity.replay import replay_check

        with pytest.raises(ChainError, match=r"sites row 'urn:oreline:site:kmp' is changed"):
            replay_check(conn)
    with ledger.store.write() as conn:
        conn.execute(update(sites).where(sites.c.site_id == KMP).values(country="KR"))
    _set(ledger, 4, context=ctx.replace("KR", "CN"))
    with pytest.raises(ChainError, match=r"^entry 4 .*entry hash differs"):
        ledger.verify()


def test_renamed_site_is_named_by_verify(ledger: Ledger) -> None:
    from oreline.ledger.store.schema import sites
    from tests.ledger.ledgerkit import KMP

    _fill(ledger)
    assert ledger.verify()["entries"] == 5
    with ledger.store.write() as conn:  # sites has no trigger: a plain UPDATE succeeds
        conn.execute(update(sites).where(sites.c.site_id == KMP).values(name="Baotou Works"))
    with pytest.raises(ChainError, match=r"^entry 1 \(event .*\): site urn:oreline:site:kmp "
                                         r"has name 'Baotou Works' in the sites table but "
                                         r"the chain recorded 'KMP Ochang'"):
        ledger.verify()
    with ledger.store.write() as conn:
        conn.execute(update(sites).where(sites.c.site_id == KMP).values(name="KMP Ochang",
                                                                         stage="mine"))
    with pytest.raises(ChainError, match=r"^entry 1 .*has stage 'mine'"):
        ledger.verify()


def test_ledger_chained_without_site_names_still_verifies(ledger: Ledger) -> None:
    from oreline.ledger.store.schema import sites
    from tests.ledger.ledgerkit import KMP, rechain_as_before_0004

    _fill(ledger)
    rechain_as_before_0004(ledger)
    with ledger.store.read() as conn:
        ctx = conn.execute(select(entries.c.context).where(entries.c.seq == 1)).scalar_one()
    assert json.loads(ctx) == {"site": KMP, "country": "KR", "policy": "reject"}
    assert ledger.verify(deep=True)["entries"] == 5
    with ledger.store.write() as conn:  # the old chain does not cover the name...
        conn.execute(update(sites).where(sites.c.site_id == KMP).values(name="Renamed"))
    assert ledger.verify(deep=True)["entries"] == 5
    with ledger.store.write() as conn:  # ...but still covers the country
        conn.execute(update(sites).where(sites.c.site_id == KMP).values(country="CN"))
    with pytest.raises(ChainError, match=r"^entry 1 .*has country 'CN'"):
        ledger.verify()
    # a new capture chains the name the table holds now onto the old entries
    ledger.capture(doc(receipt("ox9", 10.0)))
    with ledger.store.read() as conn:
        ctx = conn.execute(select(entries.c.context).where(entries.c.seq == 6)).scalar_one()
    assert json.loads(ctx)["name"] == "Renamed"
