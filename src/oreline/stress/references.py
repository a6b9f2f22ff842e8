"""Check that a stress file names only what its scenario has, in the right units.

Examples
--------
>>> from oreline.model import build_model
>>> from oreline.network import compile_network
>>> from oreline.scenario import load_scenario
>>> from oreline.stress.events import StressFile
>>> lp = build_model(compile_network(load_scenario("tiny")))
>>> bad = StressFile.model_validate({"name": "x", "scenario": "tiny", "events": [
...     {"id": "fire", "type": "process_outage", "process": "electrolysys"}]})
>>> try:
...     check_references(bad, lp, "x.yaml")
... except StressError as err:
...     print(err.issues[0].fix)
did you mean 'electrolysis'?

"""

from __future__ import annotations

from oreline.errors import Issue, StressError
from oreline.model.matrix import LinearProgram
from oreline.stress.apply import StressContext
from oreline.stress.events import (
    EnquiryConversion,
    Event,
    ExportControl,
    IndexShock,
    ProcessOutage,
    StressFile,
)
from oreline.stress.market import indexed_anywhere

__all__ = ["check_references"]


def _name_issues(ev: Event, i: int, where: str, known: dict[str, set[str]],
                 active: set[str], scenario: str) -> list[Issue]:
    """Names ``ev`` uses that the scenario lacks (with a suggestion), or disabled contracts."""
    import difflib

    refs: list[tuple[str, str]] = []
    for kind in ("contract", "supplier", "process", "customer", "group", "lane", "commodity"):
        value = getattr(ev, kind, None)
        if isinstance(value, str):
            refs.append((kind, value))
    refs += [("customer", c) for c in getattr(ev, "customers", [])]
    refs += [("commodity", c) for c in getattr(ev, "commodities", [])]
    refs += [("enquiry", e) for e in getattr(ev, "enquiries", [])]
    issues = []
    for kind, value in refs:
        if value not in known[kind]:
            close = difflib.get_close_matches(value, sorted(known[kind]), n=1)
            fix = f"did you mean {close[0]!r}?" if close else (
                f"use one of: {', '.join(sorted(known[kind])[:10])}")
            issues.append(Issue(where, f"events[{i}].{kind}",
                                f"event {ev.id!r} names unknown {kind} {value!r} in "
                                f"scenario {scenario!r}", fix))
        elif kind == "contract" and value not in active:
            issues.append(Issue(where, f"events[{i}].contract",
                                f"contract {value!r} is disabled in the scenario",
                                "enable it in the scenario or drop the event"))
    return issues


def _basis_issues(ev: Event, i: int, where: str, ctx: StressContext) -> list[Issue]:
    """An export control matching no contract, or a quota or cap in the wrong family."""
    sc = ctx.lp.net.scenario
    family = {c.id: c.family for c in sc.commodities}
    issues = []
    if isinstance(ev, ExportControl):
        hit = ctx._controlled(ev)
        if not hit:
            issues.append(Issue(where, f"events[{i}]",
                                f"export control {ev.id!r} matches no active contract: none "
                                f"delivers {ev.commodities or ev.elements} last declared in "
                                f"{ev.country}", "check country, commodities and elements"))
        elif ev.quota is not None:
            fams = {family[ctx.contract_commodity[k]] for k in hit}
            if ev.quota.basis not in fams:
                issues.append(Issue(where, f"events[{i}].quota",
                                    f"quota is in t {ev.quota.basis} but the controlled "
                                    f"contracts deliver {', '.join(sorted(fams))}",
                                    f"state the quota in t {', '.join(sorted(fams))}"))
    if isinstance(ev, IndexShock) and ev.commodity in family and not indexed_anywhere(
            ctx, ev.commodity):
        issues.append(Issue(where, f"events[{i}].commodity",
                            f"index shock {ev.id!r} moves no price: no contract or customer "
                            f"price is indexed to {ev.commodity!r}",
                            "index a price to it (e.g. 'ndpr_oxide[Nd+Pr] + 5 USD/kg') or "
                            "use price_shock"))
    if isinstance(ev, EnquiryConversion) and not sc.enquiries:
        issues.append(Issue(where, f"events[{i}]",
                            f"enquiry event {ev.id!r}: scenario {sc.name!r} has no enquiries",
                            "add enquiries to the scenario or drop the event"))
    if isinstance(ev, ProcessOutage) and ev.cap is not None:
        proc = next((p for p in sc.processes if p.id == ev.process), None)
        if proc is not None and ev.cap.basis != family[proc.main_output]:
            issues.append(Issue(where, f"events[{i}].cap",
                                f"cap is in t {ev.cap.basis} but {proc.id!r} makes "
                                f"{family[proc.main_output]}",
                                f"state it in t {family[proc.main_output]}"))
    return issues


def check_references(stress: StressFile, lp: LinearProgram, where: str) -> None:
    """Every contract, supplier, process, customer, group, lane and commodity named exists.

    Raises
    ------
    StressError
        Listing every unknown name with the event that uses it.
    """
    sc = lp.net.scenario
    known = {
        "contract": {c.id for c in sc.contracts},
        "supplier": {sc.contracts[int(i)].supplier for i in lp.net.purchases.contract},
        "process": {p.id for p in sc.processes}, "customer": {c.id for c in sc.customers},
        "group": {c.group for c in sc.customers}, "lane": {ln.id for ln in sc.lanes},
        "commodity": {c.id for c in sc.commodities},
        "enquiry": {e.id for e in sc.enquiries},
    }
    active = {sc.contracts[int(i)].id for i in lp.net.purchases.contract}
    ctx = StressContext(lp)
    issues: list[Issue] = []
    for i, ev in enumerate(stress.events):
        issues += _name_issues(ev, i, where, known, active, sc.name)
        issues += _basis_issues(ev, i, where, ctx)
    if issues:
        raise StressError(issues)
