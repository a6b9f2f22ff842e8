"""Trace pages: the ledger's overview, lot search, one lot, and its certificate."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from oreline.api.ledgerdata import lot_page, overview, search_lots
from oreline.api.routing import twin
from oreline.api.security import require
from oreline.ledger.certificate import certificate_html

__all__ = ["api", "certificate_json", "certificate_page", "html", "trace_home", "trace_lot",
           "trace_search"]

html = APIRouter(tags=["pages"])
api = APIRouter(tags=["trace"])

Lot = Query(..., min_length=1, max_length=500, description="Lot URI")
Customer = Query(None, max_length=200, description="The buyer's name, written on it")
ShipmentId = Query(None, max_length=500,
                   description="eventID of the shipment it covers (default: all of the lot's)")


@twin(html, api, "/trace", "trace.html", summary="Verify status, stock, flags, lots")
def trace_home(request: Request) -> dict[str, Any]:
    """The ledger at a glance: verify status, stock by site and origin, flags, latest lots."""
    return overview(request.app.state.ledger)


@twin(html, api, "/trace/lots", "lots.html", summary="Search lots")
def trace_search(request: Request,
                 q: str = Query("", max_length=200, description="Part of a lot id, "
                                "material, form or site")) -> dict[str, Any]:
    """Lots whose id, material, form or site contains ``q``."""
    return search_lots(request.app.state.ledger, q)


@twin(html, api, "/trace/lot", "lot.html", summary="One lot: genealogy and verdicts")
def trace_lot(request: Request, lot: str = Lot) -> dict[str, Any]:
    """A lot's master data, genealogy up- and downstream, DFARS and CRMA verdicts."""
    return lot_page(request.app.state.ledger, lot)


@api.get("/trace/certificate", dependencies=[Depends(require("read"))],
         summary="A lot's certificate (JSON)")
def certificate_json(request: Request, lot: str = Lot, customer: str | None = Customer,
                     shipment: str | None = ShipmentId) -> Any:
    """The certificate as data (the page renders the same mapping)."""
    from oreline.api.routing import JSONResponse

    return JSONResponse(request.app.state.ledger.certificate(lot, customer, shipment))


@html.get("/trace/certificate", response_class=HTMLResponse, include_in_schema=False,
          dependencies=[Depends(require("read"))])
def certificate_page(request: Request, lot: str = Lot, customer: str | None = Customer,
                     shipment: str | None = ShipmentId) -> HTMLResponse:
    """The printable certificate page (the ledger's own renderer)."""
    return HTMLResponse(certificate_html(request.app.state.ledger.certificate(
        lot, customer, shipment)))
