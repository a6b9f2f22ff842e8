"""Parse a document for capture: conformant EPCIS 2.0 first, then our profile.

:func:`parse_for_capture` is what :meth:`oreline.ledger.ledger.Ledger.capture` calls.
It checks the document against the official EPCIS 2.0 JSON Schema and the CBV 2.0
vocabulary (:mod:`oreline.ledger.epcis.conformance`), parses it with
:func:`~oreline.ledger.profile.parse.parse_document`, and refuses the document whole
when either finds a problem, listing all of them. A single event without ``@context``
(as :mod:`~oreline.ledger.profile.builder` writes events) is checked as if it gave the
EPCIS 2.0 context and our prefix; a document must give its own. Replaying a ledger's stored events
(``trace verify --deep``) parses them without the conformance checks: they were
checked when captured, under the rules of their day.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from oreline.errors import CaptureError
from oreline.ledger.epcis.conformance import conformance_issues, merge_issues
from oreline.ledger.epcis.document import EPCIS_CONTEXT, EVENT_TYPES, read_document
from oreline.ledger.profile.model import OUR_PREFIXES, ParsedEvent
from oreline.ledger.profile.parse import parse_document

__all__ = ["parse_for_capture"]


def parse_for_capture(source: str | Path | Mapping[str, Any]) -> tuple[list[ParsedEvent],
                                                                         dict[str, Any]]:
    """Check and parse a document; returns its events and master data.

    Raises
    ------
    CaptureError
        Listing every problem (schema, vocabulary, structure, profile); nothing is
        written.

    """
    doc = read_document(source)
    checked = doc
    if doc.get("type") in EVENT_TYPES and "@context" not in doc:
        # a bare event, as the builders write it: read with the EPCIS 2.0 context and
        # our prefix, as parse_document reads it (a document must give its @context)
        checked = {"@context": [EPCIS_CONTEXT, OUR_PREFIXES], **doc}
    found = conformance_issues(checked)
    try:
        parsed = parse_document(doc)
    except CaptureError as exc:
        raise CaptureError(merge_issues(exc.issues, found)) from None
    if found:
        raise CaptureError(found)
    return parsed
