"""Screenshot an ``invest.html`` into ``docs/img/invest/`` (headless Chromium).

The kmp run behind ``docs/img/invest/kmp.png`` takes minutes, so this is a script, not
a test::

    oreline invest kmp --stress kmp --samples 20 --out /tmp/kmp20
    .venv/bin/python docs/gen_invest_screenshot.py /tmp/kmp20/invest.html kmp

``tests/invest/test_report.py`` draws a small report in Chromium on every run.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(page_path: Path, name: str) -> Path:
    """Save the whole page as ``docs/img/invest/<name>.png``; return its path."""
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    out = ROOT / "docs" / "img" / "invest" / f"{name}.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium,
                                     args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(page_path.resolve().as_uri())
            page.wait_for_selector("#plot-npv .boxlayer .trace", timeout=60_000)
            page.screenshot(path=str(out), full_page=True)
        finally:
            browser.close()
    return out


if __name__ == "__main__":
    print(main(Path(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else "kmp"))
