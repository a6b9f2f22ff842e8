"""Compliance verdicts per lot (DFARS 2027, EU CRMA) and over a period (CRMA report).

DFARS (``dfars-2027``): from 2027-01-01 a magnet's rare earths may not be mined,
separated, refined, melted or produced in China, Russia, North Korea or Iran. A lot
passes only when every origin part (every contributing input, small Dy/Tb additions
included) has a known country for every stage the lot's form has been through and
none is covered. An unknown stage gives ``unproven``; a mass-balance part gives
``unproven`` too (credits never prove DFARS).

CRMA: no more than 65 % of a strategic raw material from one third country at a stage,
assessed at the sourcing stages (mined, separated) with an unknown country counted as one
more third country: the one rule of :mod:`oreline.origin`, which the planner's share
caps apply too. The lot's own refining and melting stages are shown but not assessed.

:func:`stage_countries` writes every stage of an origin part as a certificate shows it:
the country, :data:`UNKNOWN` (``"unknown"``) for a stage the lot's form has been through
with no country declared (the name ``crma-report`` gives unknown origins), or ``null``
for a stage the lot has not reached (an alloy is never ``produced``). The rules take lot
records and origin parts as values (:mod:`oreline.ledger.records`); the certificate
itself is :mod:`oreline.ledger.certificate`.

Examples
--------
>>> dfars_status([{"share": 1.0, "custody": "segregated", "lots": ["L1"], "evidence": [],
...   "stages": {"mined": "AU", "separated": "MY", "refined": "KR", "melted": None,
...              "produced": None}}], "metal")["status"]
'pass'

"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from oreline.ledger.records import (
    CrmaCheck,
    CrmaFinding,
    CrmaReport,
    CrmaResult,
    CrmaRow,
    DfarsCheck,
    DfarsFinding,
    DfarsResult,
    LotCheck,
    LotRecord,
    OriginPart,
)
from oreline.origin import (
    COVERED_COUNTRIES,
    CRMA_CAP,
    CRMA_STAGES,
    DFARS_ALL_STAGES_FROM,
    EU_COUNTRIES,
    STAGES,
    UNKNOWN,
    crma_findings,
    dfars_stages,
)

__all__ = [
    "REQUIRED_STAGES",
    "check_lot",
    "crma_report",
    "crma_rows",
    "crma_status",
    "dfars_status",
    "stage_countries",
]

#: Stages a lot of each form has been through (and DFARS therefore needs a country for).
REQUIRED_STAGES: dict[str, tuple[str, ...]] = {
    "ore": ("mined",), "concentrate": ("mined",), "carbonate": ("mined",),
    "oxide": ("mined", "separated"), "fluoride": ("mined", "separated"),
    "metal": ("mined", "separated", "refined"),
    "alloy": ("mined", "separated", "refined", "melted"),
    "swarf": ("mined", "separated", "refined", "melted"),
    "scrap": ("mined", "separated", "refined", "melted"),
    "magnet": ("mined", "separated", "refined", "melted", "produced"),
    "reagent": (),
}
#: The stages the per-lot ``dfars-2027`` check covers: all of them (the 2027 rule).
_DFARS_2027 = dfars_stages(DFARS_ALL_STAGES_FROM)


def stage_countries(stages: Mapping[str, str | None], form: str) -> dict[str, str | None]:
    """Every stage's country as a certificate writes it.

    Parameters
    ----------
    stages
        Stage to declared country (``None`` or missing when not declared).
    form
        The lot's form, which says which stages it has been through.

    Returns
    -------
    dict
        Each of the five stages, in order, to its country; :data:`UNKNOWN` for a stage the
        form has been through without a country; ``None`` for a stage not reached.

    Examples
    --------
    >>> stage_countries({"mined": None, "separated": "MY", "refined": "KR"}, "alloy")
    {'mined': 'unknown', 'separated': 'MY', 'refined': 'KR', 'melted': 'unknown', \
'produced': None}

    """
    reached = REQUIRED_STAGES.get(form, STAGES)
    return {s: stages.get(s) or (UNKNOWN if s in reached else None) for s in STAGES}


def dfars_status(parts: Sequence[OriginPart], form: str) -> DfarsResult:
    """DFARS 2027 verdict of a lot from its origin parts: pass, fail or unproven.

    ``findings`` name the stage, the country and the input lots at fault.
    """
    needed = [s for s in REQUIRED_STAGES.get(form, STAGES) if s in _DFARS_2027]
    findings: list[DfarsFinding] = []
    if not parts:
        return {"rule": "dfars-2027", "status": "not-applicable", "findings": [
            {"status": "not-applicable", "stage": None, "country": None, "share": 0.0,
             "lots": [], "reason": "the lot holds no rare earths (not covered material)"}]}
    for part in parts:
        share = float(part["share"])
        names = part.get("lots", [])
        if part["custody"] == "mass_balance":
            findings.append({"status": "unproven", "stage": None, "country": None,
                             "share": share, "lots": names,
                             "reason": "mass-balance credits cannot prove DFARS; a "
                                       "physical, segregated track is needed"})
        for stage in needed:
            country = part["stages"].get(stage)
            if country is None:
                findings.append({"status": "unproven", "stage": stage, "country": None,
                                 "share": share, "lots": names,
                                 "reason": f"{stage} stage country unknown"})
            elif country in COVERED_COUNTRIES:
                findings.append({"status": "fail", "stage": stage, "country": country,
                                 "share": share, "lots": names,
                                 "reason": f"{stage} in {country} (covered country)"})
    statuses = {f["status"] for f in findings}
    status = "fail" if "fail" in statuses else "unproven" if statuses else "pass"
    return {"rule": "dfars-2027", "status": status, "findings": findings}


def _stage_shares(parts: Sequence[OriginPart], form: str) -> dict[str, dict[str, float]]:
    """Share of the lot per reached stage and country (:data:`UNKNOWN` for undeclared)."""
    by_stage: dict[str, dict[str, float]] = {}
    for stage in REQUIRED_STAGES.get(form, STAGES):
        for part in parts:
            country = part["stages"].get(stage) or UNKNOWN
            shares = by_stage.setdefault(stage, {})
            shares[country] = shares.get(country, 0.0) + float(part["share"])
    return by_stage


def crma_status(parts: Sequence[OriginPart], form: str) -> CrmaResult:
    """CRMA single-third-country concentration of one lot (:func:`oreline.origin.crma_findings`).

    ``by_stage`` gives the share of every country at every stage the lot's form has been
    through; ``findings`` the third countries above :data:`~oreline.origin.CRMA_CAP` at
    the assessed stages (:data:`~oreline.origin.CRMA_STAGES`).

    Examples
    --------
    >>> lynas = {"mined": "AU", "separated": "MY", "refined": "KR", "melted": "KR"}
    >>> [(f["stage"], f["country"]) for f in crma_status(
    ...     [{"share": 1.0, "stages": lynas}], "alloy")["findings"]]
    [('mined', 'AU'), ('separated', 'MY')]

    """
    reached = REQUIRED_STAGES.get(form, STAGES)
    found = crma_findings((float(p["share"]), {s: {p["stages"].get(s) or UNKNOWN}
                                               for s in reached}) for p in parts)
    findings: list[CrmaFinding] = [
        {"status": "above-benchmark", "stage": stage, "country": country, "share": share,
         "reason": f"{stage} in {country} (third country, cap {CRMA_CAP:.0%})"}
        for stage, country, share in found]
    return {"rule": "crma", "status": "above-benchmark" if findings else "within-benchmark",
            "stages_assessed": [s for s in CRMA_STAGES if s in reached],
            "by_stage": _stage_shares(parts, form), "findings": findings}


def _row_status(stage: str, country: str, share: float) -> str:
    """A CRMA table row's status: ``eu``, ``not-assessed`` or above/within the benchmark."""
    if country in EU_COUNTRIES:
        return "eu"
    if stage not in CRMA_STAGES:
        return "not-assessed"
    return "above-benchmark" if share > CRMA_CAP + 1e-9 else "within-benchmark"


