"""The site as a person sees it: headless Debian Chromium driven by Playwright, at phone
(390 px) and desktop widths.

A real `aitrack serve` (Datasette under uvicorn) serves the demo database plus one
hostile article; the browser loads the home page, searches, clicks a topic facet, opens
an article and checks its evidence highlighting, follows an Atom link, and checks that
crawled <script> never runs. Screenshots go to a temporary folder, or to docs/ when
AITRACK_UPDATE_SCREENSHOTS=1 (`make screenshots`), which the README shows.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import feedparser
import pytest

from crawlers import ROOT
from tests.conftest import start_serve

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian's chromium (make test installs it)"
)
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def server(site_db: Path) -> Iterator[str]:
    proc, base = start_serve(site_db)
    yield base
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    yield page
    context.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if os.environ.get("AITRACK_UPDATE_SCREENSHOTS"):
        return ROOT / "docs"
    return tmp_path_factory.mktemp("screenshots")


def test_home_search_facet_article_and_feed(page, server, shots) -> None:
    page.goto(server + "/")
    assert page.title() == "aitrack"
    assert page.locator(".topic-link").count() == 7
    page.screenshot(path=str(shots / "screenshot-home.png"), full_page=True)

    # Search from the home page: our own result list, with highlighted snippets.
    page.fill("#q", "SAG-AFTRA")
    page.click("input[type=submit][value=Search]")
    page.wait_for_url("**/search?q=SAG-AFTRA*")
    assert page.locator(".result").count() >= 7
    assert page.locator(".result .snippet mark").count() >= 3
    assert page.locator(".result-count").inner_text().startswith("7")
    page.screenshot(path=str(shots / "screenshot-search.png"), full_page=True)
    page.locator(".result-title").first.click()
    page.wait_for_url("**/article/*")

    # An empty box lists the latest articles instead of an error.
    page.goto(server + "/")
    page.click("input[type=submit][value=Search]")
    page.wait_for_url("**/search?q=*")
    assert page.locator(".result").count() == 20

    # Click a topic facet on the articles table.
    page.goto(server + "/aitrack/articles")
    facet = page.locator(".facet-info a", has_text="litigation").first
    facet.click()
    page.wait_for_url("**topics__arraycontains=litigation*")
    count_text = page.locator("h3").first.inner_text()
    assert "row" in count_text

    # Open an article from the litigation topic and check its evidence highlighting.
    page.goto(server + "/topic/litigation")
    page.locator(".result-title").first.click()
    page.wait_for_url("**/article/*")
    marks = page.locator(".article-body mark.evidence")
    assert marks.count() >= 3
    assert marks.first.is_visible()
    colour = marks.first.evaluate("m => getComputedStyle(m).backgroundColor")
    assert colour not in ("rgba(0, 0, 0, 0)", "transparent")
    page.screenshot(path=str(shots / "screenshot-article.png"), full_page=True)

    # Follow the Atom link of a topic from the home page.
    page.goto(server + "/")
    href = page.locator(".atom-link").nth(3).get_attribute("href")
    response = page.request.get(server + href)
    assert response.ok and "xml" in response.headers["content-type"]
    feed = feedparser.parse(response.body())
    assert feed.bozo == 0 and feed.entries


def test_crawled_script_is_shown_as_text_not_run(page, server) -> None:
    page.goto(server + "/article/00000000000000aa")
    page.wait_for_load_state("networkidle")
    assert page.evaluate("window.__xss") is None
    assert page.dialogs == []
    assert "<script>window.__xss = 1</script>" in page.locator("h1").inner_text()
    body = page.locator(".article-body").inner_text()
    assert "onmouseover" in body and "<script>" in body
    for path in (
        "/aitrack/articles?_search=regulators",
        "/aitrack/articles/00000000000000aa",
        "/aitrack/search?q=regulators",
    ):
        page.goto(server + path)
        page.wait_for_load_state("networkidle")
        assert page.evaluate("window.__xss") is None, path


PAGES = [
    "/",
    "/search?q=SAG-AFTRA",
    "/search?q=regulat*&order=relevance",
    "/topic/labor",
    "/entity/openai",
    "/jurisdiction/GB",
    "/dashboard",
    "/coverage",
    "/article/00000000000000aa",
    "/topic/labr",
    "/calendar",
    "/calendar?past=1",
    "/object/fr_document/2024-20529",
    "/object/celex/32024R1689",
]


@pytest.mark.parametrize("width", [390, 1280])
def test_every_page_fits_a_phone_and_a_desktop(browser, server, shots, width) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        for path in PAGES:
            page.goto(server + path)
            page.wait_for_load_state("networkidle")
            overflow = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, (path, width, overflow)
            assert page.locator("h1").first.is_visible(), path
            assert page.evaluate("window.__xss") is None, path
        if width == 390:
            page.goto(server + "/")
            page.screenshot(path=str(shots / "screenshot-phone-home.png"), full_page=True)
    finally:
        context.close()


@pytest.mark.parametrize("width", [390, 1280])
def test_coverage_page_at_phone_and_desktop_widths(browser, server, width) -> None:
    """Issue 20: every source's card, its weekly bars and its figures are visible and
    inside the screen, at a phone's width and a desktop's."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        page.goto(server + "/coverage")
        page.wait_for_load_state("networkidle")
        assert page.locator("h1").inner_text() == "Coverage"
        cards = page.locator(".cov-source")
        assert cards.count() == 5  # the demo's sources
        for i in range(cards.count()):
            box = cards.nth(i).bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= width + 1, (width, box)
            assert cards.nth(i).locator(".weeks span").count() == 26
            assert cards.nth(i).locator("dt", has_text="usual interval").is_visible()
        overflow = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, (width, overflow)
    finally:
        context.close()


