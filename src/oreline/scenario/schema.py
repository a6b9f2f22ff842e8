"""The scenario schema: one pydantic model that every reader fills.

A scenario describes a supply network over a planning horizon: commodities with
their element content, sites, processes (recipes with yields and capacity
phases), supply contracts with declared origins, initial stock, transport lanes
and customers with provenance policies. Field-level checks live on the models;
checks that span entities (unknown references, recipes that create mass...) live
in :mod:`oreline.scenario.checks`.

Every quantity carries a unit and a basis (``"1300 t/yr alloy"``) and every
price a currency and a mass unit (``"123 USD/kg"``); see :mod:`oreline.units`.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import (
    BeforeValidator,
    Field,
    field_validator,
    model_validator,
)

from oreline.origin import CRMA_STAGES, Stage
from oreline.scenario.fields import (
    FIX_MARK,
    Base,
    Entity,
    FloatMap,
    PriceT,
    Rate,
    Source,
    Stock,
    StrMap,
    YearMonth,
    split_list,
)
from oreline.scenario.investment import InvestmentOption, InvestmentSettings
from oreline.scenario.pricing import ContractPrice, PricePath
from oreline.scenario.state import InTransit, LedgerMap, OpenOrder, StockTarget
from oreline.units import UnitError

__all__ = [
    "FAMILIES",
    "CapacityPhase",
    "Commodity",
    "Contract",
    "Customer",
    "Enquiry",
    "Horizon",
    "InitialStock",
    "Lane",
    "Policy",
    "Process",
    "Scenario",
    "Site",
]

#: Commodity families, in the order material moves down the chain.
FAMILIES: tuple[str, ...] = (
    "ore", "concentrate", "oxide", "metal", "alloy", "magnet", "reagent", "scrap",
)
#: Families whose flows carry origin classes unless a commodity says otherwise.
CONTROLLED_FAMILIES: frozenset[str] = frozenset(
    {"ore", "concentrate", "oxide", "metal", "alloy", "magnet", "scrap"}
)
Family = Literal["ore", "concentrate", "oxide", "metal", "alloy", "magnet", "reagent", "scrap"]

class Horizon(Base):
    """The planning horizon: first period, number of periods, period length."""

    start: YearMonth
    periods: int = Field(gt=0, le=600)
    period: Literal["month", "quarter", "year"] = "month"

    @property
    def months_per_period(self) -> int:
        """Months in one period."""
        return {"month": 1, "quarter": 3, "year": 12}[self.period]


class Commodity(Entity):
    """A material, with its family and element content by mass."""

    name: str = ""
    family: Family
    controlled: bool | None = Field(
        default=None, description="Carries origin classes; default true except for reagents"
    )
    elements: FloatMap = Field(default_factory=dict, description="Element mass fractions")
    compounds: FloatMap = Field(
        default_factory=dict, description="Compound mass shares, e.g. Nd2O3=0.75; Pr6O11=0.25"
    )
    reference_price: PriceT | None = None
    price_path: PricePath | None = Field(
        default=None, description="Observed prices, then a forward assumption; index formulas "
                                  "read it (reference_price when absent)")

    @model_validator(mode="after")
    def _composition(self) -> Commodity:
        if self.compounds and self.elements:
            raise ValueError("give either 'elements' or 'compounds', not both")
        fractions = self.element_fractions
        total = sum(fractions.values())
        if any(v < 0 for v in fractions.values()) or total > 1.0 + 1e-6:
            raise ValueError(
                f"element fractions must be >= 0 and sum to at most 1 (they sum to {total:.4f})"
            )
        return self

    @property
    def element_fractions(self) -> dict[str, float]:
        """Element mass fractions, computed from ``compounds`` when given."""
        from oreline.units import oxide_mix_element_fractions

        if self.compounds:
            try:
                return oxide_mix_element_fractions(dict(self.compounds))
            except UnitError as exc:
                raise ValueError(f"compounds: {exc}") from None
        return dict(self.elements)

    @property
    def is_controlled(self) -> bool:
        """Whether flows of this commodity carry origin classes."""
        if self.controlled is not None:
            return self.controlled
        return self.family in CONTROLLED_FAMILIES


class Site(Entity):
    """A place: a plant, a warehouse, a port, a customer's receiving point."""

    name: str = ""
    country: str = Field(description="ISO 3166-1 alpha-2 code")
    role: Literal["mine", "separation", "plant", "warehouse", "port", "customer", "supplier"]
    storage_capacity: Stock | None = Field(
        default=None, description="Most stock held, all commodities"
    )
    holding_cost: float = Field(
        default=0.01, ge=0, le=1, description="Holding cost per month as a share of reference price"
    )

    @field_validator("country")
    @classmethod
    def _country(cls, value: str) -> str:
        if not re.match(r"^[A-Z]{2}$", value):
            raise ValueError(f"country {value!r} must be an ISO 3166 alpha-2 code such as 'KR'")
        return value


