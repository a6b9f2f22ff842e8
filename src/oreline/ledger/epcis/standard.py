"""The structural rules of EPCIS 2.0 events, checked before our stricter profile.

These are the rules of the standard's JSON binding (EPCIS 2.0 sections 7 and 9 and its
JSON Schema), written out by hand so that a document gets one clear message per problem
and capture stays fast:

* every event has ``eventTime`` and ``eventTimeZoneOffset`` (``+hh:mm`` from ``-14:00``
  to ``+14:00``); ``recordTime`` and ``errorDeclaration.declarationTime`` are timestamps
  with an offset; ``eventID`` and every identifier are URIs (``scheme:rest``);
* ``ObjectEvent``, ``AggregationEvent``, ``TransactionEvent`` and ``AssociationEvent``
  need ``action``; an ``ObjectEvent`` names objects (``epcList``, ``quantityList``, or
  sensor data with a ``readPoint``) and carries ``ilmd`` only when its action is ``ADD``;
  an aggregation or association names its children unless its action is ``DELETE``, and
  names its parent (``parentID``) unless an aggregation's action is ``OBSERVE``; a
  transaction lists at least one ``bizTransaction``; a transformation has inputs and
  outputs, or a ``transformationID`` and either;
* lists are lists: EPC lists of URIs, quantity elements with ``epcClass`` (and a numeric
  ``quantity``; the unit is left to our profile, which reads UN/ECE Rec 20 codes), business
  transactions with
  ``bizTransaction``, sources and destinations with ``type`` and the party or location,
  sensor elements with a ``sensorReport`` list; ``readPoint`` and ``bizLocation`` are
  objects with an ``id``; ``persistentDisposition`` has ``set`` and/or ``unset`` lists.

Bare CBV terms (``"receiving"``, ``"in_progress"``) are how the JSON-LD binding writes
business steps, dispositions and types, so they are accepted where a vocabulary value
goes.

Examples
--------
>>> issues = []
>>> check_event({"type": "TransactionEvent", "eventTime": "2026-03-01T08:00:00+09:00",
...              "eventTimeZoneOffset": "+09:00", "action": "ADD",
...              "epcList": ["urn:epc:id:sgtin:0614141.107346.2018"]}, "event[0]", issues)
>>> [i.message for i in issues]
['a TransactionEvent needs bizTransactionList with at least one business transaction']

"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from oreline.errors import Issue
from oreline.ledger.epcis.memo import Memo
from oreline.ledger.epcis.values import normalise_timestamp

__all__ = ["check_event"]

_OFFSET = re.compile(r"^[+-](?:(?:0\d|1[0-3]):[0-5]\d|14:00)$")
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:\S+$")
_TERM = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]*$")
_EPC_LISTS = ("epcList", "childEPCs", "inputEPCList", "outputEPCList")
_QTY_LISTS = ("quantityList", "childQuantityList", "inputQuantityList",
              "outputQuantityList")
_ACTIONS = ("ADD", "OBSERVE", "DELETE")
_WITH_ACTION = ("ObjectEvent", "AggregationEvent", "TransactionEvent", "AssociationEvent")


#: Strings already seen to be URIs / terms (site IDs, steps and dispositions repeat).
_KNOWN_URIS: Memo[str, bool] = Memo(4096)
_KNOWN_TERMS: Memo[str, bool] = Memo(4096)


def _known(value: Any, known: Memo[str, bool], *patterns: re.Pattern[str]) -> bool:
    """Whether ``value`` is a string matching one of ``patterns`` (remembered in ``known``)."""
    if type(value) is not str:
        return False
    if value in known:
        return True
    if not any(p.match(value) for p in patterns):
        return False
    return known.remember(value, True)


def _is_uri(value: Any) -> bool:
    return _known(value, _KNOWN_URIS, _URI)


def _is_term(value: Any) -> bool:
    """A URI or a bare CBV term (the JSON-LD context expands it)."""
    return _known(value, _KNOWN_TERMS, _TERM, _URI)


def _is_time(value: Any) -> bool:
    if type(value) is not str:
        return False
    try:
        normalise_timestamp(value)
    except ValueError:
        return False
    return True


class _Checker:
    """Collects the standard's problems with one event as :class:`Issue` objects."""

    def __init__(self, ev: Mapping[str, Any], label: str, issues: list[Issue]) -> None:
        self.ev = ev
        self.label = label
        self.issues = issues

    def add(self, where: str, message: str, fix: str, code: str = "epcis.structure") -> None:
        self.issues.append(Issue(self.label, where, message, fix, code=code))

    def nonempty(self, name: str) -> bool:
        value = self.ev.get(name)
        return type(value) is list and len(value) > 0

    def uri(self, where: str, value: Any, what: str) -> None:
        if not _is_uri(value):
            self.add(where, f"{what} {value!r} is not a URI",
                     "write it as a URI, e.g. urn:epc:id:sgtin:0614141.107346.2018 or "
                     "https://id.gs1.org/01/...", code="uri.invalid")

    def epc_list(self, name: str) -> None:
        value = self.ev[name]
        if type(value) is not list:
            self.add(name, f"{name} must be a list of URIs, not {type(value).__name__}",
                     f"write \"{name}\": [\"urn:epc:id:...\"]")
            return
        for j, epc in enumerate(value):
            self.uri(f"{name}[{j}]", epc, "EPC")

    def quantity_list(self, name: str) -> None:
        value = self.ev[name]
        if type(value) is not list:
            self.add(name, f"{name} must be a list of quantity elements",
                     f"write \"{name}\": [{{\"epcClass\": ..., \"quantity\": ..., "
                     "\"uom\": \"KGM\"}]")
            return
        for j, q in enumerate(value):
            where = f"{name}[{j}]"
            if not (type(q) is dict or isinstance(q, Mapping)) or "epcClass" not in q:
                continue  # reported by the profile ("quantity element has no epcClass")
            self.uri(f"{where}.epcClass", q["epcClass"], "epcClass")
            qty = q.get("quantity")
            if "quantity" in q and (type(qty) is bool or not isinstance(qty, int | float)):
                self.add(f"{where}.quantity", f"quantity {qty!r} is not a number",
                         "write the quantity as a JSON number, e.g. 1200.5",
                         code="quantity.not_number")
            # uom: our profile reads Rec 20 codes, and says so (one message per field)

    def location(self, name: str) -> None:
        value = self.ev[name]
        if not (type(value) is dict or isinstance(value, Mapping)) or "id" not in value:
            self.add(name, f"{name} must be an object with an id",
                     f"write \"{name}\": {{\"id\": \"urn:oreline:site:...\"}}")
            return
        self.uri(f"{name}.id", value["id"], f"{name} id")

    def typed_list(self, name: str, key: str, type_required: bool) -> None:
        value = self.ev[name]
        example = f"{{\"type\": \"owning_party\", \"{key}\": \"urn:...\"}}"
        if type(value) is not list:
            self.add(name, f"{name} must be a list", f"write \"{name}\": [{example}]")
            return
        for j, item in enumerate(value):
            where = f"{name}[{j}]"
            if not isinstance(item, Mapping) or key not in item:
                self.add(where, f"entry has no {key}", f"write each entry as {example}")
                continue
            self.uri(f"{where}.{key}", item[key], key)
            if "type" in item and not _is_term(item["type"]):
                self.add(f"{where}.type", f"type {item['type']!r} is not a CBV term or URI",
                         "use a CBV term such as owning_party, or a URI")
            elif type_required and "type" not in item:
                self.add(f"{where}.type", f"entry of {name} has no type",
                         "add e.g. \"type\": \"owning_party\" (or location, "
                         "possessing_party)")

    def sensors(self) -> None:
        value = self.ev["sensorElementList"]
        if type(value) is not list:
            self.add("sensorElementList", "sensorElementList must be a list",
                     "write \"sensorElementList\": [{\"sensorReport\": [...]}]")
            return
        for j, el in enumerate(value):
            reports = el.get("sensorReport") if isinstance(el, Mapping) else None
            if type(reports) is not list or not all(isinstance(r, Mapping) for r in reports):
                self.add(f"sensorElementList[{j}]", "sensor element has no sensorReport list",
                         "write \"sensorReport\": [{\"type\": \"Temperature\", ...}]")

    def error_declaration(self) -> None:
        decl = self.ev["errorDeclaration"]
        if not isinstance(decl, Mapping):
            self.add("errorDeclaration", "errorDeclaration must be an object",
                     "write {\"declarationTime\": ..., \"reason\": \"incorrect_data\"}")
            return
        if not _is_time(decl.get("declarationTime")):
            given = decl.get("declarationTime")
            self.add("errorDeclaration.declarationTime", "declarationTime is missing"
                     if given is None else f"declarationTime is {given!r}",
                     "give when the error was declared, with an offset, e.g. "
                     "2026-03-02T08:00:00+09:00")
        if "reason" in decl and not _is_term(decl["reason"]):
            self.add("errorDeclaration.reason", f"reason {decl['reason']!r} is not a CBV "
                     "term or URI", "use e.g. incorrect_data or did_not_occur")
        ids = decl.get("correctiveEventIDs", [])
        if type(ids) is not list or not all(_is_uri(i) for i in ids):
            self.add("errorDeclaration.correctiveEventIDs",
                     "correctiveEventIDs must be a list of event ID URIs",
                     "write [\"urn:uuid:...\"]")


