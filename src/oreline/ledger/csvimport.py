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
the campaign events :func:`~oreline.ledger.builder.transform_event` builds with
``campaign`` (and ``close``) that the ledger accepts.
``close`` accepts ``true``/``yes``/``1`` and ``false``/``no``/``0`` in any case.

All rows become one EPCIS document, captured in one transaction, so the rows of a
campaign in one file must end with its closing row (if any).

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
import re
from pathlib import Path
from typing import Any

from oreline.errors import CaptureError, Issue
from oreline.ledger.builder import lot_master, receive_event, ship_event, transform_event
from oreline.ledger.epcis import make_document

__all__ = ["csv_to_document", "read_csv"]

_REQUIRED = {
    "receive": ("time", "site", "lot", "kg", "material", "form", "assay"),
    "transform": ("time", "site", "lot", "kg", "material", "form", "assay", "step", "inputs"),
    "ship": ("time", "site", "lot", "kg"),
}

#: What a transform row of a campaign needs always; the output columns are all or none.
_CAMPAIGN_REQUIRED = ("time", "site", "step")
_OUTPUT = ("lot", "kg", "material", "form", "assay")

#: Spellings of the ``close`` column (lower case); an empty cell is ``False``.
_TRUE = ("true", "yes", "1")
_FALSE = ("false", "no", "0")

#: A URI as the EPCIS standard checks ``transformationID``: scheme, colon, no spaces.
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:\S+$")


def _cell(row: dict[str, Any], column: str) -> str:
    """The stripped text of a cell; ``""`` when the column or the cell is missing."""
    return str(row.get(column) or "").strip()


