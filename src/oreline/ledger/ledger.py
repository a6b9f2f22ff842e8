"""The :class:`Ledger`: one object for capture, queries, checks and verification.

Examples
--------
>>> from oreline.ledger.profile.builder import receive_event
>>> led = Ledger.open("sqlite://")
>>> led.register_site("urn:oreline:site:kmp", "KMP Ochang", "KR", "alloying")
>>> res = led.capture(receive_event("urn:oreline:lot:ox-1", kg=1000.0,
...     site="urn:oreline:site:kmp", time="2026-01-05T09:00:00+09:00",
...     material="NdPr oxide", form="oxide", assay={"Nd": 0.64, "Pr": 0.21},
...     origin={"mined": "AU", "separated": "MY"}))
>>> res.events, led.check("urn:oreline:lot:ox-1", "dfars-2027")["status"]
(1, 'pass')
>>> led.verify()["entries"]
1

"""

from __future__ import annotations

import gc
import logging
import re
import uuid
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Connection, select
from sqlalchemy.exc import DBAPIError

from oreline.countries import is_country, suggest_country
from oreline.errors import CaptureError, Issue, LedgerError
from oreline.ledger.capture.transaction import SiteInfo, build_rows, site_rows_from_master_data
from oreline.ledger.certificate import build as build_certificate
from oreline.ledger.epcis.canonical import loads_json
from oreline.ledger.epcis.document import make_document
from oreline.ledger.epcis.identity import canonical_key
from oreline.ledger.integrity import chain
from oreline.ledger.profile.builder import site_master_data
from oreline.ledger.profile.conformant import parse_for_capture
from oreline.ledger.profile.model import OUR_PREFIXES, ParsedEvent
from oreline.ledger.records import (
    Account,
    AccountEntry,
    Certificate,
    Checkpoint,
    CrmaReport,
    EpcisDocument,
    FindingRow,
    FlagRow,
    ItemTrace,
    LotCheck,
    LotRecord,
    LotRow,
    OnHandRow,
    PackReport,
    SiteRow,
    StockRow,
    TraceForward,
    TraceNode,
    TraceTree,
    VerifyReport,
)
from oreline.ledger.rules import compliance
from oreline.ledger.store import accounts, items, lotsearch, queries, reports
from oreline.ledger.store.engine import Store
from oreline.ledger.store.schema import entries, flags, movements, retractions, sites

_log = logging.getLogger(__name__)

__all__ = ["CaptureResult", "Ledger", "gc_paused"]


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a capture, then restore it.

    Capture allocates a few dozen small containers per event, none of them in reference
    cycles (reference counting frees them); with the collector running, a large
    document's allocations trigger collection after collection, each walking the many
    containers still alive, for about a fifth of the capture time in the benchmark.
    Collections resume as usual after the capture.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@dataclass(frozen=True)
class CaptureResult:
    """What one capture wrote.

    ``events`` counts the new events (entries ``first_seq..last_seq``); ``held`` lists
    the eventIDs of the document's events the ledger already held, which were left as
    they were (capturing a document again is a no-op).
    """

    doc_id: str
    events: int
    first_seq: int
    last_seq: int
    event_ids: list[str]
    flags: list[str]
    #: what keeps events (or parts of them) outside the Oreline profile: kept, reported
    findings: list[Issue] = field(default_factory=list)
    held: list[str] = field(default_factory=list)


def _held(events: list[ParsedEvent], written: list[str]) -> list[str]:
    """EventIDs of ``events`` not among the entries ``written`` (one for one)."""
    left = Counter(written)
    out: list[str] = []
    for pe in events:
        if left[pe.event_id]:
            left[pe.event_id] -= 1
        else:
            out.append(pe.event_id)
    return out


