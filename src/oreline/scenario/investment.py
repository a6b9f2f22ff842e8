"""Investment options: capacity, supply or stock a decision buys, with its money and timing.

An option is decided in some month of its window; ``lead_time`` months later it is
commissioned, and from then its additions follow ``ramp`` (monthly fractions of
nameplate, the last value held until the end of the horizon or of ``lifetime``).
Everything an option adds shifts the right-hand side of rows of the plan's LP, so the
plan of each scenario stays a linear programme once the decisions are fixed:

* ``adds``: capacity per module added to processes (existing ones, or processes of a new
  site whose own capacity phases are disabled);
* ``supply``: contracts (disabled in the base plan) that the option makes available, up to
  ``ramp x`` the contract's ``max``;
* ``stock``: stock delivered to a site when the option is commissioned (a buffer).

Money is written ``"<number> [k|M|bn] <CUR>"`` with ``/yr`` or ``/month`` for a rate;
an amount in another currency than the scenario's needs an ``investment.fx`` rate.

Examples
--------
>>> parse_money("40 M USD")
Money(amount=40000000.0, currency='USD', per=None)
>>> str(parse_money("1.5 M USD/yr"))
'1500000 USD/year'
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, PlainSerializer, field_validator

from oreline.scenario.fields import (
    FIX_MARK,
    Base,
    Entity,
    FloatMap,
    Rate,
    Stock,
    StrMap,
    YearMonth,
    split_list,
)
from oreline.units import UnitError

__all__ = [
    "CapacityAddition",
    "InvestmentOption",
    "InvestmentSettings",
    "Money",
    "MoneyT",
    "StockAddition",
    "parse_money",
]

_MONEY = re.compile(
    r"^\s*(?P<value>[-+]?[\d_,]*\.?\d+(?:[eE][-+]?\d+)?)\s*(?P<scale>k|M|m|bn|B)?\s+"
    r"(?P<cur>[A-Z]{3})\s*(?:/\s*(?P<per>yr|year|a|month|mo))?\s*$"
)
_SCALE = {None: 1.0, "k": 1e3, "M": 1e6, "m": 1e6, "bn": 1e9, "B": 1e9}
_PER = {"yr": "year", "year": "year", "a": "year", "month": "month", "mo": "month"}


@dataclass(frozen=True)
class Money:
    """An amount of money, or a money rate (``per`` ``"year"`` or ``"month"``)."""

    amount: float
    currency: str
    per: str | None = None

    def per_month(self) -> float:
        """The rate per month (a plain amount is returned unchanged)."""
        return self.amount / 12.0 if self.per == "year" else self.amount

    def __str__(self) -> str:
        value = self.amount
        text = str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)
        per = f"/{self.per}" if self.per else ""
        return f"{text} {self.currency}{per}"


def parse_money(value: object, *, rate: bool | None = None) -> Money:
    """Read ``"40 M USD"``, ``"55,000,000 AUD"`` or ``"1.5 M USD/yr"``.

    Parameters
    ----------
    rate
        ``True`` requires ``/yr`` or ``/month``, ``False`` forbids it.

    Raises
    ------
    UnitError
        When the form is wrong; the message gives an example.

    """
    if isinstance(value, Money):
        return value
    text = str(value)
    match = _MONEY.match(text)
    example = "'1.5 M USD/yr'" if rate else "'40 M USD'"
    if match is None:
        raise UnitError(f"cannot read amount {text!r}; write '<number> [k|M|bn] <CUR>', "
                        f"e.g. {example}")
    per = _PER[match.group("per")] if match.group("per") else None
    if rate is True and per is None:
        raise UnitError(f"{text!r} is an amount, a rate is needed here, e.g. {example}")
    if rate is False and per is not None:
        raise UnitError(f"{text!r} is a rate, an amount is needed here, e.g. {example}")
    number = float(match.group("value").replace(",", "").replace("_", ""))
    return Money(number * _SCALE[match.group("scale")], match.group("cur"), per)


def _money(rate: bool | None) -> object:
    def parse(value: object) -> Money:
        try:
            return parse_money(value, rate=rate)
        except UnitError as exc:
            raise ValueError(str(exc)) from None
    return parse


MoneyT = Annotated[Money, BeforeValidator(_money(False)), PlainSerializer(str, return_type=str)]
MoneyRate = Annotated[Money, BeforeValidator(_money(True)), PlainSerializer(str, return_type=str)]


class CapacityAddition(Base):
    """Nameplate capacity one module of an option adds to a process."""

    process: str
    capacity: Rate


class StockAddition(Base):
    """Stock one module of an option delivers to a site at commissioning, by origin."""

    site: str
    commodity: str
    quantity: Stock
    origin: StrMap = Field(default_factory=dict)


class InvestmentOption(Entity):
    """Something to fund: a capacity expansion, a new site, a supply deal or a buffer.

    ``capex`` and ``fixed_opex`` are per module; ``modules`` is the most that can be
    built (1 for a yes/no option). The decision month lies in ``[earliest, latest]``
    (default: the whole horizon, less the lead time); capacity appears ``lead_time``
    months after the decision, ramped by ``ramp``.
    """

    name: str = ""
    kind: Literal["expansion", "new-site", "supply", "buffer"] = "expansion"
    capex: MoneyT = Field(description="Capital cost per module, e.g. '40 M USD'")
    fixed_opex: MoneyRate | None = Field(
        default=None, description="Fixed operating cost per module from commissioning, "
                                  "e.g. '1.5 M USD/yr'")
    modules: int = Field(default=1, ge=1, le=1000, description="Most modules that can be built")
    earliest: YearMonth | None = Field(default=None, description="First decision month")
    latest: YearMonth | None = Field(default=None, description="Last decision month")
    lead_time: int = Field(default=0, ge=0, le=240,
                           description="Months from decision to commissioning")
    ramp: Annotated[list[float], BeforeValidator(split_list)] = Field(
        default_factory=lambda: [1.0],
        description="Monthly fractions of nameplate from commissioning; the last is held")
    lifetime: int = Field(default=20, ge=1, le=100, description="Years of service")
    adds: list[CapacityAddition] = Field(default_factory=list)
    supply: Annotated[list[str], BeforeValidator(split_list)] = Field(
        default_factory=list, description="Contracts the option makes available")
    stock: list[StockAddition] = Field(default_factory=list)
    requires: Annotated[list[str], BeforeValidator(split_list)] = Field(
        default_factory=list, description="Options that must be decided no later than this one")
    excludes: Annotated[list[str], BeforeValidator(split_list)] = Field(
        default_factory=list, description="Options that cannot be built with this one")

    @field_validator("ramp")
    @classmethod
    def _ramp(cls, value: list[float]) -> list[float]:
        try:
            ramp = [float(v) for v in value]
        except (TypeError, ValueError):
            raise ValueError(f"ramp {value!r} must be numbers{FIX_MARK}write monthly fractions "
                             "of nameplate, e.g. [0.25, 0.5, 0.75, 1.0]") from None
        if not ramp or any(not 0.0 <= r <= 1.0 for r in ramp):
            raise ValueError(f"ramp {ramp} must hold fractions between 0 and 1{FIX_MARK}"
                             "write monthly fractions of nameplate, e.g. [0.25, 0.5, 0.75, 1.0]")
        if any(b < a for a, b in itertools.pairwise(ramp)) or ramp[-1] != 1.0:
            raise ValueError(f"ramp {ramp} must rise to 1.0 and never fall{FIX_MARK}end the "
                             "ramp at full nameplate, e.g. [0.25, 0.5, 0.75, 1.0]")
        return ramp


class InvestmentSettings(Base):
    """How ``oreline invest`` values options: end effects, decision stages, budget, FX."""

    end_effect: Literal["salvage", "annuity"] = Field(
        default="salvage",
        description="salvage: capex when spent, less the undepreciated value at the end; "
                    "annuity: capex spread over the lifetime, counted while in service")
    decision_months: Annotated[list[YearMonth], BeforeValidator(split_list)] = Field(
        default_factory=list,
        description="Months at which decisions are taken (the first is now); default the "
                    "horizon start only")
    budget_total: MoneyT | None = Field(default=None, description="Most capex over the horizon")
    budget_per_year: MoneyT | None = Field(default=None,
                                           description="Most capex decided per calendar year")
    fx: FloatMap = Field(
        default_factory=dict,
        description="Scenario currency per unit of another currency, e.g. {AUD: 0.65}")

    @field_validator("fx")
    @classmethod
    def _fx(cls, value: dict[str, float]) -> dict[str, float]:
        for cur, rate in value.items():
            if not re.match(r"^[A-Z]{3}$", cur) or not float(rate) > 0:
                raise ValueError(f"fx {cur}: {rate} needs an ISO currency code and a rate > 0"
                                 f"{FIX_MARK}e.g. fx: {{AUD: 0.65}}")
        return value
