"""Typed records the ledger returns: lots, trees, stock, accounts, checks, certificates.

They are ``TypedDict``s, so a result is still a plain JSON-ready mapping (``res["status"]``
works, ``json.dumps`` writes it) while mypy knows every key. The rules and the store
build them; :class:`~oreline.ledger.ledger.Ledger` returns them. This module imports
nothing from the ledger, so every sub-package may use it.

EPCIS events and documents stay ``dict[str, Any]`` (:data:`EpcisDocument`): they are
open JSON-LD whose keys the standard and its extensions decide.

Examples
--------
>>> part: OriginPart = {"share": 1.0, "stages": {"mined": "AU"}, "custody": "segregated",
...                     "evidence": [], "lots": ["urn:oreline:lot:ox-1"]}
>>> part["stages"]["mined"]
'AU'

"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

__all__ = [
    "Account",
    "AccountEntry",
    "Certificate",
    "CertificateSource",
    "Checkpoint",
    "CreditAccount",
    "CrmaCheck",
    "CrmaFinding",
    "CrmaReport",
    "CrmaResult",
    "CrmaRow",
    "CrmaStageReport",
    "DfarsCheck",
    "DfarsFinding",
    "DfarsResult",
    "EntryRef",
    "EpcisDocument",
    "FindingRow",
    "FlagRow",
    "ItemLink",
    "ItemTrace",
    "LotCheck",
    "LotRecord",
    "LotRow",
    "OnHandRow",
    "OriginPart",
    "PackReport",
    "PackVerification",
    "RollingAccount",
    "Shipment",
    "SiteRow",
    "StockRow",
    "TraceForward",
    "TraceInput",
    "TraceNode",
    "TraceTree",
    "VerifyReport",
]

#: An EPCIS 2.0 JSON-LD document or event, as given (open JSON).
EpcisDocument = dict[str, Any]


class OriginPart(TypedDict):
    """A share of a lot's rare-earth content and the country of each stage it reached.

    ``stages`` maps a stage (:data:`oreline.origin.STAGES`) to its ISO country, ``None``
    when not declared; ``lots`` names the received lots it comes from (parts stored
    before the genealogy was named in origins have none).
    """

    share: float
    stages: dict[str, str | None]
    custody: str
    evidence: list[str]
    lots: NotRequired[list[str]]


class LotRecord(TypedDict):
    """Master data, stock on hand and origin of one lot."""

    lot: str
    material: str
    form: str
    custody: str
    kg: float
    on_hand_kg: float
    site: str
    assay: dict[str, float]
    origin: list[OriginPart]
    claim_share: float | None
    event_id: str
    event_time: str
    retracted: bool


class TraceInput(TypedDict):
    """One input of a node of a trace-back tree: kg consumed and share of the inputs."""

    kg: float
    share: float
    lot: TraceNode


class TraceNode(LotRecord):
    """A lot in a trace-back tree with its inputs."""

    inputs: list[TraceInput]


class TraceTree(TraceNode):
    """The root of a trace-back tree: ``depth`` is the longest chain of inputs below it."""

    depth: int


class Shipment(TypedDict):
    """A shipping movement of a lot (``kg`` shipped, positive)."""

    lot: str
    kg: float
    from_site: str
    event_id: str
    time: str
    destination: list[Any]
    local_time: str
    #: the event's business transactions (purchase order, despatch advice ...): CBV type
    #: (``po``, ``desadv`` ...) and ID
    business_transactions: list[dict[str, str]]


class TraceForward(TypedDict):
    """Lots made from a lot and the shipments of all of them (the recall question)."""

    lot: str
    descendants: list[LotRecord]
    shipments: list[Shipment]


class StockRow(TypedDict):
    """Stock on hand by site, material, form, origin class and custody."""

    site: str
    material: str
    form: str
    origin: str
    stages: dict[str, str | None]
    custody: str
    kg: float


class LotRow(TypedDict):
    """A lot in the list of every lot (``kg`` as created, ``on_hand_kg`` at any site)."""

    lot: str
    material: str
    form: str
    site: str
    kg: float
    on_hand_kg: float
    event_time: str
    retracted: bool


class OnHandRow(TypedDict):
    """A lot with stock on hand at a site."""

    lot: str
    site: str
    material: str
    form: str
    kg: float


class SiteRow(TypedDict):
    """A declared site."""

    id: str
    name: str
    country: str
    stage: str
    policy: str


class CreditAccount(TypedDict):
    """A mass-balance account by the credit method (``period`` ``"all"`` for to date)."""

    site: str
    element: str
    characteristic: str
    method: Literal["credit"]
    period: str
    opening_kg: float
    credits_kg: float
    debits_kg: float
    claims_kg: float
    losses_kg: float
    closing_kg: float


class RollingAccount(TypedDict):
    """A mass-balance account by the rolling-average percentage method (12 months)."""

    site: str
    element: str
    characteristic: str
    method: Literal["rolling"]
    window: str
    input_kg: float
    compliant_kg: float
    claimed_kg: float
    lost_kg: float
    compliant_lost_kg: float
    percentage: float


#: A mass-balance account by either method (``method`` tells which).
Account = CreditAccount | RollingAccount


class AccountEntry(TypedDict):
    """A row of a mass-balance account (``kind`` receipt, claim, loss or retract-...)."""

    seq: int
    event_id: str
    period: str
    kind: str
    input_kg: float
    credit_kg: float
    debit_kg: float


class DfarsFinding(TypedDict):
    """Why a lot does not pass DFARS: the stage, the country and the lots at fault."""

    status: str
    stage: str | None
    country: str | None
    share: float
    lots: list[str]
    reason: str


class DfarsResult(TypedDict):
    """The DFARS 2027 verdict of a lot's origin: pass, fail, unproven or not-applicable."""

    rule: Literal["dfars-2027"]
    status: str
    findings: list[DfarsFinding]


