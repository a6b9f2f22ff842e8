"""``oreline trace``: the lot ledger on the command line (a thin layer over :class:`Ledger`).

Registered on the root app like every group. Every command takes ``--db PATH_OR_URL``
(default: the ``ORELINE_DB`` setting). A lot that fails ``trace check`` and a ledger that
fails ``trace verify`` exit 9 (:class:`~oreline.errors.CheckFailedError`); other errors
are printed without a traceback and exit with the error's code.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from oreline.cli.console import console, emit, esc, print_json
from oreline.cli.handler import Command, group
from oreline.cli.trace_printers import (
    FINDINGS_SHOWN,
    capture_summary,
    print_account,
    print_crma_report,
    print_demo,
    print_findings,
    print_hash_ids,
    print_item,
    print_lot,
    print_lots,
    print_sites,
    print_stock,
    print_verdict,
)
from oreline.errors import CheckFailedError, LedgerError
from oreline.settings import Settings

__all__ = ["app"]

app = group("Lot ledger: EPCIS capture, trace, checks.")

DbOpt = Annotated[str | None, typer.Option("--db", help="SQLite path or SQLAlchemy URL "
                                           "(default: $ORELINE_DB or oreline-ledger.sqlite)")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
KeyOpt = Annotated[Path, typer.Option(help="Ed25519 key (PEM); created if missing")]
#: Verdicts of ``trace check`` that pass (exit 0); any other exits 9.
PASSING = ("pass", "within-benchmark", "not-applicable")


@contextmanager
def _ledger(db: str | None, create: bool = False) -> Iterator[Any]:
    """The ledger at ``db``; only commands that write (``create``) may start a new file."""
    from oreline.ledger.ledger import Ledger

    target = db if db else Settings.from_env().db_url
    path = target.removeprefix("sqlite:///") if "://" not in target or \
        target.startswith("sqlite:///") else None
    if not create and path and path != ":memory:" and not Path(path).exists():
        raise LedgerError(f"no ledger at {path}: check --db (or $ORELINE_DB); a new ledger "
                          f"starts with `oreline trace capture FILE --db {path}`, or try "
                          f"`oreline trace demo --db {path}`")
    led = Ledger.open(target)
    try:
        yield led
    finally:
        led.close()


@app.command(cls=Command)
def capture(file: Annotated[Path, typer.Argument(help="EPCIS JSON-LD document or CSV file")],
            db: DbOpt = None,
            actor: Annotated[str, typer.Option(help="Who captures (kept in the chain)")] = (
                "oreline")) -> None:
    """Capture a document: all its events or none."""
    from oreline.ledger.csv.importer import capture_csv, read_csv

    source: Any = read_csv(file) if file.suffix.lower() == ".csv" else file
    with _ledger(db, create=True) as led:
        res = capture_csv(led, source, actor=actor)  # CSV problems name their lines
    console.print(capture_summary(res.events, res.first_seq, res.last_seq, len(res.held)))
    for msg in res.flags:
        console.print(f"[yellow]flagged[/]: {esc(msg)}")
    print_findings([(f.where, f.code, f.field, f.message, f.fix) for f in res.findings])


@app.command(cls=Command)
def lot(lot_id: Annotated[str, typer.Argument(help="Lot URI")], db: DbOpt = None,
        direction: Annotated[Literal["back", "forward", "both"], typer.Option(
            help="Trace back to the mines, forward to shipments, or both")] = "both",
        as_json: JsonOpt = False) -> None:
    """Show a lot: trace back to the mines and forward to shipments (recall)."""
    with _ledger(db) as led:
        back = led.trace_back(lot_id) if direction != "forward" else None
        fwd = led.trace_forward(lot_id) if direction != "back" else None
        status = led.check(lot_id, "dfars-2027")["status"]
        info = back or led.lot(lot_id)
    if as_json:
        print_json({"back": back, "forward": fwd, "dfars_2027": status})
    else:
        print_lot(lot_id, info, status, back, fwd)


@app.command(cls=Command)
def item(epc: Annotated[str, typer.Argument(help="Serialised item (EPC), e.g. a magnet's "
                                            "SGTIN")], db: DbOpt = None,
         as_json: JsonOpt = False) -> None:
    """Trace a serialised item back: what it was made from, down to its lots' mines."""
    with _ledger(db) as led:
        trace = led.trace_item(epc)
    if as_json:
        print_json(trace)
    else:
        print_item(dict(trace))


