"""A small ledger for the EPCIS query tests: GS1 examples and five hand-made receipts.

The GS1 examples (vendored under tests/ledger/epcis/data/gs1) bring sensor data,
persistent dispositions, typed business transactions, sources and destinations, an
extension field and an error declaration with its corrective event; an example event
without an eventID gets ``urn:test:{file}:{i}`` so that every expectation can name it.

The receipts R0..R4 at :data:`SITE` carry what the examples lack, chosen so that each
query's answer can be worked out by hand:

====  ==========  ===========================  =========  ======  ========  =======
lot   quantity    eventTime (UTC)              purity     grade   furnace   kg
====  ==========  ===========================  =========  ======  ========  =======
R0    1000 KGM    2026-03-01T00:00Z (+09:00)   99.5       N52     0         1000
R1    1.5 TNE     2026-03-01T01:00Z (-05:00)   99.9       N48     1         1500
R2    2000 LBR    2026-03-01T00:30Z (Z)        98.0       N52     2         907.18474
R3    500 KGM     2026-03-01T00:30Z (+00:00)   99.0       N45     3         500
R4    0.4 TNE     2026-02-28T23:00Z (Z)        97.5       N50     4         400
====  ==========  ===========================  =========  ======  ========  =======

``oreline:purity`` is a top-level extension field, ``oreline:grade`` an ILMD field and
``oreline:furnace`` sits inside the top-level ``oreline:batch``.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from oreline.ledger import receive_event
from oreline.ledger.epcis.document import make_document
from oreline.ledger.profile.builder import site_master_data
from oreline.ledger.profile.model import OUR_PREFIXES

GS1 = Path(__file__).parent / "epcis" / "data" / "gs1"
SITE = "urn:oreline:site:query"
SENSOR_FILES = ("SensorDataExample1b", "SensorDataExample2", "SensorDataExample4",
                "SensorDataExample6", "SensorDataExample7", "SensorDataExample8",
                "SensorDataExample13", "SensorDataExample9")
OTHER_FILES = ("PersistentDisposition-example",
               "Example-Type-sourceOrDestination,measurement,bizTransaction",
               "Example_9.6.1-ObjectEvent")
_ERRORS = GS1 / "WithErrorDeclaration" / "ErrorDeclarationAndCorrectiveEvent.jsonld"
_ROWS = (  # quantity, uom, time, purity, grade
    (1000.0, "KGM", "2026-03-01T09:00:00+09:00", 99.5, "N52"),
    (1.5, "TNE", "2026-02-28T20:00:00-05:00", 99.9, "N48"),
    (2000.0, "LBR", "2026-03-01T00:30:00Z", 98.0, "N52"),
    (500.0, "KGM", "2026-03-01T00:30:00+00:00", 99.0, "N45"),
    (0.4, "TNE", "2026-02-28T23:00:00Z", 97.5, "N50"),
)


def _load(path: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    for i, ev in enumerate(doc["epcisBody"]["eventList"]):
        ev.setdefault("eventID", f"urn:test:{path.stem}:{i}")
    return doc


def receipts() -> list[dict[str, Any]]:
    """The five receipts R0..R4 of the table above."""
    out = []
    for i, (qty, uom, when, purity, grade) in enumerate(_ROWS):
        ev = receive_event(f"urn:oreline:lot:r{i}", kg=1.0, site=SITE, time=when,
                           material="NdPr oxide", form="oxide", assay={"Nd": 0.5},
                           origin={"mined": "AU"})
        ev["quantityList"][0].update(quantity=qty, uom=uom)
        ev["eventID"] = f"urn:test:R{i}"
        ev["oreline:purity"] = purity
        ev["ilmd"]["oreline:grade"] = grade
        ev["oreline:batch"] = {"oreline:furnace": i}
        out.append(ev)
    return out


def documents() -> list[dict[str, Any]]:
    """The documents to capture, in order (the declared event before its declaration)."""
    docs = [_load(GS1 / "WithSensorData" / f"{name}.jsonld") for name in SENSOR_FILES]
    docs += [_load(GS1 / f"{name}.jsonld") for name in OTHER_FILES]
    declared = _load(_ERRORS)
    original = copy.deepcopy(declared)
    first = original["epcisBody"]["eventList"][0]
    del first["errorDeclaration"]
    original["epcisBody"]["eventList"] = [first]
    master = site_master_data([{"id": SITE, "name": "query site", "country": "KR",
                                "stage": "alloying"}])
    return [*docs, original, declared, make_document(receipts(), master,
                                                     prefixes=OUR_PREFIXES)]


def event_id(name: str, i: int = 0) -> str:
    """The eventID of event ``i`` of a vendored example (``name`` as in the lists above)."""
    folder = GS1 / "WithSensorData" if name in SENSOR_FILES else GS1
    path = _ERRORS if name == "errors" else folder / f"{name}.jsonld"
    return str(_load(path)["epcisBody"]["eventList"][i]["eventID"])
