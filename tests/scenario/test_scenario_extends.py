"""``extends:``: a scenario as a delta on a base (built-in or a file next to it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from oreline.errors import ScenarioError
from oreline.scenario import export_scenario, load_scenario
from oreline.units import parse_quantity

SMALL = Path(__file__).parent / "data" / "small.yaml"

BASE = """\
name: base
horizon: {start: 2026-01, periods: 12}
commodities:
  - {id: oxide, family: oxide, compounds: {Nd2O3: 1.0}}
  - {id: metal, family: metal, elements: {Nd: 1.0}}
sites:
  - {id: plant, country: KR, role: plant}
  - {id: port, country: KR, role: port}
processes:
  - id: electrolysis
    site: plant
    stage: refined
    main_output: metal
    inputs: {oxide: 1.2}
    variable_cost: 8 USD/kg
    capacity:
      - {start: 2026-01, capacity: 100 t/yr metal}
contracts:
  - {id: au, supplier: AU separator, commodity: oxide, site: plant, max: 20 t/month oxide,
     price: 60 USD/kg, origin: {mined: AU, separated: MY}}
  - {id: cn, supplier: CN separator, commodity: oxide, site: plant, max: 50 t/month oxide,
     price: 50 USD/kg, origin: {mined: CN, separated: CN}}
initial_stock:
  - {site: plant, commodity: oxide, quantity: 10 t oxide, origin: {mined: AU, separated: MY}}
customers:
  - {id: kr, site: plant, product: metal, demand: 5 t/month metal, price: 80 USD/kg}
"""


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def base(tmp_path: Path) -> Path:
    return _write(tmp_path, "base.yaml", BASE)


def test_override_a_field(base: Path) -> None:
    child = _write(base.parent, "child.yaml", """\
name: child
extends: base.yaml
horizon: {periods: 36}
contracts:
  - {id: au, max: 35 t/month oxide}
""")
    sc, parent = load_scenario(child), load_scenario(base)
    assert sc.name == "child" and sc.extends is None
    assert (sc.horizon.start, sc.horizon.periods) == ("2026-01", 36)  # mapping merged key by key
    au = sc.contracts[0]
    assert au.max == parse_quantity("35 t/month oxide")
    assert au.price == parent.contracts[0].price and au.origin == {"mined": "AU", "separated": "MY"}
    assert sc.contracts[1] == parent.contracts[1]
    assert sc.processes == parent.processes and sc.customers == parent.customers


def test_add_and_remove_entries(base: Path) -> None:
    child = _write(base.parent, "child.yaml", """\
name: child
extends: base.yaml
contracts:
  - {id: cn, remove: true}
  - {id: ucore, supplier: Ucore, commodity: oxide, site: plant, max: 10 t/month oxide,
     price: 70 USD/kg, start: 2026-07, origin: {mined: US, separated: US}}
customers:
  - {id: us, site: plant, product: metal, demand: 2 t/month metal, price: 90 USD/kg,
     provenance: dfars-2027}
""")
    sc = load_scenario(child)
    assert [c.id for c in sc.contracts] == ["au", "ucore"]
    assert [c.id for c in sc.customers] == ["kr", "us"]
    assert sc.customers[1].provenance.rule == "dfars-2027"


def test_other_lists_are_replaced_whole(base: Path) -> None:
    child = _write(base.parent, "child.yaml", """\
name: child
extends: base.yaml
initial_stock:
  - {site: port, commodity: oxide, quantity: 3 t oxide, origin: {mined: AU, separated: MY}}
