"""The scaled-out crawl on a real redis-server: workers, one ingest, nothing lost or
stored twice, even when a worker or the ingest is killed with SIGKILL.

Everything here is real: redis-server (Debian's, started on a free loopback port in a
temporary folder and stopped after each test), the bench site over three loopback
hosts, and `aitrack enqueue / crawl --frontier / ingest` as subprocesses. The expected
pages are read from the site's own sitemaps, not from anything the crawl reports.
"""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from urllib.request import urlopen

import pytest

from bench.scale_harness import (
    FAST,
    REDIS_SERVER,
    start_hosts,
    start_redis,
    stop_hosts,
    stop_redis,
    write_sources,
)
from pipelines.stream import STREAM, connect, source_keys
from tests.httpbase import QuietHandler

ROOT = Path(__file__).resolve().parent.parent
AITRACK = [sys.executable, "-m", "crawlers.cli"]
HOSTS, PAGES = 3, 45  # 15 article pages per host
# Short leases, so a killed worker's requests come back within seconds; two requests
# at a time per source, so that a worker cannot take a whole small source at once.
WORKER = [
    "-s",
    "AITRACK_WORKERS=0",
    "-s",
    "AITRACK_LEASE_SECONDS=2",
    "-s",
    "CONCURRENT_REQUESTS=2",
    *FAST,
]

pytestmark = pytest.mark.skipif(
    not Path(REDIS_SERVER).exists(), reason="redis-server missing: run `make system-deps`"
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, set[str]]]:
    """The sources file of the bench site over three hosts, and every article URL that
    its sitemaps list."""
    processes, bases = start_hosts(PAGES, HOSTS)
    try:
        sources = write_sources(
            tmp_path_factory.mktemp("scale") / "sources.yaml", bases, PAGES // HOSTS
        )
        urls: set[str] = set()
        for base in bases:
            sitemap = urlopen(f"{base}/sitemap.xml", timeout=10).read().decode()
            urls.update(re.findall(r"<loc>([^<]+)</loc>", sitemap))
        assert len(urls) == PAGES
        yield sources, urls
    finally:
        stop_hosts(processes)


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    process, url = start_redis(tmp_path / "redis")
    try:
        yield url
    finally:
        stop_redis(process)


