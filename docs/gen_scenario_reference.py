"""Regenerate the field and table reference in ``docs/scenario-format.md`` from the code.

The field tables come from the pydantic models in :mod:`oreline.scenario.schema`
(type, constraints, default, description) plus the notes below for fields whose
schema description is missing or needs the unit and basis spelled out; the table
layout comes from :data:`oreline.scenario.readers.TABLES`. Hand-written prose in the
document is left alone: only the text between the ``generated`` markers changes.

Usage::

    .venv/bin/python docs/gen_scenario_reference.py          # rewrite the document
    .venv/bin/python docs/gen_scenario_reference.py --check  # exit 1 if out of date

``tests/scenario/test_scenario_reference_doc.py`` runs the check in the test suite.
"""

from __future__ import annotations

import sys
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from oreline.scenario import fields, investment, pricing, schema, state
from oreline.scenario.readers import TABLES

DOC = Path(__file__).with_name("scenario-format.md")

#: Models in document order: (heading, model, where it appears in a scenario).
MODELS: list[tuple[str, type[BaseModel], str]] = [
    ("Scenario", schema.Scenario, "the top level of the file"),
    ("Horizon", schema.Horizon, "`horizon:`"),
    ("Commodity", schema.Commodity, "each entry of `commodities:`"),
    ("Site", schema.Site, "each entry of `sites:`"),
    ("Process", schema.Process, "each entry of `processes:`"),
    ("CapacityPhase", schema.CapacityPhase, "each entry of a process's `capacity:`"),
    ("Contract", schema.Contract, "each entry of `contracts:`"),
    ("InitialStock", schema.InitialStock, "each entry of `initial_stock:`"),
    ("InTransit", state.InTransit, "each entry of `in_transit:`"),
    ("OpenOrder", state.OpenOrder, "each entry of `open_orders:`"),
    ("StockTarget", state.StockTarget, "each entry of `stock_targets:`"),
    ("LedgerMap", state.LedgerMap, "`ledger_map:`"),
    ("Lane", schema.Lane, "each entry of `lanes:`"),
    ("Customer", schema.Customer, "each entry of `customers:`"),
    ("Enquiry", schema.Enquiry, "each entry of `enquiries:`"),
    ("Policy", schema.Policy, "a customer's or an enquiry's `provenance:`"),
    ("PricePath", pricing.PricePath, "a commodity's `price_path:`"),
    ("InvestmentOption", investment.InvestmentOption, "each entry of `options:`"),
    ("CapacityAddition", investment.CapacityAddition, "each entry of an option's `adds:`"),
    ("StockAddition", investment.StockAddition, "each entry of an option's `stock:`"),
    ("InvestmentSettings", investment.InvestmentSettings, "`investment:`"),
]

