"""The labelled sets of a network: periods, sites, commodities and origin classes.

:func:`build_sets` derives them from a scenario (running the origin-class fixed
point of :mod:`oreline.network.classes`); every table builder reads them.

Examples
--------
>>> from oreline.scenario import load_scenario
>>> s = build_sets(load_scenario("tiny"), 64)
>>> s.periods, [c.label for c in s.classes]
(['2027-01', '2027-02', '2027-03'], ['untracked', 'AU>MY', 'AU>MY>KR', 'CN>CN', 'CN>CN>KR'])

"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from oreline.network.classes import Present, reachable_classes, source_class
from oreline.origin import OriginClass
from oreline.scenario.schema import Scenario

__all__ = ["Sets", "build_sets", "index_of", "last_index", "period_labels"]


def period_labels(sc: Scenario) -> list[str]:
    """``YYYY-MM`` start of each period of the horizon.

    Examples
    --------
    >>> from oreline.scenario import load_scenario
    >>> period_labels(load_scenario("tiny"))
    ['2027-01', '2027-02', '2027-03']

    """
    start = pd.Period(sc.horizon.start, freq="M")
    step = sc.horizon.months_per_period
    return [str(start + i * step) for i in range(sc.horizon.periods)]


def index_of(periods: list[str], ym: str | None, default: int) -> int:
    """First period index whose start is >= ym (default when ym is None).

    Examples
    --------
    >>> index_of(["2027-01", "2027-02"], "2027-02", 0), index_of(["2027-01"], None, 0)
    (1, 0)

    """
    if ym is None:
        return default
    return int(np.searchsorted(np.array(periods), ym, side="left"))


def last_index(periods: list[str], ym: str | None, default: int) -> int:
    """Last period index whose start is <= ym (an inclusive end; default when None).

    Examples
    --------
    >>> last_index(["2027-01", "2027-02"], "2027-01", 1)
    0

    """
    if ym is None:
        return default
    return int(np.searchsorted(np.array(periods), ym, side="right")) - 1


@dataclass(frozen=True)
class Sets:
    """Labelled sets shared by the table builders.

    ``present`` holds the origin classes reaching each ``(site, commodity)``;
    ``classes`` is their sorted union (plus the untracked class), ``class_id`` its
    inverse.
    """

    scenario: Scenario
    periods: list[str]
    months: int
    discount: np.ndarray
    sites: pd.Index
    commodities: pd.Index
    controlled: dict[str, bool]
    present: Present
    classes: list[OriginClass]
    class_id: dict[OriginClass, int]

    @property
    def T(self) -> int:
        """Number of periods."""
        return len(self.periods)

    def key(self, site: str, com: str, cls: OriginClass) -> tuple[int, int, int]:
        """``(site, commodity, class)`` as the integer key of a node."""
        return (int(self.sites.get_loc(site)), int(self.commodities.get_loc(com)),
                self.class_id[cls])

    def source_class(self, com: str, origin: dict[str, str]) -> OriginClass:
        """Class delivered by a source of ``com`` declaring ``origin``."""
        return source_class(self.controlled, com, origin)


def build_sets(sc: Scenario, max_classes: int) -> Sets:
    """Periods with their discount factors, sites, commodities and reachable classes.

    Raises
    ------
    ModelError
        When more than ``max_classes`` classes of one commodity reach one site.

    """
    periods = period_labels(sc)
    months = sc.horizon.months_per_period
    years = np.arange(len(periods)) * months / 12.0
    sites = pd.Index([s.id for s in sc.sites])
    controlled = {c.id: c.is_controlled for c in sc.commodities}
    present = reachable_classes(sc, [str(s) for s in sites], controlled, max_classes)
    classes = sorted({cls for group in present.values() for cls in group}
                     | {OriginClass.untracked()}, key=lambda c: c.sort_key)
    return Sets(
        scenario=sc, periods=periods, months=months,
        discount=(1.0 + sc.discount_rate) ** (-years), sites=sites,
        commodities=pd.Index([c.id for c in sc.commodities]), controlled=controlled,
        present=present, classes=classes, class_id={c: i for i, c in enumerate(classes)},
    )
