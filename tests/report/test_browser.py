"""The HTML report opens in headless Chromium with the Sankey drawn."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path
from typing import Any

import pytest

from oreline.planner import run_plan
from oreline.report import write_outputs

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="needs Debian package chromium "
                       "(apt-get install chromium; .ci/run installs it)"),
]


def test_report_renders_sankey_and_charts(tmp_path: Path):
    from playwright.sync_api import sync_playwright

    plan = run_plan("kmp")
    write_outputs(plan, tmp_path / "out")
    page_errors: list[str] = []
    seen: dict[str, object] = {}

    def drive() -> None:  # in its own thread: the API suite's session browser owns this
        # thread's event loop, and Playwright's sync API refuses to nest in a running loop
        with sync_playwright() as pw:
            _drive(pw, tmp_path, page_errors, seen)

    worker = threading.Thread(target=drive)
    worker.start()
    worker.join()
    assert "error" not in seen, seen.get("error")
    nodes, links, labels, bars = (seen["nodes"], seen["links"], seen["labels"], seen["bars"])
    assert page_errors == []
    sales = plan.results.tables["sales"]
    assert nodes >= 6
    assert links >= len(sales.groupby(["customer", "origin_class"]))
    defence = next(c.name for c in plan.scenario.customers if c.id == "usar_defence")
    assert any(defence.startswith(label.rstrip("…")) for label in labels)  # named, not ids
    assert any("NdPr metal" in label for label in labels)
    assert bars > 0
    assert (tmp_path / "report.png").stat().st_size > 10_000


def _drive(pw: Any, tmp_path: Path, page_errors: list[str], seen: dict[str, object]) -> None:
    try:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"],
        )
    except Exception as exc:  # reported in the test's thread
        seen["error"] = repr(exc)
        return
    try:
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        page.on("pageerror", lambda exc: page_errors.append(str(exc)))
        page.goto((tmp_path / "out" / "report.html").as_uri())
        page.wait_for_selector("#plot-sankey .sankey .sankey-node", timeout=30_000)
        seen["nodes"] = page.locator("#plot-sankey .sankey-node").count()
        seen["links"] = page.locator("#plot-sankey .sankey-link").count()
        seen["labels"] = page.locator("#plot-sankey .sankey-node .node-label").all_text_contents()
        seen["bars"] = page.locator("#plot-production .bars .point").count()
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        DOCS_IMG.mkdir(parents=True, exist_ok=True)  # the picture in docs/plan.md
        full = int(page.evaluate("document.documentElement.scrollHeight"))
        page.screenshot(path=str(DOCS_IMG / "report-kmp.png"), full_page=True,
                        clip={"x": 0, "y": 0, "width": 1300, "height": min(full, 2000)})
    except Exception as exc:
        seen["error"] = repr(exc)
    finally:
        browser.close()
