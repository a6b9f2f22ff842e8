"""Stress events and stress files: what can go wrong, when, how badly, how often.

A stress file names a base scenario and lists event *templates*. A template's
magnitude, duration and start may be fixed numbers or distributions; a
``probability`` per year says how often it happens. Sampling a template gives a
concrete event; :mod:`oreline.stress.apply` turns concrete events into vector
changes on the live model.

Examples
--------
>>> d = Dist.model_validate({"dist": "uniform", "low": 1, "high": 3})
>>> import numpy as np
>>> 1 <= d.sample(np.random.default_rng(0)) <= 3
True
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from oreline.scenario.fields import Rate, YearMonth

__all__ = [
    "DemandShock",
    "Dist",
    "EnquiryConversion",
    "Event",
    "ExportControl",
    "IndexShock",
    "LaneClosure",
    "PriceShock",
    "ProcessOutage",
    "QualificationDelay",
    "StressFile",
    "StressScenario",
    "SupplierOutage",
    "TariffChange",
]


class _Base(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


class Dist(_Base):
    """A distribution of one number.

    ``uniform`` (low, high), ``triangular`` (low, mode, high), ``lognormal`` (median,
    sigma), ``choice`` (values, optional weights). ``fixed`` (value) is what a plain
    number in a stress file becomes.
    """

    dist: Literal["fixed", "uniform", "triangular", "lognormal", "choice"] = "fixed"
    value: float | None = None
    low: float | None = None
    high: float | None = None
    mode: float | None = None
    median: float | None = None
    sigma: float | None = None
    values: list[float] | None = None
    weights: list[float] | None = None

    @model_validator(mode="before")
    @classmethod
    def _number(cls, data: object) -> object:
        if isinstance(data, int | float) and not isinstance(data, bool):
            return {"dist": "fixed", "value": float(data)}
        return data

    @model_validator(mode="after")
    def _params(self) -> Dist:
        need = {"fixed": ("value",), "uniform": ("low", "high"),
                "triangular": ("low", "mode", "high"), "lognormal": ("median", "sigma"),
                "choice": ("values",)}[self.dist]
        missing = [p for p in need if getattr(self, p) is None]
        if missing:
            raise ValueError(f"a {self.dist} distribution needs {', '.join(missing)}")
        if self.dist in ("uniform", "triangular") and self.low is not None and (
                self.high is not None and self.low > self.high):
            raise ValueError(f"low {self.low} is above high {self.high}")
        if self.dist == "triangular" and not (self.low <= self.mode <= self.high):  # type: ignore[operator]
            raise ValueError("triangular needs low <= mode <= high")
        if self.dist == "choice" and not self.values:
            raise ValueError("a choice distribution needs at least one value")
        if self.dist == "choice" and self.weights is not None and (
                len(self.weights) != len(self.values or []) or sum(self.weights) <= 0):
            raise ValueError("choice weights must match values and sum to more than 0")
        return self

    def sample(self, rng: np.random.Generator) -> float:
        """Draw one value."""
        if self.dist == "fixed":
            return float(self.value)  # type: ignore[arg-type]
        if self.dist == "uniform":
            return float(rng.uniform(self.low, self.high))  # type: ignore[arg-type]
        if self.dist == "triangular":
            if self.low == self.high:
                return float(self.low)  # type: ignore[arg-type]
            return float(rng.triangular(self.low, self.mode, self.high))  # type: ignore[arg-type]
        if self.dist == "lognormal":
            return float(self.median * np.exp(self.sigma * rng.standard_normal()))  # type: ignore[operator]
        values = np.asarray(self.values, dtype=float)
        p = None if self.weights is None else np.asarray(self.weights) / sum(self.weights)
        return float(rng.choice(values, p=p))

    def quantile(self, q: float) -> float:
        """The ``q`` quantile (used for the low and high ends of a tornado bar)."""
        if self.dist == "fixed":
            return float(self.value)  # type: ignore[arg-type]
        if self.dist == "uniform":
            return float(self.low + q * (self.high - self.low))  # type: ignore[operator]
        if self.dist == "triangular":
            a, c, b = self.low, self.mode, self.high
            if a is None or b is None or c is None:  # pragma: no cover - validated
                raise ValueError("triangular needs low, mode and high")
            if b == a:
                return a
            f = (c - a) / (b - a)
            if q < f:
                return float(a + np.sqrt(q * (b - a) * (c - a)))
            return float(b - np.sqrt((1 - q) * (b - a) * (b - c)))
        if self.dist == "lognormal":
            from statistics import NormalDist

            return float(self.median * np.exp(self.sigma * NormalDist().inv_cdf(  # type: ignore[operator]
                min(max(q, 1e-9), 1 - 1e-9))))
        values = np.asarray(self.values, dtype=float)
        weights = np.ones(len(values)) if self.weights is None else np.asarray(self.weights)
        order = np.argsort(values, kind="stable")
        cum = np.cumsum(weights[order]) / weights.sum()
        return float(values[order][min(int(np.searchsorted(cum, q, side="left")),
                                       len(values) - 1)])

    def bounds(self) -> tuple[float, float]:
        """Smallest and largest value the distribution can take (inf for lognormal)."""
        if self.dist == "fixed":
            return float(self.value), float(self.value)  # type: ignore[arg-type]
        if self.dist in ("uniform", "triangular"):
            return float(self.low), float(self.high)  # type: ignore[arg-type]
        if self.dist == "lognormal":
            return 0.0, float("inf")
        return float(min(self.values or [0.0])), float(max(self.values or [0.0]))


Number = Annotated[Dist, Field(description="A number or a distribution")]


def _within(name: str, d: Dist, low: float, high: float) -> None:
    lo, hi = d.bounds()
    if lo < low or hi > high:
        span = f"between {low:g} and {high:g}" if high != float("inf") else f"at least {low:g}"
        raise ValueError(f"{name} must be {span}; this one can be {lo:g} to {hi:g}")


class _Event(_Base):
    id: str = Field(description="Name of the event, unique in the file")
    probability: float = Field(
        default=1.0, ge=0, le=1,
        description="Chance that the event happens (Monte Carlo); 1 = always",
    )
    per: Literal["year", "horizon"] = Field(
        default="year", description="probability per year, or once over the horizon"
    )
    start: YearMonth | Dist | None = Field(
        default=None,
        description="First month (YYYY-MM) or a distribution of months after the horizon "
                    "start; default: the horizon start (uniform over the horizon when "
                    "probability < 1)",
    )
    duration: Number | None = Field(default=None, description="Periods; default: to the end")
    source: str | dict[str, str] | None = None

    @model_validator(mode="after")
    def _once(self) -> _Event:
        if isinstance(self.start, str) and self.probability < 1.0 and self.per == "year":
            raise ValueError(
                "an event with a fixed start can happen only once, so a chance per year does "
                "not apply; write 'per: horizon' (the chance that it happens at all)"
            )
        if self.duration is not None:
            _within("duration", self.duration, 0.0, float("inf"))
        return self


class ExportControl(_Event):
    """Export control by a country on commodities (or on any commodity holding elements).

    Affects contracts whose last declared stage is in ``country``. ``ban`` blocks
    them; ``licence`` lets each period's deliveries through with ``approval_probability``
    (Monte Carlo: one draw per period; deterministic runs scale the maximum by it) and
    blocks the first ``delay_working_days`` / 21 periods; ``quota`` caps deliveries.

    ``planned_approval`` is the approval rate the scenario's contract maxima already
    assume (kmp plans Chinese Dy at 0.6 of the licensed volume): an approved period then
    delivers ``max / planned_approval``, so the event is a shock around the scenario's own
    availability, whose mean equals it when ``approval_probability``'s mean equals
    ``planned_approval``. The default 1.0 reads the maxima as the full volume.
    """

    type: Literal["export_control"]
    country: str
    commodities: list[str] = Field(default_factory=list)
    elements: list[str] = Field(
        default_factory=list, description="Controlled elements: commodities holding >= 0.1%"
    )
    mode: Literal["ban", "licence", "quota"] = "ban"
    approval_probability: Number = Field(default_factory=lambda: Dist(value=1.0))
    delay_working_days: Number = Field(default_factory=lambda: Dist(value=0.0))
    quota: Rate | None = None
    planned_approval: float = Field(
        default=1.0, gt=0.0, le=1.0,
        description="Approval rate already in the contracts' maxima (licence mode)")

    @model_validator(mode="after")
    def _what(self) -> ExportControl:
        if not self.commodities and not self.elements:
            raise ValueError("name the controlled commodities or elements")
        from oreline.countries import is_country, suggest_country

        if not is_country(self.country):
            raise ValueError(f"country {self.country!r} is not an ISO 3166-1 alpha-2 code; "
                             + suggest_country(self.country, "write a code such as 'CN'"))
        from oreline.units import ATOMIC_WEIGHTS

        unknown = [e for e in self.elements if e not in ATOMIC_WEIGHTS]
        if unknown:
            raise ValueError(f"unknown element symbol(s) {unknown}; write e.g. 'Dy', 'Tb'")
        _within("approval_probability", self.approval_probability, 0.0, 1.0)
        _within("delay_working_days", self.delay_working_days, 0.0, float("inf"))
        if self.mode == "quota" and self.quota is None:
            raise ValueError("mode quota needs quota, e.g. '1 t/month oxide'")
        return self


class SupplierOutage(_Event):
    """A contract (or every contract of a supplier) delivers ``1 - fraction`` of its maximum."""

    type: Literal["supplier_outage"]
    contract: str | None = None
    supplier: str | None = None
    fraction: Number = Field(default_factory=lambda: Dist(value=1.0))

    @model_validator(mode="after")
    def _who(self) -> SupplierOutage:
        if (self.contract is None) == (self.supplier is None):
            raise ValueError("give exactly one of contract or supplier")
        _within("fraction", self.fraction, 0.0, 1.0)
        return self


class ProcessOutage(_Event):
    """A process runs at ``1 - fraction`` of its capacity, or at most at ``cap``."""

    type: Literal["process_outage"]
    process: str
    fraction: Number | None = None
    cap: Rate | None = Field(default=None, description="Capacity held at most at this rate")

    @model_validator(mode="after")
    def _how(self) -> ProcessOutage:
        if self.fraction is None and self.cap is None:
            object.__setattr__(self, "fraction", Dist(value=1.0))
        if self.fraction is not None and self.cap is not None:
            raise ValueError("give fraction or cap, not both")
        if self.fraction is not None:
            _within("fraction", self.fraction, 0.0, 1.0)
        return self


class DemandShock(_Event):
    """Demand of some customers (by id or group) multiplied by ``factor``."""

    type: Literal["demand_shock"]
    customers: list[str] = Field(default_factory=list)
    group: str | None = None
    factor: Number

    @model_validator(mode="after")
    def _who(self) -> DemandShock:
        if not self.customers and self.group is None:
            raise ValueError("name customers or a group")
        _within("factor", self.factor, 0.0, float("inf"))
        return self


class PriceShock(_Event):
    """Prices of a commodity multiplied by ``factor`` (purchases, sales or both)."""

    type: Literal["price_shock"]
    commodity: str
    factor: Number
    applies_to: Literal["purchases", "sales", "both"] = "purchases"

    @model_validator(mode="after")
    def _factor(self) -> PriceShock:
        _within("factor", self.factor, 0.0, float("inf"))
        return self


class LaneClosure(_Event):
    """A lane carries nothing that would leave in the window."""

    type: Literal["lane_closure"]
    lane: str


class TariffChange(_Event):
    """A lane's ad valorem tariff becomes ``tariff`` in the window."""

    type: Literal["tariff_change"]
    lane: str
    tariff: Number

    @model_validator(mode="after")
    def _rate(self) -> TariffChange:
        _within("tariff", self.tariff, 0.0, 5.0)
        return self


