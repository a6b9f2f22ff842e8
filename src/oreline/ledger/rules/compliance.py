"""Compliance checks per lot (DFARS 2027, EU CRMA) and certificates of conformance.

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

A certificate writes every stage of every origin part: the country, :data:`UNKNOWN`
(``"unknown"``) for a
stage the lot's form has been through with no country declared (the name ``crma-report``
gives unknown origins), or ``null`` for a stage the lot has not reached (an alloy is never
``produced``).

Examples
--------
>>> dfars_status([{"share": 1.0, "custody": "segregated", "lots": ["L1"], "evidence": [],
...   "stages": {"mined": "AU", "separated": "MY", "refined": "KR", "melted": None,
...              "produced": None}}], "metal")["status"]
'pass'

"""

from __future__ import annotations

import html
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select

from oreline.ledger.store.queries import leaves, lot_info, trace_back
from oreline.ledger.store.schema import checkpoints, entries, lots
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
    "certificate",
    "certificate_html",
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


def stage_countries(stages: dict[str, str | None], form: str) -> dict[str, str | None]:
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


def dfars_status(parts: list[dict[str, Any]], form: str) -> dict[str, Any]:
    """DFARS 2027 verdict of a lot from its origin parts: pass, fail or unproven.

    ``findings`` name the stage, the country and the input lots at fault.
    """
    needed = [s for s in REQUIRED_STAGES.get(form, STAGES) if s in _DFARS_2027]
    findings: list[dict[str, Any]] = []
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


def _stage_shares(parts: list[dict[str, Any]], form: str) -> dict[str, dict[str, float]]:
    """Share of the lot per reached stage and country (:data:`UNKNOWN` for undeclared)."""
    by_stage: dict[str, dict[str, float]] = {}
    for stage in REQUIRED_STAGES.get(form, STAGES):
        for part in parts:
            country = part["stages"].get(stage) or UNKNOWN
            shares = by_stage.setdefault(stage, {})
            shares[country] = shares.get(country, 0.0) + float(part["share"])
    return by_stage


