"""The opening state of a scenario: what is on its way and what stock it must keep.

Shipments in transit and open purchase orders arrive into stock at their month; stock
targets ask for a safety stock or a strategic reserve; the ledger map names the scenario
site and commodity of a ledger's sites and lot materials (``oreline plan --stock-from``).
The checks that span entities live in :mod:`oreline.scenario.opening`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from oreline.scenario.fields import Base, Entity, PriceT, Stock, StrMap, YearMonth

__all__ = ["InTransit", "LedgerMap", "OpenOrder", "StockTarget"]


class InTransit(Entity):
    """A shipment on its way at the start of the horizon, arriving into stock at its month.

    It arrives whatever the plan does (it has left already), with its origin class,
    like initial stock does at the start.
    """

    site: str
    commodity: str
    quantity: Stock
    arrival: YearMonth
    origin: StrMap = Field(default_factory=dict)
    price_paid: PriceT | None = Field(
        default=None, description="Price per t already paid (sunk: reported, not optimised)"
    )


class OpenOrder(Entity):
    """A committed delivery under a contract: the plan receives it and pays for it.

    It counts inside the contract's limits (max, min, take-or-pay) of the period it
    was ordered in (its arrival less the contract's lead time) when that period is in
    the horizon.
    """

    contract: str
    quantity: Stock
    arrival: YearMonth


class StockTarget(Entity):
    """A soft minimum of stock of one commodity at one site, with a penalty below it.

    Closing stock over every origin class is kept at or above ``quantity`` from
    ``start`` (to ``end``); each t-month below costs ``penalty``. Entries are separate
    targets: a reserve meant to sit on top of a safety stock states the sum.
    """

    site: str
    commodity: str
    kind: Literal["safety", "strategic"] = "safety"
    quantity: Stock
    start: YearMonth | None = None
    end: YearMonth | None = None
    penalty: PriceT


class LedgerMap(Base):
    """How an Oreline ledger's sites and lots map onto this scenario's sites and commodities.

    A lot's commodity is looked up by its material first, then by its form; ``-`` as the
    scenario side leaves a site, material or form out of the plan on purpose.
    """

    sites: StrMap = Field(default_factory=dict)
    materials: StrMap = Field(default_factory=dict)
    forms: StrMap = Field(default_factory=dict)
