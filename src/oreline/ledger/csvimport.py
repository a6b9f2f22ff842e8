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

All rows become one EPCIS document, captured in one transaction.

Examples
--------
>>> text = ("kind,time,site,lot,kg,material,form,assay,origin\n"
...         "receive,2026-01-05T09:00:00+09:00,urn:s,urn:l1,1000,NdPr oxide,oxide,"
...         "Nd=0.64;Pr=0.21,mined=AU;separated=MY\n")
>>> doc = csv_to_document(text, "inline.csv")
>>> doc["epcisBody"]["eventList"][0]["quantityList"][0]["quantity"]
1000.0

"""

from __future__ import annotations

import csv
import io
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


def csv_to_document(text: str, name: str = "input.csv") -> dict[str, Any]:
    """Turn CSV text into an EPCIS document; every bad cell is reported at once.

    Raises
    ------
    CaptureError
        Listing each bad row and column.

    """
    reader = csv.DictReader(io.StringIO(text))
    issues: list[Issue] = []
    events: list[dict[str, Any]] = []
    if reader.fieldnames is None or "kind" not in reader.fieldnames:
        raise CaptureError([Issue(name, "kind", "no header row with a 'kind' column",
                                  "start the file with kind,time,site,lot,kg,...")])
    for n, row in enumerate(reader, start=2):
        where = f"{name}:{n}"
        kind = (row.get("kind") or "").strip()
        if kind not in _REQUIRED:
            issues.append(Issue(where, "kind", f"kind {kind!r} is unknown",
                                "use receive, transform or ship"))
            continue
        missing = [c for c in _REQUIRED[kind] if not (row.get(c) or "").strip()]
        if missing:
            issues.append(Issue(where, ", ".join(missing), f"{kind} row leaves "
                                f"{', '.join(missing)} empty", "fill them in"))
            continue
        try:
            kg = float(row["kg"])
        except ValueError:
            issues.append(Issue(where, "kg", f"kg {row['kg']!r} is not a number",
                                "give the net mass in kilograms"))
            continue
        before = len(issues)
        site, time = row["site"].strip(), row["time"].strip()
        lot = row["lot"].strip()
        if kind == "ship":
            events.append(ship_event(lot, kg=kg, customer=(row.get("customer") or None),
                                     site=site, time=time))
            continue
        assay = _pairs(row["assay"], where, "assay", issues, numeric=True)
        if kind == "receive":
            origin = _pairs(row.get("origin") or "", where, "origin", issues, numeric=False)
            if len(issues) == before:
                events.append(receive_event(lot, kg=kg, material=row["material"].strip(),
                                            form=row["form"].strip(), assay=assay,
                                            origin=origin, site=site, time=time))
            continue
        inputs = _pairs(row["inputs"], where, "inputs", issues, numeric=True)
        if len(issues) == before:
            master = lot_master(row["material"].strip(), row["form"].strip(), assay)
            events.append(transform_event(row["step"].strip(), inputs=inputs,
                                          outputs={lot: (kg, master)}, site=site,
                                          time=time))
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