#: Meaning of fields the schema leaves undescribed, and unit/basis notes (appended).
NOTES: dict[str, str] = {
    "Scenario.name": "Name shown in reports",
    "Scenario.description": "One-paragraph summary",
    "Scenario.extends": "Base scenario this file changes: a built-in name or a path relative "
                        "to this file (see *extends*); resolved on loading",
    "Scenario.horizon": "Planning horizon",
    "Scenario.currency": "ISO 4217 code; every price in the scenario must use it",
    "Scenario.discount_rate": "a period starting y years after the horizon start is "
                              "weighted (1 + rate)^-y in the objective",
    "Scenario.commodities": "Materials",
    "Scenario.sites": "Places",
    "Scenario.processes": "Recipes at sites",
    "Scenario.contracts": "Supply contracts",
    "Scenario.initial_stock": "Stock on hand at the start, by origin",
    "Scenario.in_transit": "Shipments on their way at the start (see *Opening state*)",
    "Scenario.open_orders": "Committed deliveries under contracts",
    "Scenario.stock_targets": "Safety stocks and strategic reserves, soft",
    "Scenario.ledger_map": "How a ledger's sites and lots map onto this scenario, for "
                           "`oreline plan --stock-from` (see *Plans seeded from a ledger*)",
    "Scenario.lanes": "Transport lanes",
    "Scenario.customers": "Demand: signed offtake contracts",
    "Scenario.sources": "(key → citation; an entry's `source` may name a key)",
    "Horizon.start": "First period",
    "Horizon.periods": "Number of periods",
    "Horizon.period": "Period length",
    "Commodity.name": "Display name",
    "Commodity.family": "Where in the chain the material sits; also the basis its "
                        "quantities must be stated in",
    "Commodity.elements": "(element symbol → share of the mass, summing to at most 1; "
                          "the rest is mass not tracked by element)",
    "Commodity.compounds": "(formula → share, summing to 1; converted to element "
                           "fractions with IUPAC atomic weights); give `elements` or "
                           "`compounds`, not both",
    "Commodity.reference_price": "Value for holding costs and ad valorem tariffs",
    "Site.name": "Display name",
    "Site.role": "What the site is",
    "Site.storage_capacity": "(a mass in tonnes over all commodities, e.g. `500 t oxide`; "
                             "default: unlimited)",
    "Process.name": "Display name",
    "Process.site": "Site id",
    "Process.main_output": "Commodity id of the product; capacity and costs are per t of it",
    "Process.inputs": "commodity id → t, e.g. `ndpr_oxide: 1.176`; a recipe may not "
                      "create any element",
    "Process.co_products": "commodity id → t",
    "Process.yield": "Share of the main output recovered; inputs needed are "
                     "`inputs / yield`",
    "Process.capacity": "Capacity phases, in date order",
    "CapacityPhase.name": "Display name, e.g. `Phase 2`",
    "CapacityPhase.start": "First period the phase is in force",
    "CapacityPhase.capacity": "Most main output per period (rate, basis = the family of the "
                              "process's main output, e.g. `1300 t/yr alloy`)",
    "CapacityPhase.enabled": "`false` keeps a phase in the file but out of the plan",
    "CapacityPhase.source": "Where the numbers come from",
    "Contract.supplier": "Supplier's name",
    "Contract.commodity": "Commodity id delivered",
    "Contract.site": "Site id delivered to",
    "Contract.max": "Most delivered per period (rate, basis = the commodity's family)",
    "Contract.min": "Least that must be taken per period (rate, same basis)",
    "Contract.take_or_pay": "Paid for per period whether taken or not (rate, same basis)",
    "Contract.price": "Price per t delivered: a fixed price (`2000 USD/t`) or an index "
                      "formula (`0.95 x ndpr_oxide + 2 USD/kg`, see *Indexed prices*)",
    "Contract.start": "First period of deliveries (default: start of horizon)",
    "Contract.end": "Last period of deliveries (default: end of horizon)",
    "Contract.origin": "stages: mined, separated, refined, melted, produced; a country is "
                       "an ISO code or `unknown`; each stage the commodity's family has passed "
                       "must be given",
    "Contract.enabled": "`false` keeps a contract in the file but out of the plan",
    "InitialStock.site": "Site id",
    "InitialStock.commodity": "Commodity id",
    "InitialStock.quantity": "Stock (a mass, basis = the commodity's family, e.g. "
                             "`355 kg oxide`)",
    "InitialStock.origin": "Country per stage, as for contracts",
    "InitialStock.source": "Where the numbers come from",
    "InTransit.site": "Site id it arrives at",
    "InTransit.commodity": "Commodity id",
    "InTransit.quantity": "Mass (basis = the commodity's family, e.g. `12 t oxide`)",
    "InTransit.arrival": "Month it arrives into stock (the period holding it); not before "
                         "the horizon start; after the horizon it is left out",
    "InTransit.origin": "Country per stage, as for contracts",
    "OpenOrder.contract": "Contract id it was ordered under (its site, commodity, origin "
                          "and price apply)",
    "OpenOrder.quantity": "Mass (basis = the contract commodity's family)",
    "OpenOrder.arrival": "Month it arrives into stock; it was ordered the contract's "
                         "lead time earlier",
    "OpenOrder.source": "Where the numbers come from",
    "StockTarget.site": "Site id",
    "StockTarget.commodity": "Commodity id; stock of every origin class counts",
    "StockTarget.kind": "`safety` (working stock) or `strategic` (a reserve); a label "
                        "for reports",
    "StockTarget.quantity": "Least closing stock wanted each period (a mass, basis = the "
                            "commodity's family)",
    "StockTarget.start": "First period of the target (default: start of horizon)",
    "StockTarget.end": "Last period of the target (default: end of horizon)",
    "StockTarget.penalty": "Cost per t below the target per month (× 3 for a quarter)",
    "LedgerMap.sites": "ledger site URI → scenario site id, or `-` to leave it out",
    "LedgerMap.materials": "lot material → commodity id, or `-`",
    "LedgerMap.forms": "lot form (`oxide`, `metal`, `reagent` ...) → commodity id, or `-`; "
                       "used when the material is not listed",
    "Lane.origin": "Site id the lane leaves",
    "Lane.destination": "Site id the lane reaches",
    "Lane.commodities": "Commodity ids allowed on the lane (default: all)",
    "Lane.lead_time": "Periods in transit",
    "Lane.cost": "Transport cost per t",
    "Lane.tariff": "(a share: 0.25 = 25%, added to the cost per t); needs "
                   "`reference_price` on the commodities",
    "Customer.name": "Display name",
    "Customer.group": "Group for reports, e.g. `Korea`",
    "Customer.site": "Site id delivered to",
    "Customer.product": "Commodity id bought",
    "Customer.demand": "Demand per period (rate, basis = the product's family); a yearly "
                       "rate is spread over months by `profile` when given",
    "Customer.profile": "January first, normalised by their mean; used with monthly "
                        "periods only",
    "Customer.demand_by_period": "Demand for single periods, overriding `demand` there "
                                 "(CSV/Excel: the `demand` table)",
    "Customer.price": "Price per t sold: a fixed price or an index formula "
                      "(`ndpr_oxide[Nd+Pr] + dy_oxide[Dy] + 5 USD/kg`, see *Indexed prices*)",
    "Customer.firm": "(rate, same basis; default `demand`): the plan must serve "
                     "`demand x firm / demand` per period, shortfall below it is penalised",
    "Customer.max": "(rate, same basis; default `demand`): the plan may sell up to "
                    "`demand x max / demand` per period at the contract price",
    "Enquiry.name": "Display name",
    "Enquiry.group": "Group for reports",
    "Enquiry.site": "Site id delivered to",
    "Enquiry.product": "Commodity id asked for",
    "Enquiry.demand": "Volume per period if it converts (rate, basis = the product's family)",
    "Enquiry.profile": "January first, normalised by their mean; monthly periods only",
    "Enquiry.demand_by_period": "Volumes for single periods (CSV/Excel: the `demand` table)",
    "Enquiry.price": "Price basis offered: fixed or an index formula",
    "Enquiry.shortfall_penalty": "As for customers",
    "Enquiry.priority": "As for customers",
    "Enquiry.start": "Earliest start month the buyer asks for",
    "Enquiry.end": "Last period of demand",
    "Enquiry.provenance": "The buyer's provenance rule, as for customers",
    "Enquiry.probability": "`--demand expected` plans for probability x volume",
    "Enquiry.qualification_months": "(6-18 months is typical for an alloy supplier); first "
                                    "delivery is max(start, decision + qualification_months)",
    "Customer.shortfall_penalty": "Cost per t of unmet demand (see `priority`)",
    "Customer.priority": "1 (served first) to 9; without `shortfall_penalty` the penalty is "
                         "price × (3 − 0.25 × (priority − 1)), priority 5 when unset",
    "Customer.qualified_from": "First period the customer may be served; earlier demand is "
                               "reported as unqualified, not as shortfall",
    "Customer.start": "First period of demand",
    "Customer.end": "Last period of demand",
    "Customer.provenance": "Which origin classes may serve the customer; text "
                           "`rule[:max_share]` or a mapping",
    "Policy.rule": "See *Provenance policies*",
    "PricePath.observed": "in CSV/Excel the whole path is one JSON cell",
    "Policy.max_share": "crma: most of supply touching any one third country",
    "Scenario.options": "(see *Investment options*)",
    "InvestmentOption.name": "Display name",
    "InvestmentOption.kind": "What the option is, for reports; what it does comes from "
                             "`adds`, `supply` and `stock`",
    "InvestmentOption.capex": "(money, see *Investment options*)",
    "InvestmentOption.modules": "(`supply` is all or nothing: more than 1 is refused on an "
                                "option with `supply`)",
    "InvestmentOption.earliest": "(default: the horizon start)",
    "InvestmentOption.latest": "(default: the last month, less `lead_time`)",
    "InvestmentOption.ramp": "(each 0 to 1, never falling, ending at 1; CSV/Excel: "
                             "`0.25; 0.5; 1`)",
    "InvestmentOption.adds": "Capacity per module added to processes (CSV/Excel: the "
                             "`option_adds` table)",
    "InvestmentOption.supply": "(contract ids, each `enabled: false`; the option enables them)",
    "InvestmentOption.stock": "Stock per module delivered at commissioning, a buffer "
                              "(CSV/Excel: the `option_stock` table)",
    "InvestmentOption.requires": "(option ids; no cycles, none it excludes)",
    "InvestmentOption.excludes": "(option ids; an exclusion holds both ways)",
    "CapacityAddition.process": "Process id",
    "CapacityAddition.capacity": "Nameplate per module (rate, basis = the family of the "
                                 "process's main output)",
    "StockAddition.site": "Site id",
    "StockAddition.commodity": "Commodity id",
    "StockAddition.quantity": "Mass per module (basis = the commodity's family)",
    "StockAddition.origin": "Country per stage, as for contracts",
    "InvestmentSettings.decision_months": "(each the first month of a period, in the "
                                          "horizon, sorted, once each)",
    "InvestmentSettings.fx": "(CSV/Excel: `AUD=0.65; EUR=1.08`)",
}