def check_event(ev: Mapping[str, Any], label: str, issues: list[Issue]) -> None:
    """Append to ``issues`` every way ``ev`` breaks the EPCIS 2.0 structure.

    ``eventTime`` (presence and offset) and the event type are checked by the caller,
    as are the parts our profile constrains further (quantity and uom of lots).
    """
    c = _Checker(ev, label, issues)
    kind = ev.get("type", ev.get("isA"))
    offset = ev.get("eventTimeZoneOffset")
    if type(offset) is not str or not _OFFSET.match(offset):
        c.add("eventTimeZoneOffset", "eventTimeZoneOffset is missing" if offset is None
              else f"eventTimeZoneOffset is {offset!r}, not an offset from -14:00 to +14:00",
              "add the local offset, -14:00 to +14:00, e.g. \"+09:00\"", code="time.offset")
    if "recordTime" in ev and not _is_time(ev["recordTime"]):
        c.add("recordTime", f"recordTime {ev['recordTime']!r} is not a timestamp with an "
              "offset", "drop it (the ledger records its own time) or fix it")
    event_id = ev.get("eventID")
    if "eventID" in ev and not (type(event_id) is str and event_id.startswith("_:")):
        c.uri("eventID", event_id, "eventID")  # or a JSON-LD blank node, as in the CBV examples
    action = ev.get("action")
    if kind in _WITH_ACTION and action not in _ACTIONS:
        c.add("action", "action is missing" if action is None else f"action is {action!r}",
              "use ADD, OBSERVE or DELETE", code="action.invalid")
    _fields(c)
    _per_type(c, kind, action)


