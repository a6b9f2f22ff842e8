"""The invest pages in a real browser: a run started from the form, its tables and charts.

``test_invest_screenshots`` runs kmp with 5 samples of the kmp stress set (the
out-of-sample and MRP checks off) on a fresh server and saves docs/img/serve/invest.png
and invest-run.png.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Server
from tests.api.test_browser import _points, _shoot, _sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _start_from_form(page: Any, scenario: str, stress: str = "", samples: int = 10,
                     timeout: int = 120_000) -> None:
    page.goto("/invest")
    page.select_option("#invest-form select[name=scenario]", scenario)
    page.select_option("#invest-form select[name=stress]", stress)
    page.fill("#invest-form input[name=samples]", str(samples))
    page.click("text=Run invest job")
    page.wait_for_url("**/jobs/*")
    page.wait_for_selector("#job-status.done", timeout=timeout)
    page.click("text=Open the invest results")
    page.wait_for_selector("#plot-npv .main-svg")


def test_invest_run_from_the_form_shows_decision_and_charts(page: Any, server: Server):
    _sign_in(page, server.token)
    _start_from_form(page, "tiny-invest")
    assert page.locator("#decisions tbody tr").count() == 1
    assert "cell2" in page.locator("#decisions").inner_text()
    assert _points(page, "plot-timeline") > 0
    assert _points(page, "plot-npv") >= 4  # one point per alternative at least
    assert page.locator("#regret tbody tr").count() == 4
    assert page.locator("#values tbody tr").count() == 13
    assert "1.05 M USD" in page.locator("#kpis").inner_text()
    headers = page.locator("#regret thead th").all_inner_texts()
    assert "max regret" in headers and not any("_" in h for h in headers)


def test_invest_run_without_a_token_is_refused(page: Any):
    page.goto("/invest")
    with page.expect_response(lambda r: r.url.endswith("/invest/runs")) as info:
        page.click("text=Run invest job")
    assert info.value.status == 401


def test_invest_screenshots(clean_page: Any, clean_server: Server):
    page = clean_page
    _sign_in(page, clean_server.token)
    _start_from_form(page, "kmp", "kmp", samples=5, timeout=900_000)
    assert page.locator("#decisions tbody tr").count() >= 1
    _shoot(page, "invest-run", 3600)
    page.goto("/invest")
    _shoot(page, "invest", 900)