class QualificationDelay(_Event):
    """A customer qualifies ``periods`` later than planned."""

    type: Literal["qualification_delay"]
    customer: str
    periods: Number

    @model_validator(mode="after")
    def _periods(self) -> QualificationDelay:
        _within("periods", self.periods, 0.0, float("inf"))
        return self


class EnquiryConversion(_Event):
    """Which enquiries of the sales pipeline become contracts, and how late.

    Per sample each named enquiry (every enquiry when none is named) converts with its
    own ``probability`` from the scenario (unless ``converts`` fixes it); a converted
    enquiry is served its whole volume from its first possible delivery plus ``delay``
    months, one that does not convert is served nothing. Named cases and tornado ends
    take the quantile of that draw (converts when ``probability > 1 - q``).
    """

    type: Literal["enquiry"]
    enquiries: list[str] = Field(default_factory=list, description="Default: every enquiry")
    converts: bool | None = Field(default=None, description="Fix the outcome instead of a draw")
    delay: Number = Field(default_factory=lambda: Dist(value=0.0),
                          description="Months after the first possible delivery")

    @model_validator(mode="after")
    def _delay(self) -> EnquiryConversion:
        _within("delay", self.delay, 0.0, float("inf"))
        return self


class IndexShock(_Event):
    """A commodity's price index multiplied by ``factor`` in the window.

    Every price indexed to it (customer and purchase contracts with an index formula)
    moves by its weight on the index; fixed prices do not move.
    """

    type: Literal["index_shock"]
    commodity: str
    factor: Number

    @model_validator(mode="after")
    def _factor(self) -> IndexShock:
        _within("factor", self.factor, 0.0, float("inf"))
        return self