def crma_rows(crma: CrmaResult, form: str) -> list[CrmaRow]:
    """The stage concentration of one lot (from :func:`crma_status`) as table rows.

    Parameters
    ----------
    crma
        The result of :func:`crma_status` for the lot.
    form
        The lot's form: each stage it has been through gets rows, undeclared material
        under country :data:`UNKNOWN`.

    Returns
    -------
    list of dict
        ``stage``, ``country``, ``share`` and ``status`` per row, stages in order and the
        largest share first: ``above-benchmark`` or ``within-benchmark`` for a third
        country (unknown counts as one) at an assessed stage, ``eu`` for an EU member (no
        cap), ``not-assessed`` at the lot's own processing stages.

    Examples
    --------
    >>> [r["status"] for r in crma_rows(crma_status([{"share": 0.7, "stages": {
    ...     "mined": "AU"}}, {"share": 0.3, "stages": {"mined": "EE"}}], "oxide"), "oxide")]
    ['above-benchmark', 'eu', 'above-benchmark']

    """
    by_stage: dict[str, dict[str, float]] = crma["by_stage"]
    rows: list[CrmaRow] = []
    for stage in STAGES:
        for country, share in sorted(by_stage.get(stage, {}).items(),
                                     key=lambda x: (-x[1], x[0])):
            rows.append({"stage": stage, "country": country, "share": share,
                         "status": _row_status(stage, country, share)})
    return rows