def _fields(c: _Checker) -> None:
    """The standard's rules of the optional fields an event gives."""
    ev = c.ev
    for name in _EPC_LISTS:
        if name in ev:
            c.epc_list(name)
    for name in _QTY_LISTS:
        if name in ev:
            c.quantity_list(name)
    for name in ("readPoint", "bizLocation"):
        if name in ev:
            c.location(name)
    for name in ("parentID", "transformationID"):
        if name in ev:
            c.uri(name, ev[name], name)
    for name in ("bizStep", "disposition"):
        if name in ev and not _is_term(ev[name]):
            c.add(name, f"{name} {ev[name]!r} is not a CBV term or URI",
                  "use a CBV term such as receiving, or a URI")
    if "persistentDisposition" in ev:
        pd = ev["persistentDisposition"]
        if not isinstance(pd, Mapping) or not (set(pd) & {"set", "unset"}) or not all(
                type(pd[k]) is list and all(_is_term(v) for v in pd[k])
                for k in ("set", "unset") if k in pd):
            c.add("persistentDisposition", "persistentDisposition needs set and/or unset "
                  "lists of dispositions", "write {\"set\": [\"completeness_verified\"]}")
    if "bizTransactionList" in ev:
        c.typed_list("bizTransactionList", "bizTransaction", type_required=False)
    if "sourceList" in ev:
        c.typed_list("sourceList", "source", type_required=True)
    if "destinationList" in ev:
        c.typed_list("destinationList", "destination", type_required=True)
    if "sensorElementList" in ev:
        c.sensors()
    if "certificationInfo" in ev:
        cert = ev["certificationInfo"]
        if not (_is_uri(cert) or (type(cert) is list and all(_is_uri(x) for x in cert))):
            c.add("certificationInfo", "certificationInfo must be a URI or a list of URIs",
                  "give the certificate's URI")
    if "ilmd" in ev and not (type(ev["ilmd"]) is dict or isinstance(ev["ilmd"], Mapping)):
        c.add("ilmd", "ilmd must be an object", "write \"ilmd\": {\"oreline:lotMaster\": {...}}")
    if "errorDeclaration" in ev:
        c.error_declaration()


