"""Malformed stress files: each gives its own clear message with file and line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from oreline.errors import StressError
from oreline.scenario import load_scenario
from oreline.stress.files import load_stress
from oreline.stress.references import check_references
from oreline.stress.runner import Worker

HEAD = """\
name: bad
scenario: tiny
events:
"""

CASES = {
    # name: (events block, expected line, expected text in the message)
    "unknown_type": ("  - {id: e, type: eruption, contract: au}\n", 4, "eruption"),
    "unknown_field": ("  - id: e\n    type: supplier_outage\n    contract: au\n    frction: 1\n",
                      7, "did you mean 'fraction'"),
    "fraction_above_one": ("  - {id: e, type: supplier_outage, contract: au, fraction: 1.5}\n",
                           4, "fraction must be between 0 and 1"),
    "range_could_exceed": ("  - id: e\n    type: supplier_outage\n    contract: au\n"
                           "    fraction: {dist: uniform, low: 0.5, high: 1.2}\n",
                           4, "this one can be 0.5 to 1.2"),
    "low_above_high": ("  - id: e\n    type: demand_shock\n    customers: [c1]\n"
                       "    factor: {dist: uniform, low: 2, high: 1}\n", 7,
                       "low 2.0 is above high"),
    "missing_parameter": ("  - id: e\n    type: demand_shock\n    customers: [c1]\n"
                          "    factor: {dist: triangular, low: 1, high: 2}\n", 7, "needs mode"),
    "fixed_start_per_year": ("  - {id: e, type: supplier_outage, contract: au, start: 2027-02,"
                             " probability: 0.2}\n", 4, "write 'per: horizon'"),
    "missing_factor": ("  - {id: e, type: price_shock, commodity: oxide}\n", 4,
                       "required field is missing"),
    "empty_choice": ("  - id: e\n    type: demand_shock\n    customers: [c1]\n"
                     "    factor: {dist: choice, values: []}\n", 7, "at least one value"),
    "bad_country": ("  - {id: e, type: export_control, country: China, elements: [Nd]}\n", 4,
                    "did you mean 'CN' (China)?"),
    "unassigned_country": ("  - {id: e, type: export_control, country: XX, elements: [Nd]}\n",
                           4, "'XX' is not an ISO 3166-1 alpha-2 code"),
    "bad_element": ("  - {id: e, type: export_control, country: CN, elements: [Dysprosium]}\n",
                    4, "unknown element symbol"),
    "quota_missing": ("  - {id: e, type: export_control, country: CN, elements: [Nd],"
                      " mode: quota}\n", 4, "mode quota needs quota"),
    "duplicate_ids": ("  - {id: e, type: lane_closure, lane: x}\n"
                      "  - {id: e, type: lane_closure, lane: y}\n", 5, "duplicate event id"),
    "enquiry_negative_delay": ("  - {id: e, type: enquiry,"
                               " delay: {dist: uniform, low: -2, high: 3}}\n", 4,
                               "delay must be at least 0"),
    "index_shock_negative": ("  - {id: e, type: index_shock, commodity: oxide, factor: -0.1}\n",
                             4, "factor must be at least 0"),
    "outage_both_ways": ("  - {id: e, type: process_outage, process: electrolysis, fraction: 0.5,"
                         " cap: 5 t/month metal}\n", 4, "not both"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_malformed_stress_file(tmp_path: Path, name: str):
    events, line, text = CASES[name]
    path = tmp_path / f"{name}.yaml"
    path.write_text(HEAD + events, encoding="utf-8")
    with pytest.raises(StressError) as info:
        load_stress(path)
    message = str(info.value)
    assert text in message
    assert f"{path}:{line}" in message


def test_yaml_syntax_error_names_the_line(tmp_path: Path):
    path = tmp_path / "broken.yaml"
    path.write_text(HEAD + "  - {id: e, type: [\n", encoding="utf-8")
    with pytest.raises(StressError, match="not valid YAML"):
        load_stress(path)


def test_unknown_scenario_in_named_case(tmp_path: Path):
    path = tmp_path / "named.yaml"
    path.write_text(HEAD + "  - {id: e, type: lane_closure, lane: x}\nscenarios:\n"
                    "  - {name: n, events: [f]}\n", encoding="utf-8")
    with pytest.raises(StressError, match="unknown event"):
        load_stress(path)


def _references(tmp_path: Path, events: str, scenario: str = "tiny") -> str:
    path = tmp_path / "refs.yaml"
    path.write_text(HEAD.replace("tiny", scenario) + textwrap.dedent(events), encoding="utf-8")
    stress, base = load_stress(path)
    worker = Worker(load_scenario(base))
    with pytest.raises(StressError) as info:
        check_references(stress, worker.lp, str(path))
    return str(info.value)


def test_unknown_contract_suggests_the_closest(tmp_path: Path):
    text = _references(tmp_path, "  - {id: e, type: supplier_outage, contract: aus}\n")
    assert "unknown contract 'aus'" in text
    assert "did you mean 'au'" in text


def test_disabled_contract_and_supplier(tmp_path: Path):
    text = _references(tmp_path, "  - {id: e, type: supplier_outage, contract: dubbo_ndpr}\n"
                       "  - {id: f, type: supplier_outage, supplier: ASM Dubbo project (own "
                       "mine)}\n", scenario="kmp")
    assert "contract 'dubbo_ndpr' is disabled" in text
    assert "unknown supplier 'ASM Dubbo project (own mine)'" in text


def test_export_control_matching_nothing(tmp_path: Path):
    text = _references(tmp_path, "  - {id: e, type: export_control, country: RU, "
                       "elements: [Nd]}\n")
    assert "matches no active contract" in text


def test_quota_and_cap_on_the_wrong_basis(tmp_path: Path):
    text = _references(tmp_path, "  - {id: e, type: export_control, country: CN, elements: [Nd],"
                       " mode: quota, quota: 5 t/month metal}\n"
                       "  - {id: f, type: process_outage, process: electrolysis,"
                       " cap: 5 t/month oxide}\n")
    assert "quota is in t metal but the controlled contracts deliver oxide" in text
    assert "cap is in t oxide but 'electrolysis' makes metal" in text


def test_cli_reports_bad_stress_file_without_traceback(tmp_path: Path):
    import subprocess
    import sys

    path = tmp_path / "bad.yaml"
    path.write_text(HEAD + CASES["fraction_above_one"][0], encoding="utf-8")
    res = subprocess.run([sys.executable, "-c", "from oreline.cli import main; main()",
                          "stress", str(path)], capture_output=True, text=True, timeout=120)
    assert res.returncode == 7
    assert "Traceback" not in res.stderr
    assert "fraction must be between 0 and 1" in res.stderr
    res = subprocess.run([sys.executable, "-c", "from oreline.cli import main; main()",
                          "stress", "kmp", "--samples", "0"], capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
