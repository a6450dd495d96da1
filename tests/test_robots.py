"""robots.txt, as `aitrack sources check` and the crawl both apply it (crawlers/robots.py).

Three real hosts on 127.0.0.0/8, each its own HTTP server:
- 127.0.0.1 has a group for aitrack that disallows one feed path, allows the rest and
  asks for a Crawl-delay (its `*` group disallows everything, so the user agent matters);
- 127.0.0.2 answers robots.txt with 403 and a body that would disallow everything: a 4xx
  means "no rules", so its body must not be parsed;
- 127.0.0.3 answers robots.txt with 500: "unreachable", so nothing else is fetched.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlite_utils

from crawlers.demo_server import send_body
from crawlers.robots import policy_from_answer
from crawlers.settings import USER_AGENT
from tests.conftest import ROOT, run_aitrack, write_sources
from tests.faultserver import good_html
from tests.httpbase import QuietHandler

CRAWL_DELAY = 2.0
ROBOTS_A = (
    "User-agent: *\nDisallow: /\n\n"
    "User-agent: aitrack\nDisallow: /feeds/private\nAllow: /\n"
    f"Crawl-delay: {CRAWL_DELAY:g}\n"
)


class RobotsHandler(QuietHandler):
    server: Host

    def do_GET(self) -> None:  # noqa: N802
        path = urlsplit(self.path).path
        with self.server.lock:
            self.server.hits.append((path, time.monotonic()))
        if path == "/robots.txt":
            status, body = self.server.robots
            return send_body(self, status, body.encode(), "text/plain")
        if path.endswith(".xml"):
            return send_body(self, 200, self.server.feed(path), "application/rss+xml")
        if path.endswith(".html"):
            return send_body(self, 200, good_html(len(path)), "text/html; charset=utf-8")
        return send_body(self, 404, b"not here", "text/plain")


class Host(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: str, robots: tuple[int, str]) -> None:
        super().__init__((address, 0), RobotsHandler)
        self.robots = robots
        self.hits: list[tuple[str, float]] = []
        self.lock = threading.Lock()

    @property
    def base(self) -> str:
        return f"http://{self.server_address[0]}:{self.server_address[1]}"

    def paths(self) -> list[str]:
        return [path for path, _ in self.hits]

    def feed(self, path: str) -> bytes:
        """Two stories under /news/ and one under the disallowed /feeds/private path."""
        stem = path.rsplit("/", 1)[1].removesuffix(".xml")
        links = [f"/news/{stem}-1.html", f"/news/{stem}-2.html", f"/feeds/private/{stem}.html"]
        items = "".join(
            f"<item><title>Story {i}</title><link>{self.base}{link}</link>"
            "<pubDate>Tue, 02 Apr 2024 14:05:00 -0400</pubDate></item>"
            for i, link in enumerate(links)
        )
        return (
            "<?xml version='1.0'?><rss version='2.0'><channel><title>t</title>"
            f"{items}</channel></rss>"
        ).encode()


def start(address: str, robots: tuple[int, str]) -> Host:
    host = Host(address, robots)
    threading.Thread(target=host.serve_forever, daemon=True).start()
    return host


@pytest.fixture
def hosts() -> Iterator[dict[str, Host]]:
    started = {
        "a": start("127.0.0.1", (200, ROBOTS_A)),
        "b": start("127.0.0.2", (403, "User-agent: *\nDisallow: /\n")),
        "c": start("127.0.0.3", (500, "User-agent: *\nAllow: /\n")),
    }
    yield started
    for host in started.values():
        host.shutdown()


def catalogue(tmp_path: Path, hosts: dict[str, Host]) -> Path:
    feed = "    name: {name}\n    kind: feed\n    urls: [{url}]"
    return write_sources(
        tmp_path / "sources.yaml",
        [
            "slug: open-feed\n" + feed.format(name="O", url=hosts["a"].base + "/feeds/open.xml"),
            "slug: private-feed\n"
            + feed.format(name="P", url=hosts["a"].base + "/feeds/private.xml"),
            "slug: robots-403\n" + feed.format(name="F", url=hosts["b"].base + "/feeds/b.xml"),
            "slug: robots-500\n" + feed.format(name="S", url=hosts["c"].base + "/feeds/c.xml"),
        ],
    )


def test_sources_check_names_the_refused_source_the_rule_and_the_delay(tmp_path, hosts) -> None:
    result = run_aitrack("sources", "check", "--sources", str(catalogue(tmp_path, hosts)))
    lines = {line.split()[0]: line for line in result.stdout.splitlines() if line.strip()}
    assert result.returncode == 1, result.stdout + result.stderr
    assert " refused " in lines["private-feed"]
    assert "refused by robots.txt: Disallow: /feeds/private" in lines["private-feed"]
    assert f"Crawl-delay {CRAWL_DELAY:g}s" in lines["private-feed"]
    assert " ok " in lines["open-feed"] and f"Crawl-delay {CRAWL_DELAY:g}s" in lines["open-feed"]
    assert " ok " in lines["robots-403"]  # a 4xx robots.txt means no rules
    assert " refused " in lines["robots-500"] and "HTTP 500" in lines["robots-500"]
    assert "2 of 4 sources ok" in result.stdout
    # The refused feeds were never fetched; robots.txt was.
    assert "/feeds/private.xml" not in hosts["a"].paths()
    assert set(hosts["c"].paths()) == {"/robots.txt"}
    assert "Traceback" not in result.stderr


def test_the_crawl_obeys_robots_txt_and_keeps_its_crawl_delay(tmp_path, hosts) -> None:
    db = tmp_path / "r.db"
    result = run_aitrack(
        "crawl",
        "--sources",
        str(catalogue(tmp_path, hosts)),
        "--db",
        str(db),
        "-s",
        "RETRY_TIMES=1",
    )
    assert result.returncode == 1, result.stderr[-3000:]  # some sources failed
    run = next(sqlite_utils.Database(db)["crawl_runs"].rows)
    sources = json.loads(run["stats"])["sources"]

    # The disallowed feed fails its source visibly, naming the rule; it is never fetched.
    assert sources["private-feed"]["error"] == (
        "index failed (robots): refused by robots.txt: Disallow: /feeds/private"
    )
    assert sources["private-feed"]["errors"] == {"robots": 1}
    assert "/feeds/private.xml" not in hosts["a"].paths()

    # The allowed feed is crawled; its link under the disallowed path is skipped, not an error.
    assert sources["open-feed"]["ok"] and sources["open-feed"]["new"] == 2
    assert not any(p.startswith("/feeds/private/") for p in hosts["a"].paths())
    assert sources["open-feed"]["errors"] == {}

    # A 403 on robots.txt means no rules: the host is crawled, though its body says no
    # (all three stories: /feeds/private is only forbidden on host a).
    assert sources["robots-403"]["ok"] and sources["robots-403"]["new"] == 3

    # A 500 on robots.txt disallows the host for the run: only robots.txt is ever asked.
    assert set(hosts["c"].paths()) == {"/robots.txt"}
    error = sources["robots-500"]["error"]
    assert error.startswith("index failed (robots): refused by robots.txt:") and "HTTP 500" in error

    # Crawl-delay, measured at the server: the open feed's crawler waits between requests.
    times = [t for path, t in hosts["a"].hits if path != "/robots.txt"]
    assert len(times) == 3  # the feed and its two allowed stories
    gaps = [later - earlier for earlier, later in zip(times, times[1:], strict=False)]
    assert min(gaps) >= CRAWL_DELAY - 0.1, gaps
    assert "Traceback" not in result.stderr


def test_the_crawl_delay_hook_gets_each_host_once(tmp_path, hosts) -> None:
    """The run-wide per-host limiter learns Crawl-delay through
    `crawler.aitrack_on_crawl_delay(netloc, seconds)`. A plain Scrapy crawl with our
    settings (no pipelines, no database) and a recording hook, in its own process."""
    script = tmp_path / "hook.py"
    script.write_text(
        "import json, sys\n"
        "import scrapy\n"
        "from scrapy.crawler import CrawlerProcess\n"
        "from scrapy.utils.project import get_project_settings\n"
        "class Pages(scrapy.Spider):\n"
        "    name = 'pages'\n"
        "    start_urls = sys.argv[1:]\n"
        "    def parse(self, response):\n"
        "        return None\n"
        "settings = get_project_settings()\n"
        "settings.set('ITEM_PIPELINES', {})\n"
        "settings.set('DOWNLOADER_MIDDLEWARES', {\n"
        "    'scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware': None,\n"
        "    'crawlers.robots.RobotsPolicyMiddleware': 100})\n"
        "process = CrawlerProcess(settings)\n"
        "crawler = process.create_crawler(Pages)\n"
        "calls = []\n"
        "crawler.aitrack_on_crawl_delay = lambda netloc, seconds: calls.append([netloc, seconds])\n"
        "process.crawl(crawler)\n"
        "process.start()\n"
        "print(json.dumps(calls))\n"
    )
    a, b = hosts["a"], hosts["b"]
    urls = [a.base + "/news/x-1.html", a.base + "/news/x-2.html", b.base + "/news/y.html"]
    result = subprocess.run(
        [sys.executable, str(script), *urls], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr[-3000:]
    calls = json.loads(result.stdout.strip().splitlines()[-1])
    # Host a asks for a delay (once, though two pages were fetched); host b has no rules.
    assert calls == [[urlsplit(a.base).netloc, CRAWL_DELAY]]


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, "parsed"),
        (404, "allow-all"),
        (403, "allow-all"),
        (429, "disallow-all"),
        (500, "disallow-all"),
        (503, "disallow-all"),
    ],
)
def test_the_status_of_robots_txt_decides_as_rfc_9309_says(status, outcome) -> None:
    policy = policy_from_answer("http://h/robots.txt", status, b"User-agent: *\nDisallow: /x\n")
    assert policy.outcome == outcome
    allowed = policy.refusal("http://h/y", USER_AGENT) is None
    assert allowed is (outcome != "disallow-all")
    # An error body is never read as rules.
    assert (policy.refusal("http://h/x", USER_AGENT) is None) is (outcome == "allow-all")