def _per_type(c: _Checker, kind: Any, action: Any) -> None:
    """The rules of ``kind``'s event type (:data:`_TYPE_RULES`)."""
    rules = _TYPE_RULES.get(kind) if type(kind) is str else None
    if rules is not None:
        rules(c, kind, action)


def _object_rules(c: _Checker, kind: str, action: Any) -> None:
    ev = c.ev
    if not ("epcList" in ev or c.nonempty("quantityList")
            or (c.nonempty("sensorElementList") and "readPoint" in ev)):
        c.add("epcList", "an ObjectEvent names no objects",
              "give epcList or quantityList (or sensor data with a readPoint)")
    if "ilmd" in ev and action in ("OBSERVE", "DELETE"):
        c.add("ilmd", f"ilmd on an ObjectEvent with action {action}",
              "instance/lot master data belongs to the event that creates the lot "
              "(action ADD)")


def _parent_child_rules(c: _Checker, kind: str, action: Any) -> None:
    """Aggregation and association events: children, and a parent."""
    ev = c.ev
    if action != "DELETE" and not (c.nonempty("childEPCs")
                                   or c.nonempty("childQuantityList")):
        c.add("childEPCs", f"an {kind} with action {action} names no children",
              "give childEPCs or childQuantityList")
    if "parentID" not in ev and (kind == "AssociationEvent" or action != "OBSERVE"):
        c.add("parentID", f"an {kind} with action {action} needs parentID",
              "give the parent's identifier (e.g. an SSCC or GRAI URI)")


def _transaction_rules(c: _Checker, kind: str, action: Any) -> None:
    ev = c.ev
    if not c.nonempty("bizTransactionList"):
        c.add("bizTransactionList", "a TransactionEvent needs bizTransactionList with "
              "at least one business transaction",
              "add [{\"type\": \"po\", \"bizTransaction\": \"urn:...\"}]")
    if action != "DELETE" and not ("epcList" in ev or c.nonempty("quantityList")):
        c.add("epcList", "a TransactionEvent names no objects",
              "give epcList or quantityList")


def _transformation_rules(c: _Checker, kind: str, action: Any) -> None:
    ev = c.ev
    ins = c.nonempty("inputEPCList") or c.nonempty("inputQuantityList")
    outs = c.nonempty("outputEPCList") or c.nonempty("outputQuantityList")
    if "transformationID" in ev and not (ins or outs):
        c.add("transformationID", "a TransformationEvent with a transformationID names "
              "no inputs and no outputs", "list what the campaign consumed or produced")
    if "action" in ev:
        c.add("action", "a TransformationEvent has no action",
              "drop action (inputs are consumed and outputs created by definition)")


#: The rules of each event type: a new event type is one entry here.
_TYPE_RULES: dict[str, Callable[[_Checker, str, Any], None]] = {
    "ObjectEvent": _object_rules,
    "AggregationEvent": _parent_child_rules,
    "AssociationEvent": _parent_child_rules,
    "TransactionEvent": _transaction_rules,
    "TransformationEvent": _transformation_rules,
}
