"""Cells of the CSV import: read each cell and check it as the ledger will.

Each function reads one kind of cell (a mass, a time, a URI, a step, ``key=value``
pairs, lot master data, the campaign columns) and appends what is wrong with it to a
list of :class:`~oreline.errors.Issue` named ``file:line`` and the CSV column, so a
problem is reported against the cell that causes it rather than the EPCIS event the
row becomes. The checks mirror those of :mod:`oreline.ledger.profile.parse` and
:mod:`oreline.ledger.epcis.standard` that a CSV row can break.

Examples
--------
>>> issues: list[Issue] = []
>>> kg({"kg": "-5"}, "ops.csv:2", issues) is None
True
>>> print(issues[0])
ops.csv:2: kg: kg '-5' is not positive (fix: give the net mass in kilograms, e.g. 1000)
>>> step({"step": "oreline:BizStep-alloying"}, "ops.csv:3", issues)
>>> issues[1].fix
'write alloying, without the oreline:BizStep- prefix'

"""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from oreline.errors import Issue
from oreline.ledger.epcis.values import normalise_timestamp
from oreline.ledger.profile.builder import lot_master
from oreline.ledger.profile.model import FORMS, OUR_STEPS, LotMaster
from oreline.origin import STAGES

__all__ = ["EXAMPLES", "campaign", "cell", "kg", "master", "pairs", "step", "time", "uri"]

#: An example value of the URI columns, for fix hints.
EXAMPLES = {"lot": "urn:oreline:lot:ox-1", "site": "urn:oreline:site:kmp",
            "customer": "urn:oreline:party:acme", "inputs": "urn:oreline:lot:ox-1",
            "campaign": "urn:oreline:campaign:E-2026-01"}
#: How each ``key=value`` column is written, for messages and fix hints.
_PAIRS = {
    "assay": ("element=fraction", "write pairs like Nd=0.64;Pr=0.21",
              "use a decimal point, e.g. 0.64"),
    "inputs": ("lot=kg", "write pairs like urn:oreline:lot:ox-1=600;urn:oreline:lot:ox-2=400",
               "give the kilograms consumed, e.g. 600"),
    "origin": ("stage=country", "write pairs like mined=AU;separated=MY", ""),
}
#: Spellings of the ``close`` column (lower case); an empty cell is ``False``.
_TRUE = ("true", "yes", "1")
_FALSE = ("false", "no", "0")
#: A URI as the EPCIS standard checks identifiers: scheme, colon, no spaces.
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:\S+$")
#: The end of a timestamp: ``Z`` or an offset the standard accepts (-14:00 to +14:00).
_ZONE = re.compile(r"(?:Z|[+-]\d\d:\d\d)$")
_OFFSET = re.compile(r"^[+-](?:(?:0\d|1[0-3]):[0-5]\d|14:00)$")
#: The time of the fix hints.
TIME_EXAMPLE = "2026-03-01T08:00:00+09:00"
#: The steps a transform row may name, for fix hints.
STEPS = ", ".join(OUR_STEPS)


def cell(row: dict[str, Any], column: str) -> str:
    """The stripped text of a cell; ``""`` when the column or the cell is missing."""
    return str(row.get(column) or "").strip()


