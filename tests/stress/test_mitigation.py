"""The cost of a mitigation: extra opening stock priced as the scenario would buy it."""

from __future__ import annotations

import pytest

from oreline.errors import StressError
from oreline.network import compile_network
from oreline.scenario import load_scenario
from oreline.stress import draw_samples, load_stress, run_sweep
from oreline.stress.mitigation import extra_stock_cost
from oreline.stress.summary import compare_sweeps
from tests.conftest import builtin_dict, scenario_from


def _cost(base_data, mitigated_data):
    base, mitigated = scenario_from(base_data), scenario_from(mitigated_data)
    return extra_stock_cost(base, mitigated, compile_network(mitigated))


def test_kmp_dy_stock_costs_its_12_t_at_the_lynas_price():
    """kmp-dy-stock holds 12 t more AU>MY Dy oxide than kmp: 12,000 kg x 850 USD/kg [91]
    (the Lynas contract's price) = 10,200,000 USD; nothing else differs."""
    mitigated = load_scenario("kmp-dy-stock")
    cost = extra_stock_cost(load_scenario("kmp"), mitigated, compile_network(mitigated))
    assert cost[["site", "commodity", "origin", "priced_by"]].values.tolist() == [
        ["kmp", "dy_oxide", "mined=AU, separated=MY", "lynas_dy"]]
    assert cost["quantity_t"].iloc[0] == pytest.approx(12.0)
    assert cost["price_per_t"].iloc[0] == pytest.approx(850_000.0)
    assert cost["cost"].sum() == pytest.approx(10_200_000.0)


def test_a_scenario_against_itself_costs_nothing():
    kmp = load_scenario("kmp")
    assert extra_stock_cost(kmp, kmp, compile_network(kmp)).empty


def test_contract_price_reference_price_and_credit_by_hand(tiny_dict):
    """tiny with stock: base 4 t AU>MY oxide; the mitigation holds 9 t of it (+5 t, priced
    by contract au at 2,000 USD/t = 10,000), 3 t of oxide mined in CA that no contract
    delivers (reference price 1,500 USD/t = 4,500) and 2 t less metal than the base's 2 t
    (-2 t x reference 10,000 USD/t = -20,000 credit): total -5,500 USD."""
    au = {"mined": "AU", "separated": "MY"}
    base = dict(tiny_dict, initial_stock=[
        {"site": "plant", "commodity": "oxide", "quantity": "4 t oxide", "origin": au},
        {"site": "plant", "commodity": "metal", "quantity": "2 t metal",
         "origin": {**au, "refined": "KR"}}])
    mitigated = dict(tiny_dict, initial_stock=[
        {"site": "plant", "commodity": "oxide", "quantity": "9 t oxide", "origin": au},
        {"site": "plant", "commodity": "oxide", "quantity": "3 t oxide",
         "origin": {"mined": "CA", "separated": "CA"}}])
    cost = _cost(base, mitigated).set_index("commodity")
    rows = {(c, o): (q, p, by, v) for c, o, q, p, by, v in zip(
        cost.index, cost["origin"], cost["quantity_t"], cost["price_per_t"],
        cost["priced_by"], cost["cost"], strict=True)}
    assert rows == {
        ("metal", "mined=AU, refined=KR, separated=MY"): (-2.0, 10_000.0, "reference price",
                                                         -20_000.0),
        ("oxide", "mined=AU, separated=MY"): (5.0, 2_000.0, "au", 10_000.0),
        ("oxide", "mined=CA, separated=CA"): (3.0, 1_500.0, "reference price", 4_500.0)}
    assert cost["cost"].sum() == pytest.approx(-5_500.0)


def test_stock_without_any_price_is_refused(tiny_dict):
    data = dict(tiny_dict, initial_stock=[
        {"site": "plant", "commodity": "metal", "quantity": "1 t metal",
         "origin": {"mined": "AU", "separated": "MY", "refined": "KR"}}])
    del data["commodities"][1]["reference_price"]
    with pytest.raises(StressError) as err:
        _cost(tiny_dict, data)
    assert err.value.issues[0].fix == "give commodity 'metal' a reference_price"


def test_the_comparison_nets_the_cost_off_the_gain():
    """mean net gain = mean gain (per sample, mitigated - base margin) - 10.2 M USD."""
    stress, base_name = load_stress("kmp")
    scenario, mitigated = load_scenario(base_name), load_scenario("kmp-dy-stock")
    from oreline.stress.runner import Worker

    samples = draw_samples(stress, Worker(scenario).ctx, 4, seed=3)
    base = run_sweep(scenario, samples, "inprocess")
    other = run_sweep(mitigated, samples, "inprocess")
    cost = extra_stock_cost(scenario, mitigated, compile_network(mitigated))
    table = compare_sweeps(base, other, cost).table.set_index("statistic")["value"]
    gain = (other.metrics.set_index("sample")["margin"]
            - base.metrics.set_index("sample")["margin"]).mean()
    assert table["mitigation cost (extra opening stock)"] == pytest.approx(10_200_000.0)
    assert table["mean net margin gain (gain - cost)"] == pytest.approx(gain - 10_200_000.0)
    assert compare_sweeps(base, other).table.set_index("statistic")["value"][
        "mitigation cost (extra opening stock)"] == 0.0


def test_builtin_dict_of_the_mitigation_differs_only_in_stock():
    """The assumption behind pricing stock alone: kmp-dy-stock changes only initial_stock."""
    assert set(builtin_dict("kmp-dy-stock")) - {"initial_stock"} == {
        "extends", "name", "description"}