def aitrack(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*AITRACK, *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*AITRACK, *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def finish(process: subprocess.Popen[str], timeout: float = 120) -> str:
    try:
        _, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        _, err = process.communicate()
        raise AssertionError(f"did not finish: {err[-2000:]}") from None
    assert process.returncode == 0, err[-2000:]
    return err


def worker(url: str, sources: Path) -> subprocess.Popen[str]:
    return start("crawl", "--frontier", url, "--sources", str(sources), *WORKER)


def ingest(url: str, sources: Path, db: Path, *extra: str) -> subprocess.Popen[str]:
    return start("ingest", "--frontier", url, "--sources", str(sources), "--db", str(db), *extra)


def wait_for(condition: object, timeout: float = 60, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def assert_exactly_once(db_path: Path, urls: set[str]) -> None:
    db = sqlite3.connect(db_path)
    stored = [row[0] for row in db.execute("select url from articles")]
    assert sorted(stored) == sorted(urls)  # every page, each once
    # Re-delivered entries changed nothing: no revision, one finder row per article.
    assert db.execute("select count(*) from article_revisions").fetchone()[0] == 0
    finders = db.execute("select count(*) from article_sources").fetchone()[0]
    assert finders == len(urls)
    topics = db.execute(
        "select count(*) from (select article_id, topic from article_topics "
        "group by 1, 2 having count(*) > 1)"
    ).fetchone()[0]
    assert topics == 0
    db.close()


def test_two_workers_and_one_ingest_store_every_page_once(
    site: tuple[Path, set[str]], redis_url: str, tmp_path: Path
) -> None:
    sources, urls = site
    result = aitrack("enqueue", "--frontier", redis_url, "--sources", str(sources))
    assert result.returncode == 0, result.stderr
    workers = [worker(redis_url, sources) for _ in range(2)]
    writer = ingest(redis_url, sources, tmp_path / "a.db", "--until-done")
    said = [finish(w) for w in workers]
    assert "ingest" in finish(writer)
    assert_exactly_once(tmp_path / "a.db", urls)
    # Both workers took part: each put articles on the stream.
    queued = [int(re.search(r"(\d+) articles to ingest", s).group(1)) for s in said]
    assert all(queued) and sum(queued) >= len(urls), said
    # One run row from both workers' reports, and each source's health recorded once.
    pages = sum(int(re.search(r"(\d+) pages", s).group(1)) for s in said)
    run = assert_one_run(tmp_path / "a.db", len(urls))
    assert run["pages_fetched"] == pages
    with sqlite3.connect(tmp_path / "a.db") as db:
        health = db.execute(
            "select count(*) from sources where last_success_at is not null "
            "and consecutive_failures = 0 and last_run_at is not null"
        ).fetchone()[0]
    assert health == HOSTS
    # The next run is incremental without a database on the workers: the validators
    # ingest and the workers shared through Redis make the sitemaps answer 304.
    assert aitrack("enqueue", "--frontier", redis_url, "--sources", str(sources)).returncode == 0
    again = finish(worker(redis_url, sources))
    assert " 0 articles to ingest" in again, again


def assert_one_run(db_path: Path, new: int) -> dict:
    with sqlite3.connect(db_path) as db:
        db.row_factory = sqlite3.Row
        runs = [dict(r) for r in db.execute("select * from crawl_runs")]
    assert len(runs) == 1, runs
    run = runs[0]
    assert run["sources_file"].startswith("frontier run ")
    assert run["status"] == "ok" and run["finished_at"]
    assert (run["articles_new"], run["articles_updated"]) == (new, 0)
    return run


def test_a_killed_worker_loses_nothing(
    site: tuple[Path, set[str]], redis_url: str, tmp_path: Path
) -> None:
    sources, urls = site
    assert aitrack("enqueue", "--frontier", redis_url, "--sources", str(sources)).returncode == 0
    client = connect(redis_url)
    inflight = [source_keys(f"host-{n}")["inflight"] for n in range(1, HOSTS + 1)]
    first = worker(redis_url, sources)
    # Mid-crawl: some articles on the stream, and requests held by this worker.
    wait_for(
        lambda: client.xlen(STREAM) >= 5 and sum(client.zcard(k) for k in inflight) > 0,
        what="the worker to be mid-crawl",
    )
    held = sum(client.zcard(k) for k in inflight)
    first.send_signal(signal.SIGKILL)
    first.communicate()
    assert client.xlen(STREAM) < len(urls) and held > 0  # it died with work in hand
    second = worker(redis_url, sources)
    finish(second)
    writer = ingest(redis_url, sources, tmp_path / "a.db", "--until-done")
    finish(writer)
    assert_exactly_once(tmp_path / "a.db", urls)
    assert sum(client.zcard(k) for k in inflight) == 0
    client.close()


def test_a_killed_ingest_resumes_and_stores_nothing_twice(
    site: tuple[Path, set[str]], redis_url: str, tmp_path: Path
) -> None:
    sources, urls = site
    db = tmp_path / "a.db"
    assert aitrack("enqueue", "--frontier", redis_url, "--sources", str(sources)).returncode == 0
    finish(worker(redis_url, sources))
    client = connect(redis_url)
    entries = client.xrange(STREAM)
    assert len(entries) >= len(urls)
    # Small batches, so the kill falls between commits.
    first = ingest(redis_url, sources, db, "--batch", "3")
    wait_for(
        lambda: db.exists() and _count(db) >= 6 and client.xlen(STREAM) > 0,
        what="the ingest to be part way",
    )
    first.send_signal(signal.SIGKILL)
    first.communicate()
    assert _count(db) < len(urls)
    finish(ingest(redis_url, sources, db, "--until-done", "--batch", "3"))
    assert_exactly_once(db, urls)
    # Every entry delivered again (as after a crash between commit and XACK): the
    # database does not change.
    before = _snapshot(db)
    for _, fields in entries:
        client.xadd(STREAM, fields)
    finish(ingest(redis_url, sources, db, "--until-done"))
    assert_exactly_once(db, urls)
    assert _snapshot(db) == before
    assert_one_run(db, len(urls))  # the worker's report, delivered twice, counted once
    client.close()


def _count(db: Path) -> int:
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            return conn.execute("select count(*) from articles").fetchone()[0]
    except sqlite3.OperationalError:
        return 0  # not created yet


def _snapshot(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "select id, content_hash, title, first_seen_at, cluster_id, "
            "(select count(*) from article_topics t where t.article_id = a.id), "
            "(select count(*) from article_entities e where e.article_id = a.id) "
            "from articles a order by id"
        ).fetchall()


def test_a_frontier_that_is_not_there_is_one_line(tmp_path: Path) -> None:
    sources = write_sources(tmp_path / "s.yaml", ["http://127.0.0.1:9"], 1)
    for args in (
        ("crawl", "--frontier", "redis://:s3cret@127.0.0.1:9/0", "--sources", str(sources)),
        ("enqueue", "--frontier", "http://127.0.0.1:9/", "--sources", str(sources)),
        ("ingest", "--frontier", "redis://127.0.0.1:9/0", "--db", str(tmp_path / "a.db"))
        + ("--sources", str(sources)),
    ):
        result = aitrack(*args)
        assert result.returncode == 2
        assert "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert "frontier" in result.stderr
        assert "s3cret" not in result.stderr  # a password in the URL is never shown


def test_the_single_machine_crawl_needs_no_redis() -> None:
    """`aitrack crawl` without --frontier uses Scrapy's own scheduler: no Redis setting."""
    from scrapy.utils.project import get_project_settings

    settings = get_project_settings()
    assert settings.get("AITRACK_FRONTIER") is None
    assert "scrapy_redis" not in str(settings.get("SCHEDULER"))
    assert "frontier" not in str(settings.get("SCHEDULER"))


class SlowHost(QuietHandler):
    """A host whose article pages take 0.15 s, counting how many are in flight at once."""

    pages = 12
    lock = threading.Lock()
    in_flight = 0
    most = 0
    served = 0
    starts: list[float] = []

    def do_GET(self) -> None:
        cls = type(self)
        if self.path == "/robots.txt":
            self.send(200, b"User-agent: *\nAllow: /\n", "text/plain")
            return
        if self.path == "/sitemap.xml":
            base = f"http://{self.headers['Host']}"
            locs = "".join(f"<url><loc>{base}/a/{n}.html</loc></url>" for n in range(cls.pages))
            body = f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{locs}</urlset>'
            self.send(200, body.encode(), "application/xml")
            return
        with cls.lock:
            cls.in_flight += 1
            cls.most = max(cls.most, cls.in_flight)
            cls.starts.append(time.monotonic())
        time.sleep(0.15)
        with cls.lock:
            cls.in_flight -= 1
            cls.served += 1
        number = self.path.rsplit("/", 1)[-1].split(".")[0]
        self.send(200, article_page(number).encode())


def article_page(number: str) -> str:
    """An article long enough to be one, different for each number."""
    paragraphs = "".join(
        f"<p>Report {number}, part {n}: a county board in the bench state voted on rules for "
        f"software that screens job applicants, after a hearing where {n + 3} residents "
        "spoke about audits, notice to candidates and who answers for a wrong rejection. "
        "The measure now goes to a second reading next month.</p>"
        for n in range(6)
    )
    return (
        f"<html><head><title>County vote {number}</title></head><body><article>"
        f"<h1>County vote {number} on hiring software</h1>{paragraphs}</article></body></html>"
    )


def test_politeness_holds_per_host_across_workers(redis_url: str, tmp_path: Path) -> None:
    """Two workers, one request at a time per host: the host never sees two at once,
    though both workers fetch from it."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowHost)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        sources = write_sources(tmp_path / "s.yaml", [base], SlowHost.pages)
        assert (
            aitrack("enqueue", "--frontier", redis_url, "--sources", str(sources)).returncode == 0
        )
        polite = ["-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1", *WORKER]
        workers = [
            start("crawl", "--frontier", redis_url, "--sources", str(sources), *polite)
            for _ in range(2)
        ]
        said = [finish(w) for w in workers]
    finally:
        server.shutdown()
        server.server_close()
    assert SlowHost.served == SlowHost.pages
    queued = [int(re.search(r"(\d+) articles to ingest", s).group(1)) for s in said]
    assert all(queued), said  # both workers fetched articles from the host
    assert SlowHost.most == 1


def test_a_run_row_merges_worker_reports_once_and_closes_when_the_next_run_starts(
    tmp_path: Path,
) -> None:
    """pipelines/ingest_runs.py on a real SQLite file: a report delivered twice counts
    once, a source that failed on one worker failed, and run 1 is finished (with its
    sources' health) by the first entry of run 2."""
    from pipelines.ingest_runs import RunBook
    from pipelines.store import open_db

    db = open_db(tmp_path / "a.db")
    db["sources"].insert_all([{"slug": "one", "name": "One"}, {"slug": "two", "name": "Two"}])
    book = RunBook(db)
    ok = {"ok": True, "pages": 5, "links": 4, "errors": {}}
    broken = {"ok": False, "error": "index failed (http_500): HTTP 500", "pages": 1}
    broken["errors"] = {"http_500": 1}
    with db.conn:
        book.report(1, "a:1", {"one": ok, "two": ok})
        book.report(1, "b:2", {"one": ok, "two": broken})
        book.report(1, "b:2", {"one": ok, "two": broken})  # delivered again
    run = db["crawl_runs"].get(1)
    assert run["pages_fetched"] == 5 + 5 + 5 + 1 and run["status"] == "running"
    with db.conn:
        second = book.row(2)
    assert second != 1
    first = db["crawl_runs"].get(1)
    assert first["status"] == "partial" and first["errors"] == 1
    assert db["sources"].get("two")["consecutive_failures"] == 1
    assert db["sources"].get("one")["consecutive_failures"] == 0
    assert db["sources"].get("one")["last_success_at"]
    db.close()


class KeyedHost(QuietHandler):
    """A host whose sitemap answers only with the right key in its query string."""

    key = ""

    def do_GET(self) -> None:
        if self.path == "/robots.txt":
            self.send(200, b"User-agent: *\nAllow: /\n", "text/plain")
        elif self.path == f"/sitemap.xml?api_key={type(self).key}":
            base = f"http://{self.headers['Host']}"
            locs = "".join(f"<url><loc>{base}/a/{n}.html</loc></url>" for n in range(3))
            body = f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{locs}</urlset>'
            self.send(200, body.encode(), "application/xml")
        elif self.path.startswith("/a/"):
            self.send(200, article_page(self.path.rsplit("/", 1)[-1].split(".")[0]).encode())
        else:
            self.send(403, b"no key")


def redis_contents(client: object) -> bytes:
    """Every key and value in the Redis, as bytes."""
    out = []
    for key in client.scan_iter("*"):  # type: ignore[attr-defined]
        kind = client.type(key)  # type: ignore[attr-defined]
        out.append(key)
        if kind == b"string":
            out.append(client.get(key))  # type: ignore[attr-defined]
        elif kind == b"hash":
            out += [b for pair in client.hgetall(key).items() for b in pair]  # type: ignore[attr-defined]
        elif kind == b"zset":
            out += client.zrange(key, 0, -1)  # type: ignore[attr-defined]
        elif kind == b"set":
            out += list(client.smembers(key))  # type: ignore[attr-defined]
        elif kind == b"stream":
            for _, fields in client.xrange(key):  # type: ignore[attr-defined]
                out += [b for pair in fields.items() for b in pair]
    return b"\n".join(x for x in out if x)


def test_a_key_from_the_environment_is_never_stored_in_redis(
    redis_url: str, tmp_path: Path
) -> None:
    """A source's `${NAME}` key is put into its requests only in the worker: the queued
    requests keep the name, and the crawl still authenticates."""
    KeyedHost.key = f"k3y{os.getpid()}x"
    server = ThreadingHTTPServer(("127.0.0.1", 0), KeyedHost)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {**os.environ, "AITRACK_SCALE_TEST_KEY": KeyedHost.key}
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        sources = tmp_path / "s.yaml"
        write_sources(sources, [base], 3)
        text = sources.read_text().replace(
            "/sitemap.xml", "/sitemap.xml?api_key=${AITRACK_SCALE_TEST_KEY}"
        )
        sources.write_text(text)
        run = [*AITRACK, "--frontier", redis_url, "--sources", str(sources)]
        enqueued = subprocess.run(
            [*AITRACK, "enqueue", *run[len(AITRACK) :]], cwd=ROOT, env=env, capture_output=True
        )
        assert enqueued.returncode == 0, enqueued.stderr
        client = connect(redis_url)
        assert b"AITRACK_SCALE_TEST_KEY" in redis_contents(client)  # the name, queued
        assert KeyedHost.key.encode() not in redis_contents(client)
        for command in (
            ["crawl", *WORKER],
            ["ingest", "--until-done", "--db", str(tmp_path / "a.db")],
        ):
            done = subprocess.run(
                [*AITRACK, command[0], *run[len(AITRACK) :], *command[1:]],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert done.returncode == 0, done.stderr[-2000:]
        assert KeyedHost.key.encode() not in redis_contents(client)
        client.close()
    finally:
        server.shutdown()
        server.server_close()
    with sqlite3.connect(tmp_path / "a.db") as db:
        assert db.execute("select count(*) from articles").fetchone()[0] == 3  # it got in


def test_a_sources_own_pacing_holds_across_workers(redis_url: str, tmp_path: Path) -> None:
    """`delay_seconds: 0.4` on a source: two workers together still start its requests
    at least that far apart (the shared limiter's next-start time, not each worker's
    own download delay)."""
    SlowHost.starts, SlowHost.served, SlowHost.most = [], 0, 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowHost)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        sources = write_sources(tmp_path / "s.yaml", [base], SlowHost.pages)
        text = sources.read_text().replace(
            "    kind: sitemap\n", "    kind: sitemap\n    delay_seconds: 0.4\n"
        )
        sources.write_text(text)
        assert (
            aitrack("enqueue", "--frontier", redis_url, "--sources", str(sources)).returncode == 0
        )
        workers = [worker(redis_url, sources) for _ in range(2)]
        said = [finish(w) for w in workers]
    finally:
        server.shutdown()
        server.server_close()
    queued = [int(re.search(r"(\d+) articles to ingest", s).group(1)) for s in said]
    assert all(queued), said  # both workers fetched from the host
    starts = sorted(SlowHost.starts)
    assert len(starts) == SlowHost.pages
    gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    assert min(gaps) >= 0.35, gaps
