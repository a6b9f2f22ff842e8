"""Price paths and index formulas: how prices move over the horizon.

A commodity may carry a :class:`PricePath`: observed monthly points (month -> price),
then a stated forward assumption (``flat``, ``linear to <price> by <month>``, or
``growth <r> %/yr``); :func:`monthly_prices` interpolates one value per month.

A contract price (a customer's or a purchase contract's) is either a fixed price
(``"85 USD/kg"``) or an :class:`IndexFormula`, written as text::

    ndpr_oxide[Nd+Pr] + dy_oxide[Dy] + 5 USD/kg     # alloy priced on its content
    0.95 x ndpr_oxide + 2 USD/kg                    # oxide priced off the index

Each index term ``[factor x] commodity[El+El]`` contributes ``factor x content x
index(t)``. With elements, ``content`` is the t of the index commodity holding the
same mass of those elements as one t of the priced product (its *equivalent*
content, computed from the two compositions); without, it is 1. The premium (a price,
possibly negative after ``-``) is added per t of the product.

Examples
--------
>>> f = parse_index_formula("0.95 x ndpr_oxide + 2 USD/kg")
>>> f.terms[0].factor, f.terms[0].commodity, f.premium.per_tonne
(0.95, 'ndpr_oxide', 2000.0)
>>> str(parse_index_formula("ndpr_oxide[Nd+Pr] + dy_oxide[Dy] - 1 USD/kg"))
'ndpr_oxide[Nd+Pr] + dy_oxide[Dy] - 1000 USD/t'
>>> path = PricePath.model_validate({"observed": {"2027-01": "10 USD/kg",
...                                               "2027-03": "12 USD/kg"},
...                                  "forward": "growth 12 %/yr"})
>>> [round(v) for v in monthly_prices(path, ["2026-12", "2027-02", "2027-04"])]
[10000, 11000, 12114]

"""

from __future__ import annotations

import re
from typing import Annotated, Literal

import numpy as np
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    model_validator,
)

from oreline.units import Price, UnitError, parse_price

__all__ = [
    "ContractPrice",
    "Forward",
    "ForwardT",
    "IndexFormula",
    "IndexTerm",
    "PricePath",
    "month_number",
    "monthly_prices",
    "parse_index_formula",
]

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_TERM = re.compile(
    r"^(?:(?P<factor>\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\s*[x×*]\s*)?"
    r"(?P<commodity>[A-Za-z][A-Za-z0-9_.\-]*)\s*(?:\[(?P<elements>[^\]]*)\])?$"
)
_FORWARD = re.compile(
    r"^\s*(?:(?P<flat>flat)|linear\s+to\s+(?P<price>.+?)\s+by\s+(?P<month>\S+)"
    r"|growth\s+(?P<rate>[-+]?\d+(?:\.\d+)?)\s*%\s*/\s*(?:yr|year))\s*$"
)
#: Splits a validator's message from its fix (as in :mod:`oreline.scenario.schema`).
_FIX = " || fix: "
_EXAMPLE = "'ndpr_oxide[Nd+Pr] + dy_oxide[Dy] + 5 USD/kg' or '0.95 x ndpr_oxide + 2 USD/kg'"


def month_number(text: str) -> int:
    """Months since year 0 of a ``YYYY-MM`` label (raises ``ValueError`` otherwise).

    Examples
    --------
    >>> month_number("2027-02") - month_number("2026-12")
    2

    """
    match = _MONTH.match(str(text).strip())
    if match is None or not 1 <= int(match.group(2)) <= 12:
        raise ValueError(f"{text!r} is not a month; write it as 'YYYY-MM', e.g. '2026-07'")
    return int(match.group(1)) * 12 + int(match.group(2)) - 1


def _exact(value: float) -> str:
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e16 else repr(value)


