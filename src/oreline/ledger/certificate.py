"""Certificates of conformance: a lot's verdicts, origin and ledger entries, as JSON or HTML.

:func:`build` assembles the certificate from values the store read (the lot, its source
lots, the entries it cites and the latest checkpoint) and the verdicts of
:mod:`oreline.ledger.rules.compliance`; :func:`certificate_html` renders it as a
standalone page. :meth:`oreline.ledger.ledger.Ledger.certificate` does the reading.

A certificate writes every stage of every origin part: the country, ``unknown`` for a
stage the lot's form has been through with no country declared, or ``null`` for a stage
the lot has not reached (:func:`~oreline.ledger.rules.compliance.stage_countries`).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import UTC, datetime

from oreline.ledger.records import (
    Certificate,
    CertificateSource,
    Checkpoint,
    DfarsResult,
    EntryRef,
    LotRecord,
    Shipment,
    SiteRow,
)
from oreline.ledger.rules.compliance import (
    REQUIRED_STAGES,
    crma_rows,
    crma_status,
    dfars_status,
    stage_countries,
)
from oreline.origin import CRMA_CAP, CRMA_STAGES, STAGES, UNKNOWN

__all__ = ["build", "certificate_html", "title_and_note"]

#: The title of a lot that passes; any other lot gets an origin statement.
CONFORMANCE = "certificate of conformance"


def _source(lot: LotRecord) -> CertificateSource:
    """A source lot as a certificate lists it (a lot without rare earths: no stage)."""
    return {"lot": lot["lot"], "material": lot["material"], "kg": lot["kg"],
            "stages": stage_countries(lot["origin"][0]["stages"], lot["form"])
            if lot["origin"] else dict.fromkeys(STAGES)}


def title_and_note(dfars: DfarsResult, evidence: list[str], retracted: bool) -> tuple[str, str]:
    """The document's title and one sentence on what the DFARS verdict rests on.

    Only a lot that passes and is not retracted is titled a certificate of conformance;
    a pass with no evidence document behind its origin declarations says so.

    Examples
    --------
    >>> title_and_note({"rule": "dfars-2027", "status": "pass", "findings": []}, [], False)[1]
    'PASS on the declared origins only: no evidence document is attached to them.'
    >>> title_and_note({"rule": "dfars-2027", "status": "fail", "findings": []}, ["ab"], False)[0]
    'origin statement: does not conform to DFARS 252.225-7052'

    """
    status = dfars["status"]
    if retracted:
        return ("origin statement: lot declared in error (retracted)",
                "The event that made this lot was declared in error; no conformance is "
                "stated.")
    if status == "pass":
        note = ("PASS: every required stage's country is declared and none is a covered "
                "country; the evidence documents below back the declarations."
                if evidence else
                "PASS on the declared origins only: no evidence document is attached to "
                "them.")
        return CONFORMANCE, note
    if status == "fail":
        return ("origin statement: does not conform to DFARS 252.225-7052",
                "FAIL: a required stage took place in a covered country (below).")
    if status == "unproven":
        return ("origin statement: conformance not proven",
                "UNPROVEN: a required stage's country is not declared, or the lot is held "
                "under mass balance (below).")
    return ("origin statement: DFARS not applicable",
            "The lot holds no rare earths: not covered material.")


def build(info: LotRecord, sources: Sequence[LotRecord], chain: list[EntryRef],
          checkpoint: Checkpoint | None, issuer: SiteRow | None = None,
          shipments: Sequence[Shipment] = (), customer: str | None = None) -> Certificate:
    """A lot's certificate as a JSON-ready mapping.

    Parameters
    ----------
    info
        The lot.
    sources
        The received lots it comes from (the leaves of its trace-back tree, or the lot
        itself when it was received).
    chain
        The ledger entries of the lot's, its sources' and its shipments' events.
    checkpoint
        The latest signed checkpoint, if any.
    issuer
        The registered site issuing it (where the lot is held or was made).
    shipments
        The lot's shipments the certificate covers.
    customer
        The buyer, as the issuer names it.

    """
    form = info["form"]
    dfars = dfars_status(info["origin"], form)
    evidence = sorted({h for p in info["origin"] for h in p["evidence"]})
    title, note = title_and_note(dfars, evidence, bool(info["retracted"]))
    return {
        "certificate": title,
        "verdict_note": note,
        "issuer": issuer or {"id": info["site"], "name": info["site"], "country": "",
                             "stage": "", "policy": ""},
        "customer": customer,
        "shipments": list(shipments),
        "issued_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "lot": info["lot"], "material": info["material"], "form": form,
        "net_kg": info["kg"], "site": info["site"], "custody": info["custody"],
        "assay": info["assay"],
        "stages_reached": list(REQUIRED_STAGES.get(form, STAGES)),
        "dfars_2027": dfars,
        "crma": crma_status(info["origin"], form),
        "origin": [{**p, "stages": stage_countries(p["stages"], form)}
                   for p in info["origin"]],
        # a source without rare earths (a reagent) has no origin: every stage not reached
        "sources": [_source(s) for s in sources],
        "evidence_sha256": evidence,
        "ledger_entries": chain,
        "checkpoint": checkpoint,
        "retracted": info["retracted"],
    }


def _issuer(cert: Certificate) -> str:
    """Who issues it, when and to whom."""
    e = html.escape
    iss = cert["issuer"]
    where = f", {e(iss['country'])}" if iss["country"] else ""
    return (f"<p>Issued by <b>{e(iss['name'])}</b> ({e(iss['id'])}{where}) on "
            f"{e(cert['issued_at'][:10])}"
            + (f" to <b>{e(cert['customer'])}</b>" if cert["customer"] else "") + ".</p>")


def _shipments(cert: Certificate) -> str:
    """The shipments the certificate covers, or a sentence saying there are none."""
    e = html.escape
    if not cert["shipments"]:
        return ("<p>Shipment: none recorded for this lot in the ledger (the certificate "
                "covers the lot as held).</p>")
    rows = "".join(
        f"<tr><td>{e(s['local_time'][:16].replace('T', ' '))}</td>"
        f"<td class=num>{s['kg']:,.1f}</td><td>{e(s['from_site'])}</td>"
        f"<td>{e(', '.join(str(d) for d in s['destination']) or '-')}</td>"
        f"<td>{e(', '.join(b['type'] + ' ' + b['id'] for b in s['business_transactions']) or '-')}"
        f"</td><td><code>{e(s['event_id'])}</code></td></tr>" for s in cert["shipments"])
    return ("<h2>Shipments covered</h2><table><tr><th>shipped</th><th>kg</th>"
            "<th>from</th><th>to</th><th>business transactions</th><th>event</th></tr>"
            f"{rows}</table>")


def _stage_cell(country: str | None) -> str:
    """A table cell of one stage: the country, ``unknown`` or a dash (not reached)."""
    if country is None:
        return '<td class="not-reached" title="not reached">&mdash;</td>'
    if country == UNKNOWN:
        return '<td class="unknown" title="country not declared">unknown</td>'
    return f"<td>{html.escape(country)}</td>"


def _crma_table(cert: Certificate) -> str:
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


def _footer(cert: Certificate) -> str:
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


def certificate_html(cert: Certificate) -> str:
    """Render a certificate (from :func:`build`) as a standalone HTML page.

    Parameters
    ----------
    cert
        The mapping :func:`build` returns.

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
                       for f in cert["dfars_2027"]["findings"])
    findings = f"<ul>{findings}</ul>" if findings else ""
    evidence = "".join(f"<li><code>{e(h)}</code></li>" for h in cert["evidence_sha256"])
    evidence = (f"<ul>{evidence}</ul>" if evidence else
                "<p>None: the origins rest on the declarations in the events alone.</p>")
    title = cert["certificate"][0].upper() + cert["certificate"][1:]
    chain = "".join(f"<tr><td>{r['seq']}</td><td><code>{e(r['event_id'])}</code></td>"
                    f"<td><code>{e(r['entry_hash'])}</code></td></tr>"
                    for r in cert["ledger_entries"])
    assay = ", ".join(f"{e(k)} {v:.2%}" for k, v in sorted(cert["assay"].items()))
    head = "".join(f"<th>{s}</th>" for s in STAGES)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{e(title)} {e(cert['lot'])}