def _aliases() -> dict[Any, str]:
    return {
        fields.Rate: "rate",
        fields.Stock: "mass",
        fields.PriceT: "price",
        fields.YearMonth: "year-month",
        fields.FloatMap: "mapping of numbers",
        fields.StrMap: "mapping of text",
        fields.Source: "text or mapping",
        pricing.ContractPrice: "price or index formula",
        pricing.ForwardT: "text",
        investment.MoneyT: "money",
        investment.MoneyRate: "money per year or month",
    }


def _literal(tp: Any) -> str | None:
    if typing.get_origin(tp) is typing.Literal:
        return "one of " + ", ".join(f"`{a}`" for a in typing.get_args(tp))
    return None


def _type_name(tp: Any) -> str:
    """Readable name of an annotation (aliases from the schema are recognised)."""
    for alias, name in _aliases().items():
        if tp == alias:
            return name
    literal = _literal(tp)
    if literal:
        return literal
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in args if a is not type(None))
    if origin is list:
        return f"list of {_type_name(args[0])}"
    if origin is dict:
        return f"mapping {_type_name(args[0])} → {_type_name(args[1])}"
    if origin is typing.Annotated:
        return _type_name(args[0])
    if isinstance(tp, type):
        if issubclass(tp, BaseModel):
            return f"[{tp.__name__}](#{tp.__name__.lower()})"
        return {"str": "text", "int": "integer", "float": "number", "bool": "true/false"}.get(
            tp.__name__, tp.__name__)
    return str(tp)


