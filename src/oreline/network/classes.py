"""Reachable origin classes: the fixed point over sources, lanes and processes.

A source (contract, initial stock, shipment in transit, open order) puts its
declared class at its site; a lane carries every class at its origin to its
destination unchanged; a process's output
class is the union of its controlled inputs' classes plus its site country at its
stage. :func:`reachable_classes` applies these rules until nothing new appears, so
only classes that can actually be reached exist.

Examples
--------
>>> from oreline.scenario import load_scenario
>>> sc = load_scenario("tiny")
>>> present = reachable_classes(sc, ["plant"], {c.id: c.is_controlled for c in sc.commodities},
...                             64)
>>> sorted(c.label for c in present[("plant", "metal")])
['AU>MY>KR', 'CN>CN>KR']

"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from typing import Any

from oreline.errors import ModelError
from oreline.origin import STAGES, OriginClass
from oreline.scenario.schema import Process, Scenario

__all__ = ["Present", "process_modes", "reachable_classes", "source_class"]

#: Classes present per ``(site, commodity)``.
Present = dict[tuple[str, str], set[OriginClass]]


def source_class(controlled: dict[str, bool], com: str, origin: dict[str, str]) -> OriginClass:
    """The class a source of ``com`` declaring ``origin`` delivers (untracked if uncontrolled).

    Examples
    --------
    >>> source_class({"oxide": True}, "oxide", {"mined": "AU"}).label
    'AU'
    >>> source_class({"acid": False}, "acid", {"mined": "AU"}).label
    'untracked'

    """
    return OriginClass.declared(origin) if controlled[com] else OriginClass.untracked()


def process_modes(
    proc: Process, country: str, controlled: dict[str, bool], present: Present,
    order: Callable[[OriginClass], Any] | None = None,
) -> list[tuple[dict[str, OriginClass], OriginClass]]:
    """Each combination of input classes present at the site, with its output class.

    Parameters
    ----------
    proc
        The process; only its controlled inputs choose a class.
    country
        The country of the process's site (recorded at ``proc.stage``).
    controlled
        Whether each commodity carries an origin.
    present
        Classes present per ``(site, commodity)``.
    order
        Sort key of a class, consistent with :attr:`OriginClass.sort_key` (the default);
        callers that sort often pass a memo of it (a label is slow to build).

    Returns
    -------
    list of (dict, OriginClass)
        The chosen class per controlled input and the output class, one per mode;
        empty when a controlled input has no class at the site.

    """
    ctrl_inputs = [m for m in proc.inputs if controlled[m]]
    key = order or _sort_key
    pools = [sorted(present.get((proc.site, m), set()), key=key) for m in ctrl_inputs]
    if any(not pool for pool in pools):
        return []
    out_modes = []
    for combo in itertools.product(*pools):
        out = OriginClass(tuple(frozenset() for _ in STAGES))
        for cls in combo:
            out = out.union(cls)
        if proc.stage is not None:
            out = out.with_stage(proc.stage, country)
        out_modes.append((dict(zip(ctrl_inputs, combo, strict=True)), out))
    return out_modes


def _sort_key(cls: OriginClass) -> tuple[bool, str]:
    return cls.sort_key


def reachable_classes(sc: Scenario, sites: Iterable[str], controlled: dict[str, bool],
                      max_classes: int) -> Present:
    """Classes that can reach each ``(site, commodity)``, run to a fixed point.

    Raises
    ------
    ModelError
        When more than ``max_classes`` classes of one commodity reach one site.

    """
    present: Present = {}
    untracked = OriginClass.untracked()

    def add(site: str, com: str, cls: OriginClass) -> bool:
        group = present.setdefault((site, com), set())
        if cls in group:
            return False
        if len(group) >= max_classes:
            raise ModelError(
                f"more than {max_classes} origin classes of {com!r} reach site "
                f"{site!r}; merge suppliers with the same origin or raise "
                f"ORELINE_MAX_ORIGIN_CLASSES"
            )
        group.add(cls)
        return True

    for c in (c for c in sc.contracts if c.enabled):
        add(c.site, c.commodity, source_class(controlled, c.commodity, dict(c.origin)))
    for s in sc.initial_stock:
        add(s.site, s.commodity, source_class(controlled, s.commodity, dict(s.origin)))
    for x in sc.in_transit:
        add(x.site, x.commodity, source_class(controlled, x.commodity, dict(x.origin)))
    by_id = {c.id: c for c in sc.contracts}
    for c in (by_id[o.contract] for o in sc.open_orders):  # delivered even if disabled
        add(c.site, c.commodity, source_class(controlled, c.commodity, dict(c.origin)))
    for com, ok in controlled.items():  # reagents are untracked everywhere
        if not ok:
            for site in sites:
                present.setdefault((str(site), com), set()).add(untracked)
    country_of = {s.id: s.country for s in sc.sites}
    memo: dict[OriginClass, tuple[bool, str]] = {}

    def order(cls: OriginClass) -> tuple[bool, str]:
        key = memo.get(cls)
        if key is None:
            key = memo[cls] = cls.sort_key
        return key

    changed = True
    while changed:
        changed = False
        at_site: dict[str, list[tuple[str, set[OriginClass]]]] = {}
        for (site, com), group in list(present.items()):
            at_site.setdefault(site, []).append((com, group))
        for lane in sc.lanes:
            for com, group in at_site.get(lane.origin, []):
                if lane.commodities is None or com in lane.commodities:
                    for cls in list(group):
                        changed |= add(lane.destination, com, cls)
        for proc in sc.processes:
            for _, out in process_modes(proc, country_of[proc.site], controlled, present,
                                         order):
                for m in (proc.main_output, *proc.co_products):
                    changed |= add(proc.site, m, out if controlled[m] else untracked)
    return present
