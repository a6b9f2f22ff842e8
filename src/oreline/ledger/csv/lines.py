"""Name the CSV row behind a problem the ledger finds with an event.

The ledger's checks name events (``event[2]: inputQuantityList[0].quantity: ...``); a
:class:`CsvDocument` remembers the file and line of the row that made each event, so
:func:`locate` rewrites such a problem as ``ops.csv:4: inputs: ...``: the message kept,
the EPCIS field replaced by the CSV column where one maps clearly, and a fix in CSV terms
where the EPCIS one would mislead. :func:`capture_csv` captures a CSV document that way.

Examples
--------
>>> doc = CsvDocument({"type": "EPCISDocument"}, "ops.csv", [2, 4])
>>> issue = Issue("event[1] (ni:///sha-256;ab)", "bizStep", "bizStep 'x' is not ours",
...               "use one of oreline:BizStep-alloying")
>>> print(locate([issue], doc)[0])  # doctest: +ELLIPSIS
ops.csv:4: step: bizStep 'x' is not ours (fix: use one of separation, ...)

"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from oreline.errors import CaptureError, Issue
from oreline.ledger.csv.cells import EXAMPLES, STEPS, TIME_EXAMPLE

if TYPE_CHECKING:
    from oreline.ledger.ledger import CaptureResult, Ledger

__all__ = ["CsvDocument", "capture_csv", "locate"]

_EVENT = re.compile(r"^event\[(\d+)\]")
#: EPCIS field (a regular expression on the issue's field) -> CSV column: ``""`` takes
#: the column from the match, ``None`` names no column (the row as a whole).
_COLUMNS: tuple[tuple[re.Pattern[str], str | None], ...] = (
    (re.compile(r"^eventTime"), "time"),
    (re.compile(r"^(?:quantityList|outputQuantityList|quantity)\[\d+\]\.quantity$"), "kg"),
    (re.compile(r"^(?:quantityList|outputQuantityList|quantity)\[\d+\]"), "lot"),
    (re.compile(r"^inputQuantityList"), "inputs"),
    (re.compile(r"^outputQuantityList$"), "kg, assay, inputs"),  # balance: all three
    (re.compile(r"^(?:bizLocation|readPoint)"), "site"),
    (re.compile(r"^bizLocation/bizStep$"), "site, step"),
    (re.compile(r"^bizStep$"), "step"),
    (re.compile(r"^ilmd\.oreline:lotMaster\[.*\]\.(material|form|assay|origin)"), ""),
    (re.compile(r"^ilmd"), "lot"),
    (re.compile(r"^transformationID$"), "campaign"),
    (re.compile(r"^oreline:closeCampaign$"), "close"),
    (re.compile(r"^destinationList"), "customer"),
    (re.compile(r"^(eventID)$"), None),  # the row as a whole
)
#: EPCIS wording in fix hints -> CSV wording.
_WORDS = (('("oreline:closeCampaign": true)', "(close true)"),
          ("transformationID", "campaign ID"))


class CsvDocument(dict[str, Any]):
    """An EPCIS document read from CSV that remembers the line of each event's row.

    Parameters
    ----------
    document
        The EPCIS document (one event per row, in row order).
    name
        How messages name the file.
    lines
        The line of the row of each event, by event index.

    """

    def __init__(self, document: Mapping[str, Any], name: str, lines: list[int]) -> None:
        super().__init__(document)
        self.name = name
        self.lines = list(lines)


def _column(field: str) -> str | None:
    """The CSV column of an EPCIS field, or ``None`` when none maps clearly."""
    for pattern, column in _COLUMNS:
        found = pattern.match(field)
        if found:
            return "" if column is None else column or found.group(1)
    return None


#: Fixes in CSV terms, by the :attr:`Issue.code` of the ledger's problem and the column it
#: maps to (``None``: any column). The codes are produced by the checks named in the
#: comments (``tests/ledger/csv`` holds each one to its check).
_FIXES: dict[tuple[str, str | None], str] = {
    ("quantity.not_positive", "kg"): "give the net mass in kilograms, e.g. 1000",  # parse
    ("site.unknown", "site"): ("use a registered site, or register it first "  # capture
                               "(Ledger.register_site, or a JSON-LD document declaring it "
                               "in epcisHeader.epcisMasterData)"),
    ("event.captured", None): ("the row (same kind, time, site, lots and kg) was captured "
                               "before: remove it from the file, or correct the earlier "
                               "event with an errorDeclaration"),  # capture
}
#: The code of a URI the standard's checks refuse (:mod:`oreline.ledger.epcis.standard`).
_URI_CODE = "uri.invalid"


def _fix(column: str | None, issue: Issue) -> str:
    """The fix of ``issue`` in CSV terms (chosen by its column and code)."""
    if column == "step":
        return f"use one of {STEPS} (the step name alone, no oreline:BizStep- prefix)"
    if column in EXAMPLES and issue.code == _URI_CODE:
        return f"write it as a URI, e.g. {EXAMPLES[column]}"
    if column == "time":
        return f"write the date and time with its offset, e.g. {TIME_EXAMPLE}"
    fix = _FIXES.get((issue.code, column)) or _FIXES.get((issue.code, None))
    if fix is not None:
        return fix
    if column in ("material", "form", "assay", "origin"):
        return f"correct the {column} cell"
    fix = issue.fix
    for epcis, csv in _WORDS:
        fix = fix.replace(epcis, csv)
    return fix


def locate(issues: list[Issue], document: CsvDocument) -> list[Issue]:
    """``issues`` with each problem of ``event[i]`` named by the file and line of row i.

    The message is kept; the field becomes the CSV column where one maps clearly (none
    for a problem of the row as a whole, such as a row captured before). A
    problem with the offset is dropped where the row's time is already reported (both
    come from the ``time`` cell). The result follows file order; problems of no row
    (the document as a whole) come first.
    """
    located: list[tuple[int, Issue]] = []
    timed: set[str] = set()  # rows whose time is reported
    for issue in issues:
        found = _EVENT.match(issue.where)
        index = int(found.group(1)) if found else -1
        if not 0 <= index < len(document.lines):
            located.append((0, issue))
            continue
        line = document.lines[index]
        column = _column(issue.field)
        where = f"{document.name}:{line}"
        if column == "time":  # eventTime, then eventTimeZoneOffset from the same cell
            if issue.field == "eventTimeZoneOffset" and where in timed:
                continue
            timed.add(where)
        located.append((line, Issue(where, issue.field if column is None else column,
                                    issue.message, _fix(column, issue), code=issue.code)))
    located.sort(key=lambda pair: pair[0])
    return [issue for _, issue in located]


def capture_csv(ledger: Ledger, document: str | Path | Mapping[str, Any], *,
                actor: str | None = None) -> CaptureResult:
    """Capture ``document`` into ``ledger``; problems name CSV lines where it has them.

    Parameters
    ----------
    ledger
        The ledger to capture into.
    document
        A :class:`CsvDocument` (from :func:`~oreline.ledger.csv.importer.read_csv`), whose
        problems are named by file, line and column; any other source of
        :meth:`Ledger.capture` is captured as it is.
    actor
        Who captures (kept in the chain).

    Returns
    -------
    CaptureResult
        As :meth:`Ledger.capture`.

    Raises
    ------
    CaptureError
        Listing every problem, in file order; nothing was written.

    """
    try:
        return ledger.capture(document, actor=actor)
    except CaptureError as exc:
        if not isinstance(document, CsvDocument):
            raise
        raise CaptureError(locate(exc.issues, document)) from None