def _pairs(text: str, where: str, column: str, issues: list[Issue],
           numeric: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in filter(None, (p.strip() for p in text.split(";"))):
        key, sep, value = item.rpartition("=")
        if not sep or not key:
            issues.append(Issue(where, column, f"{item!r} is not key=value",
                                "write pairs like Nd=0.64;Pr=0.21"))
            continue
        if numeric:
            try:
                out[key.strip()] = float(value)
            except ValueError:
                issues.append(Issue(where, column, f"{value!r} in {item!r} is not a number",
                                    "use a decimal point, e.g. 0.64"))
        else:
            out[key.strip()] = value.strip() or None
    return out


def _campaign(row: dict[str, Any], kind: str, where: str, issues: list[Issue]
              ) -> tuple[str | None, bool]:
    """The ``campaign`` and ``close`` cells of a row; problems go to ``issues``."""
    campaign, flag = _cell(row, "campaign"), _cell(row, "close")
    close = flag.lower() in _TRUE
    if flag and not close and flag.lower() not in _FALSE:
        issues.append(Issue(where, "close", f"close {flag!r} is not true or false",
                            "write true to close the campaign on this row, or false "
                            "(or leave it empty) to keep it open"))
    if kind != "transform":
        if campaign or close:
            column = "campaign" if campaign else "close"
            issues.append(Issue(where, column, f"a {kind} row cannot name or close a "
                                "campaign", "leave campaign and close empty, or make the "
                                "row a transform"))
        return None, False
    if campaign and not _URI.match(campaign):
        issues.append(Issue(where, "campaign", f"campaign {campaign!r} is not a URI",
                            "name the campaign with a URI, e.g. "
                            "urn:oreline:campaign:E-2026-01"))
    if close and not campaign:
        issues.append(Issue(where, "close", "close is true but campaign is empty",
                            "give the campaign's transformationID in the campaign column, "
                            "or leave close empty (a transform row without a campaign is "
                            "complete at once)"))
    return campaign or None, close


def _missing(row: dict[str, Any], kind: str, campaign: str | None) -> list[str]:
    """Required columns the row leaves empty (a campaign row may omit inputs or outputs)."""
    if campaign is None:
        return [c for c in _REQUIRED[kind] if not _cell(row, c)]
    missing = [c for c in _CAMPAIGN_REQUIRED if not _cell(row, c)]
    given = [c for c in _OUTPUT if _cell(row, c)]
    if given:
        missing += [c for c in _OUTPUT if c not in given]
    return missing


def _transform(row: dict[str, Any], where: str, issues: list[Issue],
               campaign: str | None, close: bool) -> dict[str, Any] | None:
    """The TransformationEvent of a transform row whose required cells are filled."""
    before = len(issues)
    inputs = _pairs(_cell(row, "inputs"), where, "inputs", issues, numeric=True)
    outputs: dict[str, tuple[float, dict[str, Any]]] = {}
    if _cell(row, "lot"):
        kg = _kg(row, where, issues)
        assay = _pairs(row["assay"], where, "assay", issues, numeric=True)
        if kg is not None:
            outputs[_cell(row, "lot")] = (kg, lot_master(_cell(row, "material"),
                                                         _cell(row, "form"), assay))
    if len(issues) > before:
        return None
    if campaign is None and not inputs:
        issues.append(Issue(where, "inputs", f"inputs {row['inputs']!r} names no lot",
                            "write the consumed lots as urn:...:ox-1=600;urn:...:ox-2=400"))
        return None
    if not inputs and not outputs:  # only a campaign row gets here
        issues.append(Issue(where, "inputs, lot", f"campaign row of {campaign} feeds "
                            "nothing and taps nothing", "fill inputs (a feed), or lot, kg, "
                            "material, form and assay (a tap), or both"))
        return None
    return transform_event(_cell(row, "step"), inputs=inputs, outputs=outputs,
                           site=_cell(row, "site"), time=_cell(row, "time"),
                           campaign=campaign, close=close)


def _kg(row: dict[str, Any], where: str, issues: list[Issue]) -> float | None:
    """The ``kg`` cell as a number, or ``None`` with the problem added to ``issues``."""
    try:
        return float(row["kg"])
    except ValueError:
        issues.append(Issue(where, "kg", f"kg {row['kg']!r} is not a number",
                            "give the net mass in kilograms"))
        return None


def csv_to_document(text: str, name: str = "input.csv") -> dict[str, Any]:
    """Turn CSV text into an EPCIS document; every bad cell is reported at once.

    Parameters
    ----------
    text
        The CSV text, header row first.
    name
        How messages name the file (``name:line``).

    Returns
    -------
    dict
        An EPCIS document with one event per row, in row order.

    Raises
    ------
    CaptureError
        Listing each bad row and column.

    """
    reader = csv.DictReader(io.StringIO(text))
    issues: list[Issue] = []
    events: list[dict[str, Any]] = []
    closed: dict[str, int] = {}  # campaign -> line of its closing row
    if reader.fieldnames is None or "kind" not in reader.fieldnames:
        raise CaptureError([Issue(name, "kind", "no header row with a 'kind' column",
                                  "start the file with kind,time,site,lot,kg,...")])
    for row in reader:
        line = reader.line_num  # the row's last physical line; blank lines are skipped
        where = f"{name}:{line}"
        kind = _cell(row, "kind")
        if kind not in _REQUIRED:
            issues.append(Issue(where, "kind", f"kind {kind!r} is unknown",
                                "use receive, transform or ship"))
            continue
        before = len(issues)
        campaign, close = _campaign(row, kind, where, issues)
        if campaign in closed:
            issues.append(Issue(where, "campaign", f"campaign {campaign} was closed on line "
                                f"{closed[campaign]}", "close the campaign on its last row, "
                                "or start a new campaign with a new ID"))
        if campaign and close:
            closed.setdefault(campaign, line)
        missing = _missing(row, kind, campaign)
        if missing:
            issues.append(Issue(where, ", ".join(missing), f"{kind} row leaves "
                                f"{', '.join(missing)} empty", "fill them in" + (
                                    "" if campaign is None else "; a feed row of a "
                                    "campaign leaves all of lot, kg, material, form and "
                                    "assay empty")))
            continue
        if len(issues) > before:
            continue
        if kind == "transform":
            event = _transform(row, where, issues, campaign, close)
            if event is not None:
                events.append(event)
            continue
        kg = _kg(row, where, issues)
        if kg is None:
            continue
        site, time, lot = _cell(row, "site"), _cell(row, "time"), _cell(row, "lot")
        if kind == "ship":
            events.append(ship_event(lot, kg=kg, customer=(row.get("customer") or None),
                                     site=site, time=time))
            continue
        assay = _pairs(row["assay"], where, "assay", issues, numeric=True)
        origin = _pairs(_cell(row, "origin"), where, "origin", issues, numeric=False)
        if len(issues) == before:
            events.append(receive_event(lot, kg=kg, material=_cell(row, "material"),
                                        form=_cell(row, "form"), assay=assay,
                                        origin=origin, site=site, time=time))
    if issues:
        raise CaptureError(issues)
    if not events:
        raise CaptureError([Issue(name, "", "no rows", "add at least one row")])
    return make_document(events)


def read_csv(path: str | Path) -> dict[str, Any]:
    """Read a CSV file into an EPCIS document (see :func:`csv_to_document`)."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise CaptureError([Issue(str(file), "", f"cannot read: {exc.strerror}",
                                  "check the path")]) from exc
    return csv_to_document(text, file.name)
