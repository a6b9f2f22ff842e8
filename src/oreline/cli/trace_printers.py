"""Console output of ``oreline trace``: verdicts, lot trees, accounts and tables.

Each printer takes what a :class:`~oreline.ledger.ledger.Ledger` call returned and prints
it; the commands in :mod:`oreline.cli.trace` only parse options, call the ledger and call
a printer.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table
from rich.tree import Tree

from oreline.cli.console import console, esc, print_json, print_table, print_wide

if TYPE_CHECKING:
    from oreline.ledger.epcis.hashlist import EventHash

__all__ = ["FINDINGS_SHOWN", "capture_summary", "print_account", "print_crma_report",
           "print_demo", "print_findings", "print_hash_ids", "print_item", "print_lot",
           "print_lots", "print_sites", "print_stock", "print_verdict"]


def capture_summary(new: int, first: int, last: int, held: int) -> str:
    """The line ``trace capture`` prints: new events and those the ledger already held.

    Examples
    --------
    >>> capture_summary(3, 5, 7, 2)
    'captured 3 event(s) as entries 5..7; 2 already held (left as they were)'
    >>> capture_summary(0, 8, 7, 4)
    'captured 0 event(s): all 4 already held (nothing written)'

    """
    if new == 0:
        return f"captured 0 event(s): all {held} already held (nothing written)"
    text = f"captured {new} event(s) as entries {first}..{last}"
    return text + (f"; {held} already held (left as they were)" if held else "")


def _origin_text(part: dict[str, Any]) -> str:
    from oreline.ledger.store.queries import origin_label

    return f"{part['share']:.0%} {esc(origin_label(part['stages']))}"


def _tree(node: dict[str, Any], branch: Tree) -> None:
    for link in node["inputs"]:
        lot = link["lot"]
        origin = "; ".join(_origin_text(p) for p in lot["origin"][:3]) or "not controlled"
        sub = branch.add(f"{link['kg']:,.1f} kg ({link['share']:.1%}) of [bold]{esc(lot['lot'])}"
                         f"[/] {esc(lot['material'])} [dim]{origin}[/]")
        _tree(lot, sub)


def print_lot(lot_id: str, info: dict[str, Any], status: str, back: dict[str, Any] | None,
              fwd: dict[str, Any] | None) -> None:
    """A lot's master data and origin, its trace back as a tree, its trace forward."""
    made = ("" if back is None else " received" if not back["inputs"] else " made")
    console.print(f"[bold]{esc(lot_id)}[/]: {esc(info['material'])} ({esc(info['form'])}), "
                  f"{info['kg']:,.1f} kg{made}, {info['on_hand_kg']:,.1f} kg on hand at "
                  f"{esc(info['site'])}; custody {esc(info['custody'])}; DFARS 2027: "
                  f"[bold]{esc(status)}[/]"
                  + (" [red](declared in error)[/]" if info["retracted"] else ""))
    for part in info["origin"]:
        console.print(f"  origin {_origin_text(part)} [dim]({esc(part['custody'])})[/]")
    if back is not None:
        tree = Tree(f"trace back ({back['depth']} stage(s) deep; each line: kg of an "
                    "input that went into the whole lot above it, and its share)")
        _tree(back, tree)
        print_wide(tree)
    if fwd is not None:
        console.print(f"trace forward: {len(fwd['descendants'])} lot(s) made from it, "
                      f"{len(fwd['shipments'])} shipment(s)")
        for d in fwd["descendants"]:
            console.print(f"  made {esc(d['lot'])} {esc(d['material'])} ({esc(d['form'])}), "
                          f"{d['on_hand_kg']:,.1f} kg on hand")
        for s in fwd["shipments"]:
            console.print(f"  {s['local_time'][:10]} {s['kg']:,.1f} kg of {esc(s['lot'])} -> "
                          f"{esc(', '.join(d for d in s['destination'] if d) or '?')}")


