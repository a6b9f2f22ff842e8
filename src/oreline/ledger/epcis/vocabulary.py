"""The CBV 2.0 vocabulary: which values business steps, dispositions and types may take.

The code lists are GS1's own JSON-LD contexts, vendored in ``gs1/cbv/`` (business
steps, dispositions, source/destination types, business transaction types, error
reasons, sensor components; measurement and alert types of the GS1 Web vocabulary).
A value is accepted when it is

* a bare term of its list (``shipping``), as the JSON-LD binding writes it;
* the term's full URI (``https://ref.gs1.org/cbv/BizStep-shipping``,
  ``https://gs1.org/voc/Temperature``) or its CURIE (``cbv:BizStep-shipping``);
* an extension in a namespace of one's own: an absolute URI outside GS1's namespaces
  (``https://example.com/vocab/x``, ``urn:example:x``) or a CURIE (``ex:x``; JSON-LD
  reads a CURIE whose prefix ``@context`` does not declare as an absolute URI, and so
  does the JSON Schema).

Anything else is refused with the field's JSON path, the value and a fix: a misspelt
term gets "did you mean" (``difflib``), a term of another list (a disposition given as
a bizStep) says which list it belongs to, and the ``urn:epcglobal:cbv:`` form of XML
says how JSON writes it (the JSON Schema forbids it in JSON). A term made up inside a
GS1 namespace (``cbv:my_own_party``) is refused: only GS1 defines terms there.

Examples
--------
>>> doc = {"type": "ObjectEvent", "bizStep": "shiping", "disposition": "in_transit"}
>>> print(vocabulary_issues(doc)[0])  # doctest: +NORMALIZE_WHITESPACE
event[0]: bizStep: bizStep 'shiping' is not a CBV 2.0 business step (fix: did you mean
'shipping'? Use a CBV 2.0 term, its URI (https://ref.gs1.org/cbv/BizStep-...) or a URI
in a namespace of your own, e.g. https://example.com/vocab/x)

"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from oreline.errors import Issue
from oreline.ledger.epcis.schema import event_base, event_label, json_path

__all__ = ["VOCABULARIES", "Vocabulary", "declared_prefixes", "vocabulary_issues"]

_CBV = "https://ref.gs1.org/cbv/"
_GS1 = "https://gs1.org/voc/"
#: GS1 namespaces where only the published terms exist (no extensions).
_GS1_SPACES = (_CBV, "http://ref.gs1.org/cbv/", "urn:epcglobal:cbv:", "http://ns.gs1.org/cbv/",
               "https://ns.gs1.org/cbv/", _GS1, "http://gs1.org/voc/",
               "https://www.gs1.org/voc/", "http://www.gs1.org/voc/")
_UNKNOWN = "vocabulary.unknown"
#: An absolute URI (RFC 3986: a scheme, a colon, no spaces); an undeclared CURIE is one.
_ABSOLUTE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s]+$")
_BUILT_IN = {"cbv": _CBV, "gs1": _GS1, "oreline": "https://oreline.dev/voc/"}


@dataclass(frozen=True)
class Vocabulary:
    """One CBV 2.0 code list.

    Parameters
    ----------
    name
        What messages call it (``business step``).
    file
        The vendored JSON-LD context holding the list.
    uri_prefix
        The full URI of a term is this prefix and the term.
    urn_prefix
        The ``urn:epcglobal:cbv:`` form of XML documents (``""`` when it has none).

    """

    name: str
    file: str
    uri_prefix: str
    urn_prefix: str = ""

    @property
    def terms(self) -> frozenset[str]:
        """The published terms (read once from the vendored file)."""
        return _terms(self.file)

    def check(self, value: str, prefixes: Mapping[str, str]) -> tuple[str, str, str] | None:
        """``None`` when ``value`` is allowed, else the message's tail, the fix and a code."""
        if value in self.terms:
            return None
        full = _expand(value, prefixes)
        if full.startswith(self.uri_prefix):
            term = full[len(self.uri_prefix):]
            if term in self.terms:
                return None
            return f"is not a CBV 2.0 {self.name}", self._fix(term), _UNKNOWN
        if self.urn_prefix and full.startswith(self.urn_prefix):
            term = full[len(self.urn_prefix):]
            if term in self.terms:
                return (f"is the XML form of a CBV 2.0 {self.name}",
                        f"in JSON write '{term}' or {self.uri_prefix}{term}",
                        "vocabulary.xml_form")
            return f"is not a CBV 2.0 {self.name}", self._fix(term), _UNKNOWN
        if full.startswith(_GS1_SPACES):
            return f"is in a GS1 namespace but not a CBV 2.0 {self.name}", self._fix(
                full.rsplit("/", 1)[-1].rsplit(":", 1)[-1].rsplit("-", 1)[-1]), _UNKNOWN
        if _ABSOLUTE.match(value):
            return None  # an extension: a URI or CURIE in a namespace of one's own
        return f"is not a CBV 2.0 {self.name}", self._fix(value), _UNKNOWN

    def _fix(self, term: str) -> str:
        close = difflib.get_close_matches(term, sorted(self.terms), n=1, cutoff=0.6)
        other = _other_list(term, self)
        hint = (f"did you mean '{close[0]}'? " if close else
                f"'{term}' is a CBV 2.0 {other}, not a {self.name}. " if other else "")
        return (f"{hint}Use a CBV 2.0 term, its URI ({self.uri_prefix}...) or a URI in a "
                "namespace of your own, e.g. https://example.com/vocab/x")


