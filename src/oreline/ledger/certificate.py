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
    EntryRef,
    LotRecord,
)
from oreline.ledger.rules.compliance import (
    REQUIRED_STAGES,
    crma_rows,
    crma_status,
    dfars_status,
    stage_countries,
)
from oreline.origin import CRMA_CAP, CRMA_STAGES, STAGES, UNKNOWN

__all__ = ["build", "certificate_html"]


def _source(lot: LotRecord) -> CertificateSource:
    """A source lot as a certificate lists it (a lot without rare earths: no stage)."""
    return {"lot": lot["lot"], "material": lot["material"], "kg": lot["kg"],
            "stages": stage_countries(lot["origin"][0]["stages"], lot["form"])
            if lot["origin"] else dict.fromkeys(STAGES)}


def build(info: LotRecord, sources: Sequence[LotRecord], chain: list[EntryRef],
          checkpoint: Checkpoint | None) -> Certificate:
    """Certificate of conformance of a lot as a JSON-ready mapping.

    Parameters
    ----------
    info
        The lot.
    sources
        The received lots it comes from (the leaves of its trace-back tree, or the lot
        itself when it was received).
    chain
        The ledger entries of the lot's and its sources' events.
    checkpoint
        The latest signed checkpoint, if any.

    """
    form = info["form"]
    return {
        "certificate": "certificate of conformance",
        "issued_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "lot": info["lot"], "material": info["material"], "form": form,
        "net_kg": info["kg"], "site": info["site"], "custody": info["custody"],
        "assay": info["assay"],
        "stages_reached": list(REQUIRED_STAGES.get(form, STAGES)),
        "dfars_2027": dfars_status(info["origin"], form),
        "crma": crma_status(info["origin"], form),
        "origin": [{**p, "stages": stage_countries(p["stages"], form)}
                   for p in info["origin"]],
        # a source without rare earths (a reagent) has no origin: every stage not reached
        "sources": [_source(s) for s in sources],
        "evidence_sha256": sorted({h for p in info["origin"] for h in p["evidence"]}),
        "ledger_entries": chain,
        "checkpoint": checkpoint,
        "retracted": info["retracted"],
    }


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


def _when(iso: str) -> str:
    """``2026-12-03T14:40:36+00:00`` as ``2026-12-03 14:40 UTC`` (other text as it is)."""
    if len(iso) >= 16 and iso[10] == "T" and iso.endswith(("+00:00", "Z")):
        return f"{iso[:10]} {iso[11:16]} UTC"
    return iso


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
                       for f in cert["dfars_2027"]["findings"]) or "<li>no findings</li>"
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
td.unknown{{color:#a40}}td.not-reached{{color:#999;text-align:center}}
code{{word-break:break-all}}</style>
</head><body>
<h1>Certificate of conformance</h1>
<p>Lot <b>{e(cert['lot'])}</b>: {e(cert['material'])} ({e(cert['form'])}),
{cert['net_kg']:,.1f} kg at {e(cert['site'])}, custody {e(cert['custody'])}.
Issued {e(_when(cert['issued_at']))}.</p>
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
