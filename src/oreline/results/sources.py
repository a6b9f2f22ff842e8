"""Where a plan's controlled inputs come from: tonnes by commodity and country of a stage.

The supply of a plan is its opening stock, the shipments in transit and open orders that
arrive, and its purchases. Each carries an origin class; this module adds them up by the
country of one stage (``mined`` by default), so a reader sees at once, say, how much of
the plant's Dy oxide is Chinese.

Examples
--------
>>> import pandas as pd
>>> buys = pd.DataFrame({"commodity": ["dy", "dy", "dy"], "quantity_t": [3.0, 1.0, 0.0],
...                      "origin_class": ["CN>CN", "AU>MY", "AU>MY"]})
>>> supply_by_country([buys]).to_dict("records")
[{'commodity': 'dy', 'country': 'CN', 'quantity_t': 3.0, 'share': 0.75}, \
{'commodity': 'dy', 'country': 'AU', 'quantity_t': 1.0, 'share': 0.25}]

"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from oreline.origin import UNKNOWN, OriginClass

__all__ = ["supply_by_country"]

_COLUMNS = ["commodity", "country", "quantity_t", "share"]


def _country(label: str, stage: str) -> str:
    """The countries of ``stage`` in a class label, ``+``-joined; ``-`` if untracked."""
    cls = OriginClass.from_label(label)
    if not cls.tracked:
        return "-"
    countries = sorted(cls.countries(stage), key=lambda c: (c == UNKNOWN, c))
    return "+".join(countries) or "-"


def supply_by_country(frames: Iterable[pd.DataFrame], stage: str = "mined") -> pd.DataFrame:
    """Tonnes of each tracked commodity supplied, by the country of ``stage``.

    Parameters
    ----------
    frames
        Tables with ``commodity``, ``origin_class`` and ``quantity_t`` columns: the plan's
        ``opening_stock``, ``arrivals`` and ``purchases`` tables.
    stage
        The origin stage whose country groups the supply.

    Returns
    -------
    pandas.DataFrame
        ``commodity``, ``country``, ``quantity_t`` and ``share`` (of the commodity's
        supply), largest first within each commodity; untracked commodities left out.

    """
    parts = [f[["commodity", "origin_class", "quantity_t"]] for f in frames if len(f)]
    if not parts:
        return pd.DataFrame(columns=_COLUMNS)
    df = pd.concat(parts, ignore_index=True)
    df = df[df["quantity_t"] > 1e-9]
    if df.empty:
        return pd.DataFrame(columns=_COLUMNS)
    df = df.assign(country=[_country(c, stage) for c in df["origin_class"]])
    df = df[df["country"] != "-"]
    out = df.groupby(["commodity", "country"], as_index=False, sort=False)["quantity_t"].sum()
    total = out.groupby("commodity")["quantity_t"].transform("sum")
    out["share"] = out["quantity_t"] / total
    out = out.sort_values(["commodity", "quantity_t"], ascending=[True, False], kind="stable")
    return out.reset_index(drop=True)[_COLUMNS]
