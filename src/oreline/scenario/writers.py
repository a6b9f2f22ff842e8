"""Scenario writers: one YAML file, a CSV folder or an Excel workbook.

Each writer produces exactly the layout its reader in :mod:`oreline.scenario.readers`
expects, so ``load_scenario(export_scenario(load_scenario(x), path, fmt))`` gives a
scenario equal to ``load_scenario(x)``. Fields left at their default are not
written (``currency`` is, as every price is checked against it); quantities and
prices are written in their canonical text form (``"1300 t/year alloy"``,
``"123000 USD/t"``), which reads back to the same value.

Every format is written to a temporary path next to the target and renamed into
place, so a failure never leaves a half-written file or folder behind.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from oreline.errors import ConfigError
from oreline.scenario.atomic import atomic_file, atomic_folder
from oreline.scenario.readers import TABLES
from oreline.scenario.schema import Policy, Scenario

__all__ = ["FORMATS", "export_scenario", "scenario_to_data", "scenario_to_tables"]

#: Formats :func:`export_scenario` writes.
FORMATS: tuple[str, ...] = ("yaml", "csv", "xlsx")

#: Top-level scalars written to the ``scenario`` table, in schema order.
_SCALARS = ("name", "description", "currency", "discount_rate", "ledger_map")
#: Entity lists written one row per entry.
_ENTITIES = ("commodities", "sites", "processes", "contracts", "initial_stock", "in_transit",
             "open_orders", "stock_targets", "lanes", "customers", "enquiries", "options")
#: List fields of an entity written to a child table keyed by the entity's id.
_CHILDREN: dict[str, dict[str, tuple[str, str]]] = {
    "processes": {"capacity": ("capacity", "process")},
    "options": {"adds": ("option_adds", "option"), "stock": ("option_stock", "option")},
}
#: Columns holding a mapping written as ``key=value; key=value`` (others as JSON).
_MAPPING_COLUMNS = frozenset({"elements", "compounds", "inputs", "co_products", "origin"})
#: Mapping fields written inline (``flow style``) in YAML when short.
_FLOW_MAX = 8

Row = dict[str, Any]


# --------------------------------------------------------------------------- data


def _number(value: float) -> str:
    """Shortest text that reads back as exactly ``value`` (no exponent below 1e16)."""
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(value)


def _policy_text(value: dict[str, Any]) -> str | dict[str, Any]:
    """Write a policy as ``"rule"`` or ``"rule:share"`` when that says all of it."""
    if set(value) - {"rule", "max_share"}:
        return value
    policy = Policy.model_validate(value)
    if policy.max_share is None:
        return policy.rule
    return f"{policy.rule}:{_number(policy.max_share)}"


def _source_last(item: dict[str, Any]) -> dict[str, Any]:
    """Put ``source`` after the entity's own fields, as hand-written files do."""
    if "source" not in item:
        return item
    out = {k: v for k, v in item.items() if k != "source"}
    out["source"] = item["source"]
    return out


def scenario_to_data(scenario: Scenario) -> dict[str, Any]:
    """Plain data for ``scenario``: schema key order, defaults left out, text quantities.

    Parameters
    ----------
    scenario
        A validated scenario.

    Returns
    -------
    dict
        Nested dicts and lists of str, int, float and bool; ``provenance`` policies
        as text (``"crma:0.65"``), ``source`` last in every entry.

    Examples
    --------
    >>> from oreline.scenario import load_scenario
    >>> data = scenario_to_data(load_scenario("tiny"))
    >>> data["processes"][0]["capacity"]
    [{'start': '2027-01', 'capacity': '10 t/month metal'}]
    >>> data["customers"][1]["provenance"]
    'dfars-2027'

    """
    data: dict[str, Any] = scenario.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    data.pop("extends", None)  # a loaded scenario is already merged with its base
    out: dict[str, Any] = {}
    for key in Scenario.model_fields:
        if key == "currency":
            out[key] = scenario.currency
        elif key in data:
            out[key] = data[key]
    for entity in _ENTITIES:
        items = out.get(entity, [])
        for i, item in enumerate(items):
            if entity in ("customers", "enquiries") and "provenance" in item:
                item["provenance"] = _policy_text(item["provenance"])
            if entity == "processes":
                item["capacity"] = [_source_last(ph) for ph in item["capacity"]]
            items[i] = _source_last(item)
    return out


