"""Origin class labels: the code's format, its inverse and the documented meaning agree."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from oreline.network import compile_network
from oreline.origin import LABEL_LEGEND, STAGES, UNKNOWN, OriginClass
from oreline.planner import run_plan
from oreline.results.tables import origin_class_table
from oreline.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
PLAN_DOC = ROOT / "docs" / "plan.md"


@pytest.fixture(scope="module")
def kmp():
    return run_plan("kmp")


def _doc_examples() -> list[dict[str, str]]:
    """Rows of the worked-example table in docs/plan.md, keyed by header."""
    text = PLAN_DOC.read_text(encoding="utf-8")
    block = re.search(r"<!-- origin-label-examples:start -->\n(.*?)\n<!-- origin-label-"
                      r"examples:end -->", text, flags=re.S)
    assert block is not None, "the origin label example table is gone from docs/plan.md"
    lines = block.group(1).splitlines()
    head = [c.strip() for c in lines[0].strip("|").split("|")]
    rows = [dict(zip(head, [c.strip() for c in line.strip("|").split("|")], strict=True))
            for line in lines[2:]]
    assert len(rows) >= 8
    return rows


def test_alloy_of_ucore_ndpr_and_chinese_dy_is_labelled_as_documented():
    # the steps of "How ??+CN>CN+US>KR>KR arises in kmp", with the network's own functions
    ndpr = OriginClass.declared({"mined": "unknown", "separated": "US"})
    dy = OriginClass.declared({"mined": "CN", "separated": "CN"})
    assert ndpr.label == "??>US" and dy.label == "CN>CN"
    metal = ndpr.with_stage("refined", "KR")
    dyfe = dy.with_stage("refined", "KR")
    assert (metal.label, dyfe.label) == ("??>US>KR", "CN>CN>KR")
    alloy = metal.union(dyfe).with_stage("melted", "KR")
    assert alloy.label == "??+CN>CN+US>KR>KR"
    assert alloy.countries("mined") == {UNKNOWN, "CN"}
    assert alloy.countries("separated") == {"CN", "US"}
    assert alloy.countries("refined") == {"KR"}
    assert alloy.countries("produced") == frozenset()
    # and compile_network reaches exactly that class for alloy at the plant
    net = compile_network(load_scenario("kmp"))
    assert alloy in net.classes


def test_skipped_untracked_and_empty_classes():
    scrap_metal = OriginClass.declared({"mined": "CN"}).with_stage("refined", "KR")
    assert scrap_metal.label == "CN>->KR"
    assert OriginClass.from_label("CN>->KR").countries("separated") == frozenset()
    assert OriginClass.untracked().label == "untracked"
    assert not OriginClass.from_label("untracked").tracked
    empty = OriginClass.declared({})
    assert empty.label == "-" and OriginClass.from_label("-") == empty
    five = OriginClass.from_label("AU>MY>KR>KR>JP")
    assert five.countries("produced") == {"JP"} and five.label == "AU>MY>KR>KR>JP"


@pytest.mark.parametrize("name", ["kmp", "tiny", "kmp-dy-stock", "kmp-phase2-early"])
def test_every_class_round_trips_through_its_label(name):
    classes = compile_network(load_scenario(name)).classes
    labels = [c.label for c in classes]
    assert len(set(labels)) == len(labels)  # results map labels back to classes
    for cls in classes:
        assert OriginClass.from_label(cls.label) == cls


@pytest.mark.parametrize("bad", ["", "AU>>KR", "CN+AU>MY", "AU>MY>-", "au>MY", "AU+>MY",
                                 "AU>MY>KR>KR>JP>US", "AUS>MY", "?>MY"])
def test_labels_the_planner_never_writes_are_refused(bad):
    with pytest.raises(ValueError, match="origin class label"):
        OriginClass.from_label(bad)


def test_documented_examples_are_real_kmp_output_and_decode_as_documented(kmp):
    table = origin_class_table(kmp.network).set_index("origin_class")
    seen = set(pd.concat([kmp.results.tables[t]["origin_class"] for t in
                          ("purchases", "production", "consumption", "sales")]))
    verdicts = {"ex-china": "ex_china", "dfars-2027 before 2027-01": "dfars_before_2027",
                "dfars-2027 from 2027-01": "dfars_from_2027"}
    for row in _doc_examples():
        label = row["label"].strip("`")
        assert label in seen, f"{label} is documented but not in the kmp plan's output"
        cls = OriginClass.from_label(label)
        for stage in STAGES:
            documented = set(row[stage].split("+")) if row[stage] else set()
            assert set(cls.stage_label(stage).split("+")) - {""} == documented, (label, stage)
            assert table.loc[label, stage] == row[stage], (label, stage)
        for column, key in verdicts.items():
            assert row[column] in ("yes", "no"), (label, column)
            assert bool(table.loc[label, key]) is (row[column] == "yes"), (label, column)


def test_documented_examples_cover_blends_unknowns_and_untracked():
    labels = [r["label"].strip("`") for r in _doc_examples()]
    assert "??+CN>CN+US>KR>KR" in labels  # the label the worked example builds
    assert any("+" in lb for lb in labels) and any("??" in lb for lb in labels)
    assert "untracked" in labels


def test_defence_customer_gets_only_the_class_the_docs_name_from_2027(kmp):
    s = kmp.results.tables["sales"]
    d = s[(s["customer"] == "usar_defence") & (s["period"] >= "2027-01")]
    assert set(d["origin_class"]) == {"AU>MY>KR>KR"}
    # kmp's horizon starts 2027-01: no month falls under the pre-2027 rule any more
    assert not (s["period"] < "2027-01").any()


def test_stage_order_in_legend_and_docs_is_the_code_order():
    order = ">".join(STAGES)
    assert order in LABEL_LEGEND
    text = PLAN_DOC.read_text(encoding="utf-8")
    assert f"`{order}`" in text
    scenario_doc = (ROOT / "docs" / "scenario-format.md").read_text(encoding="utf-8")
    assert "plan.md#reading-a-label" in scenario_doc