class Ledger:
    """A lot ledger on SQLite or PostgreSQL."""

    def __init__(self, store: Store, actor: str = "oreline") -> None:
        self.store = store
        self.actor = actor

    @classmethod
    def open(cls, db: str | Path, *, schema: str | None = None,
             actor: str = "oreline") -> Ledger:
        """Open (creating or migrating) the ledger at a path or SQLAlchemy URL."""
        return cls(Store.open(db, schema=schema), actor)

    def close(self) -> None:
        """Release database connections."""
        self.store.dispose()

    # -- writing ---------------------------------------------------------------------
    def capture(self, source: str | Path | Mapping[str, Any], *,
                actor: str | None = None) -> CaptureResult:
        """Capture an EPCIS document (or one event): all its events or none.

        Raises
        ------
        CaptureError
            Listing every problem; nothing was written.

        """
        with gc_paused():
            events, master = parse_for_capture(source)
            new_sites, site_issues = site_rows_from_master_data(master)
            if site_issues:
                raise CaptureError(site_issues)
            doc_id = uuid.uuid4().hex
            with self.store.write() as conn:
                last = self.store.last_entry(conn)
                rows, flagged = build_rows(conn, events, new_sites, last,
                                           actor or self.actor, doc_id)
                self.store.insert_rows(conn, rows)
        written = [r["event_id"] for r in rows.get("entries", [])]
        return CaptureResult(doc_id, len(written), last[0] + 1, last[0] + len(written),
                             written, [m for _, m in flagged],
                             [Issue(r["event_id"], r["field"], r["message"], r["fix"],
                                    code=r["code"]) for r in rows.get("findings", [])],
                             _held(events, written))

    def register_site(self, site_id: str, name: str, country: str, stage: str,
                      policy: str = "reject") -> None:
        """Declare a site (append-only; re-declaring identical data is a no-op)."""
        if not is_country(country):
            raise CaptureError([Issue("register_site", site_id,
                                      f"country {country!r} is not an ISO 3166-1 alpha-2 code",
                                      suggest_country(country))])
        if policy not in ("reject", "flag"):
            raise CaptureError([Issue("register_site", site_id, f"policy {policy!r} is "
                                      "unknown", "use reject or flag")])
        with self.store.write() as conn:
            rows, _ = build_rows(conn, [], [SiteInfo(site_id, name, country, stage, policy)],
                                 self.store.last_entry(conn), self.actor, "")
            self.store.insert_rows(conn, rows)

    def sites(self) -> list[SiteRow]:
        """Every declared site: ``id``, ``name``, ``country``, ``stage``, ``policy``."""
        with self.store.read() as conn:
            return _site_rows(conn)

    def checkpoint(self, key_path: str | Path) -> Checkpoint:
        """Sign a checkpoint over every entry so far with the Ed25519 key at ``key_path``."""
        key = chain.load_or_create_key(key_path)
        with self.store.write() as conn:
            row = chain.new_checkpoint(conn, key)
            self.store.insert_rows(conn, {"checkpoints": [row]})
        return row

    # -- reading ---------------------------------------------------------------------
    def lot(self, lot: str) -> LotRecord:
        """Master data, stock and origin of one lot."""
        with self.store.read() as conn:
            return queries.lot_info(conn, lot)

    def trace_back(self, lot: str) -> TraceTree:
        """Genealogy of a lot down to its received lots."""
        with self.store.read() as conn:
            return queries.trace_back(conn, lot)

    def trace_forward(self, lot: str) -> TraceForward:
        """Lots made from ``lot`` and their shipments."""
        with self.store.read() as conn:
            return queries.trace_forward(conn, lot)

    def stock(self, site: str | None = None) -> list[StockRow]:
        """Stock on hand by site, material, form and origin class."""
        with self.store.read() as conn:
            return queries.stock_by_origin(conn, site)

    def lots(self, form: str | None = None, site: str | None = None) -> list[LotRow]:
        """Every lot, shipped and consumed ones too (see :func:`queries.all_lots`)."""
        with self.store.read() as conn:
            return queries.all_lots(conn, form, site)

    def find_lots(self, text: str = "", limit: int = 100) -> tuple[int, list[LotRow]]:
        """Lots whose id, material, form or site contains ``text``, newest first.

        Returns how many match and the first ``limit`` (rows as :meth:`lots` gives them);
        the search runs in the database, so it stays quick on large ledgers. A text
        search first indexes the lots captured since the last one (capture leaves that
        to search, see :mod:`~oreline.ledger.store.lotsearch`); where it cannot write,
        the newer lots are searched without the index, with the same answer.
        """
        if text.strip():
            self.index_lots()
        with self.store.read() as conn:
            return queries.find_lots(conn, text, limit)

    def index_lots(self) -> int:
        """Index for search the lots captured since the last search (0 when none wait).

        Returns how many rowids it covered; a ledger that cannot be written (read-only
        file or role) is left as it is and searched exactly without the newer lots'
        index.
        """
        with self.store.read() as conn:
            if not lotsearch.pending(conn):
                return 0
        try:
            with self.store.write() as conn:
                return lotsearch.catch_up(conn)
        except DBAPIError as exc:  # read-only: the LIKE on the newer lots keeps it exact
            _log.info("lot search: the newer lots were not indexed (%s)", exc.orig)
            return 0

    def head(self) -> tuple[int, str]:
        """The number of entries and the newest entry's hash (cheap: one indexed row).

        A verify result stays valid while the head does not move.
        """
        with self.store.read() as conn:
            row = conn.execute(select(entries.c.seq, entries.c.entry_hash)
                               .order_by(entries.c.seq.desc()).limit(1)).first()
        return (0, "") if row is None else (int(row.seq), str(row.entry_hash))

    def lots_on_hand(self, site: str | None = None) -> list[OnHandRow]:
        """Lots with stock on hand, by site (lot, site, material, form, kg)."""
        with self.store.read() as conn:
            return queries.lots_on_hand(conn, site)

    def check(self, lot: str, rule: str = "dfars-2027") -> LotCheck:
        """DFARS 2027 or CRMA verdict for a lot."""
        rule = rule.lower()
        if rule not in ("dfars-2027", "crma"):
            raise LedgerError(f"unknown rule {rule!r}; use dfars-2027 or crma for a lot "
                              "(or crma-report for a period)")
        with self.store.read() as conn:
            return compliance.check_lot(queries.lot_info(conn, lot), rule)

    def crma_report(self, period: str) -> CrmaReport:
        """CRMA stage-concentration report over lots produced in a period.

        Raises
        ------
        LedgerError
            For a period that is not ``YYYY`` or ``YYYY-MM``.

        """
        if not (_YEAR.match(period) or _PERIOD.match(period)):
            raise LedgerError(f"period {period!r} is not YYYY or YYYY-MM (a month 01-12), "
                              "e.g. 2026 or 2026-03")
        with self.store.read() as conn:
            return compliance.crma_report(period, reports.lots_made_in(conn, period))

    def certificate(self, lot: str, customer: str | None = None,
                    shipment: str | None = None) -> Certificate:
        """A lot's certificate (JSON-ready mapping): verdicts, issuer, shipments, origin.

        The issuer is the site that holds or made the lot, by its registered name. The
        shipments are the lot's shipping events (destinations and business transactions
        such as the purchase order); ``shipment`` (an eventID) keeps only that one, and its
        ledger entry is cited. ``customer`` is written as given (the buyer's name).
        :func:`oreline.ledger.certificate.certificate_html` renders it as a page.

        Raises
        ------
        LedgerError
            For an unknown lot, or a ``shipment`` that is no shipment of this lot.

        """
        with self.store.read() as conn:
            info = queries.lot_info(conn, lot)
            tree = queries.trace_back(conn, lot)
            sources = queries.leaves(tree) if tree["inputs"] else [tree]
            shipped = queries.shipments_of(conn, [info["lot"]])
            if shipment is not None:
                shipped = [s for s in shipped if s["event_id"] == shipment]
                if not shipped:
                    raise LedgerError(f"{shipment!r} is no shipment of lot {info['lot']}; "
                                      "omit --shipment or give the eventID of one "
                                      "(trace lot lists them)")
            ids = ([info["event_id"]] + [s["event_id"] for s in sources]
                   + [s["event_id"] for s in shipped])
            site = _site_rows(conn, [info["site"]])
            issuer: SiteRow = site[0] if site else {
                "id": info["site"], "name": info["site"], "country": "", "stage": "",
                "policy": ""}
            return build_certificate(info, sources, reports.entry_refs(conn, ids),
                                     reports.latest_checkpoint(conn), issuer=issuer,
                                     shipments=shipped, customer=customer)

    def account(self, site: str, element: str, period: str | None = None,
                method: str = "credit") -> Account:
        """Mass-balance account (credit or rolling-average method).

        Raises
        ------
        LedgerError
            For an unknown site, a symbol that is no element, or a period not ``YYYY-MM``.

        """
        with self.store.read() as conn:
            _check_account(conn, site, element, period)
            return accounts.account(conn, site, element, "ex-china", period, method)

    def account_entries(self, site: str, element: str,
                        period: str | None = None) -> list[AccountEntry]:
        """Rows of a mass-balance account with their kind (receipt, claim, loss, ...)."""
        with self.store.read() as conn:
            _check_account(conn, site, element, period)
            return accounts.account_entries(conn, site, element, "ex-china", period)

    def flags(self) -> list[FlagRow]:
        """Violations recorded (not rejected) under a site's ``flag`` policy."""
        with self.store.read() as conn:
            return [{"id": r.id, "seq": r.seq, "event_id": r.event_id, "message": r.message}
                    for r in conn.execute(select(flags).order_by(flags.c.id))]

    def findings(self, event_id: str | None = None,
                 code: str | None = None) -> list[FindingRow]:
        """What keeps captured events outside the Oreline profile (kept, not refused)."""
        with self.store.read() as conn:
            return items.finding_rows(conn, event_id, code)

    def trace_item(self, item: str) -> ItemTrace:
        """A serialised item traced back: what it was made from, down to its lots' mines."""
        with self.store.read() as conn:
            return items.item_trace(conn, item)

    def verify(self, trusted_key: str | None = None, deep: bool = False) -> VerifyReport:
        """Recompute every hash and checkpoint; raises ChainError naming the first break.

        With ``deep``, also re-derive lots, origins, stock, genealogy and mass-balance rows
        from the events and compare them (as slow as capturing everything again).
        """
        from oreline.ledger.integrity.replay import replay_check

        with self.store.read() as conn:
            result = chain.verify_entries(conn, trusted_key)
            if deep:
                result["derived_rows"] = replay_check(conn)
            return result

    def events(self, lot: str | None = None) -> list[EpcisDocument]:
        """Captured events (as given), all or those touching ``lot``'s genealogy."""
        with self.store.read() as conn:
            stmt = select(entries.c.body).order_by(entries.c.seq)
            if lot is not None:
                stmt = stmt.where(entries.c.event_id.in_(sorted(self._event_ids_for(lot))))
            return [loads_json(b) for b in conn.execute(stmt).scalars()]

    def export(self, lot: str | None = None) -> EpcisDocument:
        """EPCIS 2.0 JSON-LD document of all events or of a lot's genealogy.

        The header declares the sites the events happen at (``epcisMasterData``), so the
        document can be captured into another ledger as it is.
        """
        events = self.events(lot)
        used = {loc.get("id") if isinstance(loc, Mapping) else loc
                for ev in events for loc in (ev.get("bizLocation"), ev.get("readPoint"))}
        with self.store.read() as conn:
            declared = _site_rows(conn, sorted(u for u in used if isinstance(u, str)))
        # every value of a site row is a string, as site_master_data needs
        master = site_master_data(cast("list[Mapping[str, str]]", declared))
        return make_document(events, master if declared else None, prefixes=OUR_PREFIXES)

    def write_pack(self, path: str | Path, key_path: str | Path,
                   lot: str | None = None) -> PackReport:
        """Write an audit pack (shared events of ``lot`` or all, manifest, signature)."""
        key = chain.load_or_create_key(key_path)
        shared = self._event_ids_for(lot) if lot is not None else None
        with self.store.read() as conn:
            return chain.write_pack(conn, path, shared, key)

    def _event_ids_for(self, lot: str) -> set[str]:
        """Events that made, moved, consumed or shipped any lot in ``lot``'s genealogy."""
        lot = canonical_key(lot)
        with self.store.read() as conn:
            ids = {lot}
            stack: list[TraceNode] = [queries.trace_back(conn, lot)]
            while stack:
                node = stack.pop()
                ids.add(node["lot"])
                stack.extend(i["lot"] for i in node["inputs"])
            ids.update(d["lot"] for d in queries.trace_forward(conn, lot)["descendants"])
            found: set[str] = set()
            ordered = sorted(ids)
            for i in range(0, len(ordered), 500):
                found.update(conn.execute(select(movements.c.event_id).where(
                    movements.c.lot_id.in_(ordered[i:i + 500]))).scalars())
            return found

    def retracted(self) -> set[str]:
        """Event IDs declared in error."""
        with self.store.read() as conn:
            return set(conn.execute(select(retractions.c.event_id)).scalars())


