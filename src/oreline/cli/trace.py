"""``oreline trace``: the lot ledger on the command line (a thin layer over :class:`Ledger`).

Mount with ``root.add_typer(app, name="trace")``. Every command takes ``--db PATH_OR_URL``
(default: the ``ORELINE_DB`` setting). Errors are printed without a traceback and exit
with the error's code.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from oreline.errors import CaptureError, LedgerError, OrelineError
from oreline.settings import Settings

app = typer.Typer(help="Trace lots: EPCIS 2.0 chain of custody, DFARS/CRMA checks, verify.",
                  no_args_is_help=True)
# lot URIs such as urn:x:lot print as written (no emoji codes) and are never broken
# across lines, whatever the terminal's width (soft wrap), so they can be copied
out = Console(emoji=False, soft_wrap=True)
err = Console(stderr=True, emoji=False, soft_wrap=True)

DbOpt = Annotated[str | None, typer.Option("--db", help="SQLite path or SQLAlchemy URL "
                                           "(default: $ORELINE_DB or oreline-ledger.sqlite)")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]


def _db(db: str | None) -> str:
    return db if db else Settings.from_env().db_url


@contextmanager
def _ledger(db: str | None, create: bool = False) -> Iterator[Any]:
    """The ledger at ``db``; only commands that write (``create``) may start a new file."""
    from oreline.ledger.ledger import Ledger

    target = _db(db)
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


def _printable(text: str) -> str:
    """``text`` with what UTF-8 cannot encode (a lone surrogate from the input) escaped."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _run(body: Callable[[], None]) -> None:
    try:
        body()
    except CaptureError as exc:
        err.print(f"[bold red]{exc.title}[/]: {len(exc.issues)} problem(s); nothing was written")
        shown = exc.issues if len(exc.issues) <= _MAX_SHOWN else exc.issues[:_SHOWN]
        for issue in shown:
            err.print(Text.assemble(("  - ", "red"), _printable(str(issue))), highlight=False)
        if len(shown) < len(exc.issues):
            err.print(f"  ... and {len(exc.issues) - len(shown)} more: "
                      + _kinds(exc.issues[len(shown):]), highlight=False)
        raise typer.Exit(exc.exit_code) from None
    except OrelineError as exc:
        err.print(Text.assemble(("error", "bold red"), f": {_printable(str(exc))}"),
                  highlight=False)
        raise typer.Exit(exc.exit_code) from None


#: Problems of a capture listed one by one (more: the first ones, then a count by kind).
_MAX_SHOWN, _SHOWN = 40, 25


def _kinds(issues: list[Any]) -> str:
    """Counts of problems by field and message (IDs and numbers left out), most first."""
    counts: dict[str, int] = {}
    for issue in issues:
        what = re.sub(r"(?:urn|ni|https?):\S+|\d[\d.,:+-]*", "...",
                      f"{issue.field}: {issue.message}")
        counts[what] = counts.get(what, 0) + 1
    ranked = sorted(counts.items(), key=lambda kv: -kv[1])
    return "; ".join(f"{n} x {what}" for what, n in ranked[:5]) + (
        "; ..." if len(ranked) > 5 else "")


def _print_json(data: Any) -> None:
    text = json.dumps(data, default=str, indent=2)
    if out.is_terminal:
        out.print_json(text)
    else:  # piped or redirected: the JSON exactly, for the next program
        sys.stdout.write(text + "\n")


def _print_table(table: Table) -> None:
    """A table at its natural width when piped, folded (never cut) in a terminal."""
    for column in table.columns:
        column.overflow = "fold"  # whole URIs, never cut to "urn:oreline..."
    _print_wide(table)


def _print_wide(thing: Table | Tree) -> None:
    """Print to the terminal, or when piped at full width (nothing cut at 80 columns)."""
    if out.is_terminal:
        out.print(thing)
    else:  # no terminal width to fit: each line as long as it needs
        Console(file=sys.stdout, width=10_000, emoji=False, soft_wrap=True).print(thing)


