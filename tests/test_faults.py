"""Faults and bad input, each injected by a real server on 127.0.0.1 (tests/faultserver.py)
or a real filesystem: the crawl goes on, every failure is recorded against its source and
URL with a reason, retries follow the server's hints, limits stop traps, the good articles
around the bad ones are stored, and no partial article is ever written.

docs/reliability.md lists every fault with the test that covers it.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
import sqlite_utils

from crawlers.spiders.base import IndexFormatError
from crawlers.spiders.feed import parse_feed
from pipelines.store import open_db, store_with_retry, sync_topics
from pipelines.tagging import load_taxonomy
from tests.conftest import run_aitrack, write_sources
from tests.faultserver import EVAL_FEEDS, FAST_SETTINGS, FAULTS, start_fault_server

FAST = FAST_SETTINGS
GOOD = [f"/good/{n}.html" for n in range(4)]


@pytest.fixture(scope="module")
def faults():
    server = start_fault_server(slow_seconds=4)
    yield server
    server.shutdown()


def run_stats(db: Path) -> tuple[dict, dict]:
    run = next(sqlite_utils.Database(db).query("select * from crawl_runs order by id desc"))
    return run, json.loads(run["stats"])["sources"]


@pytest.fixture(scope="module")
def fault_crawl(faults, tmp_path_factory):
    """One crawl of a feed whose entries mix every fault with good articles."""
    tmp = tmp_path_factory.mktemp("faults")
    links = [GOOD[0], *FAULTS, GOOD[1], "/redirect/offsite?again=1", GOOD[2], GOOD[3]]
    faults.add_feed("/feed.xml", links)
    sources = write_sources(
        tmp / "s.yaml",
        [f"slug: faults\n    name: F\n    kind: feed\n    urls: [{faults.base_url}/feed.xml]"],
    )
    db = tmp / "f.db"
    started = time.monotonic()
    result = run_aitrack("crawl", "--sources", str(sources), "--db", str(db), *FAST)
    elapsed = time.monotonic() - started
    run, stats = run_stats(db)
    # Keyed by path and query: /redirect/offsite and /redirect/offsite?again=1 are two
    # links with two failures, recorded in an order that depends on timing.
    failures = {"/" + f["url"].split("/", 3)[3]: f for f in stats["faults"]["failures"]}
    return {
        "result": result,
        "db": db,
        "run": run,
        "stats": stats["faults"],
        "failures": failures,
        "elapsed": elapsed,
    }


def urlpath(url: str) -> str:
    return "/" + url.split("/", 3)[3].split("?")[0]


def stored(fault_crawl) -> dict[str, dict]:
    rows = sqlite_utils.Database(fault_crawl["db"]).query("select * from articles")
    return {urlpath(r["url"]): r for r in rows}


def test_the_crawl_goes_on_and_stores_the_good_articles(fault_crawl) -> None:
    assert fault_crawl["result"].returncode == 0, fault_crawl["result"].stderr[-3000:]
    assert fault_crawl["run"]["status"] == "ok"
    assert set(GOOD) <= set(stored(fault_crawl))
    assert "unhandled" not in fault_crawl["stats"]["errors"]  # no exception escaped


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/status/500", "http_500"),
        ("/status/503", "http_503"),
        ("/status/429-long", "http_429"),
        ("/slow", "timeout"),
        ("/reset", "network"),
        ("/truncated", "truncated"),
        ("/truncated-gzip", "truncated"),
        ("/huge", "too_large"),
        ("/redirect/loop", "redirect_loop"),
        ("/redirect/offsite", "dns"),
        ("/pdf", "not_html"),
        ("/image", "not_html"),
        ("/json", "not_html"),
        ("/empty", "extraction"),
    ],
)
def test_each_fault_is_recorded_with_its_kind_and_a_reason(fault_crawl, path, kind) -> None:
    failure = fault_crawl["failures"].get(path)
    assert failure is not None, f"{path} not recorded; got {sorted(fault_crawl['failures'])}"
    assert failure["kind"] == kind and failure["reason"]
    assert fault_crawl["stats"]["errors"].get(kind, 0) >= 1
    assert path not in stored(fault_crawl)


def test_a_second_redirect_to_the_same_place_is_recorded_not_dropped(fault_crawl) -> None:
    kinds = [f["kind"] for f in fault_crawl["stats"]["failures"] if "/redirect/offsite" in f["url"]]
    assert sorted(kinds) == ["dns", "redirect_duplicate"]


def test_retries_follow_the_servers_hints(fault_crawl, faults) -> None:
    assert faults.hits["/status/500"] == 3  # the first try and RETRY_TIMES=2
    assert faults.hits["/status/503"] == 3
    assert faults.hits["/status/429-long"] == 1  # Retry-After over the limit: no retry
    assert "Retry-After 3600s" in fault_crawl["failures"]["/status/429-long"]["reason"]
    assert faults.hits["/flaky/503"] == 2 and faults.hits["/flaky/429"] == 2
    assert {"/flaky/503", "/flaky/429"} <= set(stored(fault_crawl))


def test_charsets_are_decoded_right(fault_crawl) -> None:
    rows = stored(fault_crawl)
    assert "Café owners in Liège say “smart” menus" in rows["/charset/cp1252"]["body"]
    assert "€40" in rows["/charset/cp1252"]["body"]
    assert "人工知能" in rows["/charset/shift-jis"]["body"]
    assert rows["/charset/bom"]["title"].startswith("Naïve AI rules")
    assert "Zürich" in rows["/charset/bom"]["body"]


def test_script_in_a_title_is_stored_as_text(fault_crawl) -> None:
    row = stored(fault_crawl)["/script-title"]
    # Stored as plain text (the script element's code is text, never markup), and the
    # published site escapes it: tests/test_site.py and test_browser.py check that.
    assert row["title"].startswith("AI rules")
    assert "<script>alert(3)</script> appeared" in row["body"]


def test_a_spider_trap_is_stopped_by_the_index_page_limit(faults, tmp_path) -> None:
    sources = write_sources(
        tmp_path / "s.yaml",
        [
            f"slug: trap\n    name: T\n    kind: listing\n    urls: "
            f"[{faults.base_url}/calendar/2026/01]\n    listing: "
            "{links: '.item a', next_page: 'a.next', max_index_pages: 6}"
        ],
    )
    before = sum(n for p, n in faults.hits.items() if p.startswith("/calendar/"))
    result = run_aitrack("crawl", "--sources", str(sources), "--db", str(tmp_path / "t.db"), *FAST)
    assert result.returncode == 0, result.stderr[-2000:]
    pages = sum(n for p, n in faults.hits.items() if p.startswith("/calendar/")) - before
    assert pages == 6


def test_a_10000_entry_feed_is_read_and_the_page_cap_holds(faults, tmp_path) -> None:
    faults.add_feed("/big-feed.xml", [f"/many/{n}.html" for n in range(10_000)])
    sources = write_sources(
        tmp_path / "s.yaml",
        [
            f"slug: big\n    name: B\n    kind: feed\n    urls: [{faults.base_url}/big-feed.xml]"
            "\n    max_pages: 40"
        ],
    )
    db = tmp_path / "b.db"
    result = run_aitrack("crawl", "--sources", str(sources), "--db", str(db), *FAST)
    assert result.returncode == 0, result.stderr[-2000:]
    run, stats = run_stats(db)
    assert stats["big"]["links"] == 10_000
    assert stats["big"]["pages"] <= 40 + 2  # the cap, plus robots.txt and the feed
    assert sqlite_utils.Database(db)["articles"].count <= stats["big"]["pages"]


EVAL_FILES = sorted(EVAL_FEEDS.glob("*/*.xml")) if EVAL_FEEDS.is_dir() else []


@pytest.mark.skipif(not EVAL_FILES, reason="needs ../shared/eval/feeds")
@pytest.mark.parametrize("path", EVAL_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_shared_feed_parses_or_fails_clearly(path: Path) -> None:
    try:
        entries = parse_feed(path.read_bytes(), "http://127.0.0.1/feed.xml", "application/xml")
    except IndexFormatError as exc:
        assert str(exc)
    else:
        assert all(isinstance(link, str) for link, _ in entries.items)


@pytest.mark.skipif(not EVAL_FILES, reason="needs ../shared/eval/feeds")
def test_a_crawl_of_every_shared_feed_has_no_unhandled_error(faults, tmp_path) -> None:
    entries = [
        f"slug: f{i}\n    name: F\n    kind: feed\n    urls: "
        f"['{faults.base_url}/evalfeeds/{p.parent.name}/{p.name}']\n    max_pages: 3"
        for i, p in enumerate(EVAL_FILES)
    ]
    db = tmp_path / "e.db"
    sources = write_sources(tmp_path / "s.yaml", entries)
    result = run_aitrack("crawl", "--sources", str(sources), "--db", str(db), "--quiet", *FAST)
    assert result.returncode in (0, 1), result.stderr[-2000:]
    run, stats = run_stats(db)
    assert len(stats) == len(EVAL_FILES)
    assert [s for s, v in stats.items() if "unhandled" in v["errors"]] == []
    for source in stats.values():
        assert source["ok"] or source["error"].startswith("index failed")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sources:\n  - slug: [unclosed\n", "not valid YAML at line"),
        (
            "sources:\n  - {slug: a, name: A, kind: rss, urls: [http://x/], publisher: P, "
            "category: news, jurisdiction: US}\n",
            "entry 1 (a), field 'kind'",
        ),
        (
            "sources:\n  - {slug: a, name: A, kind: feed, publisher: P, category: news, "
            "jurisdiction: US}\n",
            "entry 1 (a), field 'urls': missing",
        ),
        (
            "sources:\n  - {slug: a, name: A, kind: listing, urls: [http://x/], publisher: P, "
            "category: news, jurisdiction: US, listing: {links: 'a[href'}}\n",
            "field 'listing.links': not a valid CSS selector",
        ),
        (
            "sources:\n" + "  - {slug: a, name: A, kind: feed, urls: [http://x/], publisher: P, "
            "category: news, jurisdiction: US}\n" * 2,
            "entry 2 (a), field 'slug': duplicate",
        ),
    ],
)
def test_bad_configuration_stops_before_any_fetch(tmp_path, text, expected) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    result = run_aitrack("crawl", "--sources", str(path), "--db", str(tmp_path / "x.db"))
    assert result.returncode == 2
    assert str(path) in result.stderr and expected in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "x.db").exists()


def test_a_locked_database_is_retried_with_backoff_then_fails_clearly(tmp_path) -> None:
    from tests.test_store import make_item

    path = tmp_path / "l.db"
    db = open_db(path, busy_timeout=0.1)
    sync_topics(db, load_taxonomy())
    db["sources"].insert({"slug": "demo", "name": "Demo"}, pk="slug")
    other = sqlite3.connect(path)
    other.execute("begin exclusive")
    item = make_item("https://example.org/a")
    item.cluster_id = item.id
    started = time.monotonic()
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        store_with_retry(db, item, None, attempts=3, backoff=0.2)
    assert time.monotonic() - started >= 0.2 + 0.4  # it backed off between attempts
    other.rollback()
    assert db["articles"].count == 0 and db["article_topics"].count == 0
    assert store_with_retry(db, item, None) == "new"  # the writer went away: it goes in


def test_a_crawl_against_a_locked_database_says_so(tmp_path, faults) -> None:
    path = tmp_path / "l.db"
    open_db(path).close()
    other = sqlite3.connect(path)
    other.execute("begin exclusive")
    sources = write_sources(
        tmp_path / "s.yaml",
        [f"slug: a\n    name: A\n    kind: feed\n    urls: [{faults.base_url}/feed.xml]"],
    )
    result = run_aitrack(
        "crawl",
        "--sources",
        str(sources),
        "--db",
        str(path),
        "-s",
        "AITRACK_DB_BUSY_TIMEOUT=0.5",
        *FAST,
    )
    other.rollback()
    assert result.returncode == 2
    assert "cannot write the database" in result.stderr and "locked" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.fixture
def tmpfs(tmp_path):
    """A small real filesystem of our own, so that full and read-only disks are real."""
    mount = tmp_path / "mnt"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2500k", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_read_only_filesystem_fails_clearly_and_keeps_the_database(tmpfs, faults) -> None:
    db = tmpfs / "r.db"
    sources = write_sources(
        tmpfs.parent / "s.yaml",
        [f"slug: a\n    name: A\n    kind: feed\n    urls: [{faults.base_url}/feed.xml]"],
    )
    faults.add_feed("/feed.xml", GOOD[:2])
    assert run_aitrack("crawl", "--sources", str(sources), "--db", str(db), *FAST).returncode == 0
    subprocess.run(["mount", "-o", "remount,ro", str(tmpfs)], check=True)
    result = run_aitrack("crawl", "--sources", str(sources), "--db", str(db), *FAST)
    assert result.returncode == 2
    assert "cannot write the database" in result.stderr and "Traceback" not in result.stderr
    check = sqlite3.connect(f"file:{db}?immutable=1", uri=True)  # WAL on read-only media
    assert check.execute("pragma integrity_check").fetchone()[0] == "ok"
    assert check.execute("select count(*) from articles").fetchone()[0] == 2


def test_a_full_disk_stores_no_partial_article(tmpfs, faults) -> None:
    db = tmpfs / "full.db"
    faults.add_feed("/many-feed.xml", [f"/many/{n}.html" for n in range(200)])
    faults.feeds["/soak-feed-full.xml"] = faults.feeds["/many-feed.xml"]
    sources = write_sources(
        tmpfs.parent / "s.yaml",
        [f"slug: a\n    name: A\n    kind: feed\n    urls: [{faults.base_url}/soak-feed-full.xml]"],
    )
    result = run_aitrack("crawl", "--sources", str(sources), "--db", str(db), *FAST)
    assert result.returncode in (1, 2), result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert "full" in result.stderr or "full" in result.stdout or result.returncode == 2
    check = sqlite3.connect(db)
    assert check.execute("pragma integrity_check").fetchone()[0] == "ok"
    articles = check.execute("select count(*) from articles").fetchone()[0]
    assert 0 < articles < 200  # some went in before the disk filled, none after
    assert check.execute("select count(*) from articles_fts").fetchone()[0] == articles
    orphans = check.execute(
        "select count(*) from article_topics where article_id not in (select id from articles)"
    ).fetchone()[0]
    assert orphans == 0
    missing_tags = check.execute(
        "select count(*) from articles a where a.topics != '[]' and not exists "
        "(select 1 from article_topics t where t.article_id = a.id)"
    ).fetchone()[0]
    assert missing_tags == 0
