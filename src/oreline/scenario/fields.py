"""Field types of the scenario schema and the text forms they accept.

Every reader (YAML, CSV folder, Excel workbook) hands the schema plain values; these
types turn the text forms users write into typed values: a year-month (``"2027-01"``,
a date), a quantity with unit and basis (``"1300 t/yr alloy"``), a price
(``"123 USD/kg"``), a ``key=value; key=value`` mapping or an ``a; b`` list from a table
cell. :class:`Base` and :class:`Entity` are the frozen, strict pydantic bases of every
model of :mod:`oreline.scenario.schema`.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, field_validator

from oreline.units import Price, Quantity, UnitError, parse_price, parse_quantity

__all__ = [
    "FIX_MARK",
    "Base",
    "Entity",
    "FloatMap",
    "PriceT",
    "Rate",
    "Source",
    "Stock",
    "StrMap",
    "YearMonth",
    "split_list",
]

#: Splits a validator's message from its fix (the loader shows them as message and fix).
FIX_MARK = " || fix: "

_YM = re.compile(r"^(\d{4})-(\d{2})$")
_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-]*$")


def _ym(value: object) -> str:
    text = str(value).strip()
    if hasattr(value, "year") and hasattr(value, "month"):
        text = f"{value.year:04d}-{value.month:02d}"  # dates from YAML or Excel
    elif re.match(r"^\d{4}-\d{2}-\d{2}", text):
        text = text[:7]
    match = _YM.match(text)
    if match is None or not 1 <= int(match.group(2)) <= 12:
        raise ValueError(f"{value!r} is not a year-month; write it as 'YYYY-MM', e.g. '2026-07'")
    return text


def _qty(kind: bool | None) -> Any:
    def parse(value: object) -> Quantity:
        try:
            quantity = parse_quantity(value, rate=kind)
        except UnitError as exc:
            raise ValueError(str(exc)) from None
        if quantity.tonnes < 0:
            raise ValueError(f"quantity {str(value)!r} is negative; quantities must be >= 0"
                             f"{FIX_MARK}write 0 or a positive quantity, e.g. '400 t/year "
                             "metal'")
        return quantity

    return parse


def _price(value: object) -> Price:
    try:
        return parse_price(value)
    except UnitError as exc:
        raise ValueError(str(exc)) from None


def _mapping(value: object) -> object:
    """Accept ``"a=1; b=2"`` (tabular form) for a mapping field."""
    if isinstance(value, str):
        out: dict[str, str] = {}
        for part in value.replace("\n", ";").split(";"):
            if not part.strip():
                continue
            if "=" not in part:
                raise ValueError(
                    f"cannot read {part.strip()!r}; write pairs as 'key=value; key=value'"
                )
            key, val = part.split("=", 1)
            out[key.strip()] = val.strip()
        return out
    if value is None:
        return {}
    return value


def split_list(value: object) -> object:
    """Accept ``"a; b"`` (tabular form) for a list field."""
    if isinstance(value, str):
        return [v.strip() for v in value.split(";") if v.strip()]
    return value


YearMonth = Annotated[str, BeforeValidator(_ym)]
Rate = Annotated[Quantity, BeforeValidator(_qty(True)), PlainSerializer(str, return_type=str)]
Stock = Annotated[Quantity, BeforeValidator(_qty(False)), PlainSerializer(str, return_type=str)]
PriceT = Annotated[Price, BeforeValidator(_price), PlainSerializer(str, return_type=str)]
FloatMap = Annotated[dict[str, float], BeforeValidator(_mapping)]
StrMap = Annotated[dict[str, str], BeforeValidator(_mapping)]
Source = str | dict[str, str] | None


class Base(BaseModel):
    """Frozen, strict base of every scenario model (unknown fields are errors)."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, arbitrary_types_allowed=True
    )


class Entity(Base):
    """A scenario entity: an ``id`` others refer to, and where its numbers come from."""

    id: str = Field(description="Unique identifier: a letter, then letters, digits, _ . -")
    source: Source = Field(default=None, description="Where the numbers come from")

    @field_validator("id")
    @classmethod
    def _check_id(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError(
                f"id {value!r} must start with a letter and hold only letters, digits, _ . -"
            )
        return value
