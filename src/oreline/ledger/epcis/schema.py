"""Validation against the official EPCIS 2.0 JSON Schema of GS1, offline.

The schema is the inlined ``EPCIS-JSON-Schema.json`` of the gs1/EPCIS repository,
vendored in ``gs1/`` beside this module (see its README for the commit). It is compiled
once per process by ``jsonschema_rs`` with format checking on (``uri`` as RFC 3986,
``date-time`` as RFC 3339, as GS1's own ``validate.sh`` does with ajv-formats).

Why ``jsonschema_rs`` and not the pure-Python ``jsonschema``: on a document of 5,000
receipts, ``jsonschema`` took 3,161 us per event and ``fastjsonschema`` 142 us (capture
as a whole takes about 100 us per event); ``jsonschema_rs`` takes about 10 us.

Each problem becomes an :class:`~oreline.errors.Issue` whose ``field`` is the real
JSON path of the value (``epcisBody.eventList[3].action``) and whose ``where`` names
the event as the rest of capture does (``event[3] (urn:uuid:...)``).

Examples
--------
>>> doc = {"type": "EPCISDocument", "schemaVersion": "2.0",
...        "creationDate": "2026-01-01T00:00:00Z", "epcisBody": {"eventList": []}}
>>> for issue in schema_issues(doc):
...     print(issue)  # doctest: +NORMALIZE_WHITESPACE
document: @context: @context is missing (fix: add "@context":
["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"] (the EPCIS 2.0
JSON Schema requires it))

"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from importlib import resources
from typing import Any

import jsonschema_rs

from oreline.errors import Issue

__all__ = ["SCHEMA_FILE", "event_base", "event_label", "json_path", "load_schema",
           "schema_issues"]

#: The vendored schema, relative to this package.
SCHEMA_FILE = "gs1/EPCIS-JSON-Schema.json"
_CONTEXT_URL = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
_FORMAT_FIX = {
    "uri": "write an absolute URI: a scheme, a colon and no spaces, e.g. "
           "urn:epc:id:sgtin:0614141.107346.2018, https://example.com/x or a prefix "
           "declared in @context (ex:x)",
    "date-time": "write an RFC 3339 timestamp with an offset, e.g. 2026-03-01T08:00:00+09:00",
}


@cache
def load_schema() -> dict[str, Any]:
    """The vendored EPCIS 2.0 JSON Schema (a fresh parse, once per process)."""
    text = resources.files("oreline.ledger.epcis").joinpath(SCHEMA_FILE).read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def _validator() -> Any:
    """The compiled validator (built once: compiling takes milliseconds)."""
    return jsonschema_rs.Draft7Validator(load_schema(), validate_formats=True)


def json_path(parts: Iterable[str | int]) -> str:
    """A JSON path as messages write it: ``epcisBody.eventList[3].bizStep``.

    Examples
    --------
    >>> json_path(["epcisBody", "eventList", 3, "quantityList", 0, "uom"])
    'epcisBody.eventList[3].quantityList[0].uom'
    >>> json_path([])
    ''

    """
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def event_base(doc: Mapping[str, Any]) -> tuple[str | int, ...]:
    """The path of a document's event list (``()`` when the document is one event)."""
    kind = doc.get("type")
    if kind == "EPCISDocument":
        return ("epcisBody", "eventList")
    if kind == "EPCISQueryDocument":
        return ("epcisBody", "queryResults", "resultsBody", "eventList")
    return ()


def event_label(index: int, event: Any) -> str:
    """How capture names an event in messages: ``event[3]`` and its eventID if given."""
    given = event.get("eventID") if isinstance(event, Mapping) else None
    return f"event[{index}]" + (f" ({given})" if given else "")


def _where(doc: Mapping[str, Any], path: Sequence[str | int]) -> str:
    """The event a path lies in (its label), or ``document``."""
    base = event_base(doc)
    if not base:
        return "event[0]" if doc.get("type") not in (None, "EPCISDocument") else "document"
    if len(path) > len(base) and tuple(path[:len(base)]) == base and isinstance(
            path[len(base)], int):
        index = int(path[len(base)])
        events: Any = doc
        for key in base:
            events = events.get(key) if isinstance(events, Mapping) else None
        event = events[index] if isinstance(events, list) and index < len(events) else None
        return event_label(index, event)
    return "document"