@cache
def _terms(file: str) -> frozenset[str]:
    text = resources.files("oreline.ledger.epcis").joinpath(f"gs1/cbv/{file}").read_text(
        "utf-8")
    context = json.loads(text)["@context"]
    return frozenset(k for k, v in context.items()
                     if not k.startswith("@") and isinstance(v, str) and ":" in v
                     and k not in ("cbv", "gs1"))


def _expand(value: str, prefixes: Mapping[str, str]) -> str:
    """``value`` with a declared CURIE prefix expanded (itself when none applies)."""
    head, sep, rest = value.partition(":")
    if sep and not rest.startswith("//"):
        base = prefixes.get(head)
        if base is not None:
            return base + rest
    return value


#: The lists, by the key an event's field is checked against.
VOCABULARIES: dict[str, Vocabulary] = {
    "bizStep": Vocabulary("business step", "cbv-context-bizstep.jsonld", _CBV + "BizStep-",
                          "urn:epcglobal:cbv:bizstep:"),
    "disposition": Vocabulary("disposition", "cbv-context-disposition.jsonld",
                              _CBV + "Disp-", "urn:epcglobal:cbv:disp:"),
    "sourceDestType": Vocabulary("source/destination type",
                                 "cbv-context-sourcedest-type.jsonld", _CBV + "SDT-",
                                 "urn:epcglobal:cbv:sdt:"),
    "bizTransactionType": Vocabulary("business transaction type",
                                     "cbv-context-biztransaction-type.jsonld",
                                     _CBV + "BTT-", "urn:epcglobal:cbv:btt:"),
    "errorReason": Vocabulary("error reason", "cbv-context-error-reason.jsonld",
                              _CBV + "ER-", "urn:epcglobal:cbv:er:"),
    "component": Vocabulary("sensor component", "cbv-context-component.jsonld",
                            _CBV + "Comp-"),
    "measurementType": Vocabulary("measurement type", "gs1-context-measurement-type.jsonld",
                                  _GS1),
    "alertType": Vocabulary("sensor alert type", "gs1-context-sensor-alert-type.jsonld", _GS1),
}


def _other_list(term: str, own: Vocabulary) -> str:
    """The name of another list that has ``term`` (a disposition given as a bizStep)."""
    return next((v.name for v in VOCABULARIES.values() if v is not own and term in v.terms),
                "")


def declared_prefixes(*contexts: Any) -> dict[str, str]:
    """CURIE prefixes that ``@context`` values declare (plain and typed definitions).

    Examples
    --------
    >>> typed = {"@id": "https://t.org/", "@type": "@id"}
    >>> found = declared_prefixes(["https://ref.gs1.org/standards/epcis/2.0.0/"
    ...                            "epcis-context.jsonld", {"ex": "https://ex.com/", "t": typed}])
    >>> found["ex"], found["t"], found["cbv"]
    ('https://ex.com/', 'https://t.org/', 'https://ref.gs1.org/cbv/')

    """
    out = dict(_BUILT_IN)
    for context in contexts:
        for item in context if isinstance(context, list) else [context]:
            if not isinstance(item, Mapping):
                continue
            for key, value in item.items():
                if isinstance(value, Mapping):
                    value = value.get("@id")
                if isinstance(value, str) and not key.startswith("@"):
                    out[key] = value
    return out