Event = Annotated[
    ExportControl | SupplierOutage | ProcessOutage | DemandShock | PriceShock | LaneClosure
    | TariffChange | QualificationDelay | EnquiryConversion | IndexShock,
    Field(discriminator="type"),
]


class StressScenario(_Base):
    """A named deterministic case: a list of event ids from the file (all happen)."""

    name: str
    events: list[str]


class StressFile(_Base):
    """A stress file: base scenario, event templates, sweep settings."""

    name: str
    description: str = ""
    scenario: str = Field(description="Built-in name or path of the base scenario")
    seed: int = 0
    samples: int = Field(default=500, ge=1, le=1_000_000)
    cold_check: int = Field(default=10, ge=0, description="Samples re-solved cold to compare")
    events: list[Event] = Field(min_length=1)
    scenarios: list[StressScenario] = Field(default_factory=list)
    sources: dict[str, str] = Field(default_factory=dict)

    def id_problems(self) -> list[tuple[tuple[str | int, ...], str, str]]:
        """Duplicate event ids and named cases naming unknown events, as (loc, what, fix)."""
        out: list[tuple[tuple[str | int, ...], str, str]] = []
        seen: set[str] = set()
        for i, ev in enumerate(self.events):
            if ev.id in seen:
                out.append((("events", i, "id"), f"duplicate event id {ev.id!r}",
                            "give each event its own id"))
            seen.add(ev.id)
        for j, sc in enumerate(self.scenarios):
            for name in sc.events:
                if name not in seen:
                    out.append((("scenarios", j, "events"),
                                f"scenario {sc.name!r} names unknown event {name!r}",
                                f"use one of: {', '.join(sorted(seen))}"))
        return out
