"""The trace pages' data: lot search, genealogy, verdicts, stock, flags and verify status.

Each function opens nothing: it gets the server's :class:`~oreline.ledger.ledger.Ledger`
and returns JSON-ready data, the same for a page and its ``/api/trace/...`` twin.
:func:`ensure_demo_ledger` builds the demo ledger on the first start, as
``oreline trace demo`` does.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from oreline.errors import ChainError
from oreline.ledger.ledger import Ledger
from oreline.origin import COVERED_COUNTRIES

__all__ = ["ensure_demo_ledger", "lot_page", "overview", "search_lots"]


def ensure_demo_ledger(path: Path, key: Path) -> bool:
    """Capture the demo year into a new ledger at ``path``; False when it exists already."""
    from oreline.ledger.demo import run_demo

    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".building")
    tmp.unlink(missing_ok=True)
    led = Ledger.open(tmp)
    try:
        run_demo(led.capture)
        led.checkpoint(key)
    finally:
        led.close()
    tmp.replace(path)  # never half a demo under the real name
    return True


#: The last verify result of each ledger, by the head it verified (see :func:`_verify`).
_VERIFIED: dict[int, tuple[tuple[int, str], dict[str, Any]]] = {}
_VERIFY_LOCK = threading.Lock()


def _verify(led: Ledger) -> dict[str, Any]:
    """The chain's verify status, recomputed only when the head has moved.

    A full verify reads every entry (minutes on a million); the page shows the result of
    the last one with when it ran, and runs it again after any capture.
    """
    head = led.head()
    with _VERIFY_LOCK:
        cached = _VERIFIED.get(id(led))
        if cached is not None and cached[0] == head:
            return cached[1]
        try:
            report = led.verify()
            result: dict[str, Any] = {
                "ok": True, "entries": report["entries"], "checkpoints": report["checkpoints"],
                "head": report["head"]}
        except ChainError as exc:
            result = {"ok": False, "message": str(exc)}
        result["verified_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        _VERIFIED[id(led)] = (head, result)
        return result


def overview(led: Ledger, limit: int = 200) -> dict[str, Any]:
    """The trace home page: verify status, stock by site and origin, flags, recent lots."""
    total, lots = led.find_lots("", limit)
    stock = [{"site": s["site"], "material": s["material"], "form": s["form"],
              "origin": s["origin"], "custody": s["custody"], "kg": s["kg"]}
             for s in led.stock()]
    return {"verify": _verify(led), "stock": stock, "flags": led.flags(),
            "sites": led.sites(), "lots_total": total, "lots": lots}


def search_lots(led: Ledger, query: str, limit: int = 100) -> dict[str, Any]:
    """Lots whose id, material, form or site contains ``query`` (case-insensitive)."""
    total, found = led.find_lots(query, limit)
    return {"query": query, "total": total, "lots": found}


def _flatten(node: dict[str, Any], depth: int, out: list[dict[str, Any]],
             kg: float | None = None, share: float | None = None) -> None:
    """The trace-back tree as rows with a depth (for an indented table)."""
    out.append({"depth": depth, "lot": node["lot"], "material": node["material"],
                "form": node["form"], "site": node["site"], "kg": node["kg"],
                "consumed_kg": kg, "share": share, "event_time": node["event_time"]})
    for i in node["inputs"]:
        _flatten(i["lot"], depth + 1, out, i["kg"], i["share"])


def lot_page(led: Ledger, lot: str) -> dict[str, Any]:
    """One lot: master data, genealogy both ways and its DFARS and CRMA verdicts.

    Raises
    ------
    LotNotFoundError
        When the ledger has no such lot.
    """
    info = led.lot(lot)
    back = led.trace_back(lot)
    forward = led.trace_forward(lot)
    upstream: list[dict[str, Any]] = []
    _flatten(dict(back), 0, upstream)
    return {"lot": info, "upstream": upstream,
            "downstream": forward["descendants"], "shipments": forward["shipments"],
            "dfars": led.check(lot, "dfars-2027"), "crma": led.check(lot, "crma"),
            "covered_countries": sorted(COVERED_COUNTRIES),
            "certificate": f"/trace/certificate?lot={quote(lot, safe='')}"}