def _emit(text: str, output: Path | None, summary: str) -> None:
    """Print ``text`` as it is (JSON, HTML, EPCIS), or write it to ``output`` and say so."""
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        sys.stdout.flush()
    else:
        output.write_text(text, encoding="utf-8")
        out.print(f"wrote {output}: {summary}")


@app.command()
def capture(file: Annotated[Path, typer.Argument(help="EPCIS JSON-LD document or CSV file")],
            db: DbOpt = None,
            actor: Annotated[str, typer.Option(help="Who captures (kept in the chain)")] = (
                "oreline")) -> None:
    """Capture a document: all its events or none."""
    def body() -> None:
        from oreline.ledger.csv.importer import capture_csv, read_csv

        source: Any = read_csv(file) if file.suffix.lower() == ".csv" else file
        with _ledger(db, create=True) as led:
            res = capture_csv(led, source, actor=actor)  # CSV problems name their lines
        out.print(f"captured {res.events} event(s) as entries {res.first_seq}..{res.last_seq}")
        for msg in res.flags:
            out.print(f"[yellow]flagged[/]: {msg}")
    _run(body)


def _tree(node: dict[str, Any], branch: Tree) -> None:
    for link in node["inputs"]:
        lot = link["lot"]
        origin = "; ".join(_origin_text(p) for p in lot["origin"][:3]) or "not controlled"
        sub = branch.add(f"{link['kg']:,.1f} kg ({link['share']:.1%}) of [bold]{lot['lot']}"
                         f"[/] {lot['material']} [dim]{origin}[/]")
        _tree(lot, sub)


def _origin_text(part: dict[str, Any]) -> str:
    from oreline.ledger.store.queries import origin_label

    return f"{part['share']:.0%} {origin_label(part['stages'])}"


@app.command()
def lot(lot_id: Annotated[str, typer.Argument(help="Lot URI")], db: DbOpt = None,
        direction: Annotated[str, typer.Option(help="back, forward or both")] = "both",
        as_json: JsonOpt = False) -> None:
    """Show a lot: trace back to the mines and forward to shipments (recall)."""
    def body() -> None:
        if direction not in ("back", "forward", "both"):
            raise LedgerError(f"--direction {direction!r}: use back, forward or both")
        with _ledger(db) as led:
            back = led.trace_back(lot_id) if direction != "forward" else None
            fwd = led.trace_forward(lot_id) if direction != "back" else None
            status = led.check(lot_id, "dfars-2027")["status"]
            info = back or led.lot(lot_id)
        if as_json:
            _print_json({"back": back, "forward": fwd, "dfars_2027": status})
            return
        made = ("" if back is None else " received" if not back["inputs"] else " made")
        out.print(f"[bold]{lot_id}[/]: {info['material']} ({info['form']}), "
                  f"{info['kg']:,.1f} kg{made}, {info['on_hand_kg']:,.1f} kg on hand at "
                  f"{info['site']}; custody {info['custody']}; DFARS 2027: [bold]{status}[/]"
                  + (" [red](declared in error)[/]" if info["retracted"] else ""))
        for part in info["origin"]:
            out.print(f"  origin {_origin_text(part)} [dim]({part['custody']})[/]")
        if back is not None:
            tree = Tree(f"trace back ({back['depth']} stage(s) deep; each line: kg of an "
                        "input that went into the whole lot above it, and its share)")
            _tree(back, tree)
            _print_wide(tree)
        if fwd is not None:
            out.print(f"trace forward: {len(fwd['descendants'])} lot(s) made from it, "
                      f"{len(fwd['shipments'])} shipment(s)")
            for d in fwd["descendants"]:
                out.print(f"  made {d['lot']} {d['material']} ({d['form']}), "
                          f"{d['on_hand_kg']:,.1f} kg on hand")
            for s in fwd["shipments"]:
                out.print(f"  {s['local_time'][:10]} {s['kg']:,.1f} kg of {s['lot']} -> "
                          f"{', '.join(d for d in s['destination'] if d) or '?'}")
    _run(body)


