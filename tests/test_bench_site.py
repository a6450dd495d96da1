"""The crawl benchmark's generated site (bench/site.py): sizes, indexes, validators, text.

One small site (30 pages) is served by the real server process for the whole module.
The extractor check is the point of realism: aitrack must find each page's story and
none of the furniture around it.
"""

from __future__ import annotations

import hashlib
import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import feedparser
import lxml.html
import pytest

from bench.site import start_site, stop_site
from bench.site_pages import (
    COMMENTS,
    COOKIE_TEXT,
    NEWSLETTER_TEXT,
    TEMPLATES,
    body_paragraphs,
    is_ai_page,
    page_info,
    page_number,
)
from crawlers.spiders.sitemap import parse_sitemap
from pipelines.extract import extract_article

PAGES = 30


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    process, base = start_site(PAGES)
    yield base
    stop_site(process)
    assert process.returncode == 0  # SIGTERM is a clean exit


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:  # 304 and 404 arrive as errors
        return error.code, dict(error.headers), error.read()


@pytest.fixture(scope="module")
def sitemap(site: str) -> list[tuple[str, Any]]:
    status, _, body = fetch(site + "/sitemap.xml")
    assert status == 200
    parsed = parse_sitemap(body)
    assert parsed.kind == "urlset"
    return parsed.entries


@pytest.fixture(scope="module")
def pages(sitemap: list[tuple[str, Any]]) -> dict[str, bytes]:
    out = {}
    for url, _ in sitemap:
        status, headers, body = fetch(url)
        assert status == 200 and headers["Content-Type"].startswith("text/html")
        out[url] = body
    return out


def test_robots_allows_all_and_names_the_sitemap(site: str) -> None:
    status, _, body = fetch(site + "/robots.txt")
    assert status == 200
    assert "Allow: /" in body.decode() and f"Sitemap: {site}/sitemap.xml" in body.decode()


def test_pages_are_60_to_120_kb(pages: dict[str, bytes]) -> None:
    sizes = sorted(len(body) for body in pages.values())
    assert sizes[0] >= 60 * 1024 and sizes[-1] <= 120_000, sizes
    assert sizes[-1] - sizes[0] > 40_000  # spread over the range, not one size


def test_sitemap_feed_and_pages_agree_on_every_article(
    site: str, sitemap: list[tuple[str, Any]], pages: dict[str, bytes]
) -> None:
    feed = feedparser.parse(fetch(site + "/feed.xml")[2])
    by_link = {entry.link: entry for entry in feed.entries}
    assert len(sitemap) == len(by_link) == PAGES
    for url, hints in sitemap:
        entry = by_link[url]
        assert entry.title == hints.title
        tree = lxml.html.document_fromstring(pages[url])
        jsonld = json.loads(tree.xpath('//script[@type="application/ld+json"]')[0].text)
        meta = tree.xpath('//meta[@property="article:published_time"]/@content')[0]
        assert hints.published == jsonld["datePublished"] == meta
        assert jsonld["headline"] == hints.title
        # The URL's date is the local publication day, and the feed's pubDate the same instant.
        assert re.search(r"/(\d{4})/(\d{2})/(\d{2})/", url).groups() == tuple(
            hints.published[:10].split("-")
        )
        assert parsedate_to_datetime(entry.published) == datetime.fromisoformat(hints.published)
    numbers = sorted(page_number(urlsplit(url).path) for url, _ in sitemap)
    assert numbers == list(range(PAGES))


def test_validators_answer_304(site: str, sitemap: list[tuple[str, Any]]) -> None:
    for url in (site + "/sitemap.xml", site + "/feed.xml", sitemap[0][0]):
        status, headers, _ = fetch(url)
        etag, last_modified = headers["ETag"], headers["Last-Modified"]
        assert fetch(url, {"If-None-Match": etag})[0] == 304
        assert fetch(url, {"If-Modified-Since": last_modified})[0] == 304
        assert fetch(url, {"If-None-Match": '"stale"'})[0] == 200
        assert fetch(url)[1]["ETag"] == etag  # stable
    assert fetch(site + "/2024/01/01/no-such-page-99999.html")[0] == 404


def test_every_body_is_unique_and_some_pages_are_not_about_ai() -> None:
    digests = {
        hashlib.sha256("\n".join(body_paragraphs(n)).encode()).hexdigest() for n in range(PAGES)
    }
    assert len(digests) == PAGES
    headlines = {page_info(n).headline for n in range(PAGES)}
    assert len(headlines) == PAGES
    share = sum(not is_ai_page(n, 1) for n in range(2000)) / 2000
    assert 0.13 < share < 0.17


def _norm(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("template", TEMPLATES)
def test_the_extractor_finds_the_story_and_no_furniture(
    template: str, sitemap: list[tuple[str, Any]], pages: dict[str, bytes]
) -> None:
    for url, _ in sitemap:
        n = page_number(urlsplit(url).path)
        if page_info(n).template != template:
            continue
        text = _norm(extract_article(pages[url], url).text)
        for paragraph in body_paragraphs(n):
            assert _norm(paragraph) in text, (n, paragraph[:60])
        furniture = [NEWSLETTER_TEXT, COOKIE_TEXT, *COMMENTS, "Read more:", "Advertisement"]
        furniture += ["Before joining the newsroom", "Photo:", "Share on", "Sign up"]
        for clutter in furniture:
            assert _norm(clutter) not in text, (n, template, clutter)
        # Related stories, cards and "Read more" links name other pages' headlines.
        assert re.findall(r"\(No\. (\d+)\)", text) in ([], [str(n)]), (n, template)
