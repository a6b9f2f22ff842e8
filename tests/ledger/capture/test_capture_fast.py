"""The fast paths of capture give the same bytes, hashes, rows and messages as before.

Capture caches pure results (normalised timestamps, numbers, Digital Link URIs, validated
lot master data), writes the entry hash's canonical JSON field by field, looks lots up
with plain ``IN`` lists and, on PostgreSQL, inserts large tables with ``COPY``. These
tests hold each shortcut to an independent reference.
"""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from oreline.ledger import Ledger
from oreline.ledger.epcis.canonical import canonical_json, canonical_json_reference
from oreline.ledger.epcis.hashid import prehash_string
from oreline.ledger.epcis.values import format_number, normalise_timestamp
from oreline.ledger.profile.model import LotMaster
from oreline.ledger.profile.parse import _masters, _validate_master
from oreline.ledger.store.entryhash import GENESIS_HASH, entry_hash, entry_hash_text
from oreline.ledger.store.schema import entries, lots, mb_entries, movements
from tests.ledger.ledgerkit import KMP, OX, L, doc, electrolysis, receipt, ship

N = 240  # above the COPY threshold for every derived table


def _receipts(n: int, start: int = 0) -> list[dict[str, Any]]:
    out = []
    for i in range(start, start + n):
        ev = receipt(f"bulk{i}", 1000.0 + i / 7, day=1 + i % 3,
                     assay=OX if i % 2 else {"Nd": 0.6, "Pr": 0.2})
        if i % 5 == 0:
            ev["eventID"] = f"urn:uuid:00000000-0000-4000-8000-{i:012d}"
        out.append(ev)
    return out


def test_large_documents_write_exact_rows_and_a_verifiable_chain(ledger: Ledger) -> None:
    first = _receipts(N)
    res = ledger.capture(doc(*first))
    assert res.events == N
    # a second document consuming lots of the first: lots, stock and event IDs are looked
    # up in the database for the whole document at once
    kg = round(400 * (OX["Nd"] + OX["Pr"]) * 0.96, 3)
    second = [electrolysis({f"bulk{i}": 400.0}, f"metal{i}", kg) for i in range(1, N, 2)]
    second += [ship(f"bulk{i}", 100.0) for i in range(0, N, 2)]
    ledger.capture(doc(*second))
    assert ledger.verify(deep=True)["entries"] == N + len(second)
    with ledger.store.read() as conn:
        stored = {r.lot_id: r for r in conn.execute(select(lots))}
        assert len(stored) == N + N // 2
        for i, ev in enumerate(first):
            row = stored[L + f"bulk{i}"]
            assert row.kg == ev["quantityList"][0]["quantity"]  # floats exact
            assert json.loads(row.assay) == ev["ilmd"]["oreline:lotMaster"][L + f"bulk{i}"][
                "assay"]
        assert stored[L + "metal1"].kg == kg
        bodies = [json.loads(b) for b in conn.execute(
            select(entries.c.body).order_by(entries.c.seq)).scalars()]
        assert bodies[:N] == first
        assert conn.execute(select(movements.c.id)).all()
        assert len(conn.execute(select(mb_entries.c.id)).all()) >= 2 * N
    assert ledger.lot(L + "bulk0")["on_hand_kg"] == pytest.approx(900.0)
    # the same events again are a no-op: every event is found in the ledger, held
    again = ledger.capture(doc(*first[:60]))
    assert (again.events, len(again.held)) == (0, 60)
    assert ledger.store.count("entries") == N + len(second)


def test_master_data_cache_gives_the_models_and_messages_of_pydantic() -> None:
    good = {"material": "NdPr oxide", "form": "oxide", "assay": {"Nd": 0.5, "Pr": 0.2},
            "origin": {"mined": {"country": "AU", "evidence": []}}}
    variants: list[Any] = [
        good, copy.deepcopy(good), dict(good, assay={"Nd": 1}), dict(good, assay={"Nd": 1.0}),
        dict(good, assay={"Nd": True}), dict(good, assay={"Nd": -0.0}),
        dict(good, assay={"Nd": 0.0}), dict(good, assay={"Xx": 0.5}),
        dict(good, assay={"Nd": 0.9, "Pr": 0.2}), dict(good, form="powder"),
        dict(good, origin={"moon": {"country": "AU"}}),
        dict(good, origin={"mined": {"country": "au"}}), dict(good, claim={"share": 2}),
        dict(good, extra=1), {1: "x"}, [good], None, "text",
    ]
    for data in variants * 2:  # the second round is served from the cache
        try:
            expected: Any = LotMaster.model_validate(data)
        except Exception as exc:  # compared below
            expected = [(".".join(str(p) for p in e["loc"]),
                         str(e["msg"]).removeprefix("Value error, "))
                         for e in exc.errors()]  # type: ignore[attr-defined]
        got = _validate_master(data)[0]
        assert got == expected, data
        if isinstance(expected, LotMaster):
            assert got.assay == expected.assay  # type: ignore[union-attr]
            assert [type(v) for v in got.assay.values()] == [  # type: ignore[union-attr]
                type(v) for v in expected.assay.values()]
    issues: list[Any] = []
    _masters({"ilmd": {"oreline:lotMaster": {"a": dict(good, form="powder"),
                                             "b": dict(good, form="powder")}}}, "ev", issues)
    assert [i.field for i in issues] == ["ilmd.oreline:lotMaster[a].form",
                                         "ilmd.oreline:lotMaster[b].form"]


