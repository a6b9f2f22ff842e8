"""Oreline's stricter capture profile on top of EPCIS 2.0.

Reading and writing documents is the standard's part
(:mod:`oreline.ledger.epcis.document`). Our profile adds, on top of the standard:

* stock and mass balance are in kilograms: quantities in any UN/ECE Rec 20 unit of mass,
  or counted in pieces with a ``massPerPiece`` (:mod:`oreline.ledger.profile.quantities`);
  other quantities are kept as findings, not refused;
* ``eventTime`` must carry a zone offset and ``eventTimeZoneOffset`` is required;
* a new lot (``ObjectEvent`` ``ADD`` or a transformation output) needs master data in
  ``ilmd["oreline:lotMaster"]``: material, form, assay by element, custody model and,
  for received lots, the country of every stage reached so far;
* transformations use Oreline's business steps (:data:`OUR_STEPS`) and must balance.

Documents are parsed and checked by :mod:`oreline.ledger.profile.parse`; checks against stock
live in :mod:`oreline.ledger.capture.transaction` and :mod:`oreline.ledger.rules.custody`.

Examples
--------
>>> step_uri("oreline:BizStep-alloying")
'https://oreline.dev/voc/BizStep-alloying'
>>> to_kg(1.5, "TNE")
1500.0

"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from oreline.countries import is_country, suggest_country
from oreline.errors import Issue
from oreline.ledger.profile.quantities import mass_kg
from oreline.origin import STAGES

__all__ = [
    "FORMS",
    "OURS",
    "OUR_PREFIXES",
    "OUR_STEPS",
    "Claim",
    "Evidence",
    "LotMaster",
    "ParsedEvent",
    "QtyRef",
    "StageOrigin",
    "is_items_transformation",
    "step_name",
    "step_uri",
    "to_kg",
]

OURS = "https://oreline.dev/voc/"
#: The CURIE prefix of our vocabulary, declared in the ``@context`` of our documents
#: (``make_document(events, prefixes=OUR_PREFIXES)``).
OUR_PREFIXES: dict[str, str] = {"oreline": OURS}
#: Stages of the chain, in order; a lot's origin map gives a country for each stage reached.
#: Our business steps (CBV 2.0 has none for these) and the stage each one adds.
OUR_STEPS: dict[str, str | None] = {
    "separation": "separated",
    "electrolytic_reduction": "refined",
    "calciothermic_reduction": "refined",
    "alloying": "melted",
    "strip_casting": "melted",
    "sintering": "produced",
    "recycling": None,
}
FORMS = ("ore", "concentrate", "carbonate", "oxide", "fluoride", "metal", "alloy", "magnet",
         "swarf", "scrap", "reagent")
_SHA = re.compile(r"^[0-9a-f]{64}$")


def step_uri(value: str) -> str:
    """Full URI of a business step (ours via the ``oreline:`` prefix, or CBV bare words)."""
    if value.startswith("oreline:"):
        return OURS + value[len("oreline:"):]
    if value.startswith(("http://", "https://", "urn:")):
        if value.startswith("urn:epcglobal:cbv:bizstep:"):
            return "https://ref.gs1.org/cbv/BizStep-" + value.rsplit(":", 1)[1]
        return value
    return "https://ref.gs1.org/cbv/BizStep-" + value


def step_name(uri: str) -> str:
    """Short name of a step URI (``alloying``, ``shipping``...)."""
    return uri.rsplit("BizStep-", 1)[-1] if "BizStep-" in uri else uri


def to_kg(quantity: float, uom: str) -> float:
    """Convert a quantity in a UN/ECE Rec 20 unit of mass (``KGM``, ``TNE``...) to kg."""
    return mass_kg(quantity, uom)


class Evidence(BaseModel):
    """An evidence document (kept private) by its SHA-256, with its validity window."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)
    sha256: str
    type: str = "certificate"
    issuer: str | None = None
    valid_from: date | None = Field(default=None, alias="validFrom")
    valid_to: date | None = Field(default=None, alias="validTo")

    @field_validator("sha256")
    @classmethod
    def _sha(cls, v: str) -> str:
        if not _SHA.match(v):
            raise ValueError(f"evidence {v!r} is not a lower-case hex SHA-256 (64 chars)")
        return v


class StageOrigin(BaseModel):
    """Country of one stage, with the evidence documents backing it.

    Evidence is a SHA-256 string or an object with ``sha256``, ``type``, ``issuer``,
    ``validFrom`` and ``validTo`` (checked against the event time).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    country: str | None = None
    evidence: list[str | Evidence] = Field(default_factory=list)

    def hashes(self) -> list[str]:
        """SHA-256 of every evidence document."""
        return [e if isinstance(e, str) else e.sha256 for e in self.evidence]

    @field_validator("country")
    @classmethod
    def _country(cls, v: str | None) -> str | None:
        if v is not None and not is_country(v):
            raise ValueError(f"country {v!r} is not an ISO 3166-1 alpha-2 code; "
                             + suggest_country(v, "write one such as 'AU'"))
        return v

    @field_validator("evidence")
    @classmethod
    def _evidence(cls, v: list[str | Evidence]) -> list[str | Evidence]:
        for h in v:
            if isinstance(h, str) and not _SHA.match(h):
                raise ValueError(f"evidence {h!r} is not a lower-case hex SHA-256 (64 chars)")
        return v


class Claim(BaseModel):
    """A mass-balance claim carried by a lot (share of its content with a characteristic)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    characteristic: str = "ex-china"
    share: float = Field(ge=0.0, le=1.0)