@app.command(cls=Command)
def findings(db: DbOpt = None,
             event: Annotated[str | None, typer.Option(help="Only this event's findings "
                                                       "(its eventID)")] = None,
             code: Annotated[str | None, typer.Option(help="Only this code, e.g. "
                                                      "finding.pieces")] = None,
             show_all: Annotated[bool, typer.Option("--all", help="List every finding, not "
                                                    "the first 25 and counts")] = False,
             as_json: JsonOpt = False) -> None:
    """What keeps captured events outside the Oreline profile (kept, not refused)."""
    with _ledger(db) as led:
        rows = led.findings(event, code)
    if as_json:
        print_json(rows)
        return
    console.print(f"{len(rows)} finding(s)")
    print_findings([(r["event_id"], r["code"], r["field"], r["message"], r["fix"])
                    for r in rows], None if show_all else FINDINGS_SHOWN)


@app.command(cls=Command)
def check(lot_id: Annotated[str, typer.Argument(help="Lot URI, or a period YYYY[-MM] with "
                                                "--rule crma-report")],
          # a str, not a Literal: the ledger checks it (any case) and its message, exit 6,
          # tells a lot rule from the period report
          rule: Annotated[str, typer.Option(
              metavar="<dfars-2027|crma|crma-report>",
              help="dfars-2027 or crma for a lot, crma-report for a period")] = "dfars-2027",
          db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Check a lot against DFARS 2027 or CRMA (or a CRMA report for a period).

    A lot that does not pass exits 9 (with --json: 0, read `status`).
    """
    report = rule.lower() == "crma-report"
    if not report and re.fullmatch(r"\d{4}(-\d{2})?", lot_id):
        raise LedgerError(f"{lot_id!r} is a period, not a lot; for the CRMA report of a "
                          f"period use `oreline trace check {lot_id} --rule crma-report`")
    with _ledger(db) as led:
        result = led.crma_report(lot_id) if report else led.check(lot_id, rule)
    if as_json:
        print_json(result)
    elif report:
        print_crma_report(result)
    else:
        print_verdict(rule, lot_id, result)
        if result["status"] not in PASSING:  # the verdict above says why
            raise typer.Exit(CheckFailedError.exit_code)


@app.command(cls=Command)
def site(site_id: Annotated[str, typer.Argument(help="Site URI, e.g. urn:oreline:site:kmp")],
         name: Annotated[str, typer.Option(help="The site's name")],
         country: Annotated[str, typer.Option(help="ISO 3166 alpha-2 code, e.g. KR")],
         stage: Annotated[str, typer.Option(help="What the site does, e.g. alloying")],
         policy: Annotated[str, typer.Option(help="reject or flag: what a violation at this "
                                             "site does")] = "reject",
         db: DbOpt = None) -> None:
    """Declare a site (append-only; declaring it again with the same data changes nothing).

    Documents may instead declare their sites in their header (see docs/trace.md); a
    CSV file cannot, so declare the sites of CSV rows here first.
    """
    with _ledger(db, create=True) as led:
        led.register_site(site_id, name, country, stage, policy)
    console.print(esc(f"site {site_id} ({name}, {country}, {stage}, policy {policy}) is declared"))


@app.command(cls=Command)
def sites(db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """List the sites the ledger knows."""
    with _ledger(db) as led:
        rows = led.sites()
    if as_json:
        print_json(rows)
    else:
        print_sites(rows)


@app.command(cls=Command)
def lots(db: DbOpt = None,
         form: Annotated[str | None, typer.Option(help="Only this form, e.g. alloy")] = None,
         site: Annotated[str | None, typer.Option(help="Only lots received or made here")] = (
             None),
         as_json: JsonOpt = False) -> None:
    """Every lot in the ledger, shipped and consumed ones too, oldest first."""
    with _ledger(db) as led:
        rows = led.lots(form, site)
    if as_json:
        print_json(rows)
    else:
        print_lots(rows)


@app.command(cls=Command)
def stock(db: DbOpt = None,
          site: Annotated[str | None, typer.Option(help="Only this site")] = None,
          by_lot: Annotated[bool, typer.Option(
              "--lots", help="List the lots on hand instead of origin classes")] = False,
          as_json: JsonOpt = False) -> None:
    """Stock on hand by site, material and origin class (or lot by lot with --lots)."""
    with _ledger(db) as led:
        known = [s["id"] for s in led.sites()] if site is not None else []
        if site is not None and site not in known:
            raise LedgerError(f"site {site!r} is not in the ledger; known sites: "
                              f"{', '.join(known) or 'none yet'}")
        rows = led.lots_on_hand(site) if by_lot else led.stock(site)
    if as_json:
        print_json(rows)
    else:
        print_stock(rows, by_lot)


@app.command(cls=Command)
def account(site: Annotated[str, typer.Argument(help="Site URI")],
            element: Annotated[str, typer.Argument(help="Element symbol, e.g. Nd")],
            db: DbOpt = None,
            period: Annotated[str | None, typer.Option(help="YYYY-MM (default: to date)")] = (
                None),
            method: Annotated[Literal["credit", "rolling"], typer.Option(
                help="Credit method or rolling average")] = "credit",
            entries: Annotated[bool, typer.Option(
                "--entries", help="Also list the account's rows with their kind")] = False,
            as_json: JsonOpt = False) -> None:
    """Mass-balance account (ex-China) of a site and element: credit or rolling average."""
    with _ledger(db) as led:
        acct = led.account(site, element, period, method)
        rows = led.account_entries(site, element, period) if entries else []
    if entries:
        acct["entries"] = rows
    if as_json:
        print_json(acct)
    else:
        print_account(site, element, acct, method, rows)


@app.command(cls=Command)
def certificate(lot_id: Annotated[str, typer.Argument(help="Lot URI")], db: DbOpt = None,
                fmt: Annotated[Literal["html", "json"], typer.Option(
                    "--format", help="HTML page or JSON")] = "html",
                output: Annotated[Path | None, typer.Option("--out", help="File to write")] = (
                    None),
                customer: Annotated[str | None, typer.Option(
                    help="The buyer's name, written on the certificate")] = None,
                shipment: Annotated[str | None, typer.Option(
                    help="eventID of the shipment it covers (default: all of the lot's)")] = (
                    None)) -> None:
    """A lot's certificate (HTML or JSON): issuer, shipments, verdicts, evidence hashes.

    Titled a certificate of conformance only when the lot passes DFARS 2027; otherwise an
    origin statement saying why.
    """
    from oreline.ledger.certificate import certificate_html

    with _ledger(db) as led:
        cert = led.certificate(lot_id, customer=customer, shipment=shipment)
    text = certificate_html(cert) if fmt == "html" else json.dumps(cert, indent=2)
    emit(text, output, f"DFARS 2027 {cert['dfars_2027']['status']}")


@app.command(cls=Command)
def verify(db: DbOpt = None,
           pack: Annotated[Path | None, typer.Option(help="Verify this audit pack offline "
                                                     "instead of the database")] = None,
           trusted_key: Annotated[str | None, typer.Option(
               help="Hex Ed25519 public key signatures must come from")] = None,
           deep: Annotated[bool, typer.Option(help="Also re-derive lots, origins, stock and "
                                              "accounts from the events")] = False) -> None:
    """Recompute every hash, chain link and checkpoint; name the first broken entry.

    A ledger or pack that does not verify exits 9.
    """
    from oreline.ledger.integrity.chain import verify_pack

    if trusted_key is not None and not re.fullmatch(r"[0-9a-fA-F]{64}", trusted_key):
        raise LedgerError(f"--trusted-key {trusted_key!r} is not an Ed25519 public key "
                          "in hex (64 hex digits); `oreline trace checkpoint --key FILE` "
                          "prints the key of FILE in full")
    if pack is not None:
        res = verify_pack(pack, trusted_key)
        console.print(f"[green]pack verifies[/]: {res['entries']} entries, {res['shared']} "
                      f"shared in full, root {res['root'][:16]}..., key "
                      f"{res['public_key'][:16]}...")
        return
    with _ledger(db) as led:
        res = led.verify(trusted_key, deep=deep)
    console.print(f"[green]ledger verifies[/]: {res['entries']} entries, "
                  f"{res['checkpoints']} signed checkpoint(s), head {res['head'][:16]}...")
    if deep:
        console.print("derived tables match the events: " + ", ".join(
            f"{n} {k}" for k, n in res["derived_rows"].items()))


@app.command(cls=Command)
def export(db: DbOpt = None,
           lot_id: Annotated[str | None, typer.Option("--lot", help="Only events of this "
                                                      "lot's genealogy")] = None,
           output: Annotated[Path | None, typer.Option("--out", help="File to write")] = None,
           pack: Annotated[Path | None, typer.Option(help="Write an audit pack (zip) here")] = (
               None),
           key: Annotated[Path, typer.Option(help="Ed25519 key (PEM) for checkpoints and "
                                             "packs; created if missing")] = Path(
               "oreline-ledger.key"),
           checkpoint: Annotated[bool, typer.Option(help="Sign a checkpoint first")] = False
           ) -> None:
    """Export events as an EPCIS 2.0 document, or an audit pack (document+manifest+signature)."""
    if pack is not None and not checkpoint and not key.exists():
        raise LedgerError(f"no key at {key}: give --key with the organisation's key, the "
                          "one its checkpoints are signed with (a pack signed with a new "
                          "key proves nothing about them); `oreline trace checkpoint "
                          "--key FILE` creates one")
    with _ledger(db) as led:
        if checkpoint:
            cp = led.checkpoint(key)
            console.print(f"checkpoint over {cp['upto_seq']} entries, root {cp['root'][:16]}...")
        if pack is not None:
            res = led.write_pack(pack, key, lot_id)
            console.print(f"wrote {esc(pack)}: {res['shared']} event(s) shared of "
                          f"{res['entries']}")
            return
        doc = led.export(lot_id)
    emit(json.dumps(doc, indent=2), output, f"{len(doc['epcisBody']['eventList'])} event(s)")


@app.command(cls=Command)
def demo(db: DbOpt = None,
         months: Annotated[int, typer.Option(min=1, max=12)] = 12,
         key: Annotated[Path, typer.Option(help="Ed25519 key for the closing checkpoint")] = (
             Path("oreline-ledger.key"))) -> None:
    """Capture a year of KMP operations and show the story in a few lines."""
    from oreline.ledger.demo import run_demo

    with _ledger(db, create=True) as led:
        if led.store.count("entries"):
            raise LedgerError("the ledger is not empty; run the demo on a new --db")
        n = run_demo(led.capture, months)
        cp = led.checkpoint(key)
        alloys = [r for r in led.events() if r.get("type") == "TransformationEvent"
                  and "strip_casting" in r.get("bizStep", "")]
        verdicts: dict[str, str] = {}
        for ev in alloys:
            lot_uri = ev["outputQuantityList"][0]["epcClass"]
            verdicts.setdefault(led.check(lot_uri)["status"], lot_uri)
    print_demo(n, months, cp, str(key), verdicts, db)


@app.command("checkpoint", cls=Command)
def checkpoint_cmd(db: DbOpt = None, key: KeyOpt = Path("oreline-ledger.key")) -> None:
    """Sign a checkpoint (Merkle root of all entries) with the organisation's key."""
    with _ledger(db) as led:
        cp = led.checkpoint(key)
    console.print(f"checkpoint over {cp['upto_seq']} entries, root {cp['root']}, "
                  f"key {cp['public_key']}")


if __name__ == "__main__":  # pragma: no cover - the trace group on its own
    app()


@app.command("hash-id", cls=Command)
def hash_id(files: Annotated[list[Path], typer.Argument(
                help="EPCIS 2.0 JSON-LD document, query document or single event")],
            prehash: Annotated[bool, typer.Option(
                "--prehash", "-p", help="Also print each event's pre-hash string")] = False,
            ignore: Annotated[list[str] | None, typer.Option(
                "--ignore", help="Leave this top-level event field out (repeatable), "
                "e.g. a repository's own ex:captureID")] = None,
            as_json: JsonOpt = False) -> None:
    """Print each event's CBV 2.0 event hash ID, as the reference generator's CLI does.

    Works offline on files a partner sent; no ledger is opened.
    """
    from oreline.ledger.epcis.hashlist import hash_file

    results = [(f, hash_file(f, frozenset(ignore or ()))) for f in files]
    print_hash_ids(results, prehash=prehash, as_json=as_json)