@app.command()
def check(lot_id: Annotated[str, typer.Argument(help="Lot URI, or a period YYYY[-MM] with "
                                                "--rule crma-report")],
          rule: Annotated[str, typer.Option(help="dfars-2027, crma or crma-report")] = (
              "dfars-2027"),
          db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Check a lot against DFARS 2027 or CRMA (or a CRMA report for a period)."""
    def body() -> None:
        report = rule.lower() == "crma-report"
        if not report and re.fullmatch(r"\d{4}(-\d{2})?", lot_id):
            raise LedgerError(f"{lot_id!r} is a period, not a lot; for the CRMA report of a "
                              f"period use `oreline trace check {lot_id} --rule crma-report`")
        with _ledger(db) as led:
            result = led.crma_report(lot_id) if report else led.check(lot_id, rule)
        if as_json:
            _print_json(result)
            return
        if report:
            _print_crma_report(result)
            return
        colour = {"pass": "green", "fail": "red", "within-benchmark": "green"}.get(
            result["status"], "yellow")
        out.print(f"{rule} {lot_id}: [bold {colour}]{result['status'].upper()}[/]")
        for f in result["findings"]:
            lots = ", ".join(f.get("lots", [])[:4])
            out.print(f"  - {f.get('status', '')} {f['reason']} [dim]{f['share']:.1%} of the "
                      f"lot{'; inputs ' + lots if lots else ''}[/]")
        if result["status"] not in ("pass", "within-benchmark", "not-applicable"):
            raise typer.Exit(1)
    _run(body)


def _print_crma_report(report: dict[str, Any]) -> None:
    from oreline.origin import CRMA_CAP

    out.print(f"CRMA stage concentration, {report['period']}: {report['lots']} lot(s) of "
              f"metal, alloy or magnet, {report['kg']:,.1f} kg")
    table = Table("stage", "countries (share of the kg)", "top non-EU country",
                  f"above {CRMA_CAP:.0%}")
    for stage, row in report["stages"].items():
        shares = ", ".join(f"{c} {v:.1%}" for c, v in row["shares"].items())
        table.add_row(stage, shares, row["top_third_country"] or "-",
                      "yes" if row["above_benchmark"] else
                      "no" if row["assessed"] else "not assessed")
    _print_table(table)


@app.command()
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
    def body() -> None:
        with _ledger(db, create=True) as led:
            led.register_site(site_id, name, country, stage, policy)
        out.print(f"site {site_id} ({name}, {country}, {stage}, policy {policy}) is declared")
    _run(body)


@app.command()
def sites(db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """List the sites the ledger knows."""
    def body() -> None:
        with _ledger(db) as led:
            rows = led.sites()
        if as_json:
            _print_json(rows)
            return
        table = Table("site", "name", "country", "stage", "policy")
        for r in rows:
            table.add_row(r["id"], r["name"], r["country"], r["stage"], r["policy"])
        _print_table(table)
    _run(body)


@app.command()
def lots(db: DbOpt = None,
         form: Annotated[str | None, typer.Option(help="Only this form, e.g. alloy")] = None,
         site: Annotated[str | None, typer.Option(help="Only lots received or made here")] = (
             None),
         as_json: JsonOpt = False) -> None:
    """Every lot in the ledger, shipped and consumed ones too, oldest first."""
    def body() -> None:
        with _ledger(db) as led:
            rows = led.lots(form, site)
        if as_json:
            _print_json(rows)
            return
        table = Table("lot", "material", "form", "site", "kg", "on hand", "created (UTC)")
        for r in rows:
            table.add_row(r["lot"] + (" (declared in error)" if r["retracted"] else ""),
                          r["material"], r["form"], r["site"], f"{r['kg']:,.1f}",
                          f"{r['on_hand_kg']:,.1f}", r["event_time"][:16])
        _print_table(table)
    _run(body)


@app.command()
def stock(db: DbOpt = None,
          site: Annotated[str | None, typer.Option(help="Only this site")] = None,
          by_lot: Annotated[bool, typer.Option(
              "--lots", help="List the lots on hand instead of origin classes")] = False,
          as_json: JsonOpt = False) -> None:
    """Stock on hand by site, material and origin class (or lot by lot with --lots)."""
    def body() -> None:
        with _ledger(db) as led:
            known = [s["id"] for s in led.sites()] if site is not None else []
            if site is not None and site not in known:
                raise LedgerError(f"site {site!r} is not in the ledger; known sites: "
                                  f"{', '.join(known) or 'none yet'}")
            rows = led.lots_on_hand(site) if by_lot else led.stock(site)
        if as_json:
            _print_json(rows)
            return
        if by_lot:
            table = Table("lot", "site", "material", "form", "kg")
            for r in rows:
                table.add_row(r["lot"], r["site"], r["material"], r["form"], f"{r['kg']:,.1f}")
        else:
            table = Table("site", "material", "form", "origin", "custody", "kg")
            for r in rows:
                table.add_row(r["site"], r["material"], r["form"], r["origin"], r["custody"],
                              f"{r['kg']:,.1f}")
        _print_table(table)
    _run(body)


@app.command()
def account(site: Annotated[str, typer.Argument(help="Site URI")],
            element: Annotated[str, typer.Argument(help="Element symbol, e.g. Nd")],
            db: DbOpt = None,
            period: Annotated[str | None, typer.Option(help="YYYY-MM (default: to date)")] = (
                None),
            method: Annotated[str, typer.Option(help="credit or rolling")] = "credit",
            entries: Annotated[bool, typer.Option(
                "--entries", help="Also list the account's rows with their kind")] = False,
            as_json: JsonOpt = False) -> None:
    """Mass-balance account (ex-China) of a site and element: credit or rolling average."""
    def body() -> None:
        if method not in ("credit", "rolling"):
            raise LedgerError(f"--method {method!r}: use credit or rolling")
        with _ledger(db) as led:
            acct = led.account(site, element, period, method)
            rows = led.account_entries(site, element, period) if entries else []
        if entries:
            acct["entries"] = rows
        if as_json:
            _print_json(acct)
        elif method == "credit":
            out.print(f"{site} {element} ex-china, period {acct['period']}: opening "
                      f"{acct['opening_kg']:,.3f} kg + credits {acct['credits_kg']:,.3f} kg - "
                      f"debits {acct['debits_kg']:,.3f} kg (claims {acct['claims_kg']:,.3f} "
                      f"kg, process losses {acct['losses_kg']:,.3f} kg) = closing "
                      f"{acct['closing_kg']:,.3f} kg")
        else:
            out.print(f"{site} {element} ex-china, {acct['window']}: {acct['percentage']:.1%} "
                      f"of {acct['input_kg']:,.3f} kg input (net of {acct['lost_kg']:,.3f} kg "
                      f"process losses) is compliant; claimed {acct['claimed_kg']:,.3f} kg")
        for r in rows if not as_json else []:
            out.print(f"  {r['period']} entry {r['seq']} {r['kind']}: input "
                      f"{r['input_kg']:,.3f} credit {r['credit_kg']:,.3f} debit "
                      f"{r['debit_kg']:,.3f} kg ({r['event_id']})")
    _run(body)


@app.command()
def certificate(lot_id: Annotated[str, typer.Argument(help="Lot URI")], db: DbOpt = None,
                fmt: Annotated[str, typer.Option("--format", help="html or json")] = "html",
                output: Annotated[Path | None, typer.Option("--out", help="File to write")] = (
                    None)) -> None:
    """Certificate of conformance of a lot (HTML or JSON) listing evidence hashes."""
    def body() -> None:
        from oreline.ledger.certificate import certificate_html

        if fmt not in ("html", "json"):
            raise LedgerError(f"--format {fmt!r}: use html or json")
        with _ledger(db) as led:
            cert = led.certificate(lot_id)
        text = certificate_html(cert) if fmt == "html" else json.dumps(cert, indent=2)
        _emit(text, output, f"DFARS 2027 {cert['dfars_2027']['status']}")
    _run(body)


@app.command()
def verify(db: DbOpt = None,
           pack: Annotated[Path | None, typer.Option(help="Verify this audit pack offline "
                                                     "instead of the database")] = None,
           trusted_key: Annotated[str | None, typer.Option(
               help="Hex Ed25519 public key signatures must come from")] = None,
           deep: Annotated[bool, typer.Option(help="Also re-derive lots, origins, stock and "
                                              "accounts from the events")] = False) -> None:
    """Recompute every hash, chain link and checkpoint; name the first broken entry."""
    def body() -> None:
        from oreline.ledger.integrity.chain import verify_pack

        if trusted_key is not None and not re.fullmatch(r"[0-9a-fA-F]{64}", trusted_key):
            raise LedgerError(f"--trusted-key {trusted_key!r} is not an Ed25519 public key "
                              "in hex (64 hex digits); `oreline trace checkpoint --key FILE` "
                              "prints the key of FILE in full")
        if pack is not None:
            res = verify_pack(pack, trusted_key)
            out.print(f"[green]pack verifies[/]: {res['entries']} entries, {res['shared']} "
                      f"shared in full, root {res['root'][:16]}..., key "
                      f"{res['public_key'][:16]}...")
            return
        with _ledger(db) as led:
            res = led.verify(trusted_key, deep=deep)
        out.print(f"[green]ledger verifies[/]: {res['entries']} entries, "
                  f"{res['checkpoints']} signed checkpoint(s), head {res['head'][:16]}...")
        if deep:
            out.print("derived tables match the events: " + ", ".join(
                f"{n} {k}" for k, n in res["derived_rows"].items()))
    _run(body)


@app.command()
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
    def body() -> None:
        if pack is not None and not checkpoint and not key.exists():
            raise LedgerError(f"no key at {key}: give --key with the organisation's key, the "
                              "one its checkpoints are signed with (a pack signed with a new "
                              "key proves nothing about them); `oreline trace checkpoint "
                              "--key FILE` creates one")
        with _ledger(db) as led:
            if checkpoint:
                cp = led.checkpoint(key)
                out.print(f"checkpoint over {cp['upto_seq']} entries, root {cp['root'][:16]}...")
            if pack is not None:
                res = led.write_pack(pack, key, lot_id)
                out.print(f"wrote {pack}: {res['shared']} event(s) shared of {res['entries']}")
                return
            doc = led.export(lot_id)
        _emit(json.dumps(doc, indent=2), output,
              f"{len(doc['epcisBody']['eventList'])} event(s)")
    _run(body)


@app.command()
def demo(db: DbOpt = None,
         months: Annotated[int, typer.Option(min=1, max=12)] = 12,
         key: Annotated[Path, typer.Option(help="Ed25519 key for the closing checkpoint")] = (
             Path("oreline-ledger.key"))) -> None:
    """Capture a year of KMP operations and show the story in a few lines."""
    def body() -> None:
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
                status = led.check(lot_uri)["status"]
                verdicts.setdefault(status, lot_uri)
        out.print(f"captured {n} events over {months} month(s); checkpoint signed over "
                  f"{cp['upto_seq']} entries with key {key} (public key {cp['public_key']})")
        for status, example in sorted(verdicts.items()):
            out.print(f"  an alloy lot that is DFARS 2027 [bold]{status}[/]: {example}")
        where = f" --db {db}" if db else ""
        first = next(iter(verdicts.values()), "LOT")
        out.print("next: oreline trace lot " + first + where)
        out.print("      oreline trace check " + first + where)
        out.print("      oreline trace stock" + where + "   |   oreline trace verify" + where)
    _run(body)


@app.command("checkpoint")
def checkpoint_cmd(db: DbOpt = None,
                   key: Annotated[Path, typer.Option(help="Ed25519 key (PEM); created if "
                                                     "missing")] = Path("oreline-ledger.key")
                   ) -> None:
    """Sign a checkpoint (Merkle root of all entries) with the organisation's key."""
    def body() -> None:
        with _ledger(db) as led:
            cp = led.checkpoint(key)
        out.print(f"checkpoint over {cp['upto_seq']} entries, root {cp['root']}, "
                  f"key {cp['public_key']}")
    _run(body)


def main() -> None:  # pragma: no cover - console entry when run alone
    """Run the ``trace`` app on its own (``python -m oreline.cli.trace``)."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
