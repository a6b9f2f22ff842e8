r"""CSV import for producers without an EPCIS system: one row per receive, transform or ship.

Columns (header row required; unused cells may be empty):

``kind``      ``receive``, ``transform`` or ``ship``
``time``      ISO 8601 with offset, e.g. ``2026-03-01T08:00:00+09:00``
``site``      site URI (declared in the ledger)
``lot``       lot URI received, produced or shipped
``kg``        net mass in kilograms
``material``, ``form``  lot master data (receive and transform)
``assay``     element mass fractions, ``Nd=0.64;Pr=0.21``
``origin``    stage countries (receive), ``mined=AU;separated=MY``
``step``      our business step for transform rows, e.g. ``electrolytic_reduction``
``inputs``    consumed lots for transform rows, ``urn:...:ox-1=600;urn:...:ox-2=400``
``customer``  destination party for ship rows
``campaign``  optional, transform rows: the campaign's ``transformationID`` (a URI)
``close``     optional, transform rows of a campaign: ``true`` closes it
              (``"oreline:closeCampaign": true``); ``false`` or empty leaves it open

A transform row with a ``campaign`` may leave ``inputs`` empty (a tap) or the output
columns ``lot``, ``kg``, ``material``, ``form``, ``assay`` all empty (a feed), not both:
the campaign events :func:`~oreline.ledger.profile.builder.transform_event` builds with
``campaign`` (and ``close``) that the ledger accepts.
``close`` accepts ``true``/``yes``/``1`` and ``false``/``no``/``0`` in any case.

All rows become one EPCIS document, captured in one transaction, so the rows of a
campaign in one file must end with its closing row (if any).

Every problem is reported at once, in file order, as ``file:line: column: message``:
cells are checked here as the ledger would check the event (:mod:`.cells`: kg
positive and finite, time with an offset, lot, site, input lots and customer URIs, step
one of :data:`~oreline.ledger.profile.model.OUR_STEPS` by its bare name, the lot master data), a
required column missing from the header is reported once against the header line, and a
row with more cells than the header is rejected. The document remembers the line of
each row (:class:`~.lines.CsvDocument`): :func:`capture_csv` names the row and column
of what the ledger's own checks find (an unknown lot or site, more consumed than is on
hand, a transformation that does not balance).

Examples
--------
>>> text = ("kind,time,site,lot,kg,material,form,assay,origin\n"
...         "receive,2026-01-05T09:00:00+09:00,urn:s,urn:l1,1000,NdPr oxide,oxide,"
...         "Nd=0.64;Pr=0.21,mined=AU;separated=MY\n")
>>> doc = csv_to_document(text, "inline.csv")
>>> doc["epcisBody"]["eventList"][0]["quantityList"][0]["quantity"]
1000.0
>>> feed = ("kind,time,site,step,inputs,campaign,close\n"
...         "transform,2026-03-05T08:00:00+09:00,urn:s,electrolytic_reduction,urn:l1=500,"
...         "urn:c:E1,false\n")
>>> ev = csv_to_document(feed, "feed.csv")["epcisBody"]["eventList"][0]
>>> ev["transformationID"], "outputQuantityList" in ev, "oreline:closeCampaign" in ev
('urn:c:E1', False, False)

"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from oreline.errors import CaptureError, Issue
from oreline.ledger.csv import cells
from oreline.ledger.csv.lines import CsvDocument, capture_csv, locate
from oreline.ledger.epcis.document import make_document
from oreline.ledger.profile.builder import receive_event, ship_event, transform_event
from oreline.ledger.profile.model import OUR_PREFIXES

__all__ = ["CsvDocument", "capture_csv", "csv_to_document", "locate", "read_csv"]

_REQUIRED = {
    "receive": ("time", "site", "lot", "kg", "material", "form", "assay"),
    "transform": ("time", "site", "lot", "kg", "material", "form", "assay", "step", "inputs"),
    "ship": ("time", "site", "lot", "kg"),
}

#: What a transform row of a campaign needs always; the output columns are all or none.
_CAMPAIGN_REQUIRED = ("time", "site", "step")
_OUTPUT = ("lot", "kg", "material", "form", "assay")


def _missing(row: dict[str, Any], kind: str, campaign: str | None) -> list[str]:
    """Required columns the row leaves empty (a campaign row may omit inputs or outputs)."""
    if campaign is None:
        return [c for c in _REQUIRED[kind] if not cells.cell(row, c)]
    missing = [c for c in _CAMPAIGN_REQUIRED if not cells.cell(row, c)]
    given = [c for c in _OUTPUT if cells.cell(row, c)]
    if given:
        missing += [c for c in _OUTPUT if c not in given]
    return missing


def _common(row: dict[str, Any], where: str, issues: list[Issue]) -> float | None:
    """Check the cells every row has (time, site, and lot and kg when given); the kg."""
    cells.time(row, where, issues)
    cells.uri(cells.cell(row, "site"), where, "site", issues)
    if not cells.cell(row, "lot"):
        return None
    cells.uri(cells.cell(row, "lot"), where, "lot", issues)
    return cells.kg(row, where, issues)


def _check_given(row: dict[str, Any], kind: str, where: str, issues: list[Issue]) -> None:
    """Check the filled cells of a row that lacks others, so all its problems show."""
    if cells.cell(row, "time"):
        cells.time(row, where, issues)
    for column in ("site", "lot"):
        if cells.cell(row, column):
            cells.uri(cells.cell(row, column), where, column, issues)
    if cells.cell(row, "kg"):
        cells.kg(row, where, issues)
    if kind == "transform" and cells.cell(row, "step"):
        cells.step(row, where, issues)
    for column in ("assay", "inputs", "origin"):
        if cells.cell(row, column):
            cells.pairs(cells.cell(row, column), where, column, issues)


def _transform(row: dict[str, Any], where: str, issues: list[Issue],
               campaign: str | None, close: bool) -> dict[str, Any] | None:
    """The TransformationEvent of a transform row whose required cells are filled."""
    before = len(issues)
    kg = _common(row, where, issues)
    cells.step(row, where, issues)
    inputs = cells.pairs(cells.cell(row, "inputs"), where, "inputs", issues)
    outputs: dict[str, tuple[float, dict[str, Any]]] = {}
    if cells.cell(row, "lot"):
        master = cells.master(row, where, issues)
        if kg is not None and master is not None:
            outputs[cells.cell(row, "lot")] = (kg, master)
    if len(issues) > before:
        return None
    if campaign is None and not inputs:
        issues.append(Issue(where, "inputs", f"inputs {row['inputs']!r} names no lot",
                            "write pairs like urn:oreline:lot:ox-1=600;"
                            "urn:oreline:lot:ox-2=400", code="csv.inputs"))
        return None
    if not inputs and not outputs:  # only a campaign row gets here
        issues.append(Issue(where, "inputs, lot", f"campaign row of {campaign} feeds "
                            "nothing and taps nothing", "fill inputs (a feed), or lot, kg, "
                            "material, form and assay (a tap), or both", code="campaign.row"))
        return None
    return transform_event(cells.cell(row, "step"), inputs=inputs, outputs=outputs,
                           site=cells.cell(row, "site"), time=cells.cell(row, "time"),
                           campaign=campaign, close=close)


def _object(row: dict[str, Any], kind: str, where: str, issues: list[Issue]
            ) -> dict[str, Any] | None:
    """The ObjectEvent of a receive or ship row whose required cells are filled."""
    before = len(issues)
    kg = _common(row, where, issues)
    site, time, lot = (cells.cell(row, c) for c in ("site", "time", "lot"))
    if kind == "ship":
        customer = cells.cell(row, "customer")
        if customer:
            cells.uri(customer, where, "customer", issues)
        if kg is None or len(issues) > before:
            return None
        return ship_event(lot, kg=kg, customer=customer or None, site=site, time=time)
    origin = cells.pairs(cells.cell(row, "origin"), where, "origin", issues)
    master = cells.master(row, where, issues, origin) if len(issues) == before else None
    if kg is None or master is None:
        return None
    return receive_event(lot, kg=kg, material=master["material"], form=master["form"],
                         assay=master["assay"], origin=origin, site=site, time=time)


def _header_issue(where: str, absent: dict[str, list[str]]) -> Issue:
    """The problem of required columns missing from the header (column -> kinds)."""
    names = ", ".join(absent)
    kinds = sorted({k for ks in absent.values() for k in ks}, key=list(_REQUIRED).index)
    one = len(absent) == 1
    return Issue(where, names, f"{'column' if one else 'columns'} {names} "
                 f"{'is' if one else 'are'} missing from the header; "
                 f"{' and '.join(kinds)} rows need {'it' if one else 'them'}",
                 f"add {'it' if one else 'them'} to the header, and "
                 f"{'its cell' if one else 'their cells'} to each row", code="csv.header")


def _row(row: dict[str, Any], header: Sequence[str], where: str, line: int,
         closed: dict[str, int], absent: dict[str, list[str]], issues: list[Issue]
         ) -> dict[str, Any] | None:
    """The event of one row, or ``None`` with its problems in ``issues``.

    ``closed`` (campaign -> line of its closing row) and ``absent`` (required column
    missing from the header -> kinds of rows needing it) are updated.
    """
    extra = row.get(None)  # type: ignore[call-overload]
    if extra:
        issues.append(Issue(where, "", f"the row has {len(header) + len(extra)} cells "
                            f"but the header has {len(header)}", "remove the extra "
                            "cells, or name their columns in the header; a cell "
                            "holding a comma needs quotes, e.g. \"NdPr oxide, 99%\"",
                            code="csv.cells"))
        return None
    kind = cells.cell(row, "kind")
    if kind not in _REQUIRED:
        issues.append(Issue(where, "kind", f"kind {kind!r} is unknown",
                            "use receive, transform or ship", code="csv.kind"))
        return None
    before = len(issues)
    campaign, close = cells.campaign(row, kind, where, issues)
    if campaign in closed:
        issues.append(Issue(where, "campaign", f"campaign {campaign} was closed on line "
                            f"{closed[campaign]}", "close the campaign on its last row, "
                            "or start a new campaign with a new ID", code="campaign.closed"))
    if campaign and close:
        closed.setdefault(campaign, line)
    missing = _missing(row, kind, campaign)
    for column in missing:
        if column not in header:
            absent.setdefault(column, [])
            if kind not in absent[column]:
                absent[column].append(kind)
    _report_empty([c for c in missing if c in header], kind, campaign, where, issues)
    if missing:
        _check_given(row, kind, where, issues)
    if missing or len(issues) > before:
        return None
    return (_transform(row, where, issues, campaign, close) if kind == "transform"
            else _object(row, kind, where, issues))


def _report_empty(empty: list[str], kind: str, campaign: str | None, where: str,
                  issues: list[Issue]) -> None:
    """The problem of required cells a row leaves empty."""
    if empty:
        issues.append(Issue(where, ", ".join(empty), f"{kind} row leaves "
                            f"{', '.join(empty)} empty",
                            f"fill {'it' if len(empty) == 1 else 'them'} in" + (
                                "" if campaign is None else "; a feed row of a "
                                "campaign leaves all of lot, kg, material, form and "
                                "assay empty"), code="csv.empty"))


def _rows(text: str, name: str) -> tuple[list[dict[str, Any]], list[int]]:
    """The events of CSV text and the line of each one's row.

    Raises
    ------
    CaptureError
        Listing each bad row and column, in file order.

    """
    reader = csv.DictReader(io.StringIO(text))
    issues: list[Issue] = []
    events: list[dict[str, Any]] = []
    lines: list[int] = []
    closed: dict[str, int] = {}  # campaign -> line of its closing row
    header = reader.fieldnames
    if header is None or "kind" not in header:
        raise CaptureError([Issue(name, "kind", "no header row with a 'kind' column",
                                  "start the file with kind,time,site,lot,kg,...",
                                  code="csv.header")])
    header_line = reader.line_num
    absent: dict[str, list[str]] = {}  # required column missing from the header -> kinds
    for row in reader:
        line = reader.line_num  # the row's last physical line; blank lines are skipped
        event = _row(row, header, f"{name}:{line}", line, closed, absent, issues)
        if event is not None:
            events.append(event)
            lines.append(line)
    if absent:
        issues.insert(0, _header_issue(f"{name}:{header_line}", absent))
    if issues:
        raise CaptureError(issues)
    if not events:
        raise CaptureError([Issue(name, "", "no rows", "add at least one row", code="csv.rows")])
    return events, lines


def csv_to_document(text: str, name: str = "input.csv") -> CsvDocument:
    """Turn CSV text into an EPCIS document; every bad cell is reported at once.

    Parameters
    ----------
    text
        The CSV text, header row first.
    name
        How messages name the file (``name:line``).

    Returns
    -------
    CsvDocument
        An EPCIS document with one event per row, in row order, that remembers each
        row's line (:func:`capture_csv` names them in the ledger's problems).

    Raises
    ------
    CaptureError
        Listing each bad row and column, in file order.

    """
    events, lines = _rows(text, name)
    return CsvDocument(make_document(events, prefixes=OUR_PREFIXES), name, lines)


def read_csv(path: str | Path) -> CsvDocument:
    """Read a CSV file into an EPCIS document (see :func:`csv_to_document`)."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise CaptureError([Issue(str(file), "", f"cannot read: {exc.strerror}",
                                  "check the path", code="document.unreadable")]) from exc
    return csv_to_document(text, file.name)
