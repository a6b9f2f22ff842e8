"""Build EPCIS 2.0 events for producers without an EPCIS system: receive, transform, ship.

Examples
--------
>>> ev = receive_event("urn:oreline:lot:ox-1", kg=1000, site="urn:oreline:site:kmp",
...     time="2026-01-05T09:00:00+09:00", material="NdPr oxide", form="oxide",
...     assay={"Nd": 0.64, "Pr": 0.21}, origin={"mined": "AU", "separated": "MY"})
>>> ev["type"], ev["quantityList"][0]["uom"], ev["bizStep"]
('ObjectEvent', 'KGM', 'receiving')

"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["lot_master", "receive_event", "ship_event", "site_master_data",
           "transform_event"]


def _offset(time: str) -> str:
    return "+00:00" if time.endswith("Z") else time[-6:]


def lot_master(material: str, form: str, assay: Mapping[str, float], *,
               origin: Mapping[str, str | None] | None = None,
               evidence: Mapping[str, Sequence[str]] | None = None,
               custody: str = "segregated", claim_share: float | None = None
               ) -> dict[str, Any]:
    """Master data of one lot in the shape of ``ilmd["oreline:lotMaster"][lot]``."""
    data: dict[str, Any] = {"material": material, "form": form, "assay": dict(assay),
                            "custody": custody}
    if origin:
        data["origin"] = {stage: {"country": country,
                                  "evidence": list((evidence or {}).get(stage, []))}
                          for stage, country in origin.items()}
    if claim_share is not None:
        data["claim"] = {"characteristic": "ex-china", "share": claim_share}
    return data


def receive_event(lot: str, *, kg: float, site: str, time: str, material: str, form: str,
                  assay: Mapping[str, float], origin: Mapping[str, str | None],
                  evidence: Mapping[str, Sequence[str]] | None = None,
                  custody: str = "segregated", claim_share: float | None = None,
                  supplier: str | None = None, event_id: str | None = None
                  ) -> dict[str, Any]:
    """An ObjectEvent ADD (``receiving``) creating a lot with its stage-origin map."""
    ev: dict[str, Any] = {
        "type": "ObjectEvent", "eventTime": time, "eventTimeZoneOffset": _offset(time),
        "action": "ADD", "bizStep": "receiving", "disposition": "in_progress",
        "quantityList": [{"epcClass": lot, "quantity": kg, "uom": "KGM"}],
        "readPoint": {"id": site}, "bizLocation": {"id": site},
        "ilmd": {"oreline:lotMaster": {lot: lot_master(
            material, form, assay, origin=origin, evidence=evidence, custody=custody,
            claim_share=claim_share)}},
    }
    if supplier:
        ev["sourceList"] = [{"type": "owning_party", "source": supplier}]
    if event_id:
        ev["eventID"] = event_id
    return ev


def transform_event(step: str, *, site: str, time: str, inputs: Mapping[str, float],
                    outputs: Mapping[str, tuple[float, Mapping[str, Any]]],
                    event_id: str | None = None, campaign: str | None = None,
                    close: bool = False) -> dict[str, Any]:
    """A TransformationEvent with our business step ``step`` (e.g. ``"alloying"``).

    ``outputs`` maps lot -> (kg, master) with master from :func:`lot_master` (no origin).
    With ``campaign`` (a ``transformationID``) the event joins that campaign, whose
    inputs and outputs may come in events of other documents; either mapping may then be
    empty. ``close`` closes the campaign (``"oreline:closeCampaign": true``).

    Examples
    --------
    >>> ev = transform_event("electrolytic_reduction", site="urn:oreline:site:kmp",
    ...     time="2026-03-05T08:00:00+09:00", inputs={"urn:oreline:lot:ox1": 500.0},
    ...     outputs={}, campaign="urn:oreline:campaign:E1")
    >>> sorted(k for k in ev if "put" in k or "ID" in k)
    ['inputQuantityList', 'transformationID']

    """
    ev: dict[str, Any] = {
        "type": "TransformationEvent", "eventTime": time, "eventTimeZoneOffset": _offset(time),
        "inputQuantityList": [{"epcClass": lot, "quantity": kg, "uom": "KGM"}
                              for lot, kg in inputs.items()],
        "outputQuantityList": [{"epcClass": lot, "quantity": kg, "uom": "KGM"}
                               for lot, (kg, _m) in outputs.items()],
        "bizStep": f"oreline:BizStep-{step}", "readPoint": {"id": site},
        "bizLocation": {"id": site},
        "ilmd": {"oreline:lotMaster": {lot: dict(m) for lot, (_kg, m) in outputs.items()}},
    }
    if campaign:
        ev["transformationID"] = campaign
        for key in ("inputQuantityList", "outputQuantityList"):
            if not ev[key]:
                del ev[key]
        if not outputs:
            del ev["ilmd"]
    if close:
        ev["oreline:closeCampaign"] = True
    if event_id:
        ev["eventID"] = event_id
    return ev


def ship_event(lot: str, *, kg: float, site: str, time: str, customer: str | None = None,
               claim_share: float | None = None, event_id: str | None = None
               ) -> dict[str, Any]:
    """An ObjectEvent OBSERVE ``shipping`` taking ``kg`` of a lot out of the site."""
    ev: dict[str, Any] = {
        "type": "ObjectEvent", "eventTime": time, "eventTimeZoneOffset": _offset(time),
        "action": "OBSERVE", "bizStep": "shipping", "disposition": "in_transit",
        "quantityList": [{"epcClass": lot, "quantity": kg, "uom": "KGM"}],
        "readPoint": {"id": site}, "bizLocation": {"id": site},
    }
    if customer:
        ev["destinationList"] = [{"type": "owning_party", "destination": customer}]
    if claim_share is not None:
        ev["oreline:claim"] = {"characteristic": "ex-china", "share": claim_share}
    if event_id:
        ev["eventID"] = event_id
    return ev


def site_master_data(sites: Sequence[Mapping[str, str]]) -> dict[str, Any]:
    """``epcisMasterData`` declaring sites: each mapping has id, name, country, stage[, policy].

    Examples
    --------
    >>> md = site_master_data([{"id": "urn:oreline:site:kmp", "name": "KMP",
    ...                         "country": "KR", "stage": "alloying"}])
    >>> md["vocabularyList"][0]["vocabularyElementList"][0]["attributes"][1]
    {'id': 'oreline:country', 'attribute': 'KR'}

    """
    elements = []
    for s in sites:
        attrs = [{"id": "oreline:name", "attribute": s.get("name", s["id"])},
                 {"id": "oreline:country", "attribute": s["country"]},
                 {"id": "oreline:stage", "attribute": s.get("stage", "unknown")}]
        if "policy" in s:
            attrs.append({"id": "oreline:policy", "attribute": s["policy"]})
        elements.append({"id": s["id"], "attributes": attrs})
    return {"vocabularyList": [{"type": "urn:epcglobal:epcis:vtype:BusinessLocation",
                                "vocabularyElementList": elements}]}
