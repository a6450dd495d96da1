"""Politeness and provenance when several sources share a host: one limit per host
across every source of a run (crawlers/politeness.py), and every source that listed an
article remembered, the first finder kept (pipelines/store/articles.py)."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import sqlite_utils

from crawlers import DATA
from crawlers.politeness import HostLimiter, host_of
from tests.conftest import run_aitrack, sources_yaml

DEMO = DATA / "demo" / "site"
ARTICLE = DEMO / "bench-and-bar/news/new-york-times-sues-openai-microsoft-copyright-4127.html"
FEEDS, PER_FEED = 6, 5


def build_feeds(root: Path, feeds: int = FEEDS, per_feed: int = PER_FEED) -> None:
    """`feeds` RSS feeds on one host, each linking to its own `per_feed` articles."""
    for f in range(feeds):
        items = ""
        for n in range(per_feed):
            page = root / f"f{f}" / f"a{n}.html"
            page.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(ARTICLE, page)
            items += f"<item><title>T{n}</title><link>{{{{BASE}}}}/f{f}/a{n}.html</link></item>"
        (root / f"feed{f}.xml").write_text(
            f'<?xml version="1.0"?><rss version="2.0"><channel><title>F{f}</title>{items}'
            "</channel></rss>"
        )


def feed_sources(base: str, feeds: int, extra: str = "") -> str:
    return sources_yaml(
        [
            f"slug: feed-{f}\n    name: F{f}\n    kind: feed\n    urls: [{base}/feed{f}.xml]{extra}"
            for f in range(feeds)
        ]
    )


def test_the_per_host_limit_holds_across_sources(tmp_path, site_server) -> None:
    build_feeds(site_server.root)
    site_server.delay = 0.3  # long enough for requests of different sources to overlap
    sources = tmp_path / "sources.yaml"
    sources.write_text(feed_sources(site_server.base_url, FEEDS))
    result = run_aitrack(
        "crawl", "--sources", str(sources), "--db", str(tmp_path / "t.db"),
        "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=4",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert sqlite_utils.Database(tmp_path / "t.db")["articles"].count == FEEDS * PER_FEED
    # Six sources could each have had 4 requests in flight there; the host sees at most 4.
    # Counted from the server's own start and end times, less a 20 ms handover: the
    # client has the last byte (and may start the next request) a moment before the
    # server's thread notes the end. A fifth request would overlap by the 0.3 s delay.
    peak = peak_overlap(site_server.requests, handover=0.02)
    assert 2 <= peak <= 4, (peak, site_server.peak_in_flight)


def peak_overlap(requests: list[tuple[str, float, float]], handover: float) -> int:
    """The most requests in flight at once, each counted as ending `handover` early."""
    events = sorted(
        [(start, 1) for _p, start, _e in requests]
        + [(max(start, end - handover), -1) for _p, start, end in requests],
        key=lambda e: (e[0], e[1]),  # an end before a start at the same instant
    )
    peak = current = 0
    for _time, step in events:
        current += step
        peak = max(peak, current)
    return peak


def test_the_limiter_spaces_starts_by_the_crawl_delay() -> None:
    async def starts() -> list[float]:
        limiter = HostLimiter(per_host=4)
        limiter.set_delay("example.org:8080", 0.2)
        loop = asyncio.get_running_loop()
        times: list[float] = []

        async def one() -> None:
            await limiter.acquire("example.org")
            times.append(loop.time())
            limiter.release("example.org")

        await asyncio.gather(*(one() for _ in range(4)))
        return sorted(times)

    times = asyncio.run(starts())
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert all(gap >= 0.19 for gap in gaps), gaps


def test_host_of_ignores_port_case_and_credentials() -> None:
    assert host_of("https://User@Example.ORG:8443/x") == "example.org"
    assert host_of("example.org:80") == "example.org"
    assert host_of("[::1]:8080") == "[::1]"


def test_every_finder_is_kept_and_the_first_stays_the_source(tmp_path, site_server) -> None:
    """Two sources list the same article: the first to store it stays `source`, and
    `article_sources` has both (the store used to overwrite `source` on every write)."""
    build_feeds(site_server.root, feeds=1, per_feed=2)
    (site_server.root / "feed1.xml").write_text(
        (site_server.root / "feed0.xml").read_text().replace("F0", "F1")
    )
    sources = tmp_path / "sources.yaml"
    # A tiny refresh interval: the second run fetches again (304s) and sees both finders.
    sources.write_text(feed_sources(site_server.base_url, 2, "\n    refresh_hours: 0.0001"))
    db_path = tmp_path / "t.db"
    first = run_aitrack(
        "crawl", "--sources", str(sources), "--db", str(db_path), "--source", "feed-0"
    )
    assert first.returncode == 0, first.stderr[-3000:]
    second = run_aitrack("crawl", "--sources", str(sources), "--db", str(db_path))
    assert second.returncode == 0, second.stderr[-3000:]
    db = sqlite_utils.Database(db_path)
    assert db["articles"].count == 2
    assert {r["source"] for r in db["articles"].rows} == {"feed-0"}
    finders = db.execute(
        "select article_id, group_concat(source) from (select * from article_sources "
        "order by source) group by article_id"
    ).fetchall()
    assert [f[1] for f in finders] == ["feed-0,feed-1", "feed-0,feed-1"]


def test_a_crawl_delay_holds_across_sources_sharing_the_host(tmp_path, site_server) -> None:
    """robots.txt asks for 1 s between requests: two sources of one run, each with its
    own crawler and download slots, still start their requests there 1 s apart."""
    build_feeds(site_server.root, feeds=2, per_feed=2)
    (site_server.root / "robots.txt").write_text("User-agent: *\nCrawl-delay: 1\n")
    sources = tmp_path / "sources.yaml"
    sources.write_text(feed_sources(site_server.base_url, 2))
    result = run_aitrack(
        "crawl", "--sources", str(sources), "--db", str(tmp_path / "t.db"),
        "-s", "AUTOTHROTTLE_ENABLED=False",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    starts = sorted(start for path, start, _end in site_server.requests if "robots" not in path)
    assert len(starts) == 2 + 2 * 2  # two feeds, four articles
    gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    assert min(gaps) >= 0.9, gaps