def crma_status(parts: list[dict[str, Any]], form: str) -> dict[str, Any]:
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
    findings = [{"status": "above-benchmark", "stage": stage, "country": country,
                 "share": share,
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


def crma_rows(crma: dict[str, Any], form: str) -> list[dict[str, Any]]:
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
    rows: list[dict[str, Any]] = []
    for stage in STAGES:
        for country, share in sorted(by_stage.get(stage, {}).items(),
                                     key=lambda x: (-x[1], x[0])):
            rows.append({"stage": stage, "country": country, "share": share,
                         "status": _row_status(stage, country, share)})
    return rows


def check_lot(conn: Connection, lot: str, rule: str) -> dict[str, Any]:
    """Run ``rule`` (``dfars-2027`` or ``crma``) on a lot."""
    info = lot_info(conn, lot)
    result = (dfars_status(info["origin"], info["form"]) if rule == "dfars-2027"
              else crma_status(info["origin"], info["form"]))
    result["lot"] = lot
    result["form"] = info["form"]
    result["retracted"] = info["retracted"]
    if info["retracted"]:
        result["status"] = "retracted"
    return result


def _next_period(period: str) -> str:
    """The period after ``period`` (``YYYY`` or ``YYYY-MM``).

    Examples
    --------
    >>> _next_period("2026"), _next_period("2026-12"), _next_period("2026-03")
    ('2027', '2027-01', '2026-04')

    """
    if len(period) == 4:
        return f"{int(period) + 1:04d}"
    year, month = int(period[:4]), int(period[5:7])
    return f"{year + month // 12:04d}-{month % 12 + 1:02d}"


def _utc_day(period: str, shift_days: int) -> str:
    """The UTC day (``YYYY-MM-DD``) ``shift_days`` from the first day of ``period``.

    Examples
    --------
    >>> _utc_day("2026-03", -1), _utc_day("2027", 1)
    ('2026-02-28', '2027-01-02')

    """
    first = datetime.strptime(period + ("-01-01" if len(period) == 4 else "-01"), "%Y-%m-%d")
    return (first + timedelta(days=shift_days)).strftime("%Y-%m-%d")


def crma_report(conn: Connection, period: str, forms: tuple[str, ...] = ("alloy", "metal",
                                                                          "magnet")) -> dict[
        str, Any]:
    """Stage concentration over the lots produced in ``period`` (``YYYY`` or ``YYYY-MM``).

    A lot belongs to the period of its event's local time, as written with its offset (as
    mass-balance accounts do): a lot cast at 08:00 +09:00 on 1 February is February's,
    though it is 31 January in UTC, the time ``lots.event_time`` holds. Lots within a day
    of the period in UTC are read, and their events' local time decides.
    """
    rows = [r for r in conn.execute(
        select(lots.c.kg, lots.c.origin, lots.c.form, entries.c.body)
        .join(entries, entries.c.seq == lots.c.seq)
        .where(lots.c.event_time >= _utc_day(period, -1),
               lots.c.event_time < _utc_day(_next_period(period), 1),
               lots.c.form.in_(forms))).all()
        if str(json.loads(r.body).get("eventTime", "")).startswith(period)]
    total = sum(float(r.kg) for r in rows)
    by_stage: dict[str, dict[str, float]] = {}
    stage_kg: dict[str, float] = {}
    for r in rows:
        for stage in REQUIRED_STAGES.get(r.form, STAGES):
            stage_kg[stage] = stage_kg.get(stage, 0.0) + float(r.kg)
        for part in json.loads(r.origin):
            for stage in REQUIRED_STAGES.get(r.form, STAGES):
                country = part["stages"].get(stage) or UNKNOWN
                shares = by_stage.setdefault(stage, {})
                shares[country] = shares.get(country, 0.0) + float(r.kg) * float(part["share"])
    # kg to the gram and shares to 1e-6: sums of floats carry noise such as 1.0000000000000002
    report: dict[str, Any] = {"period": period, "lots": len(rows), "kg": round(total, 3),
                              "stages": {}}
    for stage, kgs in by_stage.items():
        shares = {c: kg / stage_kg[stage] for c, kg in sorted(kgs.items(), key=lambda x: -x[1])}
        top = next((c for c in shares if c not in EU_COUNTRIES), None)
        report["stages"][stage] = {
            "shares": {c: round(v, 6) for c, v in shares.items()}, "top_third_country": top,
            "assessed": stage in CRMA_STAGES,
            "above_benchmark": bool(stage in CRMA_STAGES and top and shares[top] > CRMA_CAP),
        }
    return report


def certificate(conn: Connection, lot: str) -> dict[str, Any]:
    """Certificate of conformance of a lot as a JSON-ready mapping."""
    info = lot_info(conn, lot)
    tree = trace_back(conn, lot)
    sources = leaves(tree) if tree["inputs"] else [tree]
    evidence = sorted({h for p in info["origin"] for h in p["evidence"]})
    ids = [info["event_id"]] + [s["event_id"] for s in sources]
    chain = conn.execute(select(entries.c.seq, entries.c.event_id, entries.c.entry_hash).where(
        entries.c.event_id.in_(ids)).order_by(entries.c.seq)).all()
    cp = conn.execute(select(checkpoints).order_by(checkpoints.c.id.desc()).limit(1)).first()
    form = info["form"]
    return {
        "certificate": "certificate of conformance",
        "issued_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "lot": lot, "material": info["material"], "form": form,
        "net_kg": info["kg"], "site": info["site"], "custody": info["custody"],
        "assay": info["assay"],
        "stages_reached": list(REQUIRED_STAGES.get(form, STAGES)),
        "dfars_2027": dfars_status(info["origin"], form),
        "crma": crma_status(info["origin"], form),
        "origin": [{**p, "stages": stage_countries(p["stages"], form)}
                   for p in info["origin"]],
        # a source without rare earths (a reagent) has no origin: every stage not reached
        "sources": [{"lot": s["lot"], "material": s["material"], "kg": s["kg"],
                     "stages": stage_countries(s["origin"][0]["stages"], s["form"])
                     if s["origin"] else dict.fromkeys(STAGES)}
                    for s in sources],
        "evidence_sha256": evidence,
        "ledger_entries": [{"seq": r.seq, "event_id": r.event_id, "entry_hash": r.entry_hash}
                           for r in chain],
        "checkpoint": None if cp is None else {"upto_seq": cp.upto_seq, "root": cp.root,
                                               "public_key": cp.public_key,
                                               "signature": cp.signature},
        "retracted": info["retracted"],
    }


def _stage_cell(country: str | None) -> str:
    """A table cell of one stage: the country, ``unknown`` or a dash (not reached)."""
    if country is None:
        return '<td class="not-reached" title="not reached">&mdash;</td>'
    if country == UNKNOWN:
        return '<td class="unknown" title="country not declared">unknown</td>'
    return f"<td>{html.escape(country)}</td>"


def _crma_table(cert: dict[str, Any]) -> str:
    """The CRMA section's table: share by stage and country, with each row's status."""
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(r['stage'])}</td><td>{e(r['country'])}</td>"
        f"<td>{r['share']:.1%}</td><td>{e(r['status'])}</td></tr>"
        for r in crma_rows(cert["crma"], cert["form"]))
    if not rows:
        return "<p>The lot holds no rare earths: nothing to check.</p>"
    return (f"<p>Share of the lot's rare earths by stage and country; the benchmark is at "
            f"most {CRMA_CAP:.0%} from one third country at the sourcing stages "
            f"({', '.join(CRMA_STAGES)}); EU members are not capped, material with no "
            f"declared country counts as one more third country (unknown), and the lot's "
            f"own processing stages are shown but not assessed.</p>\n"
            f'<table class="crma"><tr><th>stage</th><th>country</th><th>share</th>'
            f"<th>status</th></tr>{rows}</table>")


