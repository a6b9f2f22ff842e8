"""Scenario readers: YAML file, CSV folder, Excel workbook; built-ins; ``extends:``.

Every reader produces the same raw dictionary plus a map from data paths to
places in the files (``"kmp.yaml:41"``, ``"contracts.csv row 3, column max"``), so
one validation step reports every problem with its file and line.
"""

from __future__ import annotations

import csv
import itertools
import json
import os
import re
import typing
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from oreline.errors import Issue, ScenarioError
from oreline.scenario.checks import Finding, check_scenario
from oreline.scenario.schema import Scenario

__all__ = [
    "TABLES",
    "builtin_names",
    "builtin_path",
    "load_scenario",
    "parse_scenario",
    "read_raw",
]

Loc = tuple[str | int, ...]

#: Entity lists keyed by id; ``extends:`` merges these entry by entry.
KEYED = ("commodities", "sites", "processes", "contracts", "lanes", "customers")

#: Table layout shared by the CSV and Excel formats: table -> columns.
TABLES: dict[str, list[str]] = {
    "scenario": ["key", "value"],
    "sources": ["key", "value"],
    "commodities": ["id", "name", "family", "controlled", "elements", "compounds",
                    "reference_price", "source"],
    "sites": ["id", "name", "country", "role", "storage_capacity", "holding_cost", "source"],
    "processes": ["id", "name", "site", "stage", "main_output", "inputs", "co_products", "yield",
                  "variable_cost", "source"],
    "capacity": ["process", "name", "start", "capacity", "enabled", "ramp_periods", "source"],
    "contracts": ["id", "supplier", "commodity", "site", "max", "min", "take_or_pay", "price",
                  "start", "end", "lead_time", "origin", "enabled", "source"],
    "initial_stock": ["site", "commodity", "quantity", "origin", "source"],
    "lanes": ["id", "origin", "destination", "commodities", "lead_time", "cost", "tariff",
              "source"],
    "customers": ["id", "name", "group", "site", "product", "demand", "profile", "price",
                  "shortfall_penalty", "priority", "qualified_from", "start", "end", "provenance",
                  "source"],
    "demand": ["customer", "period", "demand"],
}
_SCALARS = ("name", "description", "extends", "currency", "discount_rate")
_HORIZON = ("start", "periods", "period")


@dataclass
class Raw:
    """Raw scenario data and where each part of it was written."""

    data: dict[str, Any]
    locs: dict[Loc, str] = field(default_factory=dict)
    origin: str = ""

    def where(self, loc: Loc) -> str:
        """The file place of ``loc`` or of its nearest located parent."""
        for n in range(len(loc), -1, -1):
            if loc[:n] in self.locs:
                return self.locs[loc[:n]]
        return self.origin


# --------------------------------------------------------------------------- built-ins


def builtin_names() -> list[str]:
    """Names of the built-in scenarios.

    Examples
    --------
    >>> "kmp" in builtin_names() and "tiny" in builtin_names()
    True

    """
    lib = resources.files("oreline.scenario") / "library"
    return sorted(p.name[:-5] for p in lib.iterdir() if p.name.endswith(".yaml"))


def builtin_path(name: str) -> Path:
    """Path of a built-in scenario file."""
    return Path(str(resources.files("oreline.scenario") / "library" / f"{name}.yaml"))


# --------------------------------------------------------------------------- YAML


def _yaml_locs(node: Any, prefix: Loc, file: str, out: dict[Loc, str]) -> None:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(node, CommentedMap):
        for key in node:
            try:
                line = node.lc.key(key)[0] + 1
            except (KeyError, TypeError):  # pragma: no cover - ruamel always records keys
                continue
            out[(*prefix, str(key))] = f"{file}:{line}"
            _yaml_locs(node[key], (*prefix, str(key)), file, out)
    elif isinstance(node, CommentedSeq):
        for i, item in enumerate(node):
            try:
                line = node.lc.item(i)[0] + 1
            except (KeyError, TypeError):  # pragma: no cover
                continue
            out[(*prefix, i)] = f"{file}:{line}"
            _yaml_locs(item, (*prefix, i), file, out)


