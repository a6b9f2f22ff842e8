"""Oreline's profile on its own: builders, parsing into typed events, every problem at once.

No database here: parsing is pure (the checks against stock live in capture).
"""

from __future__ import annotations

import pytest

from oreline.errors import CaptureError
from oreline.ledger.epcis.document import make_document
from oreline.ledger.epcis.hashid import event_hash_id
from oreline.ledger.profile.builder import receive_event, transform_event
from oreline.ledger.profile.model import OUR_PREFIXES, LotMaster, step_name, step_uri, to_kg
from oreline.ledger.profile.parse import parse_document
from oreline.origin import STAGES

SITE = "urn:oreline:site:kmp"
LOT = "urn:oreline:lot:ox-1"
ASSAY = {"Nd": 0.6, "Pr": 0.2}
T = "2026-03-02T08:00:00+09:00"


def _receipt(**kw: object) -> dict[str, object]:
    args: dict[str, object] = {"kg": 1000.0, "site": SITE, "time": T, "material": "NdPr oxide",
                               "form": "oxide", "assay": ASSAY,
                               "origin": {"mined": "AU", "separated": "MY"}}
    args.update(kw)
    return receive_event(LOT, **args)  # type: ignore[arg-type]


def test_a_receipt_parses_into_a_typed_event_with_its_master_data() -> None:
    events, _ = parse_document(make_document([_receipt()], prefixes=OUR_PREFIXES))
    (pe,) = events
    assert (pe.type, pe.action, step_name(pe.step), pe.location) == (
        "ObjectEvent", "ADD", "receiving", SITE)
    assert [(q.lot, q.kg) for q in pe.quantities] == [(LOT, 1000.0)]
    master = pe.masters[LOT]
    assert isinstance(master, LotMaster)
    assert master.form == "oxide" and dict(master.assay) == ASSAY
    assert {s: o.country for s, o in master.origin.items()} == {"mined": "AU",
                                                                "separated": "MY"}
    # the hash ID is the standard's, computed on the event as captured
    assert pe.hash_id == event_hash_id(pe.raw)


def test_tonnes_are_read_as_kg() -> None:
    ev = _receipt()
    ev["quantityList"] = [{"epcClass": LOT, "quantity": 2.5, "uom": "TNE"}]
    (pe,), _ = parse_document(make_document([ev], prefixes=OUR_PREFIXES))
    assert pe.quantities[0].kg == pytest.approx(2500.0) == to_kg(2.5, "TNE")


def test_every_problem_is_reported_at_once() -> None:
    """Two bad events: both named in one error, and nothing half-parsed comes back."""
    bad_stage = _receipt(origin={"smelted": "AU"})
    bad_qty = _receipt(kg=-5.0)
    with pytest.raises(CaptureError) as err:
        parse_document(make_document([bad_stage, bad_qty], prefixes=OUR_PREFIXES))
    text = str(err.value)
    assert "event[0]" in text and "event[1]" in text
    assert "smelted" in text and all(s in text for s in STAGES)


def test_a_transformation_names_its_inputs_and_outputs() -> None:
    ev = transform_event("electrolytic_reduction", site=SITE, time=T,
                         inputs={LOT: 400.0},
                         outputs={"urn:oreline:lot:m-1": (300.0, {
                             "material": "NdPr metal", "form": "metal",
                             "assay": {"Nd": 0.75, "Pr": 0.25}, "custody": "segregated"})})
    (pe,), _ = parse_document(make_document([ev], prefixes=OUR_PREFIXES))
    assert [(q.lot, q.kg) for q in pe.inputs] == [(LOT, 400.0)]
    assert [(q.lot, q.kg) for q in pe.outputs] == [("urn:oreline:lot:m-1", 300.0)]
    assert step_name(pe.step) == "electrolytic_reduction"


@pytest.mark.parametrize("name", ["receiving", "shipping", "electrolytic_reduction",
                                  "strip_casting"])
def test_step_names_and_uris_round_trip(name: str) -> None:
    assert step_name(step_uri(name)) == name
