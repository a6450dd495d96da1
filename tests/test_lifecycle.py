"""A crawl's life as an operator lives it: Ctrl-C, SIGTERM, a second signal, kill -9,
and a database another process holds locked. Real crawls of a private copy of the demo
web, served slowly on 127.0.0.1, in a subprocess as cron runs them; the process tree is
read from /proc to check that nothing the crawl started outlives it."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
import sqlite_utils

from crawlers.demo_server import DEMO_SITE, DemoServer, start_demo_server
from crawlers.runner import EXIT_INTERRUPTED
from tests.conftest import AITRACK, ROOT, demo_manifest
from tests.proctree import descendants, wait_gone
from tests.test_operations import wait_for


@pytest.fixture
def slow_site(tmp_path: Path):
    root = tmp_path / "site"
    shutil.copytree(DEMO_SITE, root)
    server = start_demo_server(root, delay=0.25)
    yield server
    server.shutdown()


def start_crawl(server: DemoServer, db: Path, *extra: str) -> subprocess.Popen[str]:
    """`aitrack crawl` of the demo sources in its own process group, as a terminal or a
    service manager starts it."""
    return subprocess.Popen(
        [*AITRACK, "crawl", "--sources", str(ROOT / "data/demo/sources.yaml"), "--db", str(db)]
        + ["--quiet", "-s", f"AITRACK_STOP_GRACE={GRACE}", *extra],
        cwd=ROOT,
        env={**os.environ, "http_proxy": server.base_url},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


GRACE = 6  # seconds a first signal may take before the crawl exits as on a second
ARTICLE_PATHS = {entry["path"] for entry in demo_manifest()}


def is_article(path: str) -> bool:
    return any(path.endswith(p) for p in ARTICLE_PATHS)


def article_requests(server: DemoServer) -> int:
    return sum(is_article(path) for path, _s, _e in list(server.requests))


def watch_tree(process: subprocess.Popen[str], until) -> set[int]:
    """Every process below `process` seen while waiting for `until()`."""
    seen: set[int] = set()
    deadline = time.monotonic() + 60
    while not until() and time.monotonic() < deadline:
        seen |= descendants(process.pid)
        time.sleep(0.05)
    seen |= descendants(process.pid)
    return seen


def run_status(db: Path) -> list[str]:
    return [r["status"] for r in sqlite_utils.Database(db).query("select status from crawl_runs")]


@pytest.mark.parametrize("how", ["SIGINT to the group (Ctrl-C)", "SIGTERM"])
def test_one_signal_finishes_the_batch_and_marks_the_run_interrupted(
    slow_site, tmp_path, how
) -> None:
    db = tmp_path / "a.db"
    crawl = start_crawl(slow_site, db)
    helpers = watch_tree(crawl, lambda: article_requests(slow_site) >= 8)
    assert len(helpers) >= 2, "the crawl should have started its workers by now"
    sent = time.monotonic()
    if how.startswith("SIGINT"):
        os.killpg(crawl.pid, signal.SIGINT)  # what a terminal does: the whole group
    else:
        crawl.send_signal(signal.SIGTERM)  # what a service manager does
    _out, err = crawl.communicate(timeout=30)
    took = time.monotonic() - sent
    assert crawl.returncode == EXIT_INTERRUPTED, err[-3000:]
    assert took < GRACE + 3, f"took {took:.1f}s to stop"
    assert "Traceback" not in err and "interrupted" in err
    assert wait_gone(helpers, 5) == set()
    assert run_status(db) == ["interrupted"]
    database = sqlite_utils.Database(db)
    assert database.execute("pragma integrity_check").fetchone()[0] == "ok"
    stored = database["articles"].count
    assert 0 < stored < len(demo_manifest())
    # The pages fetched before the signal were processed and committed, not dropped.
    fetched_before = article_requests(slow_site)
    assert stored >= fetched_before - 8  # at most the pages in flight at the signal


def test_a_second_signal_exits_at_once(slow_site, tmp_path) -> None:
    db = tmp_path / "a.db"
    crawl = start_crawl(slow_site, db)
    helpers = watch_tree(crawl, lambda: article_requests(slow_site) >= 4)
    os.killpg(crawl.pid, signal.SIGINT)
    time.sleep(0.2)
    sent = time.monotonic()
    os.killpg(crawl.pid, signal.SIGINT)
    crawl.communicate(timeout=30)
    assert time.monotonic() - sent < 3
    assert crawl.returncode == EXIT_INTERRUPTED
    assert wait_gone(helpers, 5) == set()
    assert run_status(db) == ["interrupted"]


def test_kill_9_of_the_crawl_leaves_no_process_behind(slow_site, tmp_path) -> None:
    db = tmp_path / "a.db"
    crawl = start_crawl(slow_site, db)
    helpers = watch_tree(crawl, lambda: article_requests(slow_site) >= 8)
    assert len(helpers) >= 2
    crawl.kill()
    crawl.communicate(timeout=30)
    assert wait_gone(helpers, 10) == set()


def test_a_crawl_that_ends_normally_leaves_no_process_behind(tmp_path) -> None:
    server = start_demo_server(DEMO_SITE)
    try:
        crawl = start_crawl(server, tmp_path / "a.db")
        helpers = watch_tree(crawl, lambda: crawl.poll() is not None)
        crawl.communicate(timeout=120)
    finally:
        server.shutdown()
    assert crawl.returncode == 0
    assert wait_gone(helpers, 5) == set()


def test_a_locked_database_does_not_stall_downloads(slow_site, tmp_path) -> None:
    """Another connection holds the write lock for 5 s while the crawl runs: downloads
    go on during the lock, and afterwards every article is stored once."""
    slow_site.delay = 0.02
    db = tmp_path / "a.db"
    crawl = start_crawl(slow_site, db)
    wait_for(lambda: run_status(db) == ["running"], timeout=60)
    holder = sqlite3.connect(db, isolation_level=None, timeout=30)
    holder.execute("BEGIN IMMEDIATE")
    locked_at = time.monotonic()
    assert holder.execute("select count(*) from articles").fetchone()[0] == 0
    # At least 5 s, and until every article has been downloaded (on a loaded machine
    # that can take longer): a crawl that waited on the lock would never get there.
    time.sleep(5)
    wait_for(lambda: article_requests(slow_site) >= len(demo_manifest()), timeout=60)
    released_at = time.monotonic()
    holder.execute("ROLLBACK")
    holder.close()
    _out, err = crawl.communicate(timeout=120)
    assert crawl.returncode == 0, err[-3000:]
    served = [end for path, _start, end in slow_site.requests if is_article(path)]
    assert len(served) >= len(demo_manifest())
    during = [end for end in served if locked_at <= end <= released_at]
    assert len(during) == len(demo_manifest()), (
        f"{len(during)} of {len(served)} article downloads completed during the lock"
    )
    database = sqlite_utils.Database(db)
    run = next(database.query("select errors, stats from crawl_runs"))
    assert run["errors"] == 0, run["stats"][-3000:]
    assert database["articles"].count == len(demo_manifest())
    assert database.execute("select count(distinct url) from articles").fetchone()[0] == len(
        demo_manifest()
    )


def test_ctrl_c_in_another_command_is_one_line_not_a_traceback(slow_site, tmp_path) -> None:
    slow_site.delay = 2.0
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        "sources:\n  - slug: slow\n    name: S\n    kind: feed\n"
        f"    urls: [{slow_site.base_url}/civic-ledger/feed.xml]\n"
        "    publisher: P\n    category: news\n    jurisdiction: US\n"
    )
    check = subprocess.Popen(
        [*AITRACK, "sources", "check", "--sources", str(sources)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    wait_for(lambda: len(slow_site.requests) + slow_site.in_flight >= 1, timeout=30)
    os.killpg(check.pid, signal.SIGINT)
    _out, err = check.communicate(timeout=30)
    assert check.returncode == EXIT_INTERRUPTED
    assert "Traceback" not in err and "interrupted" in err