def _footer(cert: dict[str, Any]) -> str:
    """How to check the certificate offline: the audit pack commands of docs/trace.md."""
    e = html.escape
    cp = cert.get("checkpoint")
    key = cp["public_key"] if cp else "HEX"
    return (f"<p>Verify offline, without the ledger database, with an audit pack of this "
            f"lot: the issuer writes it with <code>oreline trace export --pack PACK.zip "
            f"--lot {e(cert['lot'])} --key KEY</code>; anyone checks it with "
            f"<code>oreline trace verify --pack PACK.zip --trusted-key {e(key)}</code> "
            f"(the public key of the ledger's checkpoints) and finds the ledger entries "
            f"above in the pack's <code>manifest.json</code>.</p>")


def certificate_html(cert: dict[str, Any]) -> str:
    """Render a certificate (from :func:`certificate`) as a standalone HTML page.

    Parameters
    ----------
    cert
        The mapping :func:`certificate` returns.

    Returns
    -------
    str
        The page: verdicts, the CRMA table, origin by stage (``unknown`` for an undeclared
        country, a dash for a stage not reached), evidence, ledger entries and how to
        verify them offline.

    """
    e = html.escape
    rows = "".join(
        f"<tr><td>{p['share']:.2%}</td>"
        + "".join(_stage_cell(c) for c in stage_countries(p["stages"], cert["form"]).values())
        + f"<td>{e(p['custody'])}</td><td>{e(', '.join(p.get('lots', [])[:8]))}</td></tr>"
        for p in cert["origin"])
    findings = "".join(f"<li>{e(f['status'])}: {e(f['reason'])} "
                       f"({e(', '.join(f['lots'][:5]))})</li>"
                       for f in cert["dfars_2027"]["findings"]) or "<li>none</li>"
    evidence = "".join(f"<li><code>{e(h)}</code></li>" for h in cert["evidence_sha256"]) or (
        "<li>none</li>")
    chain = "".join(f"<tr><td>{r['seq']}</td><td><code>{e(r['event_id'])}</code></td>"
                    f"<td><code>{e(r['entry_hash'])}</code></td></tr>"
                    for r in cert["ledger_entries"])
    assay = ", ".join(f"{e(k)} {v:.2%}" for k, v in sorted(cert["assay"].items()))
    head = "".join(f"<th>{s}</th>" for s in STAGES)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Certificate of conformance {e(cert['lot'])}
</title><style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}
table{{border-collapse:collapse}}td,th{{border:1px solid #999;padding:.2em .5em}}
td.unknown{{color:#a40}}td.not-reached{{color:#999;text-align:center}}</style>
</head><body>
<h1>Certificate of conformance</h1>
<p>Lot <b>{e(cert['lot'])}</b>: {e(cert['material'])} ({e(cert['form'])}),
{cert['net_kg']:,.1f} kg at {e(cert['site'])}, custody {e(cert['custody'])}.
Issued {e(cert['issued_at'])}.</p>
<p>Assay: {assay}</p>
<h2>DFARS 252.225-7052 (2027 rule): {e(cert['dfars_2027']['status'].upper())}</h2>
<ul>{findings}</ul>
<h2>EU CRMA stage concentration: {e(cert['crma']['status'])}</h2>
{_crma_table(cert)}
<h2>Origin by stage</h2>
<table><tr><th>share</th>{head}<th>custody</th><th>source lots</th></tr>{rows}</table>
<p>unknown: a stage the lot has been through whose country was not declared;
&mdash;: a stage this {e(cert['form'])} lot has not reached.</p>
<h2>Evidence (SHA-256)</h2><ul>{evidence}</ul>
<h2>Ledger entries</h2><table><tr><th>seq</th><th>event</th><th>entry hash</th></tr>{chain}
</table>
{_footer(cert)}
</body></html>
"""