class LotMaster(BaseModel):
    """Lot master data carried in ``ilmd["oreline:lotMaster"][lot]``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    material: str
    form: Literal[
        "ore", "concentrate", "carbonate", "oxide", "fluoride", "metal", "alloy", "magnet",
        "swarf", "scrap", "reagent",
    ]
    assay: dict[str, float]
    custody: Literal["identity_preserved", "segregated", "mass_balance"] = "segregated"
    origin: dict[str, StageOrigin] = Field(default_factory=dict)
    claim: Claim | None = None
    #: kilograms per piece, for quantities counted in pieces (H87, EA, C62 or no uom)
    mass_per_piece: float | None = Field(default=None, alias="massPerPiece", gt=0)

    @field_validator("assay")
    @classmethod
    def _assay(cls, v: dict[str, float]) -> dict[str, float]:
        from oreline.units import ATOMIC_WEIGHTS

        for el, frac in v.items():
            if el not in ATOMIC_WEIGHTS:
                raise ValueError(f"assay names {el!r}, not an element symbol such as 'Nd'")
            if not 0.0 <= frac <= 1.0:
                raise ValueError(f"assay fraction of {el} is {frac}, outside 0..1")
        if sum(v.values()) > 1.0 + 1e-6:
            raise ValueError(f"assay fractions sum to {sum(v.values()):.4f}, more than 1")
        return v

    @field_validator("origin")
    @classmethod
    def _origin(cls, v: dict[str, StageOrigin]) -> dict[str, StageOrigin]:
        for stage in v:
            if stage not in STAGES:
                raise ValueError(f"origin stage {stage!r} is not one of {', '.join(STAGES)}")
        return v


@dataclass(frozen=True)
class QtyRef:
    """A quantity of a lot in kilograms."""

    lot: str
    kg: float


@dataclass
class ParsedEvent:
    """One event of a document after profile checks (plain data, no database).

    ``masters`` holds frozen models that may be shared with other events and documents
    carrying the same master data (each distinct master data is validated once): read
    them, never change their ``assay`` or ``origin`` mappings.
    """

    index: int
    raw: dict[str, Any]
    event_id: str
    hash_id: str
    type: str
    time: datetime
    action: str | None
    step: str
    location: str | None
    quantities: list[QtyRef] = field(default_factory=list)
    inputs: list[QtyRef] = field(default_factory=list)
    outputs: list[QtyRef] = field(default_factory=list)
    masters: dict[str, LotMaster] = field(default_factory=dict)
    error_declaration: dict[str, Any] | None = None
    transformation_id: str | None = None
    #: RFC 8785 text of the event as captured (what the ledger stores and hashes)
    content: bytes = b""
    claim: dict[str, Any] | None = None
    #: what keeps (parts of) the event outside the profile: kept, reported, not refused
    findings: list[Issue] = field(default_factory=list)
    #: the EPC lists given (``epcList``, ``childEPCs``, ``inputEPCList``...), by field
    epcs: dict[str, list[str]] = field(default_factory=dict)
    #: classes of the quantity elements without kilograms (see :attr:`findings`), by list
    uncounted: dict[str, list[str]] = field(default_factory=dict)
    parent: str | None = None
    #: quantity elements counted in pieces without a mass per piece in this event, as
    #: (list, lot, pieces, their finding): capture converts those of a lot the ledger
    #: holds by the mass per piece its creating event gave
    counts: list[tuple[str, str, float, Issue]] = field(default_factory=list)

    @property
    def items_transformation(self) -> bool:
        """A transformation with serialised or uncounted inputs or outputs.

        Its inputs are consumed and its outputs traced to them as items
        (:mod:`oreline.ledger.capture.outside`), outside the mass balance.
        """
        return is_items_transformation(self.type, self.epcs, self.uncounted)

    @property
    def label(self) -> str:
        """How messages name this event: index and eventID."""
        return f"event[{self.index}] ({self.event_id})"


def is_items_transformation(kind: Any, epcs: Mapping[str, Any],
                            uncounted: Mapping[str, Any]) -> bool:
    """Whether a transformation lists serialised EPCs or quantities without kilograms.

    Examples
    --------
    >>> is_items_transformation("TransformationEvent", {"outputEPCList": ["urn:x"]}, {})
    True
    >>> is_items_transformation("TransformationEvent", {}, {"quantityList": ["urn:c"]})
    False

    """
    return kind == "TransformationEvent" and any(
        epcs.get(n) or uncounted.get(n.replace("EPC", "Quantity"))
        for n in ("inputEPCList", "outputEPCList"))