class _Base(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


class Forward(_Base):
    """The forward assumption after the last observed month."""

    kind: Literal["flat", "linear", "growth"] = "flat"
    price: Price | None = None
    month: str | None = None
    rate: float | None = Field(default=None, description="Growth per year, 0.03 = 3 %/yr")

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        match = _FORWARD.match(value)
        if match is None:
            raise ValueError(f"cannot read forward assumption {value!r}{_FIX}write 'flat', "
                             "'linear to 90 USD/kg by 2030-12' or 'growth 3 %/yr'")
        if match["flat"]:
            return {"kind": "flat"}
        if match["rate"] is not None:
            return {"kind": "growth", "rate": float(match["rate"]) / 100.0}
        try:
            price = parse_price(match["price"])
        except UnitError as exc:
            raise ValueError(str(exc)) from None
        month_number(match["month"])
        return {"kind": "linear", "price": price, "month": match["month"]}

    def __str__(self) -> str:
        if self.kind == "growth":
            return f"growth {_exact(round((self.rate or 0.0) * 100.0, 12))} %/yr"
        if self.kind == "linear":
            return f"linear to {self.price} by {self.month}"
        return "flat"


ForwardT = Annotated[Forward, PlainSerializer(str, return_type=str)]


def _observed(value: object) -> object:
    if not isinstance(value, dict) or not value:
        raise ValueError(f"observed must map months to prices, e.g. {{2026-06: 60 USD/kg}}"
                         f"{_FIX}write observed as 'YYYY-MM: price' pairs")
    numbers = []
    for key in value:
        try:
            numbers.append(month_number(str(key)))
        except ValueError:
            raise ValueError(f"price path key {key!r} is not a month{_FIX}write months as "
                             "'YYYY-MM', e.g. '2026-07'") from None
    if numbers != sorted(set(numbers)):
        raise ValueError(f"price path months {list(map(str, value))} are not in date order"
                         f"{_FIX}list observed months once each, earliest first")
    out = {}
    for key, price in value.items():
        try:
            out[str(key)] = parse_price(price)
        except UnitError as exc:
            raise ValueError(f"price path {key}: {exc}") from None
    return out


class PricePath(_Base):
    """Observed monthly prices of a commodity, then a forward assumption."""

    observed: Annotated[dict[str, Price], BeforeValidator(_observed),
                        PlainSerializer(lambda d: {k: str(v) for k, v in d.items()})] = Field(
        description="Month (YYYY-MM) -> price, earliest first")
    forward: ForwardT = Field(default=Forward(), description=(
        "After the last observed month: 'flat', 'linear to <price> by <YYYY-MM>' or "
        "'growth <r> %/yr'"))

    @model_validator(mode="after")
    def _after(self) -> PricePath:
        last = max(month_number(m) for m in self.observed)
        if self.forward.kind == "linear" and month_number(self.forward.month or "") <= last:
            raise ValueError(f"forward target month {self.forward.month} is not after the last "
                             f"observed month{_FIX}aim the linear forward at a later month")
        return self

    @property
    def currency(self) -> str:
        """Currency of the observed points (the first one's)."""
        return next(iter(self.observed.values())).currency

    @property
    def currencies(self) -> set[str]:
        """Every currency the path uses."""
        out = {p.currency for p in self.observed.values()}
        if self.forward.price is not None:
            out.add(self.forward.price.currency)
        return out


def monthly_prices(path: PricePath, months: list[str]) -> np.ndarray:
    """Price per t in each month ``YYYY-MM`` of ``months`` along ``path``.

    Before the first observed month the first value holds; between observed months the
    price is linear in time; after the last, the forward assumption applies (linear
    forwards hold their target after its month).
    """
    xs = np.array([month_number(m) for m in path.observed], dtype=float)
    ys = np.array([p.per_tonne for p in path.observed.values()])
    m = np.array([month_number(x) for x in months], dtype=float)
    out: np.ndarray = np.asarray(np.interp(m, xs, ys), dtype=float)
    after = m > xs[-1]
    fw = path.forward
    if fw.kind == "growth":
        out[after] = ys[-1] * (1.0 + (fw.rate or 0.0)) ** ((m[after] - xs[-1]) / 12.0)
    elif fw.kind == "linear" and fw.price is not None and fw.month is not None:
        out[after] = np.interp(m[after], [xs[-1], month_number(fw.month)],
                               [ys[-1], fw.price.per_tonne])
    return out


class IndexTerm(_Base):
    """``factor x commodity[elements]``: one index in a price formula."""

    commodity: str
    elements: tuple[str, ...] = ()
    factor: float = Field(default=1.0, gt=0)

    def __str__(self) -> str:
        factor = "" if self.factor == 1.0 else f"{_exact(self.factor)} x "
        elements = f"[{'+'.join(self.elements)}]" if self.elements else ""
        return f"{factor}{self.commodity}{elements}"


def _split(text: str) -> list[tuple[str, str]]:
    """``[(sign, term)]`` split at ``+``/``-`` outside brackets with a space before."""
    parts: list[tuple[str, str]] = []
    sign, depth, start = "+", 0, 0
    for i, ch in enumerate(text):
        depth += (ch == "[") - (ch == "]")
        if depth == 0 and ch in "+-" and i > 0 and text[i - 1].isspace():
            parts.append((sign, text[start:i].strip()))
            sign, start = ch, i + 1
    parts.append((sign, text[start:].strip()))
    return parts


def parse_index_formula(text: str) -> IndexFormula:
    """Read ``"[f x] commodity[El+El] + ... + premium"`` (see module docstring).

    Raises
    ------
    ValueError
        When a term is neither an index nor a price, or there is no index or no premium.

    """
    terms: list[IndexTerm] = []
    premium: Price | None = None
    for sign, part in _split(str(text).strip()):
        try:
            price = parse_price(part)
        except UnitError:
            price = None
        if price is not None:
            if premium is not None:
                raise ValueError(f"price {text!r} has two premiums{_FIX}add them into one")
            premium = Price(price.per_tonne * (-1.0 if sign == "-" else 1.0), price.currency)
            continue
        match = _TERM.match(part)
        if match is None or sign == "-":
            raise ValueError(f"cannot read {part!r} in price {text!r}{_FIX}write a fixed price "
                             f"such as '85 USD/kg' or an index formula such as {_EXAMPLE}")
        els = tuple(e.strip() for e in (match["elements"] or "").split("+") if e.strip())
        terms.append(IndexTerm(commodity=match["commodity"], elements=els,
                               factor=float(match["factor"] or 1.0)))
    if not terms:
        raise ValueError(f"cannot read price {text!r}{_FIX}write e.g. '85 USD/kg' or {_EXAMPLE}")
    if premium is None and len(terms) == 1 and not terms[0].elements and "x" not in text:
        raise ValueError(f"cannot read price {text!r}{_FIX}write a fixed price such as "
                         f"'85 USD/kg' or an index formula such as {_EXAMPLE}")
    if premium is None:
        raise ValueError(f"index price {text!r} has no premium{_FIX}end it with a premium, "
                         "e.g. '+ 5 USD/kg' (or '+ 0 USD/kg')")
    return IndexFormula(terms=tuple(terms), premium=premium)


class IndexFormula(_Base):
    """``sum(factor x content x index(t)) + premium`` per t of the priced product."""

    terms: tuple[IndexTerm, ...] = Field(min_length=1)
    premium: Price

    @property
    def currency(self) -> str:
        """The premium's currency (index paths are checked against the scenario's)."""
        return self.premium.currency

    def __str__(self) -> str:
        body = " + ".join(map(str, self.terms))
        cash = self.premium.per_tonne
        sign, amount = ("-", Price(-cash, self.premium.currency)) if cash < 0 else (
            "+", self.premium)
        return f"{body} {sign} {amount}"


def _contract_price(value: object) -> Price | IndexFormula:
    if isinstance(value, Price | IndexFormula):
        return value
    if isinstance(value, dict):
        return IndexFormula.model_validate(value)
    try:
        return parse_price(value)
    except UnitError as exc:
        if re.match(r"^\s*[-+]?\d[\d,_.eE]*\s*[A-Z]{3}\b", str(value)):
            raise ValueError(str(exc)) from None  # meant as a fixed price
    return parse_index_formula(str(value))


#: A fixed price or an index formula; written back as text.
ContractPrice = Annotated[Price | IndexFormula, BeforeValidator(_contract_price),
                          PlainSerializer(str, return_type=str)]