def _field_type(info: FieldInfo) -> str:
    """Type of a field, with its constraints, from its annotation and metadata."""
    ann = info.annotation
    name = None
    for alias, text in _aliases().items():
        extra = typing.get_args(alias)[1:] if typing.get_origin(alias) is typing.Annotated else ()
        if extra and all(any(m is e for m in info.metadata) for e in extra):
            name = text
    if name is None:
        name = _type_name(ann)
        if str(name).startswith("list of number") and any(
            getattr(m, "func", None) is fields.split_list for m in info.metadata
        ):
            name = "list of numbers"
    bounds = []
    for m in info.metadata:
        for attr, sign in (("gt", ">"), ("ge", "≥"), ("lt", "<"), ("le", "≤")):
            if getattr(m, attr, None) is not None:
                bounds.append(f"{sign} {getattr(m, attr)}")
        if getattr(m, "min_length", None):
            bounds.append(f"at least {m.min_length} entry")
        if getattr(m, "pattern", None):
            bounds.append(f"matching `{m.pattern}`")
    return f"{name} ({', '.join(bounds)})" if bounds else name


def _default(info: FieldInfo) -> str:
    if info.is_required():
        return "**required**"
    value = info.get_default(call_default_factory=True)
    if value is None or value == {} or value == []:
        return "–"
    if isinstance(value, pricing.Forward):
        return f"`{value}`"
    if isinstance(value, BaseModel):
        empty = "any" if isinstance(value, schema.Policy) else "its defaults"
        return f"`{value.model_dump(exclude_defaults=True) or empty}`".replace("{", "").replace(
            "}", "")
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if value == "":
        return '`""`'
    if isinstance(value, list):
        return ", ".join(f"`{v}`" for v in value)
    return f"`{value}`"