def test_cached_pure_functions_keep_types_and_signs_apart() -> None:
    for _ in range(2):
        assert format_number(-0.0) == "-0"
        assert format_number(0.0) == "0"
        assert format_number(1) == "1"
        assert format_number(1.0) == "1"
        assert format_number(True) == "True"
        assert format_number("0.50") == "0.5"
        assert normalise_timestamp("2026-03-01T08:00:00+09:00") == "2026-02-28T23:00:00.000Z"
    with pytest.raises(ValueError, match="time zone offset"):
        normalise_timestamp("2026-03-01T08:00:00")
    ev = {"type": "ObjectEvent", "eventTime": "2026-03-01T08:00:00+09:00",
          "eventTimeZoneOffset": "+09:00", "action": "OBSERVE", "ilmd": {"{bad": "x"}}
    with pytest.raises(ValueError, match="substring not found"):
        prehash_string(ev)
    with pytest.raises(ValueError, match="substring not found"):
        prehash_string(dict(ev, ilmd={"{bad": ["x"]}))


text = st.text(max_size=12)


@settings(max_examples=300)
@given(st.integers(0, 2**53 - 1), text, text, text, text, text,
       st.none() | st.dictionaries(text, text | st.floats(allow_nan=False,
                                                          allow_infinity=False), max_size=3))
def test_entry_hash_is_sha256_of_the_rfc8785_entry(seq: int, prev: str, event_hash: str,
                                                  content: str, recorded: str, actor: str,
                                                  context: dict[str, Any] | None) -> None:
    body: dict[str, Any] = {"seq": seq, "prev_hash": prev, "event_hash": event_hash,
                            "content_hash": content, "recorded_at": recorded, "actor": actor}
    if context:
        body["context"] = context
    expected = hashlib.sha256(canonical_json_reference(body)).hexdigest()
    assert entry_hash(seq, prev, event_hash, content, recorded, actor, context) == expected
    ctx_text = canonical_json(context).decode() if context else None
    assert entry_hash_text(seq, prev, event_hash, content, recorded, actor,
                           ctx_text) == expected


def test_entry_hash_general_path_for_unusual_types() -> None:
    body = {"seq": True, "prev_hash": GENESIS_HASH, "event_hash": "e", "content_hash": "c",
            "recorded_at": "r", "actor": "a", "context": {"site": KMP}}
    expected = hashlib.sha256(canonical_json_reference(body)).hexdigest()
    assert entry_hash(True, GENESIS_HASH, "e", "c", "r", "a", {"site": KMP}) == expected  # type: ignore[arg-type]



