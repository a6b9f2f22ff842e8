"""EPCIS 2.0 JSON-LD documents in and out (the GS1 standard only).

Documents are ``EPCISDocument`` objects (``epcisBody.eventList``) or single events.
:func:`read_document` loads one from a path, JSON text or a mapping;
:func:`make_document` wraps events in one. Oreline's profile (our vocabulary prefix,
bizSteps, lot master data) lives in :mod:`oreline.ledger.profile.model`.

Examples
--------
>>> doc = make_document([], created="2026-01-01T00:00:00Z", prefixes={"ex": "urn:ex:"})
>>> doc["@context"]
['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld', {'ex': 'urn:ex:'}]

"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from oreline.errors import CaptureError, Issue
from oreline.ledger.epcis.canonical import loads_json

__all__ = ["EPCIS_CONTEXT", "EVENT_TYPES", "make_document", "read_document"]

EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
EVENT_TYPES = (
    "ObjectEvent", "AggregationEvent", "TransactionEvent", "TransformationEvent",
    "AssociationEvent",
)


def read_document(source: str | Path | Mapping[str, Any]) -> dict[str, Any]:
    """Load a JSON-LD document from a path, a JSON string or a mapping.

    Raises
    ------
    CaptureError
        When the file is missing or is not JSON.

    """
    if isinstance(source, Mapping):
        return dict(source)
    text = str(source)
    where = "document"
    if not text.lstrip().startswith(("{", "[")):
        path = Path(text)
        where = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise CaptureError([Issue(where, "", f"cannot read the file: {exc.strerror}",
                                      "check the path", code="document.unreadable")]) from exc
    try:
        data = loads_json(text)
    except json.JSONDecodeError as exc:
        csv_like = where != "document" and "," in text.partition("\n")[0] and \
            not text.lstrip().startswith(("{", "["))
        raise CaptureError([Issue(where, f"line {exc.lineno} col {exc.colno}",
                                  f"not valid JSON: {exc.msg}",
                                  "rename it to end in .csv: CSV files are read by their "
                                  "extension" if csv_like else
                                  "fix the JSON syntax (a linter such as `python -m json.tool`)",
                                  code="document.json")]) from exc
    except ValueError as exc:  # an integer literal of thousands of digits
        raise CaptureError([Issue(where, "", f"not usable JSON: {exc}",
                                  "give numbers within +-2**53 (I-JSON)",
                                  code="document.json")]) from exc
    if not isinstance(data, dict):
        raise CaptureError([Issue(where, "", "the document is not a JSON object",
                                  "wrap events in an EPCISDocument", code="document.type")])
    return data


def make_document(events: list[dict[str, Any]], master_data: Mapping[str, Any] | None = None,
                  created: str | None = None, *,
                  prefixes: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Wrap events in an EPCIS 2.0 JSON-LD ``EPCISDocument``.

    Parameters
    ----------
    events
        The events, in order.
    master_data
        ``epcisHeader.epcisMasterData`` (omitted when empty).
    created
        ``creationDate`` (now, with the local offset, when omitted).
    prefixes
        CURIE prefixes the ``@context`` declares after the EPCIS context (Oreline's
        documents declare :data:`oreline.ledger.profile.model.OUR_PREFIXES`).

    Examples
    --------
    >>> make_document([], created="2026-01-01T00:00:00Z")["type"]
    'EPCISDocument'

    """
    doc: dict[str, Any] = {
        "@context": [EPCIS_CONTEXT, dict(prefixes)] if prefixes else [EPCIS_CONTEXT],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": created or datetime.now().astimezone().isoformat(timespec="seconds"),
    }
    if master_data:
        doc["epcisHeader"] = {"epcisMasterData": dict(master_data)}
    doc["epcisBody"] = {"eventList": list(events)}
    return doc