#: The fields other than bizStep and disposition that hold vocabulary values.
_OTHER_VOCABULARY_FIELDS = frozenset({"persistentDisposition", "bizTransactionList",
                                        "sourceList", "destinationList", "errorDeclaration",
                                        "sensorElementList"})


def _fields(ev: Mapping[str, Any]) -> Iterator[tuple[tuple[str | int, ...], str, Any]]:
    """Each vocabulary value of an event: its path in the event, its list, the value."""
    for name in ("bizStep", "disposition"):
        if name in ev:
            yield (name,), name, ev[name]
    persistent = ev.get("persistentDisposition")
    if isinstance(persistent, Mapping):
        for key in ("set", "unset"):
            values = persistent.get(key)
            for j, value in enumerate(values if isinstance(values, list) else []):
                yield ("persistentDisposition", key, j), "disposition", value
    for name, vocab in (("bizTransactionList", "bizTransactionType"),
                        ("sourceList", "sourceDestType"), ("destinationList", "sourceDestType")):
        items = ev.get(name)
        for j, item in enumerate(items if isinstance(items, list) else []):
            if isinstance(item, Mapping) and "type" in item:
                yield (name, j, "type"), vocab, item["type"]
    declaration = ev.get("errorDeclaration")
    if isinstance(declaration, Mapping) and "reason" in declaration:
        yield ("errorDeclaration", "reason"), "errorReason", declaration["reason"]
    yield from _sensor_fields(ev.get("sensorElementList"))


def _sensor_fields(elements: Any) -> Iterator[tuple[tuple[str | int, ...], str, Any]]:
    for j, element in enumerate(elements if isinstance(elements, list) else []):
        reports = element.get("sensorReport") if isinstance(element, Mapping) else None
        for k, report in enumerate(reports if isinstance(reports, list) else []):
            if not isinstance(report, Mapping):
                continue
            for key, vocab in (("type", "measurementType"), ("exception", "alertType"),
                               ("component", "component")):
                if key in report:
                    yield ("sensorElementList", j, "sensorReport", k, key), vocab, report[key]


def vocabulary_issues(doc: Mapping[str, Any]) -> list[Issue]:
    """Every vocabulary value of ``doc`` that is not CBV 2.0 nor a namespaced extension.

    Parameters
    ----------
    doc
        An ``EPCISDocument``, an ``EPCISQueryDocument`` or one event, as parsed JSON.
        Values that are not strings are left to the JSON Schema.

    """
    base = event_base(doc)
    events: Any = doc
    for key in base:
        events = events.get(key) if isinstance(events, Mapping) else None
    if not base:
        events = [doc]
    issues: list[Issue] = []
    prefixes = declared_prefixes(doc.get("@context"))
    steps, disps = VOCABULARIES["bizStep"].terms, VOCABULARIES["disposition"].terms
    for i, ev in enumerate(events if isinstance(events, list) else []):
        if not isinstance(ev, Mapping):
            continue
        own = declared_prefixes(doc.get("@context"), ev["@context"]) if "@context" in ev \
            else prefixes
        step, disposition = ev.get("bizStep"), ev.get("disposition")
        if (step is None or (type(step) is str and step in steps)) and (
                disposition is None or (type(disposition) is str and disposition in disps)) \
                and _OTHER_VOCABULARY_FIELDS.isdisjoint(ev):
            continue  # the common event: bare CBV terms, no other vocabulary field
        for path, vocab, value in _fields(ev):
            if type(value) is not str:
                continue
            found = VOCABULARIES[vocab].check(value, own)
            if found is not None:
                what, fix, code = found
                name = next(p for p in reversed(path) if isinstance(p, str))
                field = json_path((*base, i, *path) if base else path)
                issues.append(Issue(event_label(i, ev), field, f"{name} {value!r} {what}", fix,
                                    code=code))
    return issues
