"""What the planner and the ledger both mean by origin: one module, imported by both.

A flow of a controlled material (planner) or a lot (ledger) carries the country of
each **stage** it has been through: ``mined``, ``separated``, ``refined`` (metal),
``melted`` (alloy) and ``produced`` (magnet), the DFARS stage list (10 USC 4872,
89 FR 46816). A stage that was reached but whose country nobody declared is
:data:`UNKNOWN` (``"unknown"``) in scenario files, plan tables, ledger certificates and
reports alike; only the compact plan *label* abbreviates it to ``??``
(:data:`LABEL_UNKNOWN`).

Rules defined here, once:

* **DFARS 252.225-7052** (:func:`dfars_stages`, :data:`COVERED_COUNTRIES`): NdFeB
  magnets' rare earths may not be melted or produced in a covered country; from
  :data:`DFARS_ALL_STAGES_FROM` (2027-01) not mined, separated or refined there
  either. An unknown country never passes.
* **EU CRMA** (Reg. 2024/1252 Art. 5(1)(d); :func:`crma_shares`, :func:`crma_findings`):
  at most :data:`CRMA_CAP` (65 %) of supply from one third country (outside
  :data:`EU_COUNTRIES`) at a stage; an unknown country counts as one more third
  country. The benchmark is about how a buyer spreads its *sourcing*, so the stages
  assessed by default are :data:`CRMA_STAGES` (mined, separated). A producer's own
  refining and melting are one country per plant by construction: assessing them
  would fail every product of every single plant (and so tell no lot apart), whatever
  its sourcing. The planner's share cap per customer and the ledger's per-lot check
  use the same shares and the same verdict.
* **Policies** (:func:`policy_allows`): which origin classes a customer's provenance
  rule admits in a period.

Examples
--------
>>> crma_findings([(0.7, {"mined": {"AU"}}), (0.3, {"mined": {"EE"}})])
[('mined', 'AU', 0.7)]
>>> dfars_stages("2026-12"), len(dfars_stages("2027-01"))
(('melted', 'produced'), 5)

"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Literal, Protocol

__all__ = [
    "COVERED_COUNTRIES",
    "CRMA_CAP",
    "CRMA_STAGES",
    "DFARS_ALL_STAGES_FROM",
    "DFARS_EARLY_STAGES",
    "EU_COUNTRIES",
    "LABEL_LEGEND",
    "LABEL_UNKNOWN",
    "STAGES",
    "UNKNOWN",
    "OriginClass",
    "Stage",
    "crma_findings",
    "crma_shares",
    "dfars_stages",
    "policy_allows",
    "third_countries",
]

Stage = Literal["mined", "separated", "refined", "melted", "produced"]
#: Origin stages tracked per flow and per lot, in the order material moves (DFARS list).
STAGES: tuple[Stage, ...] = ("mined", "separated", "refined", "melted", "produced")
#: Countries covered by DFARS 252.225-7052 (brief section 5): China, Russia, North Korea, Iran.
COVERED_COUNTRIES: frozenset[str] = frozenset({"CN", "RU", "KP", "IR"})
#: From this month DFARS 252.225-7052 also covers mining, separation and refining
#: (10 USC 4872 as amended; 89 FR 46816). Policies change verdict only here.
DFARS_ALL_STAGES_FROM = "2027-01"
#: The stages DFARS covers before :data:`DFARS_ALL_STAGES_FROM`.
DFARS_EARLY_STAGES: tuple[Stage, ...] = ("melted", "produced")
#: EU member states (ISO 3166-1 alpha-2): not third countries under the CRMA.
EU_COUNTRIES: frozenset[str] = frozenset({
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
    "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
})
#: CRMA 2030 benchmark: at most this share of a strategic raw material from one third
#: country at a stage (Reg. 2024/1252 Art. 5(1)(d); brief section 5).
CRMA_CAP = 0.65
#: Stages the CRMA share is assessed at unless a customer's policy names others.
CRMA_STAGES: tuple[Stage, ...] = ("mined", "separated")
#: The country of a stage that was reached but whose country nobody declared.
UNKNOWN = "unknown"
#: How an origin class label writes :data:`UNKNOWN` (labels are compact).
LABEL_UNKNOWN = "??"
_EPS = 1e-9


def dfars_stages(period_start: str) -> tuple[Stage, ...]:
    """The stages DFARS 252.225-7052 covers for a delivery in a month (``YYYY-MM``)."""
    return STAGES if period_start >= DFARS_ALL_STAGES_FROM else DFARS_EARLY_STAGES


def third_countries(countries: Iterable[str]) -> set[str]:
    """The CRMA third countries among ``countries`` (:data:`UNKNOWN` counts as one)."""
    return {c for c in countries if c not in EU_COUNTRIES}


def crma_shares(
    parts: Iterable[tuple[float, Mapping[str, Iterable[str]]]],
    stages: Iterable[str] = CRMA_STAGES,
) -> dict[str, dict[str, float]]:
    """Share of supply touching each third country, per assessed stage.

    Parameters
    ----------
    parts
        ``(share, countries per stage)`` of each part of the supply: a lot's origin
        parts (one country per stage) or a customer's sales by origin class (a blended
        class may touch several countries at a stage). A stage missing or empty has not
        been reached; :data:`UNKNOWN` is a country of its own.
    stages
        The stages to assess (default :data:`CRMA_STAGES`).

    Returns
    -------
    dict
        Stage to third country to the share of the supply touching it, over the total
        share given. A part counts fully towards every third country it touches, as the
        planner's share cap counts a blended class's sales.

    Examples
    --------
    >>> crma_shares([(3.0, {"mined": {"AU", "US"}}), (1.0, {"mined": {"FR"}})])
    {'mined': {'AU': 0.75, 'US': 0.75}}

    """
    wanted = tuple(stages)
    total = 0.0
    out: dict[str, dict[str, float]] = {}
    for share, by_stage in parts:
        total += share
        for stage in wanted:
            for country in sorted(third_countries(by_stage.get(stage, ()))):
                row = out.setdefault(stage, {})
                row[country] = row.get(country, 0.0) + share
    if total <= 0:
        return {}
    return {s: {c: v / total for c, v in row.items()} for s, row in out.items()}


def crma_findings(
    parts: Iterable[tuple[float, Mapping[str, Iterable[str]]]],
    stages: Iterable[str] = CRMA_STAGES,
    cap: float = CRMA_CAP,
) -> list[tuple[str, str, float]]:
    """``(stage, country, share)`` where one third country holds more than ``cap``.

    The one CRMA verdict of Oreline: the ledger's per-lot check and the planner's
    per-customer share cap both come down to it (see the module docstring).

    Examples
    --------
    >>> lynas = {"mined": {"AU"}, "separated": {"MY"}, "refined": {"KR"}}
    >>> crma_findings([(1.0, lynas)])
    [('mined', 'AU', 1.0), ('separated', 'MY', 1.0)]
    >>> crma_findings([(0.5, lynas), (0.5, {"mined": {"US"}, "separated": {"US"}})])
    []

    """
    return [(stage, country, share)
            for stage, row in crma_shares(parts, stages).items()
            for country, share in sorted(row.items(), key=lambda x: (-x[1], x[0]))
            if share > cap + _EPS]


#: How to read an origin class label; printed under tables and figures that show labels.
LABEL_LEGEND = (
    "Origin class: countries per stage, mined>separated>refined>melted>produced, stages not "
    "reached yet left off; '+' joins the countries of blended inputs at one stage; "
    "?? = undeclared country; - = stage skipped; untracked = no origin (reagents)."
)
UNTRACKED_LABEL = "untracked"

@dataclass(frozen=True)
class OriginClass:
    """Countries per stage of a flow; an empty stage has not happened yet.

    ``??`` stands for an undeclared country. The untracked class (reagents) has
    ``tracked=False``.
    """

    stages: tuple[frozenset[str], ...]
    tracked: bool = True

    @classmethod
    def untracked(cls) -> OriginClass:
        """The class of commodities that carry no origin (iron, reagents)."""
        return cls(tuple(frozenset() for _ in STAGES), tracked=False)

    @classmethod
    def declared(cls, origin: dict[str, str]) -> OriginClass:
        """Class from a contract's or stock's declared ``stage -> country`` map."""
        return cls(tuple(
            frozenset({origin[s]}) if s in origin
            else frozenset() for s in STAGES
        ))

    def union(self, other: OriginClass) -> OriginClass:
        """The class of a blend of two materials."""
        return OriginClass(tuple(a | b for a, b in zip(self.stages, other.stages, strict=True)))

    def with_stage(self, stage: str, country: str) -> OriginClass:
        """The class after a process performs ``stage`` in ``country``."""
        i = STAGES.index(stage)
        stages = list(self.stages)
        stages[i] = stages[i] | {country}
        return OriginClass(tuple(stages))

    def countries(self, stage: str) -> frozenset[str]:
        """Countries recorded for a stage."""
        return self.stages[STAGES.index(stage)]

    def stage_label(self, stage: str) -> str:
        """The countries of one stage as a label writes them: sorted, ``+``-joined.

        Examples
        --------
        >>> OriginClass.declared({"mined": "unknown"}).union(
        ...     OriginClass.declared({"mined": "CN"})).stage_label("mined")
        '??+CN'

        """
        return "+".join(sorted(LABEL_UNKNOWN if c == UNKNOWN else c
                               for c in self.countries(stage)))

    @cached_property
    def sort_key(self) -> tuple[bool, str]:
        """A total order that does not depend on hashing (set order varies per process)."""
        return (self.tracked, self.label)

    @cached_property
    def label(self) -> str:
        """Short label, e.g. ``AU>MY>KR`` (mined > separated > refined ...).

        One part per stage in :data:`STAGES` order, joined by ``>``; a part joins the
        stage's countries, sorted, with ``+`` (``??`` sorts first). Trailing stages
        not yet reached are left off; an empty stage before a reached one is ``-``.
        The untracked class is ``untracked``. :meth:`from_label` is the inverse.

        Examples
        --------
        >>> ucore = OriginClass.declared({"mined": "unknown", "separated": "US"})
        >>> china = OriginClass.declared({"mined": "CN", "separated": "CN"})
        >>> ucore.union(china).with_stage("refined", "KR").label
        '??+CN>CN+US>KR'
        >>> OriginClass.declared({"mined": "CN"}).with_stage("refined", "KR").label
        'CN>->KR'

        """
        if not self.tracked:
            return UNTRACKED_LABEL
        parts = [self.stage_label(s) for s in STAGES]
        while parts and parts[-1] == "":
            parts.pop()
        return ">".join(p or "-" for p in parts) or "-"

    @classmethod
    def from_label(cls, label: str) -> OriginClass:
        """The class a :attr:`label` stands for: ``OriginClass.from_label(c.label) == c``.

        Raises
        ------
        ValueError
            When ``label`` is not a label the planner writes: more parts than stages,
            an empty part or country, a country that is neither ``??`` nor two capital
            letters, unsorted countries or a trailing ``-``.

        Examples
        --------
        >>> c = OriginClass.from_label("??+CN>CN+US>KR>KR")
        >>> sorted(c.countries("mined")), sorted(c.countries("melted")), c.countries("produced")
        (['CN', 'unknown'], ['KR'], frozenset())

        """
        if label == UNTRACKED_LABEL:
            return cls.untracked()
        parts = label.split(">")
        if len(parts) > len(STAGES):
            raise ValueError(f"origin class label {label!r} has more than {len(STAGES)} stages")
        stages: list[frozenset[str]] = []
        for part in parts + ["-"] * (len(STAGES) - len(parts)):
            countries = frozenset() if part == "-" else frozenset(
                UNKNOWN if c == LABEL_UNKNOWN else c for c in part.split("+"))
            bad = [c for c in countries if c != UNKNOWN and not (len(c) == 2 and c.isupper())]
            if bad or part == "":
                raise ValueError(f"origin class label {label!r} has a bad stage {part!r}; "
                                 f"write countries as ISO codes or ?? joined by '+'")
            stages.append(countries)
        out = cls(tuple(stages))
        if out.label != label:
            raise ValueError(f"origin class label {label!r} is not in the planner's form; "
                             f"it would be written {out.label!r}")
        return out


class _HasRule(Protocol):
    @property
    def rule(self) -> str: ...


def policy_allows(policy: _HasRule, cls: OriginClass, period_start: str) -> bool:
    """Whether a customer's policy admits material of class ``cls`` in a period.

    ``any`` and ``crma`` admit every class (the CRMA share cap is a constraint of the
    model, :func:`crma_findings` its verdict); ``ex-china`` refuses China and unknown
    countries at any stage; ``dfars-2027`` refuses covered and unknown countries at the
    stages :func:`dfars_stages` names for the month.

    Examples
    --------
    >>> from types import SimpleNamespace as P
    >>> cn = OriginClass.declared({"mined": "CN", "separated": "CN"}).with_stage("refined", "KR")
    >>> policy_allows(P(rule="dfars-2027"), cn, "2026-06")
    True
    >>> policy_allows(P(rule="dfars-2027"), cn, "2027-01")
    False

    """
    if not cls.tracked or policy.rule in ("any", "crma"):
        return True
    if policy.rule == "ex-china":
        return not any(({"CN", UNKNOWN} & c) for c in cls.stages)
    bad = COVERED_COUNTRIES | {UNKNOWN}
    return not any(bad & cls.countries(s) for s in dfars_stages(period_start))