def _tabular(value: Any, column: str) -> Any:
    """One cell's value in the table layout (native types; the CSV writer stringifies)."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, dict):
        text = "; ".join(f"{k}={_text(v)}" for k, v in value.items())
        if column not in _MAPPING_COLUMNS or any(
            any(c in f"{k}{_text(v)}" for c in ";=\n") for k, v in value.items()
        ):
            return json.dumps(value, ensure_ascii=False)  # the readers decode {...} cells
        return text
    if isinstance(value, list):
        return "; ".join(_text(v) for v in value)
    return str(value)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _number(value)
    return str(value)


def scenario_to_tables(scenario: Scenario) -> dict[str, list[Row]]:
    """Turn the scenario into the CSV/Excel tables of :data:`~oreline.scenario.readers.TABLES`.

    Returns
    -------
    dict
        ``table -> rows``, every table present (possibly with no rows), each row a
        mapping from column to a native cell value (``None`` for an empty cell).

    Raises
    ------
    ConfigError
        When a field has no column in the table layout (the schema and ``TABLES``
        disagree; a bug, never silently dropped).

    Examples
    --------
    >>> from oreline.scenario import load_scenario
    >>> tables = scenario_to_tables(load_scenario("tiny"))
    >>> tables["capacity"][0]["process"], tables["capacity"][0]["capacity"]
    ('electrolysis', '10 t/month metal')
    >>> tables["contracts"][0]["origin"]
    'mined=AU; separated=MY'

    """
    data = scenario_to_data(scenario)
    tables: dict[str, list[Row]] = {name: [] for name in TABLES}

    def row(table: str, item: dict[str, Any]) -> None:
        unknown = [k for k in item if k not in TABLES[table]]
        if unknown:
            raise ConfigError(
                f"field(s) {unknown} have no column in table {table!r}; add them to "
                "oreline.scenario.readers.TABLES"
            )
        tables[table].append({c: _tabular(item.get(c), c) for c in TABLES[table]})

    for key in _SCALARS:
        if key in data:
            row("scenario", {"key": key, "value": data[key]})
    for parent in ("horizon", "investment"):
        for key, value in data.get(parent, {}).items():
            if isinstance(value, dict):  # investment.fx: "AUD=0.65; EUR=1.08"
                value = "; ".join(f"{k}={_text(v)}" for k, v in value.items())
            row("scenario", {"key": f"{parent}.{key}", "value": value})
    for key, value in data.get("sources", {}).items():
        row("sources", {"key": key, "value": value})
    for entity in _ENTITIES:
        for item in data.get(entity, []):
            item = dict(item)
            for field_name, (table, column) in _CHILDREN.get(entity, {}).items():
                for child in item.pop(field_name, []):
                    row(table, {column: item["id"], **child})
            if entity in ("customers", "enquiries"):
                for period, demand in item.pop("demand_by_period", {}).items():
                    row("demand", {"customer": item["id"], "period": period, "demand": demand})
            row(entity, item)
    return tables


# --------------------------------------------------------------------------- writers


def _yaml_node(value: Any, key: str = "") -> Any:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(value, dict):
        node = CommentedMap((k, _yaml_node(v, k)) for k, v in value.items())
        nested = any(isinstance(v, dict | list) for v in value.values())
        short = len(value) <= _FLOW_MAX and len(json.dumps(value)) <= 90
        if key and short and not nested:
            node.fa.set_flow_style()
        return node
    if isinstance(value, list):
        seq = CommentedSeq(_yaml_node(v, key) for v in value)
        if value and not any(isinstance(v, dict | list) for v in value):
            seq.fa.set_flow_style()
        return seq
    return value


def _write_yaml(data: dict[str, Any], file: Path) -> None:
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap

    root = CommentedMap()
    for key, value in data.items():
        # entries in block style, their small mappings (elements, inputs...) inline
        root[key] = _yaml_node(value, "" if key in _ENTITIES else key)
    for n, key in enumerate(root):
        if n and isinstance(root[key], list | dict) and key != "horizon":
            root.yaml_set_comment_before_after_key(key, before="\n")
    yaml = YAML(typ="rt")
    yaml.width = 100
    yaml.indent(mapping=2, sequence=4, offset=2)
    with file.open("w", encoding="utf-8") as fh:
        fh.write(f"# Scenario {data['name']!r}, exported by oreline "
                 "(reference: docs/scenario-format.md).\n")
        yaml.dump(root, fh)


def _write_csv(tables: dict[str, list[Row]], folder: Path) -> None:
    for table, rows in tables.items():
        with (folder / f"{table}.csv").open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(TABLES[table])
            for row in rows:
                writer.writerow(["" if v is None else _text(v) for v in row.values()])


def _write_xlsx(tables: dict[str, list[Row]], file: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    bold = Font(bold=True)
    for table, rows in tables.items():
        ws = wb.create_sheet(table)
        ws.append(TABLES[table])
        for cell in ws[1]:
            cell.font = bold
        for n, row in enumerate(rows, start=2):
            for m, value in enumerate(row.values(), start=1):
                if value is None:
                    continue
                if isinstance(value, float) and float(f"{value:.15g}") != value:
                    value = _number(value)  # Excel keeps 15 digits; text keeps them all
                cell = ws.cell(row=n, column=m, value=value)
                if isinstance(value, str) and value.startswith("="):
                    cell.data_type = "s"  # text, not a formula
        for m, column in enumerate(TABLES[table], start=1):
            longest = max([len(column)] + [len(_text(r[column])) for r in rows
                                           if r[column] is not None])
            ws.column_dimensions[get_column_letter(m)].width = min(longest + 2, 60)
        ws.freeze_panes = "A2"
    wb.save(file)


_WRITERS: dict[str, Callable[[Scenario, Path], None]] = {
    "yaml": lambda sc, p: _write_yaml(scenario_to_data(sc), p),
    "csv": lambda sc, p: _write_csv(scenario_to_tables(sc), p),
    "xlsx": lambda sc, p: _write_xlsx(scenario_to_tables(sc), p),
}


def _guess_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return "yaml"
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    if suffix == "":
        return "csv"
    raise ConfigError(f"cannot tell the format of {path}; pass fmt= one of {', '.join(FORMATS)}")


def export_scenario(scenario: Scenario, path: str | Path, fmt: str | None = None) -> Path:
    """Write ``scenario`` as a YAML file, a CSV folder or an Excel workbook.

    Parameters
    ----------
    scenario
        A validated scenario (from :func:`~oreline.scenario.load_scenario`).
    path
        Target file (``.yaml``, ``.xlsx``) or folder (``csv``). Parent folders are
        created. An existing file is replaced; an existing folder only when it holds
        nothing but scenario tables.
    fmt
        ``"yaml"``, ``"csv"`` or ``"xlsx"``; guessed from ``path`` when omitted
        (no suffix means a CSV folder).

    Returns
    -------
    Path
        The path written, which :func:`~oreline.scenario.load_scenario` reads back
        to an equal scenario.

    Raises
    ------
    ConfigError
        For an unknown format or a target that cannot be replaced safely. Nothing is
        written then, nor when writing fails part way.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from oreline.scenario import load_scenario
    >>> tiny = load_scenario("tiny")
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     out = export_scenario(tiny, Path(tmp) / "tiny.xlsx")
    ...     load_scenario(out) == tiny
    True

    """
    target = Path(path)
    kind = fmt.lower().lstrip(".") if fmt else _guess_format(target)
    kind = {"yml": "yaml", "xlsm": "xlsx", "excel": "xlsx"}.get(kind, kind)
    if kind not in _WRITERS:
        raise ConfigError(f"unknown scenario format {fmt!r}; use one of {', '.join(FORMATS)}")
    opener = atomic_folder if kind == "csv" else atomic_file
    with opener(target) as tmp:
        _WRITERS[kind](scenario, tmp)
    return target