@pytest.mark.parametrize("width", [390, 1280])
def test_story_pages_fit_a_phone_and_their_diff_folds_to_one_column(
    browser, server, site_db, width
) -> None:
    import sqlite3

    with sqlite3.connect(site_db) as conn:
        ids = [r[0] for r in conn.execute("select id from stories where outlet_count > 1")]
    conn.close()
    assert ids
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        for story_id in ids:
            page.goto(f"{server}/story/{story_id}")
            page.wait_for_load_state("networkidle")
            overflow = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, (story_id, width, overflow)
            assert page.locator("h1").first.is_visible()
            cells = page.locator(".diff .cell.left:not(.empty)")
            if cells.count():
                columns = page.evaluate(
                    "getComputedStyle(document.querySelector('.diff'))"
                    ".gridTemplateColumns.split(' ').length"
                )
                assert columns == (1 if width == 390 else 2), (story_id, width)
    finally:
        context.close()


def overlaps(a: dict, b: dict) -> bool:
    return (
        a["x"] < b["x"] + b["width"] - 1
        and b["x"] < a["x"] + a["width"] - 1
        and a["y"] < b["y"] + b["height"] - 1
        and b["y"] < a["y"] + a["height"] - 1
    )


@pytest.mark.parametrize("width", [390, 768, 1024, 1280, 1600, 1920])
def test_dashboard_panels_never_overlap(browser, server, shots, width) -> None:
    context = browser.new_context(viewport={"width": width, "height": 1000})
    page = context.new_page()
    try:
        page.goto(server + "/dashboard")
        page.wait_for_load_state("networkidle")
        # Each panel's box, and the box of what it contains (a table wider than its
        # panel would spill over the next one: that was the bug).
        boxes = page.evaluate(
            """() => [...document.querySelectorAll('.dash-grid > section')].map(s => {
                const r = s.getBoundingClientRect();
                const t = s.querySelector('table').getBoundingClientRect();
                const clipped = getComputedStyle(s).overflowX !== 'visible';
                return {x: r.x, y: r.y, width: r.width, height: r.height,
                        inner: {x: t.x, y: t.y, height: t.height,
                                width: clipped ? Math.min(t.width, s.clientWidth) : t.width}};
            })"""
        )
        assert len(boxes) == 4
        for i, a in enumerate(boxes):
            for b in boxes[i + 1 :]:
                assert not overlaps(a, b), (width, a, b)
                assert not overlaps(a["inner"], b) and not overlaps(b["inner"], a), width
        overflow = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, (width, overflow)
        if width == 1280:
            page.screenshot(path=str(shots / "screenshot-dashboard.png"), full_page=True)
    finally:
        context.close()


def test_screenshots_are_real_pictures(shots) -> None:
    for name in (
        "screenshot-home.png",
        "screenshot-article.png",
        "screenshot-search.png",
        "screenshot-dashboard.png",
        "screenshot-phone-home.png",
    ):
        data = (shots / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    if shots != ROOT / "docs":
        shutil.rmtree(shots, ignore_errors=True)
