"""Forms per entity for what-if copies: edit one contract, capacity phase, demand line or option.

A what-if copy is a YAML file (see :mod:`oreline.api.whatif`). An entity edit changes
some fields of one entry in the file's data, writes the whole text again and saves it
through :func:`oreline.api.whatif.save_scenario_text`, so it is checked by the same
loader as a file, its problems carry the loader's messages and field paths, and nothing
is written unless the whole scenario is valid (atomic write).

A value is read as the same text would be read in the file: ``"3"`` is a number,
``"true"`` a yes, ``"60 t/month oxide"`` a quantity; an empty value (or ``None``)
removes the field, so its default applies. Mapping fields take the tabular form
``"mined=AU; separated=MY"``. The source of an edited field is noted as a what-if
edit (with the value it replaced) when the entry's sources are given per field.

Rows are keyed by entity id; a capacity phase by ``"{process id}/{phase number}"``
(phases numbered from 1 in the file's order).
"""

from __future__ import annotations

import copy
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from oreline.api.scenarios import ScenarioLibrary, UnknownScenarioError
from oreline.api.whatif import save_scenario_text, scenario_text
from oreline.errors import ConfigError, Issue
from oreline.ledger.epcis.memo import Memo
from oreline.scenario import Scenario
from oreline.scenario.investment import InvestmentOption
from oreline.scenario.schema import CapacityPhase, Contract, Customer, Enquiry

__all__ = [
    "KINDS",
    "EntityKind",
    "UnknownEntityError",
    "add_row",
    "copied_from",
    "delete_row",
    "field_issues",
    "kind_of",
    "row_path",
    "rows",
    "update_row",
]

_COPIED = re.compile(r"^what-if copy of ([A-Za-z][A-Za-z0-9_.-]*)\. ")
#: What an empty box means where the model's default does not say it.
_SAID = {("customers", "firm"): "default: the demand", ("customers", "max"): "default: the demand",
         ("enquiries", "decision"): "default: horizon start",
         ("options", "earliest"): "default: horizon start",
         ("options", "latest"): "default: horizon end less lead time",
         ("contracts", "start"): "default: horizon start",
         ("contracts", "end"): "default: horizon end"}
#: The note a form edit leaves in the source of the field it changed.
EDIT_NOTE = "⚑ what-if edit"


class UnknownEntityError(UnknownScenarioError):
    """No entity (or form) of that id in the scenario (HTTP 404, as an unknown scenario)."""


@dataclass(frozen=True)
class EntityKind:
    """A kind of row a form edits: the scenario list it lives in and its editable fields."""

    name: str
    title: str
    key: str
    fields: tuple[str, ...]
    required: tuple[str, ...]
    nested: str | None = None
    help: str = ""
    model: type[BaseModel] | None = None

    def defaults(self) -> dict[str, str]:
        """What an empty box means for each optional field, as the form shows it.

        Examples
        --------
        >>> KINDS["contracts"].defaults()["enabled"], KINDS["contracts"].defaults()["min"]
        ('default true', 'none')
        """
        out: dict[str, str] = {}
        fields = self.model.model_fields if self.model else {}
        for name in self.fields:
            info = fields.get(name) or fields.get(f"{name}_")
            value = None if info is None or info.is_required() else info.get_default(
                call_default_factory=True)
            if isinstance(value, BaseModel) and hasattr(value, "rule"):
                value = value.rule  # a provenance policy reads as its rule
            out[name] = _SAID.get((self.name, name)) or (
                "none" if value in (None, [], {}, "") else f"default {_text(value)}")
        return out


KINDS: dict[str, EntityKind] = {k.name: k for k in (
    EntityKind("contracts", "Supply contracts", "contracts",
               ("supplier", "commodity", "site", "min", "max", "take_or_pay", "price",
                "start", "end", "lead_time", "origin", "enabled"),
               ("supplier", "commodity", "site", "max", "price"),
               help="Volumes as '<number> t/<period> <basis>', a price or a price formula "
                    "('ndpr_oxide + 0 USD/t'), origin as 'mined=AU; separated=MY'; lead time "
                    "in periods.", model=Contract),
    EntityKind("capacities", "Process capacities", "processes",
               ("name", "start", "capacity", "enabled", "ramp_periods"),
               ("start", "capacity"), nested="capacity",
               help="One row per capacity phase; the latest enabled phase in force applies.",
               model=CapacityPhase),
    EntityKind("customers", "Demand (signed offtake contracts)", "customers",
               ("site", "product", "demand", "firm", "max", "price", "start", "end",
                "qualified_from", "priority", "provenance"),
               ("site", "product", "demand", "price"),
               help="Demand, firm and max as rates; provenance as 'any', 'ex-china', "
                    "'dfars-2027' or 'crma:0.65'.", model=Customer),
    EntityKind("enquiries", "Enquiries (sales pipeline)", "enquiries",
               ("site", "product", "demand", "probability", "price", "start", "decision",
                "qualification_months", "provenance"),
               ("site", "product", "demand", "price", "probability"),
               help="Probability of conversion 0 to 1; first delivery at max(start, decision "
                    "+ qualification months).", model=Enquiry),
    EntityKind("options", "Investment options", "options",
               ("kind", "capex", "fixed_opex", "modules", "lead_time", "earliest", "latest",
                "lifetime"),
               ("capex",),
               help="Capex per module ('40 M USD'); decision window earliest..latest; "
                    "lead time in months.", model=InvestmentOption),
)}