def print_verdict(rule: str, lot_id: str, result: dict[str, Any]) -> None:
    """A check's status in capitals, then one line per finding."""
    colour = {"pass": "green", "fail": "red", "within-benchmark": "green"}.get(
        result["status"], "yellow")
    console.print(f"{esc(rule)} {esc(lot_id)}: [bold {colour}]{esc(result['status'].upper())}[/]")
    for f in result["findings"]:
        lots = ", ".join(f.get("lots", [])[:4])
        console.print(f"  - {esc(f.get('status', ''))} {esc(f['reason'])} [dim]{f['share']:.1%} "
                      f"of the lot{'; inputs ' + esc(lots) if lots else ''}[/]")


def print_crma_report(report: dict[str, Any]) -> None:
    """The CRMA stage-concentration report of a period as a table."""
    from oreline.origin import CRMA_CAP

    console.print(f"CRMA stage concentration, {esc(report['period'])}: {report['lots']} lot(s) of "
                  f"metal, alloy or magnet, {report['kg']:,.1f} kg")
    table = Table("stage", "countries (share of the kg)", "top non-EU country",
                  f"above {CRMA_CAP:.0%}")
    for stage, row in report["stages"].items():
        shares = ", ".join(f"{c} {v:.1%}" for c, v in row["shares"].items())
        table.add_row(esc(stage), esc(shares), esc(row["top_third_country"] or "-"),
                      "yes" if row["above_benchmark"] else
                      "no" if row["assessed"] else "not assessed")
    print_table(table)


def print_sites(rows: list[dict[str, Any]]) -> None:
    """The sites as a table."""
    table = Table("site", "name", "country", "stage", "policy")
    for r in rows:
        table.add_row(*(esc(r[k]) for k in ("id", "name", "country", "stage", "policy")))
    print_table(table)


def print_lots(rows: list[dict[str, Any]]) -> None:
    """Every lot as a table, retracted ones marked."""
    table = Table("lot", "material", "form", "site", "kg", "on hand", "created (UTC)")
    for r in rows:
        table.add_row(esc(r["lot"]) + (" (declared in error)" if r["retracted"] else ""),
                      esc(r["material"]), esc(r["form"]), esc(r["site"]), f"{r['kg']:,.1f}",
                      f"{r['on_hand_kg']:,.1f}", r["event_time"][:16])
    print_table(table)


def print_stock(rows: list[dict[str, Any]], by_lot: bool) -> None:
    """Stock on hand as a table: lot by lot, or by site, material and origin class."""
    if by_lot:
        table = Table("lot", "site", "material", "form", "kg")
        for r in rows:
            table.add_row(*(esc(r[k]) for k in ("lot", "site", "material", "form")),
                          f"{r['kg']:,.1f}")
    else:
        table = Table("site", "material", "form", "origin", "custody", "kg")
        for r in rows:
            table.add_row(*(esc(r[k]) for k in ("site", "material", "form", "origin", "custody")),
                          f"{r['kg']:,.1f}")
    print_table(table)


def print_account(site: str, element: str, acct: dict[str, Any], method: str,
                  rows: list[dict[str, Any]]) -> None:
    """A mass-balance account in one line (credit or rolling), then its rows if given."""
    if method == "credit":
        console.print(f"{esc(site)} {esc(element)} ex-china, period {esc(acct['period'])}: opening "
                      f"{acct['opening_kg']:,.3f} kg + credits {acct['credits_kg']:,.3f} kg - "
                      f"debits {acct['debits_kg']:,.3f} kg (claims {acct['claims_kg']:,.3f} "
                      f"kg, process losses {acct['losses_kg']:,.3f} kg) = closing "
                      f"{acct['closing_kg']:,.3f} kg")
    else:
        console.print(f"{esc(site)} {esc(element)} ex-china, {esc(acct['window'])}: "
                      f"{acct['percentage']:.1%} of {acct['input_kg']:,.3f} kg input (net of "
                      f"{acct['lost_kg']:,.3f} kg process losses) is compliant; claimed "
                      f"{acct['claimed_kg']:,.3f} kg")
    for r in rows:
        console.print(f"  {esc(r['period'])} entry {r['seq']} {esc(r['kind'])}: input "
                      f"{r['input_kg']:,.3f} credit {r['credit_kg']:,.3f} debit "
                      f"{r['debit_kg']:,.3f} kg ({esc(r['event_id'])})")