def _plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def _read_yaml(path: Path) -> Raw:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    yaml = YAML(typ="rt")
    try:
        node = yaml.load(path.read_text(encoding="utf-8"))
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        context, start = getattr(exc, "context", None), getattr(exc, "context_mark", None)
        if context and start is not None and mark is not None and start.line != mark.line:
            problem = f"{problem} ({context} at line {start.line + 1})"
        raise ScenarioError(
            [Issue(f"{path}{line}", "", f"not valid YAML: {problem}", "fix the YAML syntax")]
        ) from None
    if not isinstance(node, dict):
        raise ScenarioError(
            [Issue(str(path), "", "the file is not a YAML mapping", "start with 'name: ...'")]
        )
    locs: dict[Loc, str] = {}
    _yaml_locs(node, (), str(path), locs)
    return Raw(_plain(node), locs, str(path))


# --------------------------------------------------------------------------- tables


def _cell(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
        if value == "":
            return None
        if value.startswith("{") and value.endswith("}"):
            try:
                return json.loads(value)
            except json.JSONDecodeError:
                return value
    return value


def _from_tables(tables: dict[str, list[tuple[str, dict[str, Any]]]], origin: str) -> Raw:
    """Assemble raw data from ``table -> [(place, row)]``."""
    data: dict[str, Any] = {}
    locs: dict[Loc, str] = {}
    horizon: dict[str, Any] = {}
    for place, row in tables.get("scenario", []):
        key, value = row.get("key"), row.get("value")
        if key is None:
            continue
        key = str(key)
        if key.startswith("horizon."):
            horizon[key[8:]] = value
            locs[("horizon", key[8:])] = place
        else:
            data[key] = value
            locs[(key,)] = place
    if horizon:
        data["horizon"] = horizon
    for place, row in tables.get("sources", []):
        data.setdefault("sources", {})[str(row.get("key"))] = row.get("value")
        locs[("sources", str(row.get("key")))] = place
    for entity in ("commodities", "sites", "processes", "contracts", "initial_stock", "lanes",
                   "customers"):
        items: list[dict[str, Any]] = []
        for place, row in tables.get(entity, []):
            idx = len(items)
            item = {k: v for k, v in row.items() if v is not None}
            items.append(item)
            locs[(entity, idx)] = place
            for k in row:
                locs[(entity, idx, k)] = f"{place}, column {k}"
        if items or entity in tables:
            data[entity] = items
    by_id = {item.get("id"): i for i, item in enumerate(data.get("processes", []))}
    for place, row in tables.get("capacity", []):
        proc = row.pop("process", None)
        if proc not in by_id:
            locs[("capacity", proc or "")] = place
            data.setdefault("_orphans", []).append((place, f"capacity row names unknown process "
                                                           f"{proc!r}"))
            continue
        i = by_id[proc]
        phases = data["processes"][i].setdefault("capacity", [])
        j = len(phases)
        phases.append({k: v for k, v in row.items() if v is not None})
        locs[("processes", i, "capacity", j)] = place
        for k in row:
            locs[("processes", i, "capacity", j, k)] = f"{place}, column {k}"
    cust = {item.get("id"): i for i, item in enumerate(data.get("customers", []))}
    for place, row in tables.get("demand", []):
        name = row.get("customer")
        if name not in cust:
            data.setdefault("_orphans", []).append((place, f"demand row names unknown customer "
                                                           f"{name!r}"))
            continue
        i = cust[name]
        period = str(row.get("period"))
        data["customers"][i].setdefault("demand_by_period", {})[period] = row.get("demand")
        locs[("customers", i, "demand_by_period", period)] = place
    return Raw(data, locs, origin)


def _column_fix(extra: list[str], allowed: list[str]) -> str:
    """Suggest the closest allowed column for each unknown one."""
    import difflib

    hints = []
    for column in extra:
        close = difflib.get_close_matches(column, allowed, n=1)
        if close:
            hints.append(f"did you mean {close[0]!r} for {column!r}?")
    return " ".join([*hints, f"allowed columns: {', '.join(allowed)}"])


def _read_csv_folder(path: Path) -> Raw:
    tables: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    known = set(TABLES)
    issues = []
    for file in sorted(path.glob("*.csv")):
        name = file.stem
        if name not in known:
            issues.append(Issue(str(file), "", f"unknown table {name!r}",
                                f"name CSV files after: {', '.join(TABLES)}"))
            continue
        with file.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            extra = [c for c in reader.fieldnames or [] if c not in TABLES[name]]
            if extra:
                issues.append(Issue(f"{file} row 1", "", f"unknown column(s) {extra}",
                                    _column_fix(extra, TABLES[name])))
            rows = []
            for n, row in enumerate(reader, start=2):
                spill = row.get(None)  # type: ignore[call-overload]
                if spill:
                    issues.append(Issue(
                        f"{file} row {n}", "", f"the row has {len(row) - 1 + len(spill)} cells "
                        f"but the header has {len(row) - 1} columns (extra: {spill})",
                        'put values holding a comma in double quotes, e.g. "A, B"'))
                clean = {k: _cell(v) for k, v in row.items() if k in TABLES[name]}
                if any(v is not None for v in clean.values()):
                    rows.append((f"{file} row {n}", clean))
            tables[name] = rows
    if "scenario" not in tables:
        issues.append(Issue(str(path), "", "no scenario.csv in the folder",
                            "add scenario.csv with key,value rows (name, horizon.start, ...)"))
    if issues:
        raise ScenarioError(issues)
    return _from_tables(tables, str(path))


def _read_excel(path: Path) -> Raw:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a bad file
        raise ScenarioError([Issue(str(path), "", f"cannot open the workbook: {exc}",
                                   "save it as .xlsx from Excel or LibreOffice")]) from None
    tables: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    issues = []
    for ws in wb.worksheets:
        name = ws.title
        if name not in TABLES:
            issues.append(Issue(f"{path} sheet {name}", "", f"unknown sheet {name!r}",
                                f"name sheets after: {', '.join(TABLES)}"))
            continue
        rows_iter = ws.iter_rows(values_only=True)
        header = [str(h) if h is not None else "" for h in next(rows_iter, ())]
        extra = [c for c in header if c and c not in TABLES[name]]
        if extra:
            issues.append(Issue(f"{path} sheet {name} row 1", "", f"unknown column(s) {extra}",
                                _column_fix(extra, TABLES[name])))
        rows = []
        for n, values in enumerate(rows_iter, start=2):
            stray = [v for h, v in itertools.zip_longest(header, values) if not h and v is not None]
            if stray:
                issues.append(Issue(f"{path} sheet {name} row {n}", "",
                                    f"value(s) {stray} in a column without a header",
                                    "give the column a header or delete the values"))
            clean = {h: _cell(v) for h, v in zip(header, values, strict=False)
                     if h in TABLES[name]}
            if any(v is not None for v in clean.values()):
                rows.append((f"{path} sheet {name} row {n}", clean))
        tables[name] = rows
    wb.close()
    if "scenario" not in tables:
        issues.append(Issue(str(path), "", "no 'scenario' sheet in the workbook",
                            "add a sheet 'scenario' with key,value rows"))
    if issues:
        raise ScenarioError(issues)
    return _from_tables(tables, str(path))


# --------------------------------------------------------------------------- extends


def _merge(base: Raw, child: Raw) -> Raw:
    """Overlay ``child`` on ``base``: keyed entities entry by entry, mappings key by key.

    Any other top-level value of the child replaces the base's, and so do the base's
    file places under it, so an error points into the file that wrote the value.
    """
    data = dict(base.data)
    locs = {k: v for k, v in base.locs.items() if not (k and k[0] in KEYED)}
    orphans = list(base.data.get("_orphans", [])) + list(child.data.get("_orphans", []))
    for key, value in child.data.items():
        if key in KEYED or key == "_orphans":
            continue
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
            locs = {k: v for k, v in locs.items() if k[:1] != (key,)}
    locs.update({k: v for k, v in child.locs.items() if not (k and k[0] in KEYED)})
    for entity in KEYED:
        base_items = base.data.get(entity) or []
        child_items = child.data.get(entity) or []
        if not isinstance(base_items, list) or not isinstance(child_items, list):
            # not a list: nothing to merge by id, the schema reports the bad value
            chosen = child if entity in child.data else base
            if entity in chosen.data:
                data[entity] = chosen.data[entity]
                locs.update({k: v for k, v in chosen.locs.items() if k[:1] == (entity,)})
            continue
        out: list[Any] = []
        sources: list[list[tuple[Raw, int]]] = []
        index: dict[Any, int] = {}
        for b, item in enumerate(base_items):
            if isinstance(item, dict):
                index[item.get("id")] = len(out)
            out.append(item)
            sources.append([(base, b)])
        for c, item in enumerate(child_items):
            ident = item.get("id") if isinstance(item, dict) else None
            if ident is not None and ident in index:
                k = index[ident]
                if item.get("remove") is True:
                    out[k] = {}
                    sources[k] = []
                    continue
                out[k] = {**out[k], **item}
                sources[k].append((child, c))
            elif isinstance(item, dict) and "remove" in item:
                orphans.append(Issue(
                    child.where((entity, c, "remove")), f"{entity}[{c}].remove",
                    f"'remove: true' names {ident!r}, which the base scenario has no entry for",
                    f"correct the id or delete the entry; {entity} of the base: "
                    + ", ".join(str(k) for k in index if k is not None)))
            else:
                if ident is not None:
                    index[ident] = len(out)
                out.append(item)
                sources.append([(child, c)])
        keep = [k for k in range(len(out)) if sources[k]]
        data[entity] = [out[k] for k in keep]
        for new, k in enumerate(keep):
            for raw, old in sources[k]:
                for loc, place in raw.locs.items():
                    if loc[:2] == (entity, old):
                        locs[(entity, new, *loc[2:])] = place
        if not data[entity] and entity not in base.data and entity not in child.data:
            del data[entity]
    data.pop("extends", None)
    data.pop("_orphans", None)
    if orphans:
        data["_orphans"] = orphans
    return Raw(data, locs, child.origin)


def read_raw(source: str | Path, _seen: tuple[str, ...] = ()) -> Raw:
    """Read a scenario (built-in name, YAML, CSV folder or workbook) into raw data.

    ``extends:`` is resolved here: a built-in name or a path relative to the file.
    """
    text = str(source)
    path = Path(text)
    if not path.exists() and text in builtin_names():
        path = builtin_path(text)
    if not path.exists():
        hint = f"built-in scenarios: {', '.join(builtin_names())}"
        raise ScenarioError([Issue(text, "", "no such file, folder or built-in scenario", hint)])
    key = str(path.resolve())
    if key in _seen:
        raise ScenarioError([Issue(text, "extends", "extends forms a cycle: " +
                                   " -> ".join((*_seen, key)), "remove one 'extends'")])
    if path.is_dir():
        raw = _read_csv_folder(path)
    elif path.suffix.lower() in (".xlsx", ".xlsm"):
        raw = _read_excel(path)
    elif path.suffix.lower() in (".yaml", ".yml"):
        raw = _read_yaml(path)
    else:
        raise ScenarioError([Issue(text, "", f"unknown scenario format {path.suffix!r}",
                                   "use .yaml, .xlsx or a folder of CSV files")])
    parent = raw.data.get("extends")
    if parent:
        parent_text = str(parent)
        here = raw.where(("extends",))
        # relative to the file holding 'extends' (scenario.csv inside a folder)
        anchor = path if path.is_dir() else path.parent
        candidate = Path(os.path.normpath(anchor / parent_text))
        if candidate.exists():
            base_source: str | Path = candidate
        elif parent_text in builtin_names():
            base_source = builtin_path(parent_text)
        else:
            raise ScenarioError([Issue(
                here, "extends", f"base scenario {parent_text!r} not found in {anchor} "
                "nor among the built-ins", f"built-in scenarios: {', '.join(builtin_names())}; "
                "or give a path relative to this file")])
        base_key = str(Path(base_source).resolve())
        if base_key in (*_seen, key):
            chain = " -> ".join(Path(k).name for k in (*_seen, key, base_key))
            raise ScenarioError([Issue(here, "extends", f"extends forms a cycle: {chain}",
                                       "remove one 'extends' from the cycle")])
        base = read_raw(base_source, (*_seen, key))
        raw = _merge(base, raw)
    return raw


# --------------------------------------------------------------------------- validation


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
    msg = err["msg"].removeprefix("Value error, ")
    fix = ""
    if kind == "extra_forbidden":
        allowed = _model_fields(loc)
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        msg = f"unknown field {loc[-1]!r}"
        fix = f"did you mean {close[0]!r}?" if close else f"allowed fields: {', '.join(allowed)}"
    elif kind == "missing":
        msg = "required field is missing"
        fix = f"add '{loc[-1]}'"
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
    loc, message, fix = finding
    field_path = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in loc)
    return Issue(raw.where(loc), field_path.replace(".[", "["), message, fix)


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
    for entity in ("commodities", "sites", "processes", "contracts", "initial_stock", "lanes",
                   "customers"):
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
    partial = Scenario.model_construct(currency=currency, **kept)
    out: list[Finding] = []
    for loc, message, fix in check_scenario(partial):
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
        out.append((loc, message, fix))
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