class CapacityPhase(Base):
    """Capacity from a date on; the latest enabled phase in force applies."""

    name: str = ""
    start: YearMonth
    capacity: Rate
    enabled: bool = True
    ramp_periods: int = Field(
        default=0, ge=0, description="Periods of linear ramp from the previous level"
    )
    source: Source = None


class Process(Entity):
    """A recipe at a site: inputs per tonne of main output, yield, co-products, capacity."""

    name: str = ""
    site: str
    stage: Stage | None = Field(default=None, description="Origin stage this process performs")
    main_output: str
    inputs: FloatMap = Field(description="t of each input per t of main output at 100% yield")
    co_products: FloatMap = Field(default_factory=dict, description="t per t of main output")
    yield_: float = Field(default=1.0, gt=0, le=1, alias="yield")
    variable_cost: PriceT = Field(description="Cost per t of main output, e.g. '8 USD/kg'")
    capacity: list[CapacityPhase] = Field(min_length=1)

    @field_validator("inputs", "co_products")
    @classmethod
    def _positive(cls, value: dict[str, float]) -> dict[str, float]:
        bad = {k: v for k, v in value.items() if not v > 0}
        if bad:
            raise ValueError(f"coefficients must be > 0, got {bad}")
        return value


class Policy(Base):
    """A customer's provenance rule.

    ``any``; ``ex-china`` (no stage in China, no unknown stage); ``dfars-2027``
    (no covered country melting or producing, and from 2027-01-01 none mining,
    separating or refining; unknown never passes); ``crma`` (at most
    ``max_share`` of supply touching any one third country, i.e. outside the EU, at
    each of ``stages``; an unknown country counts as one more third country). The
    cap's stages default to mining and separation, the raw-material stages a buyer
    diversifies across suppliers: the producer's own refining and melting are one
    country by construction and would make any single-plant supply fail.
    """

    rule: Literal["any", "ex-china", "dfars-2027", "crma"] = "any"
    max_share: float | None = Field(default=None, gt=0, le=1)
    stages: Annotated[list[Stage], BeforeValidator(split_list)] = Field(
        default_factory=lambda: list[Stage](CRMA_STAGES),
        description="crma: stages the share cap applies to",
    )

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: object) -> object:
        if isinstance(value, str):
            rule, _, share = value.partition(":")
            out: dict[str, object] = {"rule": rule.strip()}
            if share:
                out["max_share"] = share.strip()
            return out
        return value

    @model_validator(mode="after")
    def _share(self) -> Policy:
        if self.rule == "crma" and self.max_share is None:
            raise ValueError("the crma rule needs max_share, e.g. 'crma:0.65'")
        return self




class Contract(Entity):
    """A supply contract delivering one commodity to one site."""

    supplier: str
    commodity: str
    site: str
    max: Rate
    min: Rate | None = None
    take_or_pay: Rate | None = None
    price: ContractPrice
    start: YearMonth | None = None
    end: YearMonth | None = None
    lead_time: int = Field(default=0, ge=0, description="Periods from order to delivery")
    origin: StrMap = Field(
        default_factory=dict, description="Country per stage so far, e.g. mined=AU; separated=MY"
    )
    enabled: bool = True


class InitialStock(Base):
    """Stock on hand at the start of the horizon, by origin."""

    site: str
    commodity: str
    quantity: Stock
    origin: StrMap = Field(default_factory=dict)
    source: Source = None


