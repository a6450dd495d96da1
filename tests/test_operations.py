"""Cron-grade operations against the demo web on 127.0.0.1: incremental re-crawls,
change tracking, the lock, a kill -9 mid-crawl, run bookkeeping, and the WARC archive."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlite_utils

from crawlers import DATA, ROOT
from crawlers.demo_server import DEMO_SITE, start_demo_server
from crawlers.runner import EXIT_ALREADY_RUNNING
from crawlers.state import Stored, needs_fetch
from pipelines.model import Hints
from pipelines.store import open_db, record_source_health
from tests.conftest import AITRACK, demo_manifest, run_aitrack

DEMO_SOURCES = str(DATA / "demo" / "sources.yaml")
ARTICLE = "bench-and-bar/news/new-york-times-sues-openai-microsoft-copyright-4127.html"


@pytest.fixture
def demo_copy(tmp_path: Path):
    """A private copy of the demo web, served slowly or changed at will."""
    root = tmp_path / "site"
    shutil.copytree(DEMO_SITE, root)
    server = start_demo_server(root)
    yield server
    server.shutdown()


def crawl(server, db: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_aitrack(
        "crawl",
        "--sources",
        DEMO_SOURCES,
        "--db",
        str(db),
        "--quiet",
        *extra,
        env={"http_proxy": server.base_url},
    )


def last_run(db: Path) -> dict:
    return next(sqlite_utils.Database(db).query("select * from crawl_runs order by id desc"))


def test_second_crawl_of_an_unchanged_site_fetches_no_article(demo_copy, tmp_path) -> None:
    db = tmp_path / "a.db"
    assert crawl(demo_copy, db).returncode == 0
    assert crawl(demo_copy, db).returncode == 0
    second = last_run(db)
    sources = json.loads(second["stats"])["sources"].values()
    assert sum(s["bodies"] for s in sources) == 0
    assert second["not_modified"] >= 5 and second["articles_new"] == 0
    assert sqlite_utils.Database(db)["articles"].count == len(demo_manifest())


def test_a_changed_article_is_stored_once_as_a_revision(demo_copy, tmp_path) -> None:
    db = tmp_path / "a.db"
    assert crawl(demo_copy, db).returncode == 0
    page = demo_copy.root / ARTICLE
    lead = next(e["body_starts"] for e in demo_manifest() if e["path"] == "/" + ARTICLE)
    html = page.read_text(encoding="utf-8")
    assert lead in html
    page.write_text(html.replace(lead, "Correction appended: " + lead, 1), encoding="utf-8")
    atom = demo_copy.root / "bench-and-bar" / "atom.xml"
    text = atom.read_text()
    entry = text.index("new-york-times-sues-openai-microsoft-copyright-4127")
    start = text.index("<updated>", entry)
    end = text.index("</updated>", start)
    atom.write_text(text[:start] + "<updated>2026-11-01T10:00:00Z" + text[end:])
    assert crawl(demo_copy, db).returncode == 0
    assert crawl(demo_copy, db).returncode == 0  # and once more: still one revision
    database = sqlite_utils.Database(db)
    revisions = list(
        database.query(
            "select r.*, a.url from article_revisions r join articles a on a.id = r.article_id"
        )
    )
    assert len(revisions) == 1
    assert revisions[0]["url"].endswith(ARTICLE)
    assert "Correction appended" not in revisions[0]["body"]
    row = next(
        database.query(
            "select body, last_changed_at, first_seen_at from articles where url like ?",
            [f"%{ARTICLE}"],
        )
    )
    assert "Correction appended" in row["body"]
    assert row["last_changed_at"] > row["first_seen_at"]


def start_slow_crawl(tmp_path: Path, delay: float, stderr: int) -> tuple:
    """A crawl of a private copy of the demo web, served `delay` seconds per request."""
    root = tmp_path / "site"
    shutil.copytree(DEMO_SITE, root)
    slow = start_demo_server(root, delay=delay)
    db = tmp_path / "a.db"
    process = subprocess.Popen(
        [*AITRACK, "crawl", "--sources", DEMO_SOURCES, "--db", str(db), "--quiet"],
        cwd=ROOT,
        env={**os.environ, "http_proxy": slow.base_url},
        stderr=stderr,
        text=True,
    )
    return root, slow, db, process


def test_an_overlapping_run_exits_already_running_and_harms_nothing(tmp_path) -> None:
    _, slow, db, first = start_slow_crawl(tmp_path, 0.15, subprocess.PIPE)
    try:
        wait_for(lambda: db.exists() and sqlite_utils.Database(db)["crawl_runs"].exists())
        second = crawl(slow, db)
        assert second.returncode == EXIT_ALREADY_RUNNING
        assert "already running" in second.stderr and "Traceback" not in second.stderr
        assert first.wait(timeout=240) == 0, first.stderr.read()[-2000:]
    finally:
        first.kill()
        slow.shutdown()
    database = sqlite_utils.Database(db)
    assert database.execute("pragma integrity_check").fetchone()[0] == "ok"
    assert [r["status"] for r in database.query("select status from crawl_runs")] == ["ok"]
    assert database["articles"].count == len(demo_manifest())


def test_kill_9_mid_crawl_then_a_new_run_completes_without_duplicates(tmp_path) -> None:
    root, slow, db, victim = start_slow_crawl(tmp_path, 0.1, subprocess.DEVNULL)
    try:
        wait_for(
            lambda: (
                db.exists()
                and sqlite_utils.Database(db)["articles"].exists()
                and sqlite_utils.Database(db)["articles"].count >= 8
            )
        )
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
    finally:
        victim.kill()
        slow.shutdown()
    partial = sqlite_utils.Database(db)["articles"].count
    assert 8 <= partial < len(demo_manifest())
    fast = start_demo_server(root)
    try:
        result = crawl(fast, db)
    finally:
        fast.shutdown()
    assert result.returncode == 0, result.stderr[-2000:]
    database = sqlite_utils.Database(db)
    assert database.execute("pragma integrity_check").fetchone()[0] == "ok"
    counts = database.execute("select count(*), count(distinct url) from articles").fetchone()
    assert counts == (len(demo_manifest()), len(demo_manifest()))
    statuses = [r["status"] for r in database.query("select status from crawl_runs order by id")]
    assert statuses == ["abandoned", "ok"]
    assert database.execute("select count(*) from articles_fts").fetchone()[0] == counts[0]


def test_warc_round_trip_reproduces_the_stored_bodies(demo_copy, tmp_path) -> None:
    db, archive = tmp_path / "a.db", tmp_path / "archive"
    assert crawl(demo_copy, db, "--archive", str(archive)).returncode == 0
    assert sorted(p.name.split("-", 1)[1] for p in archive.glob("*.warc.gz")) == [
        "bench-and-bar.warc.gz",
        "civic-ledger.warc.gz",
        "eurodigest.warc.gz",
        "fedbulletin.warc.gz",
        "screen-workers.warc.gz",
    ]
    rebuilt = tmp_path / "rebuilt.db"
    result = run_aitrack("reextract", "--archive", str(archive), "--db", str(rebuilt))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{len(demo_manifest())} new"
    query = "select id, source, title, body, published_at, topics from articles order by id"
    original = list(sqlite_utils.Database(db).query(query))
    assert list(sqlite_utils.Database(rebuilt).query(query)) == original
    again = run_aitrack("reextract", "--archive", str(archive), "--db", str(db))
    assert again.stdout.strip() == f"{len(demo_manifest())} unchanged"


def test_needs_fetch_decides_from_dates_and_refresh_interval() -> None:
    now = datetime(2026, 1, 10, 12, tzinfo=UTC)
    seen = (now - timedelta(hours=2)).isoformat()
    stored = Stored(seen, "2026-01-09T08:00:00+00:00", None, '"e"', None)
    assert needs_fetch(None, Hints(), 24, now) == "new"
    assert needs_fetch(stored, Hints(published="2026-01-09T08:00:00+00:00"), 24, now) is None
    assert needs_fetch(stored, Hints(published="2026-01-09"), 24, now) is None  # same day
    assert needs_fetch(stored, Hints(updated="2026-01-10T09:00:00+00:00"), 24, now) is None
    assert (
        needs_fetch(stored, Hints(published="2026-01-10T09:00:00+01:00"), 24, now)
        == "index shows a change"
    )
    assert needs_fetch(stored, Hints(), 1, now) == "refresh due"


def test_failing_or_empty_sources_are_flagged(tmp_path) -> None:
    db = open_db(tmp_path / "h.db")
    db["sources"].insert({"slug": "s", "name": "S"}, pk="slug")
    assert record_source_health(db, "s", False, "index failed (http_500)", False) is None
    assert record_source_health(db, "s", False, "index failed (http_500)", False) is None
    assert record_source_health(db, "s", False, "x", False) == "failed 3 runs in a row"
    assert record_source_health(db, "s", True, None, False) is None
    for _ in range(4):
        assert record_source_health(db, "s", True, None, True) is None
    assert record_source_health(db, "s", True, None, True) == "listed nothing for 5 runs in a row"
    assert db["sources"].get("s")["flagged"] == "listed nothing for 5 runs in a row"


def test_status_prints_runs_and_health(demo_db) -> None:
    result = run_aitrack("status", "--db", str(demo_db))
    assert result.returncode == 0
    assert "last runs:" in result.stdout and "new_7d=" in result.stdout


def wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except Exception:  # the database may be mid-creation; look again
            pass
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


if sys.platform != "linux":  # flock and SIGKILL semantics are Linux's here
    pytestmark = pytest.mark.skip("Linux only")


def test_a_terminal_gets_a_progress_line_and_cron_does_not(tmp_path) -> None:
    import pty

    leader, follower = pty.openpty()  # stderr is a terminal, as for a person at a shell
    process = subprocess.Popen(
        [*AITRACK, "demo", "--no-serve", "--db", str(tmp_path / "p.db")],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=follower,
    )
    os.close(follower)
    seen = b""
    while True:  # read as it comes, or the child blocks on a full terminal buffer
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the child closed its end
            break
        if not chunk:
            break
        seen += chunk
    os.close(leader)
    assert process.wait(timeout=300) == 0
    assert b"\r[aitrack] " in seen and b" pages, " in seen
    piped = run_aitrack("demo", "--no-serve", "--db", str(tmp_path / "q.db"))
    assert "[aitrack] " not in piped.stderr  # a pipe (cron, CI) gets no progress line


def test_needs_fetch_compares_a_stored_day_and_an_index_time_at_the_days_precision() -> None:
    """Issue 12 item 12: a stored bare day and an index timestamp on that same day were
    taken for a change, so such articles were fetched again on every crawl."""
    now = datetime(2026, 1, 10, 12, tzinfo=UTC)
    seen = (now - timedelta(hours=2)).isoformat()
    day_only = Stored(seen, "2026-01-09", "2026-01-09", None, None)
    for same_day in ("2026-01-09T14:00:00+00:00", "2026-01-09T23:30:00-05:00", "2026-01-09"):
        assert needs_fetch(day_only, Hints(published=same_day), 24, now) is None, same_day
        assert needs_fetch(day_only, Hints(updated=same_day), 24, now) is None, same_day
    later = Hints(updated="2026-01-11T15:00:00+00:00")
    assert needs_fetch(day_only, later, 24, now) == "index shows a change"
    # A stored instant against a bare day in the index: the day it may be somewhere.
    timed = Stored(seen, "2026-01-09T20:00:00+00:00", None, None, None)
    assert needs_fetch(timed, Hints(published="2026-01-10"), 24, now) is None
    assert needs_fetch(timed, Hints(published="2026-01-11"), 24, now) == "index shows a change"
    # Two instants compare as instants, whatever their offsets.
    assert needs_fetch(timed, Hints(published="2026-01-09T21:00:00+01:00"), 24, now) is None
    assert (
        needs_fetch(timed, Hints(published="2026-01-09T20:00:01+00:00"), 24, now)
        == "index shows a change"
    )