</title><style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}
table{{border-collapse:collapse}}td,th{{border:1px solid #999;padding:.2em .5em}}
td.unknown{{color:#a40}}td.not-reached{{color:#999;text-align:center}}
td.num{{text-align:right}}.note{{font-weight:bold}}
table{{max-width:100%}}code{{word-break:break-all}}
@media print{{body{{margin:0;max-width:none}}h2{{break-after:avoid}}tr{{break-inside:avoid}}}}
</style>
</head><body>
<h1>{e(title)}</h1>
{_issuer(cert)}
<p>Lot <b>{e(cert['lot'])}</b>: {e(cert['material'])} ({e(cert['form'])}),
{cert['net_kg']:,.1f} kg at {e(cert['site'])}, custody {e(cert['custody'])}.</p>
<p>Assay: {assay}</p>
{_shipments(cert)}
<h2>DFARS 252.225-7052 (2027 rule): {e(cert['dfars_2027']['status'].upper())}</h2>
<p class="note">{e(cert['verdict_note'])}</p>
{findings}
<h2>EU CRMA stage concentration: {e(cert['crma']['status'])}</h2>
{_crma_table(cert)}
<h2>Origin by stage</h2>
<table><tr><th>share</th>{head}<th>custody</th><th>source lots</th></tr>{rows}</table>
<p>unknown: a stage the lot has been through whose country was not declared;
&mdash;: a stage this {e(cert['form'])} lot has not reached.</p>
<h2>Evidence (SHA-256)</h2>{evidence}
<h2>Ledger entries</h2><table><tr><th>seq</th><th>event</th><th>entry hash</th></tr>{chain}
</table>
{_footer(cert)}
</body></html>
"""
