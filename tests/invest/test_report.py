"""invest.html and the --out tables: content, formats, and the page drawn in Chromium."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from oreline.errors import ConfigError
from oreline.invest.analysis import Analysis, AnalysisSettings, analyse
from oreline.invest.extensive import solve_extensive
from oreline.invest.report import (
    check_formats,
    flagged_numbers,
    money,
    render_invest_report,
    write_invest_outputs,
)
from oreline.invest.runner import InvestRun
from oreline.scenario import load_scenario
from tests.invest.test_values import _case

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _analysis() -> Analysis:
    p = _case(150, 4.0, 8.0, [0.0, 1.0], True)
    sol = solve_extensive(p)
    run = InvestRun(p, "extensive", sol.y, sol.objective, sol.npv, None, 0.0)
    return analyse(run, load_scenario("tiny-invest"), None,
                   settings=AnalysisSettings(oos=0, mrp=0))


def test_report_is_self_contained_and_shows_each_part() -> None:
    page = render_invest_report(_analysis())
    assert "<script src=" not in page and "Plotly" in page  # plotly.js inlined
    for part in ('id="plot-timeline"', 'id="plot-npv"', "Break-even capex",
                 "Value of flexibility", "5.52 M USD", "Budget shadow values", "⚑"):
        assert part in page, part


def test_tables_in_every_format(tmp_path: Path) -> None:
    a = _analysis()
    written = write_invest_outputs(tmp_path / "out", a, ["parquet", "xlsx"])
    names = {w.name for w in written}
    assert {"decisions.csv", "npv.parquet", "options.csv", "values.parquet", "invest.xlsx",
            "invest.html"} <= names
    opts = pd.read_parquet(tmp_path / "out" / "options.parquet")
    assert opts.set_index("alternative").loc["cell2", "break_even_capex"] == \
        pytest.approx(5_520_000.0, rel=1e-7)
    sheets = pd.read_excel(tmp_path / "out" / "invest.xlsx", sheet_name=None)
    assert set(sheets) == {"decisions", "npv", "options", "values"}


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ConfigError, match="use csv, parquet or xlsx"):
        check_formats(["json"])


def test_money_and_flags_for_people() -> None:
    assert money(65_189_954.5, "USD") == "65.19 M USD" and money(22_500, "USD") == "22,500 USD"
    flags = flagged_numbers(load_scenario("kmp"))
    assert {"phase3", "us_plant", "dubbo", "dy_buffer"} <= set(flags["option"])
    assert flags.loc[(flags["option"] == "us_plant") & (flags["field"] == "capex"),
                     "value"].tolist() == ["80.00 M USD"]
    assert "strip_casting 1000 t/year alloy; electrolysis 300 t/year metal" in \
        flags.loc[flags["option"] == "phase3", "value"].tolist()


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian package chromium")
def test_report_draws_in_chromium(tmp_path: Path) -> None:
    write_invest_outputs(tmp_path / "out", _analysis())
    seen: dict[str, Any] = {}
    worker = threading.Thread(target=_drive, args=(tmp_path, seen))
    worker.start()
    worker.join()
    assert "error" not in seen, seen.get("error")
    assert seen["errors"] == []
    assert seen["boxes"] >= 4 and seen["lines"] >= 2
    assert seen["clipped"] == []  # every figure of the cards shows whole
    assert (tmp_path / "invest.png").stat().st_size > 10_000


def _drive(tmp_path: Path, seen: dict[str, Any]) -> None:
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    with sync_playwright() as pw:
        try:
            browser = pw.chromium.launch(executable_path=CHROMIUM,
                                         args=["--no-sandbox", "--disable-gpu"])
        except Exception as exc:  # reported in the test's thread
            seen["error"] = repr(exc)
            return
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 900})
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto((tmp_path / "out" / "invest.html").as_uri())
            page.wait_for_selector("#plot-npv .boxlayer .trace", timeout=30_000)
            seen["boxes"] = page.locator("#plot-npv .boxlayer .trace").count()
            seen["lines"] = page.locator("#plot-timeline .scatterlayer .trace").count()
            seen["clipped"] = page.evaluate(
                "[...document.querySelectorAll('.kpi b')]"
                ".filter(b => b.scrollWidth > b.clientWidth + 1).map(b => b.textContent)")
            page.screenshot(path=str(tmp_path / "invest.png"), full_page=True)
            seen["errors"] = errors
        except Exception as exc:
            seen["error"] = repr(exc)
        finally:
            browser.close()
