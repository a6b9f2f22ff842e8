"""Plans seeded from the ledger: the `trace demo` ledger's stock as a plan's opening stock.

The demo ledger (a year at KMP, built in a temporary folder with the library's demo) is
planned on a small scenario that maps its KMP site and materials. The opening stock by
origin must equal the ledger's on-hand stock by origin (kg -> t), computed here
independently from :meth:`Ledger.stock`, and the plan's origin classes must carry the
ledger's stage countries. Mismatches are clear errors through the command line.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from oreline.errors import LedgerError, ScenarioError
from oreline.ledger.demo import KMP, run_demo
from oreline.ledger.ledger import Ledger
from oreline.origin import STAGES
from oreline.planner import run_plan
from oreline.scenario import export_scenario, load_scenario
from oreline.scenario.state import LedgerMap
from oreline.seed import read_ledger_map, seed_from_ledger

SCENARIO = """\
name: seeded
horizon: {start: 2027-01, periods: 3}
commodities:
  - {id: ndpr_oxide, family: oxide, compounds: {Nd2O3: 0.75, Pr6O11: 0.25}}
  - {id: ndpr_metal, family: metal, elements: {Nd: 0.75, Pr: 0.25}}
  - {id: dyfe, family: metal, elements: {Dy: 0.8, Fe: 0.2}}
  - {id: iron, family: reagent, elements: {Fe: 0.9995}}
  - {id: ferroboron, family: reagent, elements: {B: 0.18, Fe: 0.82}}
sites:
  - {id: kmp, country: KR, role: plant}
  - {id: store, country: KR, role: warehouse}
initial_stock:
  - {site: kmp, commodity: ndpr_oxide, quantity: 999 t oxide, origin: {mined: CN, separated: CN}}
  - {site: store, commodity: ndpr_oxide, quantity: 5 t oxide, origin: {mined: AU, separated: MY}}
customers:
  - {id: buyer, site: kmp, product: ndpr_metal, demand: 10 t/month metal, price: 100 USD/kg}
ledger_map:
  sites: {'urn:oreline:site:kmp-ochang': kmp}
  materials: {NdPr metal: ndpr_metal, DyFe80 ferro-dysprosium: dyfe, Electrolytic iron: iron,
              Ferroboron FeB18: ferroboron}
  forms: {oxide: ndpr_oxide, alloy: '-'}
"""


@pytest.fixture(scope="module")
def ledger_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ledger") / "demo.sqlite"
    led = Ledger.open(path)
    run_demo(led.capture, 12)
    led.close()
    return path


@pytest.fixture
def scenario_path(tmp_path: Path) -> Path:
    path = tmp_path / "seeded.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    return path


def _label(stages: dict[str, str | None], controlled: bool) -> str:
    """The planner's label of a ledger origin, worked out here independently."""
    if not controlled:
        return "untracked"
    last = max(i for i, s in enumerate(STAGES) if stages.get(s) or s in ("mined", "separated"))
    return ">".join(stages.get(s) or "??" for s in STAGES[:last + 1])


def test_opening_stock_by_origin_equals_the_ledger_on_hand_stock(ledger_path: Path,
                                                                  scenario_path: Path) -> None:
    led = Ledger.open(ledger_path)
    rows = led.stock(KMP)
    led.close()
    com = {"NdPr oxide": "ndpr_oxide", "NdPr metal": "ndpr_metal",
           "DyFe80 ferro-dysprosium": "dyfe", "Electrolytic iron": "iron",
           "Ferroboron FeB18": "ferroboron"}
    expected: dict[tuple[str, str], float] = {}
    for r in rows:
        key = (com[r["material"]], _label(r["stages"], r["form"] != "reagent"))
        expected[key] = expected.get(key, 0.0) + r["kg"] / 1000
    assert ("ndpr_metal", "??>VN>KR") in expected and ("dyfe", "CN>CN>KR") in expected

    plan = run_plan(seed_from_ledger(scenario_path, ledger_path))
    opening = plan.results.tables["opening_stock"]
    at_kmp = opening[opening["site"] == "kmp"]
    got = at_kmp.groupby(["commodity", "origin_class"])["quantity_t"].sum().to_dict()
    assert got.keys() == expected.keys()
    for key, tonnes in expected.items():
        assert got[key] == pytest.approx(tonnes, rel=1e-12), key
    # the scenario's own kmp stock is replaced, the other site's is kept
    assert opening[opening["site"] == "store"]["quantity_t"].tolist() == [5.0]
    assert not (at_kmp["origin_class"] == "CN>CN").any()
    # the plan's origin classes carry the ledger's stage countries
    classes = plan.results.tables["origin_classes"].set_index("origin_class")
    assert classes.loc["??>VN>KR", ["mined", "separated", "refined"]].tolist() == [
        "??", "VN", "KR"]
    assert classes.loc["AU>MY>KR", "dfars_from_2027"]
    assert not classes.loc["CN>CN>KR", "dfars_from_2027"]
    assert plan.results.kpis["served_t"] > 0