def _number(text: str) -> float | None:
    """``text`` as a positive finite number, or ``None``."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if 0 < value < math.inf else None


def kg(row: dict[str, Any], where: str, issues: list[Issue]) -> float | None:
    """The ``kg`` cell as a positive, finite number, or ``None`` with the problem added."""
    text = cell(row, "kg")
    value = _number(text)
    if value is None:
        try:
            problem = "is not positive" if float(text) <= 0 else "is not a finite number"
        except ValueError:
            problem = "is not a number"
        issues.append(Issue(where, "kg", f"kg {text!r} {problem}",
                            "give the net mass in kilograms, e.g. 1000",
                            code="quantity.not_positive"))
    return value


def time(row: dict[str, Any], where: str, issues: list[Issue]) -> None:
    """Check the ``time`` cell: ISO 8601 with a zone offset (or ``Z``)."""
    text = cell(row, "time")
    fix = f"write the date and time with its offset, e.g. {TIME_EXAMPLE}"
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        moment = None
    if moment is not None and (moment.tzinfo is None or not _ZONE.search(text)):
        issues.append(Issue(where, "time", f"time {text!r} has no time zone offset", fix,
                            code="time.offset"))
        return
    if moment is not None and not text.endswith("Z") and not _OFFSET.match(text[-6:]):
        issues.append(Issue(where, "time", f"time {text!r} has offset {text[-6:]}, not one "
                            "from -14:00 to +14:00", fix, code="time.offset"))
        return
    try:
        normalise_timestamp(text)
    except ValueError:
        moment = None
    if moment is None:
        issues.append(Issue(where, "time", f"time {text!r} is not an ISO 8601 timestamp",
                            fix, code="time.invalid"))


def uri(value: str, where: str, column: str, issues: list[Issue]) -> bool:
    """Whether ``value`` is a URI; if not, the problem is added to ``issues``."""
    if _URI.match(value):
        return True
    what = "lot" if column == "inputs" else column
    issues.append(Issue(where, column, f"{what} {value!r} is not a URI",
                        f"write it as a URI, e.g. {EXAMPLES[column]}", code="uri.invalid"))
    return False


def step(row: dict[str, Any], where: str, issues: list[Issue]) -> None:
    """Check the ``step`` cell: one of our business steps, as its bare name."""
    text = cell(row, "step")
    if text in OUR_STEPS:
        return
    bare = text.removeprefix("oreline:").removeprefix("BizStep-")
    if bare in OUR_STEPS:
        issues.append(Issue(where, "step", f"step {text!r} is not a step name",
                            f"write {bare}, without the oreline:BizStep- prefix",
                            code="step.unknown"))
    else:
        issues.append(Issue(where, "step", f"step {text!r} is not one of our steps",
                            f"use one of {STEPS}", code="step.unknown"))


def pairs(text: str, where: str, column: str, issues: list[Issue]) -> dict[str, Any]:
    """The ``key=value;...`` cell of ``column`` (assay, inputs or origin) as a mapping.

    Assay fractions and input masses are numbers (masses positive and finite, lots URIs);
    an origin country may be empty (``None``, not known).
    """
    shape, write, number_fix = _PAIRS[column]
    out: dict[str, Any] = {}
    for item in filter(None, (p.strip() for p in text.split(";"))):
        key, sep, value = (part.strip() for part in item.rpartition("="))
        if not sep or not key:
            issues.append(Issue(where, column, f"{item!r} is not {shape}", write,
                                code="cell.pairs"))
            continue
        if key in out:
            issues.append(Issue(where, column, f"{key} is given twice",
                                "give each once" + (" (the kilograms summed)"
                                                    if column == "inputs" else ""),
                                                    code="cell.pairs"))
            continue
        if column == "origin":
            out[key] = value or None
            continue
        if column == "inputs" and not uri(key, where, column, issues):
            continue
        try:
            number = float(value)
        except ValueError:
            issues.append(Issue(where, column, f"{value!r} in {item!r} is not a number",
                                number_fix, code="cell.pairs"))
            continue
        if column == "inputs" and _number(value) is None:
            issues.append(Issue(where, column, f"{value!r} kg of {key} is not a positive, "
                                "finite mass", number_fix, code="quantity.not_positive"))
            continue
        out[key] = number
    return out


def master(row: dict[str, Any], where: str, issues: list[Issue],
           origin: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """Lot master data of the row's ``material``, ``form`` and ``assay`` (and origin).

    Checked as the ledger checks ``ilmd["oreline:lotMaster"]``; each problem names its
    column. ``None`` when a cell is bad.
    """
    before = len(issues)
    form = cell(row, "form")
    if form not in FORMS:
        issues.append(Issue(where, "form", f"form {form!r} is not one of ours",
                            f"use one of {', '.join(FORMS)}", code="master.invalid"))
    assay = pairs(cell(row, "assay"), where, "assay", issues)
    if len(issues) > before:
        return None
    data = lot_master(cell(row, "material"), form, assay, origin=origin)
    try:
        LotMaster.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            column = str(err["loc"][0]) if err["loc"] else "assay"
            message = str(err["msg"]).removeprefix("Value error, ")
            fix = (f"write stage=country pairs like mined=AU;separated=MY, stages being "
                   f"{', '.join(STAGES)}" if column == "origin" else
                   "give element=fraction pairs with fractions from 0 to 1 summing to at "
                   "most 1, e.g. Nd=0.64;Pr=0.21" if column == "assay" else
                   f"correct the {column} cell")
            issues.append(Issue(where, column, message, fix, code="master.invalid"))
        return None
    return data


def campaign(row: dict[str, Any], kind: str, where: str, issues: list[Issue]
             ) -> tuple[str | None, bool]:
    """The ``campaign`` and ``close`` cells of a row; problems go to ``issues``."""
    name, flag = cell(row, "campaign"), cell(row, "close")
    close = flag.lower() in _TRUE
    if flag and not close and flag.lower() not in _FALSE:
        issues.append(Issue(where, "close", f"close {flag!r} is not true or false",
                            "write true to close the campaign on this row, or false "
                            "(or leave it empty) to keep it open", code="campaign.close"))
    if kind != "transform":
        if name or close:
            column = "campaign" if name else "close"
            issues.append(Issue(where, column, f"a {kind} row cannot name or close a "
                                "campaign", "leave campaign and close empty, or make the "
                                "row a transform", code="campaign.row"))
        return None, False
    if name and not _URI.match(name):
        issues.append(Issue(where, "campaign", f"campaign {name!r} is not a URI",
                            "name the campaign with a URI, e.g. "
                            "urn:oreline:campaign:E-2026-01", code="uri.invalid"))
    if close and not name:
        issues.append(Issue(where, "close", "close is true but campaign is empty",
                            "give the campaign's transformationID in the campaign column, "
                            "or leave close empty (a transform row without a campaign is "
                            "complete at once)", code="campaign.close"))
    return name or None, close