def copied_from(scenario: Scenario) -> str | None:
    """The scenario a what-if copy was made from (its description says), else ``None``.

    Examples
    --------
    >>> from oreline.scenario import load_scenario
    >>> sc = load_scenario("tiny")
    >>> copied_from(sc.model_copy(update={"description": "what-if copy of tiny. A"}))
    'tiny'
    """
    match = _COPIED.match(scenario.description)
    return match.group(1) if match else None


def kind_of(name: str) -> EntityKind:
    """The form kind ``name``.

    Raises
    ------
    UnknownEntityError
        For a name not in :data:`KINDS`.
    """
    if name not in KINDS:
        raise UnknownEntityError(f"no form for {name!r}; the forms are: {', '.join(KINDS)}")
    return KINDS[name]


def _yaml() -> YAML:
    yaml = YAML()  # round trip: the copy keeps its layout and comments
    yaml.width = 100
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


#: Round-trip data by the text it was read from, or dumped to by a save: a form save
#: edits a copy of it instead of parsing the text again (ruamel's round-trip parser is
#: pure Python: 0.5 s for kmp; a deep copy 0.06 s). Never handed out, only copies.
_ROUND_TRIP: Memo[str, Any] = Memo(16)


def _read(library: ScenarioLibrary, name: str, *, for_edit: bool = True) -> Any:
    """The copy's data: round trip (layout and comments kept) to edit, else the fast reader."""
    text = scenario_text(library, name)
    if not for_edit:
        return YAML(typ="safe").load(text)
    held = _ROUND_TRIP.get(text)
    return copy.deepcopy(held) if held is not None else _yaml().load(text)


def _save(library: ScenarioLibrary, name: str, data: Any) -> Scenario:
    buf = io.StringIO()
    _yaml().dump(data, buf)
    text = buf.getvalue()
    scenario = save_scenario_text(library, name, text, data)
    _ROUND_TRIP.remember(text, data)  # the caller is done with it
    return scenario


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):
        if all(not isinstance(v, Mapping | list) for v in value.values()):
            return "; ".join(f"{k}={_text(v)}" for k, v in value.items())
        buf = io.StringIO()
        YAML(typ="safe").dump(dict(value), buf)
        return buf.getvalue().strip()
    if isinstance(value, list):
        return "; ".join(_text(v) for v in value)
    return str(value)


