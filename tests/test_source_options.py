"""Per-source options of sources.yaml at work in a crawl: `rewrite` (fetch an article's
text from another address, e.g. an API) and `delay_seconds` (the source's own pacing),
against a real server on 127.0.0.1 that records what it was asked."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlite_utils

from crawlers.demo_server import send_body
from tests.conftest import run_aitrack, write_sources
from tests.faultserver import FAST_SETTINGS, good_html
from tests.httpbase import QuietHandler

HTML = "text/html; charset=utf-8"
# What a press office's documents API might answer; written for this test.
DOCUMENT = (
    "<p>The Commission today opened a consultation on how general-purpose artificial "
    "intelligence models should report serious incidents under the AI Act.</p>"
    "<p>Providers, researchers and civil society groups may answer until the end of "
    "January. The replies will shape guidelines that the AI Office plans to adopt next "
    "spring, after a workshop with national market surveillance authorities.</p>"
) * 2


class Handler(QuietHandler):
    server: Server

    def do_GET(self) -> None:  # noqa: N802
        parts = urlsplit(self.path)
        with self.server.lock:
            self.server.hits.append((self.path, time.monotonic()))
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        if parts.path == "/robots.txt":
            return send_body(self, 200, b"User-agent: *\nDisallow:\n", "text/plain")
        if parts.path == "/press/feed.xml":
            links = ["/detail/en/ip_26_1166", "/detail/en/QANDA_26_1167"]
            return send_body(self, 200, rss(base, links), "application/rss+xml")
        if parts.path == "/api/documents":
            reference = parse_qs(parts.query).get("reference", [""])[0]
            if reference == "QANDA/26/1167":
                return send_body(self, 200, b'{"docuLanguageResource": {}}', "application/json")
            body = {"docuLanguageResource": {"title": reference, "htmlContent": DOCUMENT}}
            return send_body(self, 200, json.dumps(body).encode(), "application/json")
        if parts.path.startswith("/detail/"):  # the JavaScript shell: never to be fetched
            return send_body(self, 200, b"<html><body><div id=app></div></body></html>", HTML)
        if parts.path == "/paced/feed.xml":
            links = [f"/paced/{n}.html" for n in range(3)]
            return send_body(self, 200, rss(base, links), "application/rss+xml")
        if parts.path.startswith("/paced/"):
            return send_body(
                self, 200, good_html(int(parts.path.split("/")[2].split(".")[0])), HTML
            )
        return send_body(self, 404, b"no", "text/plain")


def rss(base: str, links: list[str]) -> bytes:
    items = "".join(
        f"<item><title>Item {i}</title><link>{base}{link}</link>"
        "<pubDate>Tue, 24 Nov 2026 10:00:00 +0100</pubDate></item>"
        for i, link in enumerate(links)
    )
    return (
        f"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title>{items}</channel></rss>"
    ).encode()


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.hits: list[tuple[str, float]] = []
        self.lock = threading.Lock()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture
def server() -> Iterator[Server]:
    srv = Server()
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield srv
    srv.shutdown()


def test_rewrite_fetches_the_text_from_the_api_and_keeps_the_link(tmp_path, server) -> None:
    pattern = r"(?i)^http://127\.0\.0\.1:\d+/detail/[a-z]{2}/([a-z]+)_(\d+)_(\d+)$"
    sources = write_sources(
        tmp_path / "s.yaml",
        [
            "slug: press\n    name: P\n    kind: feed\n"
            f"    urls: [{server.base}/press/feed.xml]\n"
            "    rewrite:\n"
            f"      pattern: '{pattern}'\n"
            f"      replace: '{server.base}/api/documents?reference={{1|upper}}/{{2}}/{{3}}"
            "&language=en'\n"
            "      html_field: docuLanguageResource.htmlContent"
        ],
    )
    db_path = tmp_path / "p.db"
    result = run_aitrack("crawl", "--sources", str(sources), "--db", str(db_path), *FAST_SETTINGS)
    asked = [path for path, _ in server.hits]
    assert "/api/documents?reference=IP/26/1166&language=en" in asked
    assert "/api/documents?reference=QANDA/26/1167&language=en" in asked
    assert not any(p.startswith("/detail/") for p in asked)  # the empty shell is never read
    db = sqlite_utils.Database(db_path)
    [row] = list(db["articles"].rows)
    assert row["url"] == server.base + "/detail/en/ip_26_1166"  # what a reader can open
    assert "serious incidents under the AI Act" in row["body"]
    # A document without HTML is a counted failure of that URL, not of the source.
    stats = json.loads(next(db["crawl_runs"].rows)["stats"])["sources"]["press"]
    assert [f["kind"] for f in stats["failures"]] == ["not_html"]
    assert "docuLanguageResource.htmlContent" in stats["failures"][0]["reason"]
    assert stats["ok"] and result.returncode == 0, result.stderr[-3000:]


def test_delay_seconds_paces_the_source(tmp_path, server) -> None:
    sources = write_sources(
        tmp_path / "s.yaml",
        [
            "slug: paced\n    name: P\n    kind: feed\n"
            f"    urls: [{server.base}/paced/feed.xml]\n    delay_seconds: 1.5"
        ],
    )
    # FAST_SETTINGS turn AutoThrottle off: without delay_seconds nothing would wait.
    result = run_aitrack(
        "crawl", "--sources", str(sources), "--db", str(tmp_path / "d.db"), *FAST_SETTINGS
    )
    assert result.returncode == 0, result.stderr[-3000:]
    times = [t for path, t in server.hits if path.startswith("/paced/")]
    assert len(times) == 4  # the feed and three pages
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert min(gaps) >= 1.4, gaps
    assert "ScrapyDeprecationWarning" not in result.stderr
