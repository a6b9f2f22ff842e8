"""A year of plausible operations at the Korean metals plant (KMP), as EPCIS documents.

Each month: oxide receipts with their stage origins (Lynas NdPr and Dy oxide mined in
Australia and separated in Malaysia; Vietnam stock separated in Vietnam from an
undeclared mine; Ucore oxide separated in the US, its feed's mine not declared here;
Chinese Dy oxide), electrolysis campaigns (NdPr oxide -> NdPr metal at 96 % recovery,
1.176 t oxide per t metal in theory; Dy oxide + iron -> DyFe80 on an iron cathode),
alloy casts (29 % NdPr, 1.5 % Dy via DyFe80, 1 % B via ferroboron, Fe balance, 99 % melt
recovery) and shipments to Noveon, USA Rare Earth and NS World. Segregated lines keep
origins apart, so some alloy lots pass DFARS 2027, the ones holding Chinese Dy fail and
those holding Vietnamese or Ucore oxide stay unproven until the mine is evidenced. Two
casts a month blend Lynas and Ucore metal half and half: no third country holds more than
65 % of their mining or separation, so they are the lots within the CRMA benchmark, where
single-source lots are above it. One shipment is recorded wrong, declared in error and
corrected.

Examples
--------
>>> docs = build_year(2026, months=1)
>>> sum(len(d["epcisBody"]["eventList"]) for d in docs) > 10
True

"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from oreline.ledger.epcis.canonical import sha256_hex
from oreline.ledger.epcis.document import make_document
from oreline.ledger.profile.builder import (
    lot_master,
    receive_event,
    ship_event,
    site_master_data,
    transform_event,
)
from oreline.ledger.profile.model import OUR_PREFIXES
from oreline.units import element_fractions, oxide_mix_element_fractions

__all__ = ["KMP", "build_year", "run_demo"]

KMP = "urn:oreline:site:kmp-ochang"
LOT = "urn:oreline:lot:"
CUSTOMERS = {
    "noveon": "urn:oreline:party:noveon-magnetics",
    "usare": "urn:oreline:party:usa-rare-earth",
    "nsworld": "urn:oreline:party:ns-world",
}
_OXIDE_MIX = {"Nd2O3": 0.75, "Pr6O11": 0.25}
NDPR_OXIDE = {k: round(v, 6) for k, v in oxide_mix_element_fractions(_OXIDE_MIX).items()}
DY_OXIDE = {k: round(v, 6) for k, v in element_fractions("Dy2O3").items()}
_RE = NDPR_OXIDE["Nd"] + NDPR_OXIDE["Pr"]
NDPR_METAL = {"Nd": round(NDPR_OXIDE["Nd"] / _RE, 6), "Pr": round(NDPR_OXIDE["Pr"] / _RE, 6)}
DYFE = {"Dy": 0.80, "Fe": 0.20}
IRON = {"Fe": 0.9995}
FEB = {"B": 0.18, "Fe": 0.82}
ALLOY_RE_NDPR, ALLOY_DY, ALLOY_B = 0.29, 0.015, 0.01
ELECTROLYSIS_RECOVERY, MELT_RECOVERY = 0.96, 0.99

#: Supplier lines: key -> (supplier, material, assay, origin, custody)
SUPPLIERS: dict[str, tuple[str, str, dict[str, float], dict[str, str | None]]] = {
    "lynas-ndpr": ("urn:oreline:party:lynas", "NdPr oxide", NDPR_OXIDE,
                   {"mined": "AU", "separated": "MY"}),
    "vn-ndpr": ("urn:oreline:party:vietnam-rare-earth", "NdPr oxide", NDPR_OXIDE,
                {"mined": None, "separated": "VN"}),
    "ucore-ndpr": ("urn:oreline:party:ucore", "NdPr oxide", NDPR_OXIDE,
                   {"mined": None, "separated": "US"}),
    "lynas-dy": ("urn:oreline:party:lynas", "Dy oxide", DY_OXIDE,
                 {"mined": "AU", "separated": "MY"}),
    "cn-dy": ("urn:oreline:party:cn-trader", "Dy oxide", DY_OXIDE,
              {"mined": "CN", "separated": "CN"}),
}


@dataclass
class _Pool:
    """Lots on hand of one origin line, drawn first in, first out."""

    lots: list[list[Any]] = field(default_factory=list)

    def put(self, lot: str, kg: float) -> None:
        self.lots.append([lot, kg])

    def total(self) -> float:
        return float(sum(kg for _, kg in self.lots))

    def draw(self, kg: float) -> dict[str, float]:
        out: dict[str, float] = {}
        need = kg
        while need > 1e-9 and self.lots:
            lot, have = self.lots[0]
            take = min(have, need)
            out[lot] = out.get(lot, 0.0) + round(take, 3)
            need -= take
            if have - take <= 1e-9:
                self.lots.pop(0)
            else:
                self.lots[0][1] = have - take
        return out


@dataclass
class _Plant:
    rng: random.Random
    year: int
    pools: dict[str, _Pool] = field(default_factory=dict)
    counter: dict[str, int] = field(default_factory=dict)

    def pool(self, name: str) -> _Pool:
        return self.pools.setdefault(name, _Pool())

    def lot_id(self, prefix: str) -> str:
        self.counter[prefix] = self.counter.get(prefix, 0) + 1
        return f"{LOT}{prefix}-{self.year}-{self.counter[prefix]:04d}"

    def when(self, month: int, day: int, hour: int = 8) -> str:
        minute = self.rng.randint(0, 59)
        return f"{self.year}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:00+09:00"


def _evidence(tag: str) -> list[str]:
    return [sha256_hex(f"certificate of origin {tag}")]


def _receipts(p: _Plant, month: int, events: list[dict[str, Any]]) -> None:
    plan = [("lynas-ndpr", 2, 6000.0), ("lynas-dy", 1, 600.0), ("iron", 2, 14000.0),
            ("feb", 1, 3000.0)]
    if month in (1, 2, 3, 4):
        plan.append(("vn-ndpr", 1, 6000.0))
    if month >= 7:
        plan.append(("ucore-ndpr", 1, 4000.0))
    if month % 3 == 1:
        plan.append(("cn-dy", 1, 200.0))
    for line, count, kg in plan:
        for _ in range(count):
            day = p.rng.randint(1, 6)
            if line in ("iron", "feb"):
                lot = p.lot_id(line)
                material, assay = (("Electrolytic iron", IRON) if line == "iron"
                                   else ("Ferroboron FeB18", FEB))
                events.append(receive_event(lot, kg=kg, site=KMP, time=p.when(month, day),
                                            material=material, form="reagent", assay=assay,
                                            origin={}))
                p.pool(line).put(lot, kg)
                continue
            supplier, material, assay, origin = SUPPLIERS[line]
            lot = p.lot_id(line)
            qty = round(kg * p.rng.uniform(0.95, 1.05), 1)
            evidence = {s: _evidence(f"{lot} {s}") for s, c in origin.items() if c}
            events.append(receive_event(lot, kg=qty, site=KMP, time=p.when(month, day),
                                        material=material, form="oxide", assay=assay,
                                        origin=origin, evidence=evidence, supplier=supplier))
            p.pool(line).put(lot, qty)


def _electrolysis(p: _Plant, month: int, events: list[dict[str, Any]]) -> None:
    for line in ("lynas-ndpr", "vn-ndpr", "ucore-ndpr"):
        pool = p.pool(line)
        while pool.total() >= 3000.0:
            oxide = min(6000.0, pool.total())
            inputs = pool.draw(oxide)
            oxide_kg = sum(inputs.values())
            recovery = ELECTROLYSIS_RECOVERY + p.rng.uniform(-0.01, 0.01)
            metal_kg = round(oxide_kg * _RE * recovery, 1)
            lot = p.lot_id("ndpr-metal")
            master = lot_master("NdPr metal", "metal", NDPR_METAL)
            events.append(transform_event("electrolytic_reduction", site=KMP,
                                          time=p.when(month, p.rng.randint(8, 14), 14),
                                          inputs=inputs, outputs={lot: (metal_kg, master)}))
            p.pool(line + "-metal").put(lot, metal_kg)
    for line in ("lynas-dy", "cn-dy"):
        pool = p.pool(line)
        if pool.total() < 100.0:
            continue
        inputs = pool.draw(pool.total())
        dy_in = sum(inputs.values()) * DY_OXIDE["Dy"]
        dyfe_kg = round(dy_in * ELECTROLYSIS_RECOVERY / DYFE["Dy"], 1)
        iron = p.pool("iron").draw(round(dyfe_kg * DYFE["Fe"] / ELECTROLYSIS_RECOVERY
                                         / IRON["Fe"], 1))
        lot = p.lot_id("dyfe80")
        events.append(transform_event(
            "electrolytic_reduction", site=KMP, time=p.when(month, 10, 16),
            inputs={**inputs, **iron},
            outputs={lot: (dyfe_kg, lot_master("DyFe80 ferro-dysprosium", "metal", DYFE))}))
        p.pool(line + "-dyfe").put(lot, dyfe_kg)


def _casts(p: _Plant, month: int, events: list[dict[str, Any]],
           shipments: list[tuple[str, float, str]]) -> None:
    # (NdPr metal lines drawn in equal parts, Dy line, customer, casts at most)
    lines = [(("lynas-ndpr-metal",), "lynas-dy-dyfe", "noveon", 6),
             (("ucore-ndpr-metal",), "lynas-dy-dyfe", "usare", 6),
             (("vn-ndpr-metal",), "lynas-dy-dyfe", "nsworld", 6),
             (("lynas-ndpr-metal",), "cn-dy-dyfe", "nsworld", 6),
             (("lynas-ndpr-metal", "ucore-ndpr-metal"), "lynas-dy-dyfe", "noveon", 2)]
    for metal_lines, dy_line, customer, casts in lines:
        for _ in range(casts):
            alloy_kg = round(p.rng.uniform(2500.0, 3500.0), 1)
            ndpr_need = round(alloy_kg * ALLOY_RE_NDPR / MELT_RECOVERY, 1)
            dyfe_need = round(alloy_kg * ALLOY_DY / DYFE["Dy"] / MELT_RECOVERY, 1)
            feb_need = round(alloy_kg * ALLOY_B / FEB["B"] / MELT_RECOVERY, 1)
            fe_out = alloy_kg * (1 - ALLOY_RE_NDPR - ALLOY_DY - ALLOY_B)
            fe_in = fe_out / MELT_RECOVERY - dyfe_need * DYFE["Fe"] - feb_need * FEB["Fe"]
            share = round(ndpr_need / len(metal_lines), 1)
            if (any(p.pool(m).total() < share for m in metal_lines)
                    or p.pool(dy_line).total() < dyfe_need
                    or p.pool("feb").total() < feb_need
                    or p.pool("iron").total() < fe_in / IRON["Fe"] + 1):
                break
            inputs: dict[str, float] = {}
            for m in metal_lines:
                inputs.update(p.pool(m).draw(share))
            inputs.update(p.pool(dy_line).draw(dyfe_need))
            inputs.update(p.pool("feb").draw(feb_need))
            inputs.update(p.pool("iron").draw(round(fe_in / IRON["Fe"], 1)))
            assay = {"Nd": round(ALLOY_RE_NDPR * NDPR_METAL["Nd"], 6),
                     "Pr": round(ALLOY_RE_NDPR * NDPR_METAL["Pr"], 6), "Dy": ALLOY_DY,
                     "B": ALLOY_B, "Fe": round(1 - ALLOY_RE_NDPR - ALLOY_DY - ALLOY_B, 6)}
            lot = p.lot_id("ndfeb-alloy")
            events.append(transform_event(
                "strip_casting", site=KMP, time=p.when(month, p.rng.randint(15, 24), 10),
                inputs=inputs, outputs={lot: (alloy_kg, lot_master(
                    "NdFeB strip-cast alloy", "alloy", assay))}))
            shipments.append((lot, alloy_kg, customer))


def build_year(year: int = 2026, months: int = 12, seed: int = 7) -> list[dict[str, Any]]:
    """EPCIS documents for ``months`` months of KMP operations (one document per month).

    The first document declares the plant in its master data.
    """
    p = _Plant(random.Random(seed), year)
    docs: list[dict[str, Any]] = []
    corrected = False
    for month in range(1, months + 1):
        events: list[dict[str, Any]] = []
        shipments: list[tuple[str, float, str]] = []
        _receipts(p, month, events)
        _electrolysis(p, month, events)
        _casts(p, month, events, shipments)
        for i, (lot, kg, customer) in enumerate(shipments):
            time = p.when(month, 26 + i % 3, 9 + i % 8)
            wrong = month == 2 and not corrected
            ship = ship_event(lot, kg=round(kg * (0.5 if wrong else 1.0), 1), site=KMP,
                              time=time, customer=CUSTOMERS[customer])
            events.append(ship)
            if wrong:
                corrected = True
                docs_next = _correction(ship, lot, kg, CUSTOMERS[customer], p.when(month, 28,
                                                                                    17))
                events.extend(docs_next)
        master = site_master_data([{"id": KMP, "name": "KMP Ochang (ASM)", "country": "KR",
                                    "stage": "alloying"}]) if month == 1 else None
        docs.append(make_document(events, master, created=p.when(month, 28, 23),
                                  prefixes=OUR_PREFIXES))
    return docs


def _correction(wrong: dict[str, Any], lot: str, kg: float, customer: str,
                time: str) -> list[dict[str, Any]]:
    """An error declaration of a shipment recorded with the wrong mass, and the fix."""
    fixed = ship_event(lot, kg=kg, site=KMP, time=time, customer=customer,
                       event_id=f"urn:uuid:{sha256_hex(lot + 'fix')[:8]}-0000-4000-8000-"
                                f"{sha256_hex(lot)[:12]}")
    declaration = dict(wrong)
    declaration["errorDeclaration"] = {
        "declarationTime": time, "reason": "incorrect_data",
        "correctiveEventIDs": [fixed["eventID"]],
    }
    return [declaration, fixed]


def run_demo(capture: Callable[[dict[str, Any]], Any], months: int = 12,
             year: int = 2026) -> int:
    """Capture the demo year through ``capture``; returns the number of events."""
    total = 0
    for doc in build_year(year, months):
        capture(doc)
        total += len(doc["epcisBody"]["eventList"])
    return total
