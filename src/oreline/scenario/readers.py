"""Scenario readers: one YAML file, a CSV folder or an Excel workbook.

Every reader produces the same raw dictionary plus a map from data paths to
places in the files (``"kmp.yaml:41"``, ``"contracts.csv row 3, column max"``), so
one validation step (:mod:`oreline.scenario.load`) reports every problem with its
file and line. Which file to read, and ``extends:``, are resolved in
:mod:`oreline.scenario.resolve`.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oreline.errors import Issue, ScenarioError
from oreline.scenario.guards import (
    GuardedComposer,
    LimitExceededError,
    check_workbook,
    empty_table_issue,
    flow_depth_issue,
    folder_issue,
    read_text,
    reader_line,
    value_issue,
)

__all__ = [
    "TABLES",
    "Loc",
    "Raw",
    "raw_from_round_trip",
    "read_csv_folder",
    "read_excel",
    "read_yaml",
]

#: A path into the raw data, e.g. ``("processes", 2, "capacity", 0)``.
Loc = tuple[str | int, ...]

#: Table layout shared by the CSV and Excel formats: table -> columns.
TABLES: dict[str, list[str]] = {
    "scenario": ["key", "value"],
    "sources": ["key", "value"],
    "commodities": ["id", "name", "family", "controlled", "elements", "compounds",
                    "reference_price", "price_path", "source"],
    "sites": ["id", "name", "country", "role", "storage_capacity", "holding_cost", "source"],
    "processes": ["id", "name", "site", "stage", "main_output", "inputs", "co_products", "yield",
                  "variable_cost", "source"],
    "capacity": ["process", "name", "start", "capacity", "enabled", "ramp_periods", "source"],
    "contracts": ["id", "supplier", "commodity", "site", "max", "min", "take_or_pay", "price",
                  "start", "end", "lead_time", "origin", "enabled", "source"],
    "initial_stock": ["site", "commodity", "quantity", "origin", "source"],
    "in_transit": ["id", "site", "commodity", "quantity", "arrival", "origin", "price_paid",
                   "source"],
    "open_orders": ["id", "contract", "quantity", "arrival", "source"],
    "stock_targets": ["id", "site", "commodity", "kind", "quantity", "start", "end", "penalty",
                      "source"],
    "lanes": ["id", "origin", "destination", "commodities", "lead_time", "cost", "tariff",
              "source"],
    "customers": ["id", "name", "group", "site", "product", "demand", "profile", "price",
                  "shortfall_penalty", "priority", "qualified_from", "start", "end", "provenance",
                  "firm", "max", "source"],
    "enquiries": ["id", "name", "group", "site", "product", "demand", "profile", "price",
                  "probability", "qualification_months", "decision", "shortfall_penalty",
                  "priority", "start", "end", "provenance", "source"],
    "demand": ["customer", "period", "demand"],
    "options": ["id", "name", "kind", "capex", "fixed_opex", "modules", "earliest", "latest",
                "lead_time", "ramp", "lifetime", "supply", "requires", "excludes", "source"],
    "option_adds": ["option", "process", "capacity"],
    "option_stock": ["option", "site", "commodity", "quantity", "origin"],
}
_SCALARS = ("name", "description", "extends", "currency", "discount_rate")
_HORIZON = ("start", "periods", "period")
#: Mappings of the ``scenario`` table written one ``parent.key`` row per key.
_NESTED = ("horizon", "investment")
#: Child tables: table -> (parent entity, column naming the parent, list field, noun).
_CHILDREN: dict[str, tuple[str, str, str, str]] = {
    "capacity": ("processes", "process", "capacity", "process"),
    "option_adds": ("options", "option", "adds", "option"),
    "option_stock": ("options", "option", "stock", "option"),
}


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


# --------------------------------------------------------------------------- YAML


def _yaml_locs(node: Any, prefix: Loc, file: str, out: dict[Loc, str]) -> None:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(node, CommentedMap):
        for key in node:
            try:
                line = node.lc.key(key)[0] + 1
            except (KeyError, TypeError):  # pragma: no cover - ruamel always records keys
                continue
            if not isinstance(key, str | int | float):  # "? {a: 1}" or "[1, 2]: x"
                kind = ("list" if isinstance(key, tuple | list) else "mapping"
                        if hasattr(key, "items") else type(key).__name__)
                raise ScenarioError([Issue(f"{file}:{line}", "", f"a key is a {kind}, not a "
                                           "name",
                                           "write keys as plain names, e.g. 'name: ...'",
                                           code="yaml.bad_key")])
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


def read_yaml(path: Path) -> Raw:
    """Read one YAML file, recording the line of every key and list item.

    Also reads stress files (:mod:`oreline.stress.files`).

    Raises
    ------
    ScenarioError
        If the file is not valid YAML or not a mapping, or is refused by
        :mod:`oreline.scenario.guards` (size, encoding, nesting, aliases).

    Examples
    --------
    >>> from oreline.scenario import builtin_path
    >>> raw = read_yaml(builtin_path("tiny"))
    >>> raw.data["name"], raw.where(("horizon", "periods")).endswith("tiny.yaml:5")
    ('tiny', True)

    """
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    yaml = YAML(typ="rt")
    yaml.Composer = GuardedComposer
    text = read_text(path)
    deep = flow_depth_issue(path, text)
    if deep is not None:
        raise ScenarioError([deep])
    try:
        node = yaml.load(text)
    except LimitExceededError as exc:
        raise ScenarioError([Issue(f"{path}:{exc.line}", "", exc.message, exc.fix,
                                   code=exc.code)]) from None
    except ValueError as exc:  # a number of thousands of digits (Python's int limit)
        raise ScenarioError([value_issue(path, text, exc)]) from None
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else reader_line(exc, text)
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


def raw_from_round_trip(node: Any, file: str) -> Raw:
    r"""The :class:`Raw` of a mapping ruamel loaded in round-trip mode (no parse again).

    Lines are those of the text ``node`` was loaded from; keys added since have none
    (their parent's line is used). What-if forms validate an edited copy this way.

    Examples
    --------
    >>> from ruamel.yaml import YAML
    >>> raw = raw_from_round_trip(YAML().load("name: x\nhorizon:\n  periods: 3\n"), "x.yaml")
    >>> raw.data, raw.where(("horizon", "periods"))
    ({'name': 'x', 'horizon': {'periods': 3}}, 'x.yaml:3')

    """
    locs: dict[Loc, str] = {}
    _yaml_locs(node, (), file, locs)
    return Raw(_plain(node), locs, file)


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
    for place, row in tables.get("scenario", []):
        key, value = row.get("key"), row.get("value")
        if key is None:
            continue
        key = str(key)
        parent, dot, sub = key.partition(".")
        if dot and parent in _NESTED:  # horizon.start, investment.end_effect
            data.setdefault(parent, {})[sub] = value
            locs[(parent, sub)] = place
        else:
            data[key] = value
            locs[(key,)] = place
    for place, row in tables.get("sources", []):
        data.setdefault("sources", {})[str(row.get("key"))] = row.get("value")
        locs[("sources", str(row.get("key")))] = place
    for entity in ("commodities", "sites", "processes", "contracts", "initial_stock", "in_transit",
                   "open_orders", "stock_targets", "lanes", "customers", "enquiries", "options"):
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
    for table in _CHILDREN:
        _attach_children(table, tables.get(table, []), data, locs)
    # a demand row names a customer, or an enquiry (the pipeline's volumes by period)
    cust = {item.get("id"): (entity, i) for entity in ("enquiries", "customers")
            for i, item in enumerate(data.get(entity, []))}
    for place, row in tables.get("demand", []):
        name = row.get("customer")
        if name not in cust:
            data.setdefault("_orphans", []).append((place, f"demand row names unknown customer "
                                                           f"{name!r}"))
            continue
        entity, i = cust[name]
        period = str(row.get("period"))
        data[entity][i].setdefault("demand_by_period", {})[period] = row.get("demand")
        locs[(entity, i, "demand_by_period", period)] = place
    return Raw(data, locs, origin)


def _attach_children(table: str, rows: list[tuple[str, dict[str, Any]]], data: dict[str, Any],
                     locs: dict[Loc, str]) -> None:
    """Append each row of a child table to the list field of the entry its key column names."""
    entity, column, field_name, noun = _CHILDREN[table]
    by_id = {item.get("id"): i for i, item in enumerate(data.get(entity, []))}
    for place, row in rows:
        parent = row.pop(column, None)
        if parent not in by_id:
            locs[(table, parent or "")] = place
            data.setdefault("_orphans", []).append((place, f"{table} row names unknown {noun} "
                                                           f"{parent!r}"))
            continue
        i = by_id[parent]
        children = data[entity][i].setdefault(field_name, [])
        j = len(children)
        children.append({k: v for k, v in row.items() if v is not None})
        locs[(entity, i, field_name, j)] = place
        for k in row:
            locs[(entity, i, field_name, j, k)] = f"{place}, column {k}"


def _column_fix(extra: list[str], allowed: list[str]) -> str:
    """Suggest the closest allowed column for each unknown one."""
    import difflib

    hints = []
    for column in extra:
        close = difflib.get_close_matches(column, allowed, n=1)
        if close:
            hints.append(f"did you mean {close[0]!r} for {column!r}?")
    return " ".join([*hints, f"allowed columns: {', '.join(allowed)}"])


def _csv_rows(file: Path, name: str, issues: list[Issue]) -> list[tuple[str, dict[str, Any]]]:
    """The non-blank rows of one CSV table, appending its problems to ``issues``."""
    text = read_text(file, rows=True)
    if not text.strip():
        issues.append(empty_table_issue(str(file), name, TABLES[name]))
        return []
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows = []
    try:
        extra = [c for c in reader.fieldnames or [] if c not in TABLES[name]]
        if extra:
            fix = _column_fix(extra, TABLES[name])
            if len(reader.fieldnames or []) == 1 and ";" in extra[0]:
                fix = ("the file separates values with ';' (a regional Excel setting): save it "
                       'as "CSV UTF-8 (comma delimited)" or replace the semicolons by commas')
            issues.append(Issue(f"{file} row 1", "", f"unknown column(s) {extra}", fix))
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
    except csv.Error as exc:  # a field over the csv module's size limit
        issues.append(Issue(f"{file} row {reader.line_num}", "", f"not a readable CSV "
                            f"file: {exc}", 'save it as "CSV UTF-8 (comma delimited)"; a '
                            "value holding a comma, quote or line break goes in double quotes",
                            code="table.bad_csv"))
    return rows


def read_csv_folder(path: Path) -> Raw:
    """Read a folder of CSV files, one per table of :data:`TABLES`, recording each row.

    Raises
    ------
    ScenarioError
        If the folder holds no CSV file, or listing every unknown, empty, unreadable or
        non-UTF-8 table, unknown column, overfull row and a missing ``scenario.csv``.

    """
    tables: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    known = set(TABLES)
    issues = []
    files = sorted(path.glob("*.csv"))
    if not files:
        raise ScenarioError([folder_issue(path, list(TABLES))])
    for file in files:
        name = file.stem
        if name not in known:
            issues.append(Issue(str(file), "", f"unknown table {name!r}",
                                f"name CSV files after: {', '.join(TABLES)}"))
            continue
        try:
            tables[name] = _csv_rows(file, name, issues)
        except ScenarioError as exc:  # unreadable, too large, not UTF-8, binary
            issues += exc.issues
    if "scenario" not in tables:
        issues.append(Issue(str(path), "", "no scenario.csv in the folder",
                            "add scenario.csv with key,value rows (name, horizon.start, ...)"))
    if issues:
        raise ScenarioError(issues)
    return _from_tables(tables, str(path))


def read_excel(path: Path) -> Raw:
    """Read a workbook, one sheet per table of :data:`TABLES`, recording each row.

    Raises
    ------
    ScenarioError
        If the file is not a workbook or cannot be opened, or listing every unknown sheet
        or column, empty sheet, value without a header and a missing ``scenario`` sheet.

    """
    from openpyxl import load_workbook

    check_workbook(path)
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
        if not any(header):
            issues.append(empty_table_issue(f"{path} sheet {name}", name, TABLES[name]))
            continue
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
