"""WS >= RP >= EEV and extensive form == Benders on generated small cases."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oreline.invest import build_problem
from oreline.invest.benders import solve_benders
from oreline.invest.extensive import solve_extensive
from oreline.invest.problem import InvestProblem
from oreline.invest.values import stochastic_values
from oreline.scenario import Scenario, load_scenario
from oreline.scenario.investment import CapacityAddition
from oreline.stress.apply import Occurrence
from oreline.stress.events import SupplierOutage
from oreline.units import Quantity


def _case(capex_k: int, add_t: float, au_t: float, fractions: list[float], wait: bool
          ) -> InvestProblem:
    sc: Scenario = load_scenario("tiny-invest")
    cell, au2 = sc.options
    cell = cell.model_copy(update={
        "capex": cell.capex.__class__(capex_k * 1000.0, "USD"),
        "adds": [CapacityAddition(process="electrolysis",
                                  capacity=Quantity(add_t, "month", "metal"))]})
    au = sc.contracts[0].model_copy(update={"max": Quantity(au_t, "month", "oxide")})
    inv = sc.investment.model_copy(update={
        "decision_months": ["2027-01", "2027-04"] if wait else []})
    sc = sc.model_copy(update={"options": [cell, au2], "investment": inv,
                               "contracts": [au, *sc.contracts[1:]]})
    ban = SupplierOutage(type="supplier_outage", id="ban", contract="cn", start="2027-01")
    samples = [(Occurrence(ban, 0, 12, {"fraction": f}),) if f > 0 else () for f in fractions]
    return build_problem(sc, samples=samples)


CASES = st.tuples(st.integers(0, 1500), st.floats(1.0, 8.0), st.floats(4.0, 20.0),
                  st.lists(st.sampled_from([0.0, 0.5, 1.0]), min_size=1, max_size=3),
                  st.booleans())


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(CASES)
def test_ws_rp_eev_are_ordered(case: tuple[int, float, float, list[float], bool]) -> None:
    v = stochastic_values(_case(*case))
    tol = 1e-7 * max(1.0, abs(v.rp))
    assert v.ws >= v.rp - tol
    assert v.rp >= v.eev - tol
    assert v.evpi >= -tol and v.vss >= -tol


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(CASES, st.sampled_from([0.0, 0.3]))
def test_benders_equals_extensive_on_generated_cases(
        case: tuple[int, float, float, list[float], bool], weight: float) -> None:
    p = _case(*case)
    ext = solve_extensive(p, risk_weight=weight, alpha=0.5)
    ben = solve_benders(p, risk_weight=weight, alpha=0.5)
    assert ben.objective == pytest.approx(ext.objective, rel=1e-6, abs=1e-3)


def test_values_by_hand_one_option_two_scenarios() -> None:
    """Only cell2 matters here (au2 never pays: enough Australian oxide). Without the ban
    cell2 earns 1,053,500 - 606,000 = 447,500 net of its 22,500 cost; the ban does not
    touch an unbanned plan, so every value is the same: EVPI = VSS = 0."""
    p = _case(150, 4.0, 20.0, [0.0, 0.0], False)
    v = stochastic_values(p)
    assert v.rp == pytest.approx(1_053_500.0)
    assert v.ws == pytest.approx(v.rp) and v.eev == pytest.approx(v.rp)
    assert v.y_rp.tolist() == [1.0, 0.0]


def test_values_by_hand_two_options_two_scenarios() -> None:
    """au limited to 8 t/month; scenario A: no event, B: the Chinese separator out all year.

    NPV per decision (cell2, au2), from each scenario's own plan (test_extensive's
    enumeration; costs 22,500 and 3,666.67):

    ==========  ============  ============
    decision    A             B
    ==========  ============  ============
    none        606,000.00    -499,200.00
    au2         602,333.33     402,983.33
    cell2       1,053,500.00  -521,700.00
    both        1,049,833.33   837,983.33
    ==========  ============  ============

    RP = max of the row means = both: 943,908.33. WS = (1,053,500 + 837,983.33) / 2 =
    945,741.67, so EVPI = 1,833.33 (half of au2's cost, wasted in A). The mean scenario
    halves the Chinese contract (50 t/month, still plenty), so its best decision is cell2
    alone; EEV = (1,053,500 - 521,700) / 2 = 265,900 and VSS = 678,008.33.
    """
    v = stochastic_values(_case(150, 4.0, 8.0, [0.0, 1.0], False))
    assert v.rp == pytest.approx(943_908.333, abs=0.01)
    assert v.ws == pytest.approx(945_741.667, abs=0.01)
    assert v.eev == pytest.approx(265_900.0, abs=0.01)
    assert v.evpi == pytest.approx(1_833.333, abs=0.01)
    assert v.vss == pytest.approx(678_008.333, abs=0.01)
    assert v.y_rp.tolist() == [1.0, 1.0] and v.y_ev.tolist() == [1.0, 0.0]
