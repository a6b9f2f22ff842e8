"""Small builders shared by the ledger tests (independent of the demo)."""

from __future__ import annotations

import json
import os
from typing import Any

from oreline.ledger import lot_master, receive_event, ship_event, transform_event
from oreline.ledger.epcis.document import make_document
from oreline.ledger.profile.model import OUR_PREFIXES
from oreline.units import element_fractions, oxide_mix_element_fractions

KMP = "urn:oreline:site:kmp"
L = "urn:oreline:lot:"
PG_URL = os.environ.get("ORELINE_PG_URL", "")
SKIP_PG = (
    "PostgreSQL variant skipped: set ORELINE_PG_URL, e.g. "
    "postgresql+psycopg://oreline:oreline@127.0.0.1:5432/oreline"
)
T0 = "2026-03-02T08:00:00+09:00"
OX = {k: round(v, 6) for k, v in oxide_mix_element_fractions(
    {"Nd2O3": 0.75, "Pr6O11": 0.25}).items()}
RE_OX = OX["Nd"] + OX["Pr"]
METAL = {"Nd": round(OX["Nd"] / RE_OX, 6), "Pr": round(OX["Pr"] / RE_OX, 6)}
DY2O3 = {k: round(v, 6) for k, v in element_fractions("Dy2O3").items()}
AU_MY = {"mined": "AU", "separated": "MY"}


def t(day: int, hour: int = 8) -> str:
    return f"2026-03-{day:02d}T{hour:02d}:00:00+09:00"


def receipt(lot: str, kg: float, origin: dict[str, Any] | None = None, *,
            material: str = "NdPr oxide", assay: dict[str, float] | None = None,
            form: str = "oxide", day: int = 1, **kw: Any) -> dict[str, Any]:
    return receive_event(L + lot, kg=kg, site=KMP, time=t(day), material=material,
                         form=form, assay=assay or OX, origin=AU_MY if origin is None
                         else origin, **kw)


def electrolysis(inputs: dict[str, float], out: str, kg: float, day: int = 5,
                 assay: dict[str, float] | None = None) -> dict[str, Any]:
    return transform_event("electrolytic_reduction", site=KMP, time=t(day),
                           inputs={L + k: v for k, v in inputs.items()},
                           outputs={L + out: (kg, lot_master("NdPr metal", "metal",
                                                             assay or METAL))})


def cast(inputs: dict[str, float], out: str, kg: float, assay: dict[str, float],
         day: int = 10, extra_outputs: dict[str, tuple[float, dict[str, Any]]] | None = None
         ) -> dict[str, Any]:
    outputs: dict[str, tuple[float, dict[str, Any]]] = {
        L + out: (kg, lot_master("NdFeB alloy", "alloy", assay))}
    outputs.update({L + k: v for k, v in (extra_outputs or {}).items()})
    return transform_event("strip_casting", site=KMP, time=t(day),
                           inputs={L + k: v for k, v in inputs.items()}, outputs=outputs)


def ship(lot: str, kg: float, day: int = 20, **kw: Any) -> dict[str, Any]:
    return ship_event(L + lot, kg=kg, site=KMP, time=t(day), **kw)


def doc(*events: dict[str, Any]) -> dict[str, Any]:
    return make_document(list(events), created=T0, prefixes=OUR_PREFIXES)


def alloy_scenario(dy_origin: dict[str, Any]) -> list[dict[str, Any]]:
    """NdPr oxide (AU/MY) -> metal; Dy2O3 of ``dy_origin`` + iron -> DyFe; cast 1 t alloy."""
    ox_kg = 400.0
    metal_kg = round(ox_kg * RE_OX * 0.96, 3)
    dy_ox = 20.0
    dyfe_kg = round(dy_ox * DY2O3["Dy"] * 0.96 / 0.8, 3)
    iron_for_dyfe = round(dyfe_kg * 0.2 / 0.96, 3)
    alloy = 1000.0
    nd_in = metal_kg * METAL["Nd"]
    pr_in = metal_kg * METAL["Pr"]
    dy_in = dyfe_kg * 0.8
    iron_kg = 650.0
    fe_in = iron_kg + dyfe_kg * 0.2
    assay = {"Nd": round(nd_in * 0.99 / alloy, 6), "Pr": round(pr_in * 0.99 / alloy, 6),
             "Dy": round(dy_in * 0.99 / alloy, 6), "Fe": round(fe_in * 0.99 / alloy, 6)}
    return [
        receipt("ox1", ox_kg),
        receipt("dyox1", dy_ox, dy_origin, material="Dy oxide", assay=DY2O3),
        receipt("iron1", 2000.0, {}, material="iron", assay={"Fe": 1.0}, form="reagent"),
        electrolysis({"ox1": ox_kg}, "m1", metal_kg),
        transform_event("electrolytic_reduction", site=KMP, time=t(6),
                        inputs={L + "dyox1": dy_ox, L + "iron1": iron_for_dyfe},
                        outputs={L + "dyfe1": (dyfe_kg, lot_master(
                            "DyFe80", "metal", {"Dy": 0.8, "Fe": 0.2}))}),
        cast({"m1": metal_kg, "dyfe1": dyfe_kg, "iron1": iron_kg}, "a1", alloy, assay),
    ]


def rechain_as_before_0004(ledger: Any) -> None:
    """Rewrite a ledger as one written before revision 0004 would hold it: entry contexts
    without the site name and stage, entry hashes chained over them, and no campaign
    lines or process-loss debits (those rules came with the same revision), and no account
    balances (revision 0005)."""
    from sqlalchemy import delete, select, update

    from oreline.ledger.store.entryhash import GENESIS_HASH, entry_hash
    from oreline.ledger.store.schema import campaign_lines, entries, mb_balances, mb_entries

    with ledger.store.write() as conn:
        if ledger.store.dialect == "sqlite":
            conn.exec_driver_sql("DROP TRIGGER IF EXISTS entries_no_update")
        else:
            conn.exec_driver_sql("DROP TRIGGER IF EXISTS entries_append_only ON entries")
        conn.execute(delete(mb_entries).where(mb_entries.c.kind == "loss"))
        conn.execute(delete(campaign_lines))
        conn.execute(delete(mb_balances))  # balances came with revision 0005
        prev = GENESIS_HASH
        for r in conn.execute(select(entries).order_by(entries.c.seq)).all():
            ctx = {k: v for k, v in json.loads(r.context).items() if k not in ("name",
                                                                              "stage")}
            h = entry_hash(r.seq, prev, r.hash_id, r.content_hash, r.recorded_at, r.actor,
                           ctx)
            conn.execute(update(entries).where(entries.c.seq == r.seq).values(
                context=json.dumps(ctx), prev_hash=prev, entry_hash=h))
            prev = h


def ledger_at_revision(path: Any, revision: str, undo: list[str],
                       *events: dict[str, Any]) -> Any:
    """A SQLite ledger at ``path`` holding ``events``, taken back to schema ``revision`` by
    the SQL statements ``undo``, then opened again (which upgrades it to the head)."""
    from oreline.ledger import Ledger

    led = Ledger.open(path)
    led.register_site(KMP, "KMP Ochang", "KR", "alloying")
    led.capture(doc(*events))
    with led.store.engine.begin() as conn:
        for statement in undo:
            conn.exec_driver_sql(statement)
        conn.exec_driver_sql(f"UPDATE alembic_version SET version_num = '{revision}'")
    led.close()
    return Ledger.open(path)