def check_lot(info: LotRecord, rule: str) -> LotCheck:
    """Run ``rule`` (``dfars-2027`` or ``crma``) on a lot from its record.

    A retracted lot keeps its findings but gets status ``retracted``.

    Examples
    --------
    >>> info = {"lot": "L1", "form": "oxide", "retracted": False, "origin": [
    ...     {"share": 1.0, "custody": "segregated", "evidence": [], "lots": ["L1"],
    ...      "stages": {"mined": "AU", "separated": "MY"}}]}
    >>> check_lot(info, "crma")["status"], check_lot(info, "dfars-2027")["status"]
    ('above-benchmark', 'pass')

    """
    if rule == "dfars-2027":
        dfars: DfarsCheck = {**dfars_status(info["origin"], info["form"]), "lot": info["lot"],
                             "form": info["form"], "retracted": info["retracted"]}
        result: LotCheck = dfars
    else:
        crma: CrmaCheck = {**crma_status(info["origin"], info["form"]), "lot": info["lot"],
                           "form": info["form"], "retracted": info["retracted"]}
        result = crma
    if info["retracted"]:
        result["status"] = "retracted"
    return result


def _add_lot_stages(by_stage: dict[str, dict[str, float]], stage_kg: dict[str, float],
                    kg: float, form: str, parts: Sequence[OriginPart]) -> None:
    """Add one lot's kg to the stages its form reached, by country of each part."""
    reached = REQUIRED_STAGES.get(form, STAGES)
    for stage in reached:
        stage_kg[stage] = stage_kg.get(stage, 0.0) + kg
    for part in parts:
        for stage in reached:
            country = part["stages"].get(stage) or UNKNOWN
            shares = by_stage.setdefault(stage, {})
            shares[country] = shares.get(country, 0.0) + kg * float(part["share"])


def crma_report(period: str, made: Sequence[tuple[float, str, Sequence[OriginPart]]]
                ) -> CrmaReport:
    """Stage concentration over the lots produced in ``period``.

    Parameters
    ----------
    period
        ``YYYY`` or ``YYYY-MM``, as the report names it.
    made
        ``(kg, form, origin parts)`` of each lot produced in the period.

    Examples
    --------
    >>> lynas = [{"share": 1.0, "stages": {"mined": "AU", "separated": "MY"}}]
    >>> china = [{"share": 1.0, "stages": {"mined": "CN", "separated": "CN"}}]
    >>> report = crma_report("2026-03", [(300.0, "oxide", lynas), (100.0, "oxide", china)])
    >>> report["stages"]["mined"]["shares"], report["stages"]["mined"]["above_benchmark"]
    ({'AU': 0.75, 'CN': 0.25}, True)

    """
    by_stage: dict[str, dict[str, float]] = {}
    stage_kg: dict[str, float] = {}
    for kg, form, parts in made:
        _add_lot_stages(by_stage, stage_kg, kg, form, parts)
    # kg to the gram and shares to 1e-6: sums of floats carry noise such as 1.0000000000000002
    report: CrmaReport = {"period": period, "lots": len(made),
                          "kg": round(sum(kg for kg, _f, _p in made), 3), "stages": {}}
    for stage, kgs in by_stage.items():
        shares = {c: kg / stage_kg[stage] for c, kg in sorted(kgs.items(), key=lambda x: -x[1])}
        top = next((c for c in shares if c not in EU_COUNTRIES), None)
        report["stages"][stage] = {
            "shares": {c: round(v, 6) for c, v in shares.items()}, "top_third_country": top,
            "assessed": stage in CRMA_STAGES,
            "above_benchmark": bool(stage in CRMA_STAGES and top and shares[top] > CRMA_CAP),
        }
    return report