def _value(value: object) -> object:
    """A value as the file would hold it: text read as a YAML scalar, else as given."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    try:
        parsed = YAML(typ="safe").load(text)
    except YAMLError:
        return text
    if isinstance(parsed, Mapping | list) and not text.startswith(("{", "[")):
        return text
    return parsed


def _entries(data: Any, kind: EntityKind) -> list[Any]:
    items = data.get(kind.key)
    if items is None:
        items = []
        data[kind.key] = items
    return items  # type: ignore[no-any-return]


def _locate(data: Any, kind: EntityKind, key: str) -> tuple[Any, str]:
    """The entry of row ``key`` and its field path prefix (``contracts[2]``)."""
    items = _entries(data, kind)
    ident, _, phase = key.partition("/") if kind.nested else (key, "", "")
    for i, item in enumerate(items):
        if str(item.get("id")) == ident:
            if not kind.nested:
                return item, f"{kind.key}[{i}]"
            phases = item.get(kind.nested) or []
            if phase.isdigit() and 1 <= int(phase) <= len(phases):
                n = int(phase) - 1
                return phases[n], f"{kind.key}[{i}].{kind.nested}[{n}]"
    raise UnknownEntityError(f"no row {key!r} in the {kind.name} of this scenario; it has: "
                             f"{', '.join(r['key'] for r in _rows(data, kind)) or 'none'}")


def _rows(data: Any, kind: EntityKind) -> list[dict[str, Any]]:
    out = []
    for item in _entries(data, kind):
        ident = str(item.get("id"))
        if kind.nested:
            for n, phase in enumerate(item.get(kind.nested) or [], start=1):
                out.append({"key": f"{ident}/{n}", "values": {
                    f: _text(phase.get(f)) for f in kind.fields}})
        else:
            out.append({"key": ident, "values": {f: _text(item.get(f)) for f in kind.fields}})
    return out


def rows(library: ScenarioLibrary, name: str, kind: str) -> list[dict[str, Any]]:
    """The rows of form ``kind`` in saved scenario ``name``: ``{"key", "values"}`` each.

    ``values`` holds each editable field as the text a form shows (``""`` when unset).
    """
    return _rows(_read(library, name, for_edit=False), kind_of(kind))


def _check_fields(kind: EntityKind, values: Mapping[str, object]) -> None:
    unknown = sorted(set(values) - set(kind.fields))
    if unknown:
        raise ConfigError(f"{', '.join(unknown)}: not a field of the {kind.name} form; "
                          f"the fields are: {', '.join(kind.fields)}")


def _apply(entry: Any, values: Mapping[str, object]) -> None:
    for field, raw in values.items():
        value = _value(raw)
        old = entry.get(field)
        if value is None or value == "":
            entry.pop(field, None)
        elif field not in entry and "source" in entry:
            entry.insert(list(entry).index("source"), field, value)  # fields before sources
        else:
            entry[field] = value
        if _text(old) != _text(entry.get(field)):
            _note(entry, field, old)


def _note(entry: Any, field: str, old: Any) -> None:
    source = entry.get("source")
    if isinstance(source, str):
        return
    note = f"{EDIT_NOTE} (was {_text(old) or 'unset'})"
    if source is None:
        entry["source"] = {field: note}
    else:
        source[field] = note


def update_row(library: ScenarioLibrary, name: str, kind: str, key: str,
               values: Mapping[str, object]) -> Scenario:
    """Set ``values`` on row ``key`` of form ``kind`` and save the copy when valid.

    Raises
    ------
    ScenarioError
        The loader's problems (nothing saved); see :func:`field_issues`.
    UnknownEntityError
        For an unknown row.
    ConfigError
        For a field the form does not edit, or a built-in scenario.
    """
    form = kind_of(kind)
    _check_fields(form, values)
    data = _read(library, name)
    entry, _ = _locate(data, form, key)
    _apply(entry, values)
    return _save(library, name, data)


def add_row(library: ScenarioLibrary, name: str, kind: str, key: str,
            values: Mapping[str, object]) -> tuple[str, Scenario]:
    """Add a row to form ``kind`` and save; return its key and the scenario.

    ``key`` is the new entity's id, or for a capacity phase the process id (the phase
    is appended to that process).

    Raises
    ------
    ScenarioError
        The loader's problems (a taken id, a missing field...); nothing saved.
    UnknownEntityError
        For a capacity phase of an unknown process.
    """
    form = kind_of(kind)
    _check_fields(form, values)
    data = _read(library, name)
    items = _entries(data, form)
    fresh: dict[str, Any] = {}
    _apply_plain(fresh, values)
    if form.nested:
        process, _ = _locate(data, _parent(form), key)
        phases = process.setdefault(form.nested, [])
        phases.append(fresh)
        new_key = f"{key}/{len(phases)}"
    else:
        items.append({"id": key.strip(), **fresh})
        new_key = key.strip()
    return new_key, _save(library, name, data)


def _parent(kind: EntityKind) -> EntityKind:
    return EntityKind(kind.key, kind.title, kind.key, (), ())


def _apply_plain(entry: dict[str, Any], values: Mapping[str, object]) -> None:
    for field, raw in values.items():
        value = _value(raw)
        if value is not None and value != "":
            entry[field] = value


def delete_row(library: ScenarioLibrary, name: str, kind: str, key: str) -> Scenario:
    """Delete row ``key`` of form ``kind`` and save when the rest is valid.

    Raises
    ------
    ScenarioError
        When the scenario without it is invalid (e.g. another entity refers to it).
    """
    form = kind_of(kind)
    data = _read(library, name)
    entry, _ = _locate(data, form, key)
    if form.nested:
        process, _ = _locate(data, _parent(form), key.partition("/")[0])
        process[form.nested].remove(entry)
    else:
        _entries(data, form).remove(entry)
    return _save(library, name, data)


def row_path(library: ScenarioLibrary, name: str, kind: str, key: str) -> str:
    """The loader's field path of row ``key`` (``contracts[2]``), for :func:`field_issues`."""
    form = kind_of(kind)
    return _locate(_read(library, name, for_edit=False), form, key)[1]


def field_issues(issues: list[Issue], prefix: str) -> dict[str, list[str]]:
    """The loader's messages about the row at ``prefix``, by form field.

    Examples
    --------
    >>> i = Issue("w.yaml:3", "contracts[1].max", "quantity '-5 t' is negative", "write 0")
    >>> field_issues([i], "contracts[1]")
    {'max': ["quantity '-5 t' is negative (fix: write 0)"]}
    """
    out: dict[str, list[str]] = {}
    for issue in issues:
        if issue.field.startswith(prefix + "."):
            field = issue.field[len(prefix) + 1:].split(".")[0].split("[")[0]
            text = issue.message + (f" (fix: {issue.fix})" if issue.fix else "")
            out.setdefault(field, []).append(text)
    return out
