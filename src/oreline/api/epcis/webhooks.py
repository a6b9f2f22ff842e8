"""Webhook subscriptions: new events of a named query POSTed to the subscriber, signed.

After each capture that wrote events, every subscription's query runs over the new
events only (their ledger sequence numbers); matching events go to the subscriber's
``dest`` as ``EPCISQueryDocument``s of at most :data:`BATCH` events. Each POST carries
``GS1-Signature``: the HMAC-SHA256 of the exact body bytes under the subscription's
secret, as lowercase hex. A subscriber checks it with::

    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    hmac.compare_digest(expected, request.headers["GS1-Signature"])

A delivery is tried :data:`ATTEMPTS` times (waits of 0.5 s, then 1 s) until ``dest``
answers 2xx; the subscription records its deliveries, failures, last status and error.

Examples
--------
>>> signature("s3cret", b'{"a":1}')[:16]
'5910e62016ef5034'

"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from sqlalchemy import Engine, select, update

from oreline.api.appdb import epcis_queries, epcis_subscriptions
from oreline.api.epcis.events import query_document
from oreline.errors import QueryError
from oreline.ledger.ledger import Ledger
from oreline.ledger.profile.query import parse_query
from oreline.ledger.store.eventquery import find_events

__all__ = ["ATTEMPTS", "BATCH", "Notifier", "signature"]

ATTEMPTS = 3
BATCH = 500
_TIMEOUT = 10.0


def signature(secret: str, body: bytes) -> str:
    """The ``GS1-Signature`` of a body: HMAC-SHA256 under the secret, lowercase hex."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _post(dest: str, body: bytes, secret: str) -> str | None:
    """POST once; None when ``dest`` answered 2xx, else what went wrong."""
    req = urllib.request.Request(dest, data=body, method="POST", headers={
        "Content-Type": "application/json", "GS1-Signature": signature(secret, body),
        "GS1-EPCIS-Version": "2.0.0", "GS1-CBV-Version": "2.0.0"})
    try:
        # dest is an http or https URL (checked when subscribing)
        with urllib.request.urlopen(req, timeout=_TIMEOUT) as answer:
            return None if 200 <= answer.status < 300 else f"HTTP {answer.status}"
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code}"
    except (OSError, ValueError) as exc:
        return f"{type(exc).__name__}: {exc}"


class Notifier:
    """Delivers new events to the subscriptions, on a thread of its own."""

    def __init__(self, engine: Engine, ledger: Ledger, backoff: float = 0.5) -> None:
        self.engine = engine
        self.ledger = ledger
        self.backoff = backoff
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="oreline-webhook")

    def notify(self, first_seq: int, last_seq: int) -> Future[None]:
        """Deliver the events ``first_seq..last_seq`` to every subscription they match."""
        return self.pool.submit(self._deliver_all, first_seq, last_seq)

    def _deliver_all(self, first_seq: int, last_seq: int) -> None:
        with self.engine.connect() as conn:
            subs = conn.execute(select(epcis_subscriptions, epcis_queries.c.query).join(
                epcis_queries, epcis_queries.c.name == epcis_subscriptions.c.query_name)
            ).all()
        for sub in subs:
            try:
                query = parse_query(json.loads(sub.query)).in_capture_order()
            except QueryError:
                continue  # a stored query was checked when it was made
            after = first_seq - 1
            while True:
                with self.ledger.store.read() as conn:
                    found, more = find_events(conn, query, after=after, limit=BATCH,
                                              upto=last_seq)
                if found or sub.report_if_empty:
                    self._deliver(sub, [f.body for f in found])
                if not more:
                    break
                after = found[-1].seq

    def _deliver(self, sub: Any, events: list[dict[str, Any]]) -> None:
        body = json.dumps(query_document(events, sub.query_name, sub.id),
                          separators=(",", ":")).encode()
        error: str | None = None
        for attempt in range(ATTEMPTS):
            error = _post(sub.dest, body, sub.secret)
            if error is None:
                break
            if attempt + 1 < ATTEMPTS:
                time.sleep(self.backoff * 2 ** attempt)
        s = epcis_subscriptions.c
        values: dict[str, Any] = {"last_status": "delivered" if error is None else "failed",
                                  "last_error": error or ""}
        if error is None:
            values.update(last_notified=time.time(), deliveries=s.deliveries + 1)
        else:
            values.update(failures=s.failures + 1)
        with self.engine.begin() as conn:
            conn.execute(update(epcis_subscriptions).where(s.id == sub.id).values(**values))

    def close(self) -> None:
        """Finish the deliveries under way."""
        self.pool.shutdown(wait=True)
