"""Is a document conformant EPCIS 2.0? The official JSON Schema and the CBV 2.0 vocabulary.

:func:`conformance_issues` runs both checks on a parsed document: the vocabulary first
(its messages name the list and suggest a term), then the JSON Schema, whose problems at
a value the vocabulary already reported are left out. :func:`merge_issues` adds them to
the problems the structural and profile checks found (those keep their own
messages; a schema problem at or inside a field they already name is left out, and so is
a problem with an event as a whole when they name any field of it).

Examples
--------
>>> doc = {"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
...        "type": "ObjectEvent", "eventTime": "2026-03-01T08:00:00+09:00",
...        "eventTimeZoneOffset": "+09:00", "action": "OBSERVE", "epcList": [],
...        "bizStep": "shiping"}
>>> [(i.field, i.code) for i in conformance_issues(doc)]
[('bizStep', 'vocabulary.unknown')]

"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from oreline.errors import Issue
from oreline.ledger.epcis.schema import schema_issues
from oreline.ledger.epcis.vocabulary import vocabulary_issues

__all__ = ["conformance_issues", "merge_issues"]

_EVENT_PATH = re.compile(r"^epcisBody\.(?:queryResults\.resultsBody\.)?eventList\[\d+\]\.?")


def _inside(field: str, other: str) -> bool:
    """Whether JSON path ``field`` is ``other`` or lies inside it."""
    return field == other or field.startswith((other + ".", other + "["))


def conformance_issues(doc: Mapping[str, Any]) -> list[Issue]:
    """Every way ``doc`` breaks the EPCIS 2.0 JSON Schema or the CBV 2.0 vocabulary."""
    found = vocabulary_issues(doc)
    fields = [i.field for i in found]
    found += [i for i in schema_issues(doc) if not any(_inside(i.field, f) for f in fields)]
    return found


def merge_issues(found: list[Issue], conformance: list[Issue]) -> list[Issue]:
    """``found`` and the ``conformance`` problems at fields ``found`` does not name.

    ``found`` names fields relative to the event (``bizStep``); ``conformance`` names
    JSON paths in the document (``epcisBody.eventList[3].bizStep``).

    Examples
    --------
    >>> found = [Issue("event[0]", "action", "action is missing", code="action.invalid")]
    >>> more = [Issue("event[0]", "epcisBody.eventList[0].action", "action is missing"),
    ...         Issue("event[0]", "epcisBody.eventList[0].ilmd.lot", "field name 'lot'")]
    >>> [i.field for i in merge_issues(found, more)]
    ['action', 'epcisBody.eventList[0].ilmd.lot']

    """
    named: dict[str, list[str]] = {}
    for issue in found:
        named.setdefault(issue.where, []).append(issue.field)
    out = list(found)
    for issue in conformance:
        relative = _EVENT_PATH.sub("", issue.field) if issue.field != "(document)" else ""
        others = named.get(issue.where, [])
        if others and (not relative or any(_inside(relative, f) for f in others if f)):
            continue
        out.append(issue)
    return out
