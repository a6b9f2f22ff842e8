"""What a received lot's master data gives every lot received with the same data.

A supplier's document repeats one set of master data (material, assay, custody, origin,
evidence) over many lots. Its origin map, evidence list, compliant share, rare-earth
elements and stored JSON texts do not depend on the lot, so capture derives them once
per distinct master data (the validated :class:`~oreline.ledger.profile.model.LotMaster` objects
are shared between equal contents) and only writes the lot ID into each lot's rows.

Examples
--------
>>> from oreline.ledger.profile.model import LotMaster
>>> master = LotMaster.model_validate({"material": "NdPr oxide", "form": "oxide",
...     "assay": {"Nd": 0.6, "Pr": 0.2, "O": 0.2},
...     "origin": {"mined": {"country": "AU"}, "separated": {"country": "MY"}}})
>>> t = receipt_template(master)
>>> t.share, t.rare_earths
(1.0, (('Nd', 0.6), ('Pr', 0.2)))
>>> t.origin_text("urn:oreline:lot:1") == origin_text(t.parts("urn:oreline:lot:1"))
True

"""

from __future__ import annotations

import json
from dataclasses import dataclass

from oreline.ledger.epcis.memo import Memo
from oreline.ledger.profile.model import LotMaster
from oreline.ledger.records import OriginPart
from oreline.ledger.rules import custody

__all__ = ["ReceiptTemplate", "origin_text", "receipt_template"]

#: ``json.dumps(value, sort_keys=True)``: the stored form of assays and origin parts.
_dumps_sorted = json.JSONEncoder(sort_keys=True).encode
_MARK = "\x00lot\x00"  # stands for the lot ID while the origin text is cut in two
#: Templates by ``id`` of their master data object, kept with the object (see below).
_TEMPLATES: Memo[int, tuple[LotMaster, ReceiptTemplate]] = Memo(4096)


def origin_text(parts: list[OriginPart]) -> str:
    """Stored JSON of a lot's origin parts (sorted keys, the ``json`` module's spacing)."""
    return _dumps_sorted(parts)


@dataclass(frozen=True)
class ReceiptTemplate:
    """Everything about a received lot that its master data alone decides."""

    origin: dict[str, str | None]
    evidence: list[str]
    custody: str
    has_rare_earths: bool
    dated_evidence: bool
    share: float
    rare_earths: tuple[tuple[str, float], ...]
    assay_text: str
    claim_text: str | None
    _origin_head: str
    _origin_tail: str

    def parts(self, lot: str) -> list[OriginPart]:
        """The lot's origin parts (new objects each time)."""
        if not self.has_rare_earths:
            return []
        return custody.receipt_parts(self.origin, self.custody, self.evidence, lot)

    def origin_text(self, lot: str) -> str:
        """:func:`origin_text` of :meth:`parts`, without serialising them again."""
        if not self.has_rare_earths:
            return "[]"
        if not lot:  # no lot ID: the parts list no lot
            return origin_text(self.parts(lot))
        return self._origin_head + json.dumps(lot) + self._origin_tail


def receipt_template(master: LotMaster) -> ReceiptTemplate:
    """The :class:`ReceiptTemplate` of ``master``, derived once per master data object."""
    cached = _TEMPLATES.get(id(master))
    if cached is not None and cached[0] is master:  # the id of a live object, not a reused one
        return cached[1]
    return _TEMPLATES.remember(id(master), (master, _derive(master)))[1]


def _derive(master: LotMaster) -> ReceiptTemplate:
    origin = {s: o.country for s, o in master.origin.items()}
    evidence = [h for o in master.origin.values() for h in o.hashes()]
    has_re = custody.re_kg(1.0, master.assay) > 0
    claim = master.claim.share if master.claim else None
    parts = custody.receipt_parts(origin, master.custody, evidence, _MARK) if has_re else []
    head, tail = origin_text(parts).split(json.dumps(_MARK)) if has_re else ("", "")
    return ReceiptTemplate(
        origin=origin, evidence=evidence, custody=master.custody, has_rare_earths=has_re,
        dated_evidence=any(not isinstance(e, str) for o in master.origin.values()
                           for e in o.evidence),
        share=custody.compliant_share(parts, claim),
        rare_earths=tuple((el, frac) for el, frac in master.assay.items()
                          if el in custody.RARE_EARTHS and frac > 0),
        assay_text=_dumps_sorted(master.assay),
        claim_text=json.dumps(claim) if claim is not None else None,
        _origin_head=head, _origin_tail=tail,
    )