def test_the_map_can_come_from_a_file_and_round_trips(ledger_path: Path, scenario_path: Path,
                                                      tmp_path: Path) -> None:
    sc = load_scenario(scenario_path)
    assert sc.ledger_map is not None
    for target in ("again.yaml", "again_csv", "again.xlsx"):
        assert load_scenario(export_scenario(sc, tmp_path / target)) == sc
    file = tmp_path / "map.yaml"
    file.write_text("sites: {'urn:oreline:site:kmp-ochang': '-'}\n", encoding="utf-8")
    assert read_ledger_map(file) == LedgerMap(sites={KMP: "-"})
    seeded = seed_from_ledger(sc, ledger_path, file)  # kmp left out: nothing replaced
    assert seeded.initial_stock == sc.initial_stock


def test_a_malformed_map_file_names_its_line(tmp_path: Path) -> None:
    file = tmp_path / "map.yaml"
    file.write_text("sites: {a: kmp}\nmaterial: {NdPr oxide: ndpr_oxide}\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        read_ledger_map(file)
    issue = info.value.issues[0]
    assert (issue.where, issue.field) == (f"{file}:2", "material")
    with pytest.raises(ScenarioError, match="no such ledger map file"):
        read_ledger_map(tmp_path / "none.yaml")


def test_missing_ledger_is_a_ledger_error(scenario_path: Path, tmp_path: Path) -> None:
    with pytest.raises(LedgerError, match=r"no ledger at .*missing\.sqlite.*trace demo"):
        seed_from_ledger(scenario_path, tmp_path / "missing.sqlite")
    assert not (tmp_path / "missing.sqlite").exists()


@pytest.mark.parametrize(("change", "message", "fix", "where"), [
    (("Ferroboron FeB18: ferroboron", "Ferroboron FeB18: feb"),  # found on loading
     "ledger material 'Ferroboron FeB18' maps to unknown commodity 'feb'",
     "use one of: dyfe, ferroboron, iron", "bad.yaml:20"),
    (("Electrolytic iron: iron,", ""),
     "material 'Electrolytic iron' (form 'reagent') has no commodity",
     "add 'Electrolytic iron: <commodity>' to the ledger map's materials", "demo.sqlite"),
    (("'urn:oreline:site:kmp-ochang': kmp", "'urn:oreline:site:other': kmp"),
     f"ledger site '{KMP}' holds stock (e.g. lot urn:oreline:lot:",
     "map it to a scenario site (kmp, store)", "demo.sqlite"),
])
def test_mismatches_name_the_lot_site_or_material_and_the_fix(
        ledger_path: Path, tmp_path: Path, change: tuple[str, str], message: str,
        fix: str, where: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(SCENARIO.replace(*change), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        seed_from_ledger(path, ledger_path)
    issues = info.value.issues
    assert len(issues) == 1
    assert message in issues[0].message and fix in issues[0].fix
    assert issues[0].where.endswith(where)


def test_a_map_file_naming_an_unknown_commodity_is_caught_when_seeding(
        ledger_path: Path, scenario_path: Path, tmp_path: Path) -> None:
    file = tmp_path / "map.yaml"
    file.write_text("sites: {'urn:oreline:site:kmp-ochang': kmp}\nforms: {metal: nope, "
                    "oxide: '-', reagent: '-'}\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        seed_from_ledger(scenario_path, ledger_path, file)
    messages = [re.sub(r"-2026-\d{4}", "", i.message) for i in info.value.issues]
    assert messages == [
        f"lot urn:oreline:lot:dyfe80 at {KMP}: material 'DyFe80 ferro-dysprosium' "
        "(form 'metal') maps to 'nope', which is not a commodity of the scenario",
        f"lot urn:oreline:lot:ndpr-metal at {KMP}: material 'NdPr metal' (form "
        "'metal') maps to 'nope', which is not a commodity of the scenario"]


def test_a_stage_the_planner_does_not_know_names_the_lot(tmp_path: Path) -> None:
    led = Ledger.open("sqlite://")
    led.register_site("urn:oreline:site:kmp", "KMP", "KR", "alloying")
    from oreline.ledger.profile.builder import receive_event

    led.capture(receive_event("urn:oreline:lot:ox-9", kg=100.0, site="urn:oreline:site:kmp",
                              time="2026-01-05T09:00:00+09:00", material="NdPr oxide",
                              form="oxide", assay={"Nd": 0.64, "Pr": 0.21},
                              origin={"mined": "AU", "separated": "MY"}))
    lmap = LedgerMap(sites={"urn:oreline:site:kmp": "plant"}, materials={"NdPr oxide": "oxide"})
    real = led.stock
    led.stock = lambda site=None: [  # type: ignore[method-assign]
        {**r, "stages": {**r["stages"], "smelted": "KR"}} for r in real(site)]
    with pytest.raises(ScenarioError, match=r"lot urn:oreline:lot:ox-9 \('NdPr oxide'\) has "
                                            r"origin stage\(s\) \['smelted'\]"):
        seed_from_ledger("tiny", led, lmap)


def test_a_scenario_without_a_map_says_how_to_give_one(ledger_path: Path) -> None:
    with pytest.raises(ScenarioError, match="--ledger-map FILE"):
        seed_from_ledger("tiny", ledger_path)


CLI = [sys.executable, "-c", "from oreline.cli import main; main()"]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=300,
                          env={"COLUMNS": "200", "PATH": "/usr/bin:/bin", "HOME": "/tmp"})


def test_cli_plans_from_the_ledger(ledger_path: Path, scenario_path: Path) -> None:
    res = _run("plan", str(scenario_path), "--stock-from", str(ledger_path))
    assert res.returncode == 0, res.stderr
    assert "Plan seeded" in res.stdout and "Opening stock from the ledger" in res.stdout


def test_cli_with_a_missing_ledger_exits_6(scenario_path: Path, tmp_path: Path) -> None:
    res = _run("plan", str(scenario_path), "--stock-from", str(tmp_path / "nope.sqlite"))
    assert res.returncode == 6
    assert "no ledger at" in res.stderr + res.stdout
    assert "Traceback" not in res.stderr


def test_cli_with_an_unmapped_material_exits_2(ledger_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(SCENARIO.replace(" DyFe80 ferro-dysprosium: dyfe,", ""), encoding="utf-8")
    res = _run("plan", str(path), "--stock-from", str(ledger_path))
    out = res.stderr + res.stdout
    assert res.returncode == 2, out
    assert "material 'DyFe80 ferro-dysprosium' (form 'metal') has no commodity" in out
    assert "Traceback" not in res.stderr


def test_cli_ledger_map_needs_stock_from(scenario_path: Path, tmp_path: Path) -> None:
    res = _run("plan", str(scenario_path), "--ledger-map", str(tmp_path / "m.yaml"))
    assert res.returncode == 8
    assert "--ledger-map needs --stock-from" in res.stderr + res.stdout


def test_the_builtin_kmp_plans_from_the_demo_ledger(ledger_path: Path) -> None:
    """kmp's own ledger_map covers every material the demo ledger holds at KMP."""
    sc = seed_from_ledger("kmp", ledger_path)
    opening = [s for s in sc.initial_stock if s.site == "kmp"]
    led = Ledger.open(ledger_path)
    on_hand = sum(r["kg"] for r in led.stock(KMP)) / 1000
    led.close()
    assert on_hand > 0
    assert sum(s.quantity.tonnes for s in opening) == pytest.approx(on_hand, rel=1e-9)
    assert run_plan(sc).results.kpis["fill_rate"] > 0.8
