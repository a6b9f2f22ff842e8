"""Load a scenario: validate raw data into a :class:`Scenario`, every problem at once.

pydantic errors and the cross-entity findings of :mod:`oreline.scenario.checks`
become one :class:`~oreline.errors.Issue` each, placed at the file and line the
raw data came from and listed in file order.
"""

from __future__ import annotations

import re
import typing
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from oreline.errors import Issue, ScenarioError
from oreline.scenario.checks import Finding, check_scenario
from oreline.scenario.fields import FIX_MARK
from oreline.scenario.investment import InvestmentSettings
from oreline.scenario.readers import Loc, Raw
from oreline.scenario.resolve import read_raw
from oreline.scenario.schema import Scenario

__all__ = ["load_scenario", "parse_scenario"]


def _model_fields(loc: Loc) -> list[str]:
    """Field names allowed at ``loc`` (for 'did you mean' hints)."""
    from pydantic import BaseModel

    model: Any = Scenario
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return []
        info = model.model_fields.get(str(part))
        if info is None:
            return []
        ann = info.annotation
        args = getattr(ann, "__args__", ())
        model = next((a for a in (ann, *args) if isinstance(a, type) and issubclass(a, BaseModel)),
                     None)
        if model is None:
            return []
    if isinstance(model, type) and issubclass(model, BaseModel):
        return [f.alias or name for name, f in model.model_fields.items()]
    return []


def _issue_from_pydantic(raw: Raw, err: Any) -> Issue:
    import difflib

    loc: Loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and "[" in p))
    field_path = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in loc)
    field_path = field_path.replace(".[", "[")
    kind = err["type"]
    value = err.get("input")
    name = err["loc"][-1] if err["loc"] else ""  # a key may hold "[" ("a[1]": 2)
    msg, _, fix = err["msg"].removeprefix("Value error, ").partition(FIX_MARK)
    if kind == "extra_forbidden":
        allowed = _model_fields(loc)
        close = difflib.get_close_matches(str(name), allowed, n=1)
        msg = f"unknown field {name!r}"
        fix = f"did you mean {close[0]!r}?" if close else f"allowed fields: {', '.join(allowed)}"
    elif kind == "missing":
        msg = "required field is missing"
        fix = f"add '{name}'"
    else:
        shown = repr(value) if not isinstance(value, dict | list) else ""
        if shown and not (isinstance(value, str) and shown in msg):
            msg = f"{msg} (got {shown})"
        ctx = err.get("ctx") or {}
        bounds = {"greater_than": "above", "greater_than_equal": "at least",
                  "less_than": "below", "less_than_equal": "at most"}
        if kind in bounds:
            limit = next(iter(ctx.values()), "")
            fix = f"use a number {bounds[kind]} {limit}"
        elif kind == "literal_error":
            fix = f"use one of: {ctx.get('expected', '')}"
    return Issue(raw.where(loc), field_path, msg, fix)


_PLACE = re.compile(r"^(?P<file>.*?)(?::(?P<line>\d+)| row (?P<row>\d+)(?:, column .*)?)?$")


def _in_file_order(issues: list[Issue]) -> list[Issue]:
    """Sort issues by file, then line or row (stable: same place keeps check order)."""

    def key(issue: Issue) -> tuple[str, int]:
        match = _PLACE.match(issue.where)
        if match is None:  # pragma: no cover - the pattern matches any text
            return issue.where, 0
        return match["file"], int(match["line"] or match["row"] or 0)

    return sorted(issues, key=key)


def _finding_issue(raw: Raw, finding: Finding) -> Issue:
    loc, message, fix = finding[:3]
    field_path = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in loc)
    code = finding[3] if len(finding) == 4 else ""
    return Issue(raw.where(loc), field_path.replace(".[", "["), message, fix, code=code)


def _checks_on_valid_entries(data: dict[str, Any]) -> list[Finding]:
    """Cross-entity checks on the entries that are valid on their own.

    Used when the scenario as a whole failed validation, so that a file with a bad
    unit *and* an unknown reference shows both at once. Findings that only follow
    from an invalid entry (a reference to it, a price against an invalid currency)
    are left out; locations and messages name the entries' places in the file.
    """
    kept: dict[str, Any] = {}
    positions: dict[str, list[int]] = {}
    invalid_ids: set[str] = set()
    for entity in ("commodities", "sites", "processes", "contracts", "initial_stock", "in_transit",
                   "open_orders", "stock_targets", "lanes", "customers", "enquiries", "options"):
        model = typing.get_args(Scenario.model_fields[entity].annotation)[0]
        items = data.get(entity)
        kept[entity], positions[entity] = [], []
        for i, item in enumerate(items if isinstance(items, list) else []):
            try:
                kept[entity].append(model.model_validate(item))
                positions[entity].append(i)
            except ValidationError:
                if isinstance(item, dict) and item.get("id") is not None:
                    invalid_ids.add(str(item["id"]))
    currency = data.get("currency", Scenario.model_fields["currency"].default)
    currency_ok = isinstance(currency, str) and re.fullmatch(r"[A-Z]{3}", currency) is not None
    try:
        kept["investment"] = InvestmentSettings.model_validate(data.get("investment") or {})
    except ValidationError:
        invalid_ids.add("investment")  # its own errors first; the option checks need it
    partial = Scenario.model_construct(currency=currency, **kept)
    out: list[Finding] = []
    for finding in check_scenario(partial):
        loc, message, fix = finding[:3]
        code = finding[3] if len(finding) == 4 else ""
        if "investment" in invalid_ids and code.startswith("invest."):
            continue
        if any(f" {name!r}" in message for name in invalid_ids):
            continue  # e.g. "unknown site 'x'" where site x exists but is invalid
        if not currency_ok and "scenario currency" in message:
            continue
        if len(loc) > 1 and isinstance(loc[1], int) and str(loc[0]) in positions:
            entity = str(loc[0])
            place = positions[entity]
            loc = (entity, place[loc[1]], *loc[2:])

            def original(match: re.Match[str], entity: str = entity,
                         place: list[int] = place) -> str:
                return f"{entity}[{place[int(match[1])]}]"

            message = re.sub(rf"{entity}\[(\d+)\]", original, message)
        out.append((loc, message, fix, code))
    return out


def parse_scenario(raw: Raw) -> Scenario:
    """Validate raw data into a :class:`Scenario`, reporting every problem at once.

    Raises
    ------
    ScenarioError
        With one :class:`~oreline.errors.Issue` per problem, each naming file and line.

    """
    issues = [o if isinstance(o, Issue) else Issue(o[0], "", o[1], "fix or remove the row")
              for o in raw.data.pop("_orphans", [])]
    try:
        scenario = Scenario.model_validate(raw.data)
    except ValidationError as exc:
        issues += [_issue_from_pydantic(raw, e) for e in exc.errors()]
        issues += [_finding_issue(raw, f) for f in _checks_on_valid_entries(raw.data)]
        raise ScenarioError(_in_file_order(issues)) from None
    issues += [_finding_issue(raw, f) for f in check_scenario(scenario)]
    if issues:
        raise ScenarioError(_in_file_order(issues))
    return scenario


def load_scenario(source: str | Path) -> Scenario:
    """Load and validate a scenario from a built-in name, a YAML file, a CSV folder or a workbook.

    Examples
    --------
    >>> sc = load_scenario("tiny")
    >>> sc.horizon.periods
    3

    """
    return parse_scenario(read_raw(source))
