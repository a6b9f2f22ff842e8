"""Every link a page shows leads somewhere: a crawl from the home page finds no 404 or 500."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import quote, urlsplit

from fastapi.testclient import TestClient

#: Plans of the large scenarios take seconds each; the crawl plans only ``tiny``.
SOLVES = re.compile(r"^/(plan/|compare)")


def _allowed(href: str) -> bool:
    if not href.startswith("/") or href.startswith(("/static", "/docs", "/api", "//")):
        return False
    return not SOLVES.match(href) or ("tiny" in href and "kmp" not in href)


def test_crawl_finds_no_broken_link(client: TestClient):
    seen: set[str] = set()
    lot = client.get("/api/trace/lots", params={"q": "alloy"}).json()["lots"][0]["lot"]
    todo = [f"/trace/lot?lot={quote(lot, safe='')}", "/", "/plan/tiny", "/trace"]
    broken = []
    while todo and len(seen) < 120:
        url = todo.pop(0)
        if url in seen:
            continue
        seen.add(url)
        r = client.get(url, headers={"accept": "text/html"})
        built_in_edit = url.endswith("/edit") and r.status_code == 400
        if r.status_code >= 400 and not built_in_edit:
            broken.append((url, r.status_code))
            continue
        if "text/html" not in r.headers.get("content-type", ""):
            continue
        for href in re.findall(r'href="([^"#]+)"', r.text):
            href = unescape(href)
            if _allowed(href) and href not in seen:
                todo.append(href)
    assert not broken, broken
    assert any(urlsplit(u).path == "/trace/certificate" for u in seen)
    assert any(urlsplit(u).path == "/trace/lot" for u in seen)