_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_YEAR = re.compile(r"^\d{4}$")


def _site_rows(conn: Connection, ids: list[str] | None = None) -> list[SiteRow]:
    """Declared sites (those of ``ids``, or all) as mappings, by site ID."""
    stmt = select(sites).order_by(sites.c.site_id)
    if ids is not None:
        stmt = stmt.where(sites.c.site_id.in_(ids))
    return [{"id": r.site_id, "name": r.name, "country": r.country, "stage": r.stage,
             "policy": r.policy} for r in conn.execute(stmt)]


def _check_account(conn: Connection, site: str, element: str, period: str | None) -> None:
    """Name what is wrong with an account's site, element or period, with the fix."""
    from oreline.units import ATOMIC_WEIGHTS

    if element not in ATOMIC_WEIGHTS:
        raise LedgerError(f"{element!r} is not an element symbol; give one such as Nd, Pr, "
                          "Dy or Tb")
    if period is not None and not _PERIOD.match(period):
        raise LedgerError(f"period {period!r} is not YYYY-MM (a month 01-12), e.g. 2026-03")
    if conn.execute(select(sites.c.site_id).where(sites.c.site_id == site)).first() is None:
        known = conn.execute(select(sites.c.site_id).order_by(sites.c.site_id)).scalars().all()
        raise LedgerError(f"site {site!r} is not in the ledger; known sites: "
                          f"{', '.join(known) or 'none yet'}")