class CrmaFinding(TypedDict):
    """A third country above the CRMA benchmark at an assessed stage."""

    status: str
    stage: str
    country: str
    share: float
    reason: str


class CrmaResult(TypedDict):
    """The CRMA concentration of a lot's origin: shares by stage and the findings."""

    rule: Literal["crma"]
    status: str
    stages_assessed: list[str]
    by_stage: dict[str, dict[str, float]]
    findings: list[CrmaFinding]


class DfarsCheck(DfarsResult):
    """:class:`DfarsResult` of a lot in the ledger (``status`` retracted if it was)."""

    lot: str
    form: str
    retracted: bool


class CrmaCheck(CrmaResult):
    """:class:`CrmaResult` of a lot in the ledger (``status`` retracted if it was)."""

    lot: str
    form: str
    retracted: bool


#: The verdict of one rule on one lot.
LotCheck = DfarsCheck | CrmaCheck


class CrmaRow(TypedDict):
    """A row of a lot's CRMA table: stage, country, share and its status."""

    stage: str
    country: str
    share: float
    status: str


class CrmaStageReport(TypedDict):
    """Country shares at one stage over a period's lots."""

    shares: dict[str, float]
    top_third_country: str | None
    assessed: bool
    above_benchmark: bool


class CrmaReport(TypedDict):
    """CRMA stage concentration over the lots produced in a period."""

    period: str
    lots: int
    kg: float
    stages: dict[str, CrmaStageReport]


class EntryRef(TypedDict):
    """A ledger entry a certificate cites."""

    seq: int
    event_id: str
    entry_hash: str


class Checkpoint(TypedDict):
    """A signed checkpoint: Merkle root over entries ``1..upto_seq``."""

    upto_seq: int
    root: str
    public_key: str
    signature: str
    created_at: NotRequired[str]


class CertificateSource(TypedDict):
    """A received lot a certified lot comes from, with its stage countries."""

    lot: str
    material: str
    kg: float
    stages: dict[str, str | None]


class Certificate(TypedDict):
    """A lot's certificate (JSON-ready).

    ``certificate`` is the document's title: "certificate of conformance" only for a lot
    that passes the DFARS rule and is not retracted; otherwise an origin statement that
    says why (``verdict_note`` says it in a sentence, for a pass too).
    """

    certificate: str
    verdict_note: str
    issuer: SiteRow
    customer: str | None
    shipments: list[Shipment]
    issued_at: str
    lot: str
    material: str
    form: str
    net_kg: float
    site: str
    custody: str
    assay: dict[str, float]
    stages_reached: list[str]
    dfars_2027: DfarsResult
    crma: CrmaResult
    origin: list[OriginPart]
    sources: list[CertificateSource]
    evidence_sha256: list[str]
    ledger_entries: list[EntryRef]
    checkpoint: Checkpoint | None
    retracted: bool


class FlagRow(TypedDict):
    """A violation recorded (not rejected) under a site's ``flag`` policy."""

    id: int
    seq: int
    event_id: str
    message: str


class VerifyReport(TypedDict):
    """What verifying the ledger checked (``derived_rows`` with ``deep``)."""

    entries: int
    checkpoints: int
    head: str
    derived_rows: NotRequired[dict[str, int]]


class PackReport(TypedDict):
    """What an audit pack holds: entries, shared events and the signed root."""

    entries: int
    shared: int
    root: str


class PackVerification(PackReport):
    """A verified audit pack and the key that signed it."""

    public_key: str


class FindingRow(TypedDict):
    """What keeps a captured event (or part of it) outside the Oreline profile."""

    seq: int
    event_id: str
    code: str
    field: str
    message: str
    fix: str


class ItemLink(TypedDict):
    """One relation of a serialised item: what it was made from or packed in.

    ``lot`` is the genealogy of ``other`` when it is a lot the ledger holds, ``item`` the
    trace of ``other`` when it is an item made from something in turn.
    """

    relation: str
    other: str
    event_id: str
    seq: int
    lot: TraceTree | None
    item: ItemTrace | None


class ItemTrace(TypedDict):
    """A serialised item (EPC) or uncounted class, and its relations, oldest first."""

    item: str
    links: list[ItemLink]