def test_memoised_extension_parts_equal_the_plain_recursion(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from oreline.ledger.epcis import extensions
    from oreline.ledger.epcis.canonical import freeze

    master = {"material": "NdPr oxide", "form": "oxide", "assay": {"Nd": 0.5, "Pr": 0.2},
              "origin": {"mined": {"country": "AU", "evidence": ["ab" * 32]}}}
    events = []
    for i, ctx in enumerate([None, [{"oreline": "urn:other:"}], [{"ex": "urn:ex:"}], None]):
        ev = receipt(f"memo{i}", 10.0)
        ev["ilmd"]["oreline:lotMaster"][L + f"memo{i}"] = copy.deepcopy(master)
        ev["ilmd"]["ex:extra"] = {"ex:a": {"ex:b": 1, "c": [1.0, "x"]},
                                  "ex:x": {"@xmlns:ex": "urn:ex3:", "ex:b": 1}}
        ev["ex:top"] = {"k": {"ex:b": True, "n": None}, "t": {"#text": "v"}}
        if ctx is not None:
            ev["@context"] = ctx
        events.append(ev)
    memoised = [prehash_string(ev) for ev in events * 2]
    given_keys = [prehash_string(ev, frozen={
        id(m): freeze(m) for m in ev["ilmd"]["oreline:lotMaster"].values()})
        for ev in events]
    monkeypatch.setattr(extensions, "_ext_parts_memo",
                        lambda k, v, p, *_memo: extensions._ext_parts(k, v, p, None))
    assert memoised == [prehash_string(ev) for ev in events * 2]
    assert given_keys == memoised[:len(events)]
    assert len(set(memoised)) == len(events)


@pytest.mark.parametrize("value", [
    "urn:oreline:lot:r1", " urn:oreline:lot:r1", "urn:epc:id:sgtin:0614141.107346.2017",
    "urn:epc:class:lgtin:4012345.012345.998877", "urn:uuid:0f1e", "ex:lot-1",
    "https://id.gs1.org/01/09520123456788/10/A1", "oreline:site:kmp"])
@pytest.mark.parametrize("prefixes", [{}, {"ex": "urn:ex:", "oreline": "urn:oreline:"},
                                      {"urn": "https://example.org/"}])
def test_uri_shortcut_for_plain_urns_equals_the_general_rules(
        value: str, prefixes: dict[str, str]) -> None:
    from oreline.ledger.epcis.values import epc_to_digital_link, expand_curie, uri

    assert uri(value, prefixes) == epc_to_digital_link(expand_curie(value.strip(), prefixes))


def test_remembered_prefixes_are_never_served_stale() -> None:
    ev = receipt("px1", 10.0)
    ev["ilmd"]["ex:note"] = "n"
    ev["bizStep"] = "ex:step"
    prefixes = {"ex": "urn:ex:one:"}
    first = prehash_string(ev, prefixes)
    assert "urn:ex:one:step" in first
    prefixes["ex"] = "urn:ex:two:"  # the same mapping object, changed in place
    assert "urn:ex:two:step" in prehash_string(ev, prefixes)
    ctx = [{"ex": "urn:ex:three:"}]
    ev["@context"] = ctx
    assert "urn:ex:three:step" in prehash_string(ev, prefixes)
    ctx[0]["ex"] = "urn:ex:four:"  # the event's own context, changed in place
    assert "urn:ex:four:step" in prehash_string(ev, prefixes)
    del ev["@context"]
    prefixes["ex"] = "urn:ex:one:"
    assert prehash_string(ev, prefixes) == first
    assert prehash_string(ev, None) != first


@settings(max_examples=200)
@given(st.text(max_size=20), st.sampled_from([
    {"material": "NdPr oxide", "form": "oxide", "assay": {"Nd": 0.6, "Pr": 0.2, "O": 0.2},
     "origin": {"mined": {"country": "AU", "evidence": ["ab" * 32]},
                "separated": {"country": "MY"}}},
    {"material": "iron", "form": "metal", "assay": {"Fe": 0.99}},
    {"material": "NdPr oxide", "form": "oxide", "assay": {"Nd": 0.5, "Dy": 0.0},
     "custody": "mass_balance", "claim": {"characteristic": "ex-china", "share": 0.25},
     "origin": {"mined": {"country": "CN"}}},
    {"material": "Dy oxide", "form": "oxide", "assay": {"Dy": 0.87},
     "origin": {"mined": {"country": "AU", "evidence": [
         {"sha256": "cd" * 32, "type": "audit", "validFrom": "2026-01-01"}]}}},
]))
def test_receipt_template_equals_deriving_each_lot_afresh(lot: str,
                                                         data: dict[str, Any]) -> None:
    from oreline.ledger.capture.templates import origin_text, receipt_template
    from oreline.ledger.rules import custody

    master = LotMaster.model_validate(data)
    tpl = receipt_template(master)
    assert receipt_template(master) is tpl  # derived once per master object
    origin = {s: o.country for s, o in master.origin.items()}
    evidence = [h for o in master.origin.values() for h in o.hashes()]
    parts = (custody.receipt_parts(origin, master.custody, evidence, lot)
             if custody.re_kg(1.0, master.assay) > 0 else [])
    claim = master.claim.share if master.claim else None
    assert tpl.parts(lot) == parts
    assert tpl.origin_text(lot) == origin_text(parts) == json.dumps(parts, sort_keys=True)
    assert tpl.assay_text == json.dumps(master.assay, sort_keys=True)
    assert tpl.share == custody.compliant_share(parts, claim)
    assert tpl.rare_earths == tuple((el, f) for el, f in master.assay.items()
                                    if el in custody.RARE_EARTHS and f > 0)
    assert tpl.dated_evidence == ("validFrom" in json.dumps(data))
