"""Batched writes (pipelines/writer.py): atomic per article, durable per batch."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.dedupe import find_cluster
from pipelines.store import open_db, sync_topics
from pipelines.tagging import load_taxonomy
from pipelines.writer import BatchWriter
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


def stored_item(writer: BatchWriter, url: str, text: str = TEXT):
    item = make_item(url, text)
    item.cluster_id = find_cluster(writer.db, item.content_hash, item.id)
    return item


def test_a_batch_is_visible_and_counted_only_once_committed(path) -> None:
    reports = []
    writer = BatchWriter(open_db(path), batch_size=3)
    for n in range(2):
        writer.store(
            stored_item(writer, f"https://example.org/{n}"), None, lambda *r: reports.append(r)
        )
    assert count(path) == 0 and reports == []  # open batch: not yet durable, not counted
    writer.store(stored_item(writer, "https://example.org/2"), None, lambda *r: reports.append(r))
    assert count(path) == 3  # the third article filled the batch: committed
    assert [(outcome, error) for outcome, error, _ms in reports] == [("new", None)] * 3
    writer.close()


def test_a_failing_article_is_rolled_back_alone(path) -> None:
    reports = []
    writer = BatchWriter(open_db(path), batch_size=10)
    writer.store(stored_item(writer, "https://example.org/a"), None, lambda *r: reports.append(r))
    bad = stored_item(writer, "https://example.org/bad", TEXT + " Another sentence.")
    bad.source = "missing-source"  # violates the foreign key after its row is half-written
    with pytest.raises(sqlite3.IntegrityError):
        writer.store(bad, None, lambda *r: reports.append(r))
    writer.store(
        stored_item(writer, "https://example.org/c", TEXT + " A third."),
        None,
        lambda *r: reports.append(r),
    )
    writer.flush()
    assert count(path) == 2
    with sqlite3.connect(path) as other:
        assert (
            other.execute(
                "select count(*) from article_topics "
                "where article_id not in (select id from articles)"
            ).fetchone()[0]
            == 0
        )
        assert other.execute("select count(*) from articles_fts").fetchone()[0] == 2
    assert len(reports) == 2 and all(error is None for _o, error, _ms in reports)
    writer.close()


def test_dedupe_sees_the_copy_in_the_open_batch(path) -> None:
    writer = BatchWriter(open_db(path), batch_size=10)
    first = stored_item(writer, "https://example.org/first")
    writer.store(first, None, lambda *r: None)
    copy = stored_item(writer, "https://example.org/copy")  # same text, same open batch
    assert copy.cluster_id == first.id
    writer.close()


def test_a_process_killed_mid_batch_leaves_none_of_it(path) -> None:
    """The batch is one transaction: killed before its commit, nothing of it is stored,
    and the database is intact (the next run fetches those articles again)."""
    script = (
        "import os, sys\n"
        "from pipelines.store import open_db\n"
        "from pipelines.writer import BatchWriter\n"
        "from tests.test_writer import stored_item\n"
        f"w = BatchWriter(open_db({str(path)!r}), batch_size=10)\n"
        "for n in range(4):\n"
        "    w.store(stored_item(w, f'https://example.org/{n}', 'Text %d. ' % n * 40), None,"
        " lambda *r: None)\n"
        "os.kill(os.getpid(), 9)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True)
    assert done.returncode == -9, done.stderr.decode()[-2000:]
    with sqlite3.connect(path) as other:
        assert other.execute("pragma integrity_check").fetchone()[0] == "ok"
    assert count(path) == 0 and count(path, "article_topics") == 0


def test_the_batch_timer_commits_a_batch_that_does_not_fill(path) -> None:
    scheduled = []
    writer = BatchWriter(
        open_db(path),
        batch_size=50,
        batch_seconds=1.0,
        flush_later=lambda delay, fn: scheduled.append((delay, fn)),
    )
    writer.store(stored_item(writer, "https://example.org/a"), None, lambda *r: None)
    assert [delay for delay, _fn in scheduled] == [1.0]  # one timer per batch
    scheduled[0][1]()  # the reactor calls it a second later
    assert count(path) == 1
    writer.close()
