"""Scenario readers: one YAML file, a CSV folder or an Excel workbook.

Every reader produces the same raw dictionary plus a map from data paths to
places in the files (``"kmp.yaml:41"``, ``"contracts.csv row 3, column max"``), so
one validation step (:mod:`oreline.scenario.load`) reports every problem with its
file and line. Which file to read, and ``extends:``, are resolved in
:mod:`oreline.scenario.resolve`.
"""

from __future__ import annotations

import csv
import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oreline.errors import Issue, ScenarioError

__all__ = [
    "TABLES",
    "Loc",
    "Raw",
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
                    "reference_price", "source"],
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


def read_yaml(path: Path) -> Raw:
    """Read one YAML file, recording the line of every key and list item.

    Also reads stress files (:mod:`oreline.stress.files`).

    Raises
    ------
    ScenarioError
        If the file is not valid YAML or not a mapping.

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
    for entity in ("commodities", "sites", "processes", "contracts", "initial_stock", "in_transit",
                   "open_orders", "stock_targets", "lanes", "customers"):
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


def read_csv_folder(path: Path) -> Raw:
    """Read a folder of CSV files, one per table of :data:`TABLES`, recording each row.

    Raises
    ------
    ScenarioError
        Listing every unknown table or column, overfull row and a missing ``scenario.csv``.

    """
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


def read_excel(path: Path) -> Raw:
    """Read a workbook, one sheet per table of :data:`TABLES`, recording each row.

    Raises
    ------
    ScenarioError
        If the workbook cannot be opened, or listing every unknown sheet or column,
        value without a header and a missing ``scenario`` sheet.

    """
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
