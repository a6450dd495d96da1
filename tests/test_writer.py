"""The writer (pipelines/writer.py): atomic per article, durable per batch, on a thread
of its own so that a locked database never blocks the caller."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from pipelines.store import open_db, sync_topics
from pipelines.tagging import load_taxonomy
from pipelines.writer import BatchWriter, Writer, Written
from tests.test_store import TEXT, make_item

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def path(tmp_path: Path) -> Path:
    db = open_db(tmp_path / "w.db")
    sync_topics(db, load_taxonomy())
    db["sources"].insert({"slug": "demo", "name": "Demo"}, pk="slug")
    db.close()
    return tmp_path / "w.db"


def count(path: Path, table: str = "articles") -> int:
    """Rows as another connection (Datasette, the next run) sees them."""
    with sqlite3.connect(path) as other:
        return other.execute(f"select count(*) from {table}").fetchone()[0]


def store(writer: BatchWriter, url: str, reports: list, text: str = TEXT) -> Written:
    written = writer.store(make_item(url, text), None)
    writer.add(written, reports.append)
    return written


def test_a_batch_is_visible_and_counted_only_once_committed(path) -> None:
    reports: list[Written] = []
    writer = BatchWriter(open_db(path), batch_size=3)
    for n in range(2):
        store(writer, f"https://example.org/{n}", reports)
    assert count(path) == 0 and reports == []  # open batch: not yet durable, not counted
    store(writer, "https://example.org/2", reports)
    assert count(path) == 3  # the third article filled the batch: committed
    assert [(w.outcome, w.error) for w in reports] == [("new", None)] * 3
    writer.close()


def test_a_failing_article_is_rolled_back_alone(path) -> None:
    reports: list[Written] = []
    writer = BatchWriter(open_db(path), batch_size=10)
    store(writer, "https://example.org/a", reports)
    bad = make_item("https://example.org/bad", TEXT + " Another sentence.")
    bad.source = "missing-source"  # violates the foreign key after its row is half-written
    with pytest.raises(sqlite3.IntegrityError):
        writer.store(bad, None)
    store(writer, "https://example.org/c", reports, TEXT + " A third.")
    writer.flush()
    assert count(path) == 2
    with sqlite3.connect(path) as other:
        orphans = other.execute(
            "select count(*) from article_topics where article_id not in (select id from articles)"
        ).fetchone()[0]
        assert orphans == 0
        assert other.execute("select count(*) from articles_fts").fetchone()[0] == 2
    assert len(reports) == 2 and all(w.error is None for w in reports)
    writer.close()


def test_dedupe_sees_the_copy_in_the_open_batch(path) -> None:
    writer = BatchWriter(open_db(path), batch_size=10)
    first = store(writer, "https://example.org/first", [])
    copy = store(writer, "https://example.org/copy", [])  # same text, same open batch
    assert copy.item.cluster_id == first.item.id and copy.duplicate and not first.duplicate
    writer.close()


def test_a_process_killed_mid_batch_leaves_none_of_it(path) -> None:
    """The batch is one transaction: killed before its commit, nothing of it is stored,
    and the database is intact (the next run fetches those articles again)."""
    script = (
        "import os\n"
        "from pipelines.store import open_db\n"
        "from pipelines.writer import BatchWriter\n"
        "from tests.test_store import make_item\n"
        f"w = BatchWriter(open_db({str(path)!r}), batch_size=10)\n"
        "for n in range(4):\n"
        "    item = make_item(f'https://example.org/{n}', 'Text %d. ' % n * 40)\n"
        "    w.add(w.store(item, None), lambda r: None)\n"
        "os.kill(os.getpid(), 9)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True)
    assert done.returncode == -9, done.stderr.decode()[-2000:]
    with sqlite3.connect(path) as other:
        assert other.execute("pragma integrity_check").fetchone()[0] == "ok"
    assert count(path) == 0 and count(path, "article_topics") == 0


def test_the_writer_commits_a_batch_that_does_not_fill_after_its_time(path) -> None:
    reports: list[Written] = []
    writer = Writer(path, batch_size=50, batch_seconds=0.3)
    assert writer.offer_store(make_item("https://example.org/a"), reports.append)
    deadline = time.monotonic() + 5
    while not reports and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [w.outcome for w in reports] == ["new"] and count(path) == 1
    assert writer.close(5)


def test_a_locked_database_does_not_block_the_caller_and_loses_nothing(path) -> None:
    """Another connection holds the write lock: handing articles over still returns at
    once; they are written when the lock goes, each once."""
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    reports: list[Written] = []
    writer = Writer(path, busy_timeout=10, batch_size=5, batch_seconds=0.2)
    start = time.monotonic()
    for n in range(12):
        assert writer.offer_store(
            make_item(f"https://example.org/{n}", f"{n} " + TEXT), reports.append
        )
    handed_over = time.monotonic() - start
    time.sleep(1.0)
    assert reports == [] and count(path) == 0  # nothing can be written yet
    holder.execute("ROLLBACK")
    holder.close()
    assert writer.close(15)
    assert handed_over < 0.5
    assert sorted(w.outcome for w in reports) == ["new"] * 12
    assert count(path) == 12


def test_a_full_queue_is_back_pressure_not_loss(path) -> None:
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    reports: list[Written] = []
    writer = Writer(path, busy_timeout=10, batch_size=2, max_queue=3)
    accepted = [
        writer.offer_store(make_item(f"https://example.org/{n}", f"{n} " + TEXT), reports.append)
        for n in range(8)
    ]
    # The thread holds one job while it waits for the lock; the queue holds three more.
    assert accepted.count(True) <= 4 and accepted[-1] is False
    holder.execute("ROLLBACK")
    holder.close()
    assert writer.close(15)
    assert len(reports) == accepted.count(True) == count(path)


def test_a_barrier_reports_after_everything_before_it(path) -> None:
    order: list[str] = []
    writer = Writer(path, batch_size=50, batch_seconds=60)
    for n in range(3):
        item = make_item(f"https://example.org/{n}", f"{n} " + TEXT)
        writer.offer_store(item, lambda w: order.append(w.outcome))
    done = threading.Event()
    writer.barrier(lambda: (order.append("barrier"), done.set()))
    assert done.wait(5)
    assert order == ["new", "new", "new", "barrier"] and count(path) == 3
    assert writer.close(5)


def test_a_commit_that_fails_loses_the_batch_with_a_report_not_the_writer(path) -> None:
    """A commit can fail with other errors than a lock or a full disk (here a deferred
    foreign key, as a corrupt page or a constraint would): the batch is reported lost,
    each article with its error, and the writer goes on with the next batch."""
    reports: list[Written] = []
    writer = BatchWriter(open_db(path), batch_size=10)
    store(writer, "https://example.org/a", reports)
    writer.db.conn.execute("PRAGMA defer_foreign_keys = ON")  # checked at COMMIT only
    bad = make_item("https://example.org/bad", TEXT + " Another sentence.")
    bad.source = "missing-source"
    writer.add(writer.store(bad, None), reports.append)
    writer.flush()
    assert [(w.outcome, w.error_kind) for w in reports] == [("new", "db_error")] * 2
    assert count(path) == 0
    store(writer, "https://example.org/c", reports, TEXT + " A third.")
    writer.flush()
    assert count(path) == 1 and reports[-1].error is None
    writer.close()
