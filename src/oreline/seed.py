"""Plans seeded from the ledger: a ledger's on-hand stock as a scenario's opening stock.

The planner and the ledger meet only here and in the command line (docs/architecture.md):
this module reads the stock on hand by site, material, form and origin from an Oreline
ledger (:meth:`~oreline.ledger.ledger.Ledger.stock`) and writes it into a scenario's
``initial_stock``, replacing the entries of the sites the ledger covers, so that
:func:`~oreline.planner.run_plan` plans from it. ``planner.py`` itself never sees the
ledger.

The scenario's ``ledger_map`` (or a small YAML file of the same shape) says how the
ledger's names map onto the scenario's::

    ledger_map:
      sites: {urn:oreline:site:kmp-ochang: kmp}
      materials: {NdPr oxide: ndpr_oxide, NdPr metal: ndpr_metal}
      forms: {reagent: '-'}

A lot's commodity is its material's, else its form's; ``-`` leaves a site, material or
form out of the plan. A stage the ledger leaves unset counts as ``unknown`` when the
commodity's family must have passed it (a metal was mined, separated and refined), and
as not reached otherwise. Every mismatch is reported at once, naming the lot, site or
material and the fix.

Examples
--------
>>> from oreline.ledger.ledger import Ledger
>>> from oreline.ledger.profile.builder import receive_event
>>> led = Ledger.open("sqlite://")
>>> led.register_site("urn:oreline:site:kmp", "KMP", "KR", "alloying")
>>> _ = led.capture(receive_event("urn:oreline:lot:ox-1", kg=1500.0,
...     site="urn:oreline:site:kmp", time="2026-01-05T09:00:00+09:00",
...     material="NdPr oxide", form="oxide", assay={"Nd": 0.64, "Pr": 0.21},
...     origin={"mined": "AU", "separated": "MY"}))
>>> lmap = LedgerMap(sites={"urn:oreline:site:kmp": "plant"}, materials={"NdPr oxide": "oxide"})
>>> sc = seed_from_ledger("tiny", led, lmap)
>>> [(s.site, s.commodity, s.quantity.tonnes, dict(s.origin)) for s in sc.initial_stock]
[('plant', 'oxide', 1.5, {'mined': 'AU', 'separated': 'MY'})]

"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from oreline.errors import Issue, LedgerError, ScenarioError
from oreline.origin import STAGES, UNKNOWN
from oreline.scenario import Scenario, load_scenario
from oreline.scenario.checks import check_scenario, required_stages
from oreline.scenario.opening import SKIP
from oreline.scenario.readers import read_yaml
from oreline.scenario.schema import InitialStock
from oreline.scenario.state import LedgerMap

# The one planner module that imports the ledger (besides the command line): the bridge
# between the two stacks (tests/test_project.py ranks it between them).
if TYPE_CHECKING:
    from oreline.ledger.ledger import Ledger
    from oreline.ledger.records import OnHandRow, StockRow

__all__ = ["SEEDED", "LedgerMap", "open_ledger", "read_ledger_map", "seed_from_ledger"]

#: How a seeded initial stock entry's ``source`` starts (the ledger's path or URL follows).
SEEDED = "on hand in the ledger"
#: Title of the error listing every mismatch between a ledger and a scenario.
TITLE = "the ledger's stock does not fit the scenario"


@contextmanager
def open_ledger(target: str | Path | Ledger) -> Iterator[Ledger]:
    """The ledger at a path or SQLAlchemy URL (never created here), closed after use.

    Raises
    ------
    LedgerError
        When a SQLite path names no file.

    """
    from oreline.ledger.ledger import Ledger

    if isinstance(target, Ledger):
        yield target
        return
    text = str(target)
    path = text.removeprefix("sqlite:///") if "://" not in text or text.startswith(
        "sqlite:///") else None
    if path and path != ":memory:" and not Path(path).is_file():
        raise LedgerError(f"no ledger at {path}: check --stock-from (a SQLite path or a "
                          f"SQLAlchemy URL); a ledger is made by `oreline trace capture FILE "
                          f"--db {path}`, or try `oreline trace demo --db {path}`")
    led = Ledger.open(text if "://" in text else f"sqlite:///{text}")
    try:
        yield led
    finally:
        led.close()


def read_ledger_map(path: str | Path) -> LedgerMap:
    """Read a ledger map from a YAML file (``sites``, ``materials``, ``forms`` mappings).

    Raises
    ------
    ScenarioError
        When the file is missing, not YAML, or holds an unknown key, with its line.

    """
    file = Path(path)
    if not file.is_file():
        raise ScenarioError([Issue(str(file), "", "no such ledger map file",
                                   "give the path of a YAML file with sites:, materials:, "
                                   "forms:")], title="ledger map is invalid")
    raw = read_yaml(file)
    prefix: tuple[str, ...] = ("ledger_map",) if "ledger_map" in raw.data else ()
    try:
        return LedgerMap.model_validate(raw.data.get("ledger_map", raw.data))
    except ValidationError as exc:
        issues = [Issue(raw.where((*prefix, *map(str, e["loc"]))), ".".join(map(str, e["loc"])),
                        e["msg"], "use only sites:, materials: and forms:, each a mapping of "
                        "ledger name to scenario name") for e in exc.errors()]
        raise ScenarioError(issues, title="ledger map is invalid") from None


def _first_lot(lots: list[OnHandRow], site: str, material: str | None = None) -> str:
    for lot in lots:
        if lot["site"] == site and (material is None or lot["material"] == material):
            return lot["lot"]
    return "?"


def _origin(row: StockRow, family: str, where: str, lot: str) -> tuple[dict[str, str],
                                                                        list[Issue]]:
    """The scenario origin of a stock row: set stages, and unknown for required ones."""
    stages = row["stages"]
    wrong = [s for s in stages if s not in STAGES]
    if wrong:
        return {}, [Issue(where, "stages", f"lot {lot} ({row['material']!r}) has origin "
                          f"stage(s) {wrong} that the planner does not know",
                          f"the planner's stages are {', '.join(STAGES)}; correct the lot's "
                          "origin in the ledger, or map its material to '-'")]
    needed = required_stages(family)
    origin: dict[str, str] = {s: (stages.get(s) or UNKNOWN) for s in STAGES
                              if stages.get(s) is not None or s in needed}
    return origin, []


def _commodity(lmap: LedgerMap, row: StockRow) -> str | None:
    return lmap.materials.get(row["material"], lmap.forms.get(row["form"]))


def _site_issue(where: str, row: StockRow, lot: str, target: str | None,
                sites: list[str]) -> Issue:
    if target is None:
        return Issue(where, "ledger_map.sites", f"ledger site {row['site']!r} holds stock "
                     f"(e.g. lot {lot}) but the ledger map does not name it",
                     f"map it to a scenario site ({', '.join(sites)}), or to '{SKIP}' to "
                     "leave it out")
    return Issue(where, f"ledger_map.sites.{row['site']}", f"ledger site {row['site']!r} "
                 f"maps to {target!r}, which is not a site of the scenario",
                 f"use one of: {', '.join(sites)} (or '{SKIP}')")


def _entries(sc: Scenario, lmap: LedgerMap, rows: list[StockRow], lots: list[OnHandRow],
             where: str) -> tuple[dict[tuple[str, str, tuple[tuple[str, str], ...]], float],
                                  list[Issue]]:
    """Tonnes per (scenario site, commodity, origin), and every mismatch found."""
    sites = [s.id for s in sc.sites]
    coms = {c.id: c for c in sc.commodities}
    out: dict[tuple[str, str, tuple[tuple[str, str], ...]], float] = {}
    issues: list[Issue] = []
    reported: set[tuple[str, str]] = set()
    for row in rows:
        target = lmap.sites.get(row["site"])
        if target == SKIP:
            continue
        if target not in sites:
            if ("site", row["site"]) not in reported:
                reported.add(("site", row["site"]))
                issues.append(_site_issue(where, row, _first_lot(lots, row["site"]), target,
                                          sites))
            continue
        com = _commodity(lmap, row)
        lot = _first_lot(lots, row["site"], row["material"])
        if com == SKIP:
            continue
        if com not in coms:
            key = ("material", row["material"])
            if key not in reported:
                reported.add(key)
                what = "has no commodity" if com is None else (
                    f"maps to {com!r}, which is not a commodity of the scenario")
                issues.append(Issue(
                    where, "ledger_map.materials", f"lot {lot} at {row['site']}: material "
                    f"{row['material']!r} (form {row['form']!r}) {what}",
                    f"add '{row['material']}: <commodity>' to the ledger map's materials "
                    f"(commodities: {', '.join(coms)}), or '{SKIP}' to leave it out"))
            continue
        origin, bad = _origin(row, coms[com].family, where, lot)
        if not coms[com].is_controlled:
            origin = {}
        issues += bad
        key3 = (target, com, tuple(sorted(origin.items())))
        out[key3] = out.get(key3, 0.0) + row["kg"] / 1000.0
    return out, issues


def seed_from_ledger(source: str | Path | Scenario, ledger: str | Path | Ledger,
                     ledger_map: LedgerMap | str | Path | None = None) -> Scenario:
    """The scenario with the ledger's on-hand stock as its opening stock.

    Parameters
    ----------
    source
        A built-in scenario name, a scenario file or folder, or a :class:`Scenario`.
    ledger
        A SQLite path, a SQLAlchemy URL or an open :class:`~oreline.ledger.ledger.Ledger`.
    ledger_map
        The mapping (or a YAML file holding it); the scenario's ``ledger_map`` when omitted.

    Returns
    -------
    Scenario
        ``initial_stock`` of the sites the map covers replaced by the ledger's stock on
        hand (t, by origin); other sites keep theirs.

    Raises
    ------
    LedgerError
        When the ledger is missing.
    ScenarioError
        Listing every lot, site or material the map or the scenario cannot place.

    """
    sc = source if isinstance(source, Scenario) else load_scenario(source)
    lmap = read_ledger_map(ledger_map) if isinstance(ledger_map, str | Path) else (
        ledger_map or sc.ledger_map)
    where = str(ledger) if isinstance(ledger, str | Path) else "ledger"
    with open_ledger(ledger) as led:  # a missing ledger first: nothing else matters then
        if lmap is None:
            raise ScenarioError([Issue(sc.name, "ledger_map", "the scenario has no "
                                       "ledger_map, so the ledger's sites and lots cannot be "
                                       "placed", "add ledger_map: (sites, materials, forms) "
                                       "to the scenario, or pass --ledger-map FILE")],
                                title=TITLE)
        rows, lots = led.stock(), led.lots_on_hand()
    tonnes, issues = _entries(sc, lmap, rows, lots, where)
    if issues:
        raise ScenarioError(issues, title=TITLE)
    covered = {t for t in lmap.sites.values() if t != SKIP}
    family = {c.id: c.family for c in sc.commodities}
    seeded = [InitialStock.model_validate({
        "site": site, "commodity": com, "quantity": f"{t!r} t {family[com]}",
        "origin": dict(origin), "source": f"{SEEDED} {where}"})
        for (site, com, origin), t in sorted(tonnes.items()) if t > 0]
    kept = [s for s in sc.initial_stock if s.site not in covered]
    out = sc.model_copy(update={"initial_stock": kept + seeded, "ledger_map": lmap})
    problems = check_scenario(out)
    if problems:
        raise ScenarioError([Issue(where, ".".join(map(str, p[0])), p[1], p[2])
                             for p in problems], title=TITLE)
    return out