def _show(value: Any) -> str:
    """A value for a message, cut to 80 characters."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


def _branch_text(errors: Sequence[Any]) -> str:
    return " and ".join(_describe(e, [])[1] for e in errors[:2])


def _describe(err: Any, path: list[str | int]) -> tuple[list[str | int], str, str, str]:
    """The path, message, fix and code of one schema error."""
    kind = err.kind
    name = type(kind).__name__
    value = err.instance
    if name == "Required":
        field = str(kind.property)
        fix = (f"add \"@context\": [\"{_CONTEXT_URL}\"]" if field == "@context"
               else f"add {field}")
        return ([*path, field], f"{field} is missing",
                f"{fix} (the EPCIS 2.0 JSON Schema requires it)", "schema.required")
    if name == "Format":
        fmt = str(kind.format)
        return (path, f"{_show(value)} is not a valid {fmt}",
                _FORMAT_FIX.get(fmt, f"write a valid {fmt}"), "schema.format")
    if name == "PropertyNames":
        inner = kind.error
        key = inner.instance
        return ([*path, str(key)], f"field name {_show(key)} is not allowed here",
                "an extension field needs a namespace: write it as a URI or with a prefix "
                "declared in @context, e.g. \"ex:lotNumber\" with {\"ex\": "
                "\"https://example.com/voc/\"} in @context", "schema.field_name")
    if name == "AdditionalProperties":
        extra = ", ".join(str(x) for x in kind.unexpected)
        return (path, f"unexpected field(s) {extra}",
                "remove them (the EPCIS 2.0 JSON Schema allows no others here)",
                "schema.unexpected")
    if name == "Enum":
        options = ", ".join(str(x) for x in kind.options)
        return (path, f"{_show(value)} is not one of {options}", f"use one of {options}",
                "schema.enum")
    if name == "Type":
        types = " or ".join(str(t) for t in kind.types)
        return (path, f"{_show(value)} is not of type {types}", f"give a JSON {types}",
                "schema.type")
    if name == "AnyOf":
        options = "; or ".join(_branch_text(branch) for branch in kind.context if branch)
        what = "the object" if isinstance(value, Mapping) else _show(value)
        return (path, f"{what} matches none of the forms the schema allows",
                f"make it match one: {options}" if options else
                "see the EPCIS 2.0 JSON Schema", "schema.any_of")
    return (path, str(err.message), "see the EPCIS 2.0 JSON Schema (EPCIS 2.0 section 9)",
            f"schema.{kind.name}")


def schema_issues(doc: Mapping[str, Any]) -> list[Issue]:
    """Every way ``doc`` breaks the EPCIS 2.0 JSON Schema, as issues (none if valid).

    Parameters
    ----------
    doc
        An ``EPCISDocument``, an ``EPCISQueryDocument`` or one event, as parsed JSON.

    Examples
    --------
    >>> event = {"type": "ObjectEvent", "@context": ["https://ref.gs1.org/standards/epcis"
    ...          "/2.0.0/epcis-context.jsonld"], "eventTime": "2026-03-01T08:00:00+09:00",
    ...          "eventTimeZoneOffset": "+09:00", "action": "CREATE", "epcList": []}
    >>> [(i.where, i.field, i.code) for i in schema_issues(event)]
    [('event[0]', 'action', 'schema.enum')]

    """
    validator = _validator()
    try:
        if validator.is_valid(doc):
            return []
        found = [(_describe(err, list(err.instance_path)), list(err.instance_path))
                 for err in validator.iter_errors(doc)]
    except (ValueError, OverflowError) as exc:  # lone surrogates, numbers beyond 64 bits
        return [Issue("document", "(document)", f"is not plain JSON text: {exc}",
                      "use valid Unicode text (no lone surrogates) and numbers within "
                      "+-2**53 (I-JSON)", code="document.json")]
    issues: list[Issue] = []
    seen: set[tuple[str, str]] = set()
    for (path, message, fix, code), at in found:
        if code == "schema.any_of" and any(
                other != at and other[:len(at)] == at for _, other in found):
            continue  # a more precise error lies inside (an action's enum, a quantity's type)
        field = json_path(path)
        if (field, message) not in seen:
            seen.add((field, message))
            issues.append(Issue(_where(doc, path), field or "(document)", message, fix,
                                code=code))
    return issues