class Lane(Entity):
    """A transport lane between two sites."""

    origin: str
    destination: str
    commodities: Annotated[list[str] | None, BeforeValidator(split_list)] = None
    lead_time: int = Field(default=0, ge=0)
    cost: PriceT
    tariff: float = Field(default=0.0, ge=0, le=5, description="Ad valorem on reference price")


class _Demand(Entity):
    """What a signed contract and an enquiry share: who, what, how much, at what price."""

    name: str = ""
    group: str = ""
    site: str
    product: str
    demand: Rate
    profile: Annotated[list[float] | None, BeforeValidator(split_list)] = Field(
        default=None, description="12 month-of-year weights for a yearly demand"
    )
    demand_by_period: dict[YearMonth, Rate] = Field(default_factory=dict)
    price: ContractPrice
    shortfall_penalty: PriceT | None = None
    priority: int | None = Field(default=None, ge=1, le=9)
    start: YearMonth | None = None
    end: YearMonth | None = None
    provenance: Policy = Field(default_factory=Policy)

    @field_validator("profile")
    @classmethod
    def _profile(cls, value: list[float] | None) -> list[float] | None:
        if value is None:
            return None
        if len(value) != 12 or any(float(v) < 0 for v in value) or sum(map(float, value)) <= 0:
            raise ValueError("profile needs 12 non-negative month weights with a positive sum")
        return [float(v) for v in value]


class Customer(_Demand):
    """A signed offtake contract: demand for one product, with price, priority and policy.

    ``firm`` (the minimum the buyer takes) and ``max`` scale the demand profile: the plan
    must serve ``demand x firm / demand`` per period (a shortfall below it is penalised)
    and may sell up to ``demand x max / demand``. Both default to ``demand``.
    """

    qualified_from: YearMonth | None = None
    firm: Rate | None = Field(default=None, description="Minimum the buyer takes")
    max: Rate | None = Field(default=None, description="Most the buyer takes")


class Enquiry(_Demand):
    """A sales enquiry that may become a contract (enquiry -> qualification -> contract).

    It can deliver from ``max(start, decision + qualification_months)``;
    ``oreline plan --demand`` decides how much of it the plan serves.
    """

    probability: float = Field(description="Chance of conversion, 0 to 1")
    qualification_months: int = Field(
        default=0, ge=0, le=120,
        description="Months of qualification (validation) from decision to first delivery")
    decision: YearMonth | None = Field(
        default=None, description="Month the buyer decides; default the horizon start")

    @field_validator("probability", mode="before")
    @classmethod
    def _probability(cls, value: object) -> object:
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            number = float("nan")
        if not 0.0 <= number <= 1.0:
            raise ValueError(f"a probability of conversion must be between 0 and 1{FIX_MARK}"
                             "write the chance that the enquiry becomes a contract, e.g. 0.6")
        return number


class Scenario(Base):
    """A complete planning scenario."""

    name: str
    description: str = ""
    extends: str | None = None
    horizon: Horizon
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    discount_rate: float = Field(default=0.0, ge=0, le=1, description="Per year")
    commodities: list[Commodity] = Field(min_length=1)
    sites: list[Site] = Field(min_length=1)
    processes: list[Process] = Field(default_factory=list)
    contracts: list[Contract] = Field(default_factory=list)
    initial_stock: list[InitialStock] = Field(default_factory=list)
    in_transit: list[InTransit] = Field(default_factory=list)
    open_orders: list[OpenOrder] = Field(default_factory=list)
    stock_targets: list[StockTarget] = Field(default_factory=list)
    ledger_map: LedgerMap | None = None
    lanes: list[Lane] = Field(default_factory=list)
    customers: list[Customer] = Field(default_factory=list)
    enquiries: list[Enquiry] = Field(default_factory=list, description="Sales pipeline")
    options: list[InvestmentOption] = Field(
        default_factory=list, description="Investment options for oreline invest")
    investment: InvestmentSettings = Field(
        default_factory=InvestmentSettings, description="How oreline invest values options")
    sources: dict[str, str] = Field(default_factory=dict, description="Reference list")