def print_demo(events: int, months: int, checkpoint: dict[str, Any], key: str,
               verdicts: dict[str, str], db: str | None) -> None:
    """What the demo captured, one alloy lot per DFARS verdict, and what to run next."""
    console.print(f"captured {events} events over {months} month(s); checkpoint signed over "
                  f"{checkpoint['upto_seq']} entries with key {esc(key)} (public key "
                  f"{checkpoint['public_key']})")
    for status, example in sorted(verdicts.items()):
        console.print(f"  an alloy lot that is DFARS 2027 [bold]{esc(status)}[/]: {esc(example)}")
    where = esc(f" --db {db}") if db else ""
    first = esc(next(iter(verdicts.values()), "LOT"))
    console.print("next: oreline trace lot " + first + where)
    console.print("      oreline trace check " + first + where)
    console.print("      oreline trace stock" + where + "   |   oreline trace verify" + where)


def print_hash_ids(results: list[tuple[Path, list[EventHash]]], *, prehash: bool,
                   as_json: bool) -> None:
    """Hash IDs per file in the reference generator's layout (``--json``: one record each)."""
    if as_json:
        print_json([{"file": str(path), "index": h.index, "type": h.event_type,
                     "eventID": h.event_id, "hashID": h.hash_id,
                     **({"prehash": h.prehash} if prehash else {})}
                    for path, hashes in results for h in hashes])
        return
    for path, hashes in results:  # plain text: IDs hold ';' and '[' that markup would eat
        typer.echo(f"\n\nHashes of the events contained in '{path}':\n"
                   + "\n".join(h.hash_id for h in hashes))
        if prehash:
            typer.echo("\nPre-hash strings:\n" + "\n---\n".join(h.prehash for h in hashes))


#: Findings listed one by one; the rest are counted by code.
FINDINGS_SHOWN = 25


def print_findings(rows: list[tuple[str, str, str, str, str]],
                   limit: int | None = FINDINGS_SHOWN) -> None:
    """Findings as (event, code, field, message, fix): the first ``limit``, then counts.

    Examples
    --------
    >>> print_findings([("urn:e:1", "finding.pieces", "quantityList[0]", "counted", "give")] * 3,
    ...                limit=1)
    finding urn:e:1: quantityList[0]: counted (to include it: give)
      ... and 2 more: 2 x finding.pieces

    """
    shown = rows if limit is None else rows[:limit]
    for event, _code, field, message, fix in shown:
        console.print(f"[cyan]finding[/] {esc(event)}: {esc(field)}: {esc(message)} "
                      f"[dim](to include it: {esc(fix)})[/]", highlight=False)
    if len(shown) < len(rows):
        counts: dict[str, int] = {}
        for _event, code, *_rest in rows[len(shown):]:
            counts[code] = counts.get(code, 0) + 1
        console.print(f"  ... and {len(rows) - len(shown)} more: " + "; ".join(
            f"{n} x {esc(code)}" for code, n in sorted(counts.items(), key=lambda kv: -kv[1])),
            highlight=False)


def _item_lines(trace: dict[str, Any], branch: Tree) -> None:
    for link in trace["links"]:
        sub = branch.add(f"{esc(link['relation'].replace('_', ' '))} [bold]"
                         f"{esc(link['other'])}[/] [dim](entry {link['seq']})[/]")
        if link["lot"] is not None:
            lot = link["lot"]
            origin = "; ".join(_origin_text(p) for p in lot["origin"][:3]) or "not controlled"
            lot_branch = sub.add(f"lot {esc(lot['material'])} ({esc(lot['form'])}) "
                                 f"[dim]{origin}[/]")
            _tree(lot, lot_branch)
        if link["item"] is not None:
            _item_lines(link["item"], sub)


def print_item(trace: dict[str, Any]) -> None:
    """A serialised item's relations, down to the lots it was made from and their origin."""
    tree = Tree(f"[bold]{esc(trace['item'])}[/]: item (serialised or counted in pieces)")
    _item_lines(trace, tree)
    print_wide(tree)
