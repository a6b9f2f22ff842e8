"""The pages in a real browser: Debian Chromium driven by Playwright against ``oreline serve``.

Each test opens a page of a real server subprocess and checks what a person would see:
charts drawn with data, a lot found and its certificate printed, a job run to the end,
a write without a token refused. ``test_screenshots`` saves docs/img/serve/*.png.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import Server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img" / "serve"


def _points(page: Any, div: str) -> int:
    """How many data points the plotly figure in ``div`` holds."""
    return int(page.evaluate(
        "(id) => { const d = document.getElementById(id); if (!d || !d.data) return 0;"
        " return d.data.reduce((n, t) => n + ((t.x || t.value || (t.link && t.link.value)"
        " || []).length), 0); }", div))


def _shoot(page: Any, name: str, height: int = 1500) -> Path:
    """Save the top ``height`` pixels of the page as docs/img/serve/<name>.png."""
    DOCS_IMG.mkdir(parents=True, exist_ok=True)
    out = DOCS_IMG / f"{name}.png"
    full = int(page.evaluate("document.documentElement.scrollHeight"))
    page.screenshot(path=str(out), full_page=True,
                    clip={"x": 0, "y": 0, "width": 1300, "height": min(full, height)})
    return out


def _sign_in(page: Any, token: str) -> None:
    page.goto("/login")
    page.fill("input[name=token]", token)
    page.click("form.box button")
    page.wait_for_url("**/")


def test_home_lists_scenarios_and_ledger(page: Any):
    page.goto("/")
    assert page.locator("h1").inner_text() == "Oreline"
    assert page.locator("a[href='/scenarios/kmp']").count() == 1
    assert "lots in the demo ledger" in page.locator(".cards").inner_text()


def test_scenario_list_links_every_scenario(page: Any):
    page.goto("/scenarios")
    names = page.locator("table.data tbody tr td:first-child a").all_inner_texts()
    assert {"kmp", "tiny", "exchina"} <= set(names)


def test_scenario_view_shows_flags_and_sources(page: Any):
    page.goto("/scenarios/kmp")
    assert page.locator("tr.flagged").count() > 0
    assert page.locator(".source .flag").count() > 0
    assert page.locator("#customers tbody tr").count() >= 3


def test_scenario_export_downloads_yaml(page: Any):
    page.goto("/scenarios/tiny")
    with page.expect_download() as info:
        page.click("text=YAML")
    path = info.value.path()
    assert "horizon" in Path(path).read_text(encoding="utf-8")


def test_plan_page_draws_the_sankey(page: Any):
    page.goto("/plan/tiny")
    page.wait_for_selector("#plot-sankey .sankey-node", timeout=60_000)
    assert _points(page, "plot-sankey") > 0
    assert page.locator("#plot-sankey .sankey-link").count() > 0


def test_plan_sankey_has_a_colour_legend(page: Any):
    page.goto("/plan/tiny")
    swatches = page.locator("#sankey-legend .swatch")
    assert swatches.count() >= 1
    assert ">" in swatches.first.inner_text() or swatches.first.inner_text()


def test_plan_sankey_names_customers(page: Any, client: Any):
    page.goto("/plan/kmp")
    page.wait_for_selector("#plot-sankey .sankey-node", timeout=120_000)
    labels = page.locator("#plot-sankey .node-label").all_text_contents()
    fill = client.get("/api/plan/kmp").json()["fill_rate"]
    names = [row[fill["columns"].index("name")] for row in fill["rows"]]
    assert any(label in names for label in labels if label)  # a named customer is drawn


def test_plan_production_chart_has_bars(page: Any):
    page.goto("/plan/tiny")
    page.wait_for_selector("#plot-production .bars .point", timeout=60_000)
    assert _points(page, "plot-production") > 0


def test_plan_inventory_and_sales_charts_have_data(page: Any):
    page.goto("/plan/tiny")
    page.wait_for_selector("#plot-sales .main-svg", timeout=60_000)
    assert _points(page, "plot-sales") > 0
    assert _points(page, "plot-inventory") >= 0  # tiny may hold no stock; the div exists
    assert page.locator("#plot-inventory .main-svg").count() >= 1


def test_plan_kpis_are_formatted_for_people(page: Any):
    page.goto("/plan/kmp")
    text = page.locator("#kpis").inner_text()
    assert " M USD" in text and "%" in text
    body = page.locator("main").inner_text()
    assert "-0.0" not in body and "99999999" not in body


def test_plan_shadow_prices_sort_on_click(page: Any):
    page.goto("/plan/kmp")
    table = page.locator("#shadow-supply")
    cells = table.locator("tbody tr td.num:last-child")
    first = [float(v) for v in cells.evaluate_all("cs => cs.map(c => c.dataset.v)")]
    table.locator("th").last.click()  # ascending
    after = [float(v) for v in cells.evaluate_all("cs => cs.map(c => c.dataset.v)")]
    assert after == sorted(first)


def test_plan_headers_are_words(page: Any):
    page.goto("/plan/tiny")
    headers = page.locator("#demand table thead th").all_inner_texts()
    assert "fill rate" in headers and not any("_" in h for h in headers)


def test_whatif_copy_edit_and_compare(page: Any, server: Server):
    _sign_in(page, server.token)
    page.goto("/scenarios/tiny")
    name = f"tiny-b{int(time.time() * 1000) % 10**8}"
    page.fill("#copy input[name=new_name]", name)
    page.click("#copy button")
    page.wait_for_url(f"**/scenarios/{name}/edit")
    text = page.locator("#edit textarea").input_value()
    page.fill("#edit textarea", text.rstrip() + "\nbogus: 1\n")
    page.click("#edit button")
    assert "nothing was saved" in page.locator("#issues").inner_text()
    assert f"{name}.yaml:" in page.locator("#issues").inner_text()
    page.fill("#edit textarea", text.replace("customers:", "discount_rate: 0.3\ncustomers:", 1))
    page.click("#edit button")
    page.wait_for_url(f"**/scenarios/{name}")
    page.goto(f"/compare?a=tiny&b={name}")
    assert page.locator("#kpis tr.down, #kpis tr.up").count() >= 1  # discounting changed
    assert "discount rate" in page.locator("#entities").inner_text() or \
        page.locator("#kpis").inner_text()


def _copy_in_browser(page: Any, source: str, prefix: str) -> str:
    page.goto(f"/scenarios/{source}")
    name = f"{prefix}{int(time.time() * 1000) % 10**8}"
    page.fill("#copy input[name=new_name]", name)
    page.click("#copy button")
    page.wait_for_url(f"**/scenarios/{name}/edit")
    return name


def _row_input(page: Any, key: str, field: str) -> Any:
    return page.locator(f"tr[id='row-{key}'] input[name='v.{field}']")


def _save_row(page: Any, key: str) -> None:
    page.locator(f"tr[id='row-{key}'] button[value=save]").click()
    page.wait_for_load_state()


def test_whatif_contract_form_then_plan_then_compare(page: Any, server: Server):
    """Copy tiny, switch off a contract in its form, plan the copy, compare with tiny."""
    _sign_in(page, server.token)
    name = _copy_in_browser(page, "tiny", "tiny-f")
    page.click("#forms >> text=supply contracts")
    page.wait_for_url(f"**/scenarios/{name}/edit/contracts")
    _row_input(page, "cn", "enabled").fill("false")
    _save_row(page, "cn")
    assert "Saved cn" in page.locator("#saved").inner_text()
    assert _row_input(page, "cn", "enabled").input_value() == "false"
    page.click("text=plan it")
    page.wait_for_url(f"**/plan/{name}")
    page.wait_for_selector("#plot-sankey .sankey-node", timeout=120_000)
    page.go_back()
    page.click("#compare-link")
    page.wait_for_url(f"**/compare?a=tiny&b={name}")
    assert page.locator("#kpis tr.down, #kpis tr.up").count() >= 1  # dearer supply only
    purchases = page.locator("#purchases").inner_text()
    assert "cn" in purchases
    changed = page.locator("#entities tr.changed").all_inner_texts()
    assert any("cn" in row and "enabled: unset (default) → no" in row
               for row in changed), changed


#: One case per form: scenario to copy, form, row, field, a good value, a bad value and
#: words of the loader's message for it.
FORM_CASES = [
    ("tiny", "contracts", "au", "max", "25 t/month oxide", "-5 t/month oxide", "negative"),
    ("tiny", "capacities", "electrolysis/1", "capacity", "12 t/month metal", "lots",
     "cannot read quantity"),
    ("tiny", "customers", "c1", "start", "2027-03", "2027-13", "is not a year-month"),
    ("kmp", "enquiries", "kr_kangwon", "probability", "0.7", "1.5", "between 0 and 1"),
    ("tiny-invest", "options", None, "capex", "3 M USD", "cheap", "cannot read amount"),
]


@pytest.mark.parametrize(("source", "kind", "key", "field", "good", "bad", "words"),
                         FORM_CASES, ids=[c[1] for c in FORM_CASES])
def test_entity_form_saves_a_good_value_and_refuses_a_bad_one(
        page: Any, server: Server, source: str, kind: str, key: str | None, field: str,
        good: str, bad: str, words: str):
    _sign_in(page, server.token)
    name = _copy_in_browser(page, source, f"{kind[:4]}-")
    page.goto(f"/scenarios/{name}/edit/{kind}")
    key = key or page.locator("#rows tbody tr td:first-child b").first.inner_text()
    _row_input(page, key, field).fill(bad)
    _save_row(page, key)
    error = page.locator(f"tr[id='row-{key}'] .field-error[data-field={field}]")
    assert words in error.inner_text()
    assert "Not saved" in page.locator("#issues").inner_text()
    assert _row_input(page, key, field).input_value() == bad  # what was typed stays
    page.goto(f"/scenarios/{name}/edit/{kind}")
    assert _row_input(page, key, field).input_value() != bad  # nothing was written
    _row_input(page, key, field).fill(good)
    _save_row(page, key)
    assert f"Saved {key}" in page.locator("#saved").inner_text()
    page.reload()
    assert _row_input(page, key, field).input_value() == good


def test_compare_highlights_differences(page: Any):
    page.goto("/compare?a=tiny&b=tiny-invest")
    assert page.locator("#kpis tr.up, #kpis tr.down").count() >= 1
    assert page.locator("#entities tr.added").count() >= 1


def test_trace_page_shows_verified_chain(page: Any):
    page.goto("/trace")
    assert "Chain verified" in page.locator("#verify").inner_text()


def test_lot_search_finds_a_lot(page: Any):
    page.goto("/trace")
    page.fill("#search input[name=q]", "alloy")
    page.click("#search button")
    page.wait_for_url("**/trace/lots?q=alloy")
    assert page.locator("#results tbody tr").count() > 0


def test_lot_page_shows_genealogy_and_verdicts(page: Any):
    page.goto("/trace/lots?q=alloy")
    page.locator("#results tbody tr a").first.click()
    page.wait_for_selector("#dfars")
    assert page.locator("#upstream tbody tr").count() >= 2
    assert "DFARS 2027" in page.locator("#dfars h2").inner_text()
    assert "CRMA" in page.locator("#crma h2").inner_text()


def test_certificate_prints(page: Any, tmp_path: Path):
    page.goto("/trace/lots?q=alloy")
    lot = page.locator("#results tbody tr a").first.inner_text()
    page.locator("#results tbody tr a").first.click()
    page.wait_for_selector("#certificate-link")
    with page.expect_navigation() as nav:
        page.click("#certificate-link")
    assert nav.value is not None and nav.value.status == 200
    assert lot in page.locator("body").inner_text()
    assert "Not Found" not in page.title()
    page.emulate_media(media="print")
    pdf = page.pdf(path=str(tmp_path / "cert.pdf"))
    assert pdf[:4] == b"%PDF" and len(pdf) > 2000


def test_job_runs_to_completion(page: Any, server: Server):
    _sign_in(page, server.token)
    page.goto("/plan/tiny")
    page.click("text=Run plan job")
    page.wait_for_url("**/jobs/*")
    page.wait_for_selector("#job-status.done", timeout=120_000)
    assert page.locator("#job-result a").inner_text() == "Open the plan"


def test_write_without_token_is_refused(page: Any):
    page.goto("/plan/tiny")
    with page.expect_response(lambda r: r.url.endswith("/jobs")) as info:
        page.click("text=Run plan job")
    assert info.value.status == 401
    assert "token" in page.locator("main").inner_text()


def test_jobs_page_lists_jobs(page: Any, server: Server):
    _sign_in(page, server.token)
    page.goto("/plan/tiny")
    page.click("text=Run plan job")
    page.wait_for_url("**/jobs/*")
    page.goto("/jobs")
    assert page.locator("#jobs tbody tr").count() >= 1


def test_sign_in_with_a_bad_token_says_so(page: Any):
    page.goto("/login")
    page.fill("input[name=token]", "ol_nope_nope")
    page.click("form.box button")
    assert "unknown token" in page.locator("main").inner_text()


def test_api_docs_render(page: Any):
    page.goto("/docs")
    page.wait_for_selector(".swagger-ui .opblock", timeout=60_000)
    assert page.locator(".opblock").count() >= 10  # every endpoint drawn, from local files


def test_json_twin_link_in_footer(page: Any):
    page.goto("/scenarios")
    href = page.locator("footer a").first.get_attribute("href")
    assert href == "/api/scenarios"


@pytest.mark.slow
def test_stress_job_shows_histogram_and_tornado(page: Any, server: Server):
    _sign_in(page, server.token)
    page.goto("/stress")
    page.fill("input[name=samples]", "8")
    page.click("text=Run stress job")
    page.wait_for_url("**/jobs/*")
    page.wait_for_selector("#job-status.done", timeout=600_000)
    page.click("text=Open the stress results")
    page.wait_for_selector("#plot-histogram .main-svg")
    assert _points(page, "plot-histogram") == 8
    assert _points(page, "plot-tornado") > 0
    _shoot(page, "stress-run", 1800)


SCREENS = [("home", "/", None, 900), ("scenarios", "/scenarios", None, 1100),
           ("scenario", "/scenarios/kmp", None, 1400),
           ("plan", "/plan/kmp", "#plot-sankey .sankey-node", 1900),
           ("trace", "/trace", None, 1300),
           ("compare", "/compare?a=kmp&b=kmp-dy-stock", None, 1500), ("jobs", "/jobs", None, 700),
           ("stress", "/stress", None, 700)]


@pytest.mark.parametrize(("name", "url", "wait", "height"), SCREENS)
def test_screenshots(clean_page: Any, name: str, url: str, wait: str | None, height: int):
    clean_page.goto(url)
    if wait:
        clean_page.wait_for_selector(wait, timeout=120_000)
    assert _shoot(clean_page, name, height).stat().st_size > 5_000


def test_screenshot_lot_and_certificate(clean_page: Any):
    page = clean_page
    page.goto("/trace/lots?q=alloy")
    page.locator("#results tbody tr a").first.click()
    page.wait_for_selector("#dfars")
    _shoot(page, "lot", 1600)
    page.click("#certificate-link")
    page.wait_for_load_state()
    _shoot(page, "certificate", 1600)


def test_screenshot_forms(clean_page: Any, clean_server: Server):
    """A contract form of a what-if copy, with a bad value refused next to its field."""
    page = clean_page
    _sign_in(page, clean_server.token)
    page.goto("/scenarios/kmp")
    page.fill("#copy input[name=new_name]", "kmp-whatif")
    page.click("#copy button")
    page.wait_for_url("**/scenarios/kmp-whatif/edit")
    page.goto("/scenarios/kmp-whatif/edit/contracts")
    _row_input(page, "ucore_ndpr", "max").fill("-20 t/month oxide")
    _save_row(page, "ucore_ndpr")
    assert page.locator(".field-error[data-field=max]").count() == 1
    _shoot(page, "forms", 900)