def meaning(model: type[BaseModel], field: str) -> str:
    """The meaning of ``model.field``: the schema's description and the note, if any.

    A note starting with ``(`` qualifies the description; any other note follows it
    after a semicolon, or stands alone when the schema has no description.
    """
    info = model.model_fields[field]
    description = info.description or ""
    note = NOTES.get(f"{model.__name__}.{info.alias or field}", "")
    if description and note:
        return f"{description} {note}" if note.startswith("(") else f"{description}; {note}"
    return description or note


def field_table(model: type[BaseModel]) -> str:
    """Markdown table of a model's fields, in schema order."""
    lines = ["| field | type | default | meaning |", "|---|---|---|---|"]
    for field, info in model.model_fields.items():
        name = info.alias or field
        text = meaning(model, field).replace("|", "\\|")
        lines.append(f"| `{name}` | {_field_type(info)} | {_default(info)} | {text} |")
    return "\n".join(lines)


def undocumented() -> list[str]:
    """Fields with no meaning at all (neither a schema description nor a note)."""
    return [f"{m.__name__}.{f}" for _, m, _ in MODELS for f in m.model_fields
            if not meaning(m, f)]


def stale_notes() -> list[str]:
    """Notes naming a field the schema no longer has."""
    names = {f"{m.__name__}.{i.alias or f}"
             for _, m, _ in MODELS for f, i in m.model_fields.items()}
    return sorted(set(NOTES) - names)


def fields_section() -> str:
    """Every model's field table, with a heading per model."""
    parts = []
    for heading, model, where in MODELS:
        doc = (model.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")
        parts.append(f"### {heading}\n\n{doc} Written as {where}.\n\n{field_table(model)}")
    return "\n\n".join(parts)


def tables_section() -> str:
    """The CSV/Excel table layout: one line per table with its columns."""
    lines = ["| table (CSV file / sheet) | columns |", "|---|---|"]
    for table, columns in TABLES.items():
        lines.append(f"| `{table}` | {', '.join(f'`{c}`' for c in columns)} |")
    return "\n".join(lines)


SECTIONS = {"fields": fields_section, "tables": tables_section}


def render(text: str) -> str:
    """Return ``text`` with every generated section replaced by fresh output."""
    for name, make in SECTIONS.items():
        start, end = f"<!-- generated:{name}:start -->", f"<!-- generated:{name}:end -->"
        head, sep, rest = text.partition(start)
        if not sep or end not in rest:
            raise SystemExit(f"{DOC}: markers for section {name!r} are missing")
        _, _, tail = rest.partition(end)
        text = f"{head}{start}\n<!-- written by docs/gen_scenario_reference.py; "\
               f"do not edit by hand -->\n\n{make()}\n\n{end}{tail}"
    return text


def main(argv: list[str]) -> int:
    """Rewrite the document, or with ``--check`` report whether it is up to date."""
    problems = [f"field {f} has no description: add one to the schema or to NOTES"
                for f in undocumented()]
    problems += [f"NOTES names {f}, which the schema no longer has" for f in stale_notes()]
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    current = DOC.read_text(encoding="utf-8")
    fresh = render(current)
    if "--check" in argv:
        if fresh != current:
            print(f"{DOC} is out of date: run python docs/gen_scenario_reference.py",
                  file=sys.stderr)
            return 1
        return 0
    if fresh != current:
        DOC.write_text(fresh, encoding="utf-8")
        print(f"updated {DOC}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
