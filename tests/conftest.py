"""Shared fixtures: the demo web on a real 127.0.0.1 server, and running the real CLI.

Crawls run in a subprocess through the installed `aitrack` command: Twisted's reactor
cannot be restarted inside one test process, and a subprocess is also what cron runs.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.request import urlopen

import pytest
import sqlite_utils

from crawlers.demo_server import DemoServer, start_demo_server

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
AITRACK = [sys.executable, "-m", "crawlers.cli"]
# The topic slugs DESIGN.md promises (researchers' SQL depends on them).
DESIGN_TOPICS = ("regulation", "litigation", "labor", "copyright", "privacy", "antitrust", "safety")


@pytest.fixture(scope="session")
def demo_server() -> Iterator[DemoServer]:
    server = start_demo_server()
    yield server
    server.shutdown()


@pytest.fixture
def site_server(tmp_path: Path) -> Iterator[DemoServer]:
    """A server over a fresh copy-able folder, for tests that build their own site."""
    root = tmp_path / "site"
    root.mkdir()
    server = start_demo_server(root)
    yield server
    server.shutdown()


def run_aitrack(
    *args: str, env: dict[str, str] | None = None, timeout: float = 300, stdin: bytes | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the aitrack CLI as cron would, capturing its output."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [*AITRACK, *args],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        timeout=timeout,
        input=stdin.decode() if stdin is not None else None,
        text=True,
    )


def sources_yaml(entries: list[str]) -> str:
    """A sources file from short entries; publisher, category and jurisdiction are filled."""
    common = "publisher: P\n    category: news\n    jurisdiction: US\n"
    return "sources:\n" + "".join(f"  - {e.strip()}\n    {common}" for e in entries)


def write_sources(path: Path, entries: list[str]) -> Path:
    path.write_text(sources_yaml(entries))
    return path


def start_serve(db: Path) -> tuple[subprocess.Popen[bytes], str]:
    """A real `aitrack serve` of db on a free port, once it answers: (process, base URL)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "crawlers.cli", "serve", "--db", str(db), "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urlopen(base + "/-/versions.json", timeout=1)
            return proc, base
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(proc.stderr.read().decode()) from None
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"aitrack serve did not answer at {base}")


def demo_manifest() -> list[dict]:
    """What each demo page must yield, written with the pages (tests/fixtures/demo)."""
    entries = []
    for path in sorted((FIXTURES / "demo").glob("*.json")):
        entries.extend(json.loads(path.read_text(encoding="utf-8")))
    return entries


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo crawled once per test session with `aitrack demo --no-serve`."""
    db_path = tmp_path_factory.mktemp("demo") / "demo.db"
    result = run_aitrack("demo", "--no-serve", "--db", str(db_path), "--quiet")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "articles" in result.stdout  # the printed summary
    return db_path


XSS_TITLE = 'AI rules <script>window.__xss = 1</script> <img src=x onerror="window.__xss=2">'
XSS_BODY = (
    "Regulators said the <script>window.__xss = 3</script> artificial intelligence rules "
    'apply now. <b onmouseover="window.__xss=4">Bold claim</b> about AI regulation and the '
    "AI Act, which lawmakers passed."
)


@pytest.fixture(scope="session")
def site_db(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo database plus one hostile article, as a crawl of a malicious page leaves it."""
    path = tmp_path_factory.mktemp("site") / "site.db"
    shutil.copy(demo_db, path)
    db = sqlite_utils.Database(path)
    db["articles"].insert(
        {
            "id": "00000000000000aa",
            "url": "http://demo.aitrack.test/evil.html",
            "source": "civic-ledger",
            "title": XSS_TITLE,
            "body": XSS_BODY,
            "summary": XSS_TITLE,
            "content_hash": "x",
            "cluster_id": "00000000000000aa",
            "is_ai": 1,
            "relevance": 1.0,
            "topics": '["regulation"]',
            "ai_method": "both",
            "ai_evidence": json.dumps(["AI", "artificial intelligence"]),
            "ai_passages": json.dumps(["about AI regulation and the AI Act, which lawmakers"]),
            "published_at": "2026-01-02T03:04:05+00:00",
            "published_day": "2026-01-02",
            "first_seen_at": "2026-01-02T03:04:05+00:00",
        }
    )
    db["article_topics"].insert(
        {
            "article_id": "00000000000000aa",
            "topic": "regulation",
            "score": 9.0,
            "evidence": json.dumps(["AI Act", "<script>", "lawmakers"]),
            "method": "both",
            "vote": 0.8,
            # A sentence of the semantic layer holding a hostile tag and a rule phrase.
            "passages": json.dumps(
                [
                    "Regulators said the <script>window.__xss = 3</script> artificial "
                    "intelligence rules apply now."
                ]
            ),
        }
    )
    db["article_revisions"].insert(
        {
            "article_id": "00000000000000aa",
            "seen_at": "2026-01-01T00:00:00+00:00",
            "content_hash": "w",
            "title": "An earlier title",
            "body": "An earlier body.",
        }
    )
    db["articles"].update("00000000000000aa", {"last_changed_at": "2026-01-03T00:00:00+00:00"})
    db.close()
    return path


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Nothing the suite started may outlive it (issue 12: a hang after "339 passed", a
    fork server and workers left behind). Stop multiprocessing's fork server and
    resource tracker, which live as long as this process by design, then fail the run
    if any other process below pytest is still alive."""
    import multiprocessing.forkserver
    import multiprocessing.resource_tracker

    from tests.proctree import command_line, descendants, wait_gone

    for helper in (
        multiprocessing.forkserver._forkserver,  # private: the only handle there is
        multiprocessing.resource_tracker._resource_tracker,
    ):
        stop = getattr(helper, "_stop", None)
        if stop is not None:
            stop()
    left = wait_gone(descendants(os.getpid()), 10)
    if left:
        lines = "\n".join(f"  {pid} {command_line(pid)[:200]}" for pid in sorted(left))
        session.config.get_terminal_writer().line(
            f"\nprocesses started by the tests are still alive:\n{lines}", red=True
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