""")
    stock = load_scenario(child).initial_stock
    assert [(s.site, s.quantity.tonnes) for s in stock] == [("port", 3.0)]


def test_extends_a_builtin_by_name(tmp_path: Path) -> None:
    child = _write(tmp_path, "child.yaml", "name: my tiny\nextends: tiny\n"
                   "horizon: {periods: 2}\n")
    sc, tiny = load_scenario(child), load_scenario("tiny")
    assert sc.horizon.periods == 2 and sc.name == "my tiny"
    assert sc.model_copy(update={"name": tiny.name, "horizon": tiny.horizon}) == tiny


def test_chain_of_three(base: Path) -> None:
    _write(base.parent, "middle.yaml", "name: middle\nextends: base.yaml\ncurrency: USD\n"
           "customers:\n  - {id: kr, demand: 7 t/month metal}\n")
    sub = base.parent / "sub"
    sub.mkdir()
    child = _write(sub, "child.yaml", "name: child\nextends: ../middle.yaml\n"
                   "customers:\n  - {id: kr, price: 85 USD/kg}\n")
    kr = load_scenario(child).customers[0]
    assert kr.demand.tonnes == 7.0 and kr.price.per_tonne == 85_000.0


def test_errors_point_into_the_file_that_wrote_the_value(base: Path) -> None:
    bad_base = _write(base.parent, "bad_base.yaml", BASE.replace(
        "product: metal, demand: 5 t/month metal", "product: metl, demand: 5 t/month metal"))
    child = _write(base.parent, "child.yaml", """\
name: child
extends: bad_base.yaml
processes:
  - id: electrolysis
    capacity:
      - {start: 2026-01, capacity: 100 t/yr oxide}
lanes:
  - {id: l1, origin: port, destination: plnt, cost: 10 USD/t}
""")
    with pytest.raises(ScenarioError) as info:
        load_scenario(child)
    places = [(i.where, i.field, i.message) for i in info.value.issues]
    assert places == [
        (f"{bad_base}:26", "customers[0].product", "unknown commodity 'metl'"),
        (f"{child}:6", "processes[0].capacity[0].capacity",
         "quantity is in t oxide but 'metal' is metal"),
        (f"{child}:8", "lanes[0].destination", "unknown site 'plnt'"),
    ]


def test_a_replaced_list_no_longer_points_into_the_base(base: Path) -> None:
    """An error in a list the child replaced names the child, not the base's old entry."""
    child = _write(base.parent, "child.yaml", """\
name: child
extends: base.yaml
initial_stock:
  - site: plant
    commodity: oxide
    quantity: 2 t oxide
""")
    with pytest.raises(ScenarioError) as info:
        load_scenario(child)
    issue, = info.value.issues
    assert (issue.where, issue.field) == (f"{child}:4", "initial_stock[0].origin")
    assert issue.message == "oxide 'oxide' has no declared country for mined, separated"


def test_remove_of_an_unknown_id(base: Path) -> None:
    child = _write(base.parent, "child.yaml",
                   "name: c\nextends: base.yaml\ncontracts:\n  - {id: nope, remove: true}\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(child)
    issue, = info.value.issues
    assert issue.where == f"{child}:4"
    assert issue.message == "'remove: true' names 'nope', which the base scenario has no entry for"
    assert issue.fix.endswith("contracts of the base: au, cn")


def test_extends_from_a_csv_folder(base: Path, tmp_path: Path) -> None:
    """A CSV folder can extend too: ``extends`` is a row of scenario.csv."""
    folder = export_scenario(load_scenario(base), tmp_path / "child", "csv")
    for name in ("contracts", "capacity", "initial_stock", "customers", "processes"):
        text = (folder / f"{name}.csv").read_text(encoding="utf-8")
        (folder / f"{name}.csv").write_text(text.splitlines()[0] + "\n", encoding="utf-8")
    with (folder / "scenario.csv").open("a", encoding="utf-8") as fh:
        fh.write("extends,../base.yaml\n")
    with (folder / "customers.csv").open("a", encoding="utf-8") as fh:
        fh.write("kr,,,,,7 t/month metal,,,,,,,,,\n")
    sc = load_scenario(folder)
    assert sc.customers[0].demand.tonnes == 7.0
    assert sc.contracts == load_scenario(base).contracts


def test_relative_base_beats_a_builtin_of_the_same_name(tmp_path: Path) -> None:
    small = load_scenario(SMALL)
    export_scenario(small, tmp_path / "tiny", "csv")  # a CSV folder called 'tiny'
    child = _write(tmp_path, "child.yaml", "name: c\nextends: tiny\n")
    loaded = load_scenario(child)
    assert loaded.processes == small.processes
    assert loaded.processes != load_scenario("tiny").processes
