"""Batched article writes: one transaction per batch, one savepoint per article.

A commit in WAL mode with `synchronous=FULL` waits for the disk, so a transaction per
article costs a disk flush per article. The writer instead keeps one transaction open
for up to `batch_size` articles or `batch_seconds`, whichever comes first, and writes
each article inside its own savepoint:

- an article that fails to write is rolled back alone (its savepoint), so no article is
  ever half-stored, and the rest of the batch goes on;
- a batch is durable only at its commit, so an article is counted as stored only then.
  If the commit fails (disk full) or the process dies, the whole batch is absent, and
  the next run fetches those articles again: nothing is stored twice, nothing half.

One writer per database serves every crawler of a run (a second connection would wait
on the first one's open transaction). It also answers the dedupe stage's reads, because
only this connection sees the articles of its own uncommitted batch.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from crawlers.items import Article
from pipelines.store import open_db, store_with_retry, touch_article

# report(outcome, error, ms): called once per article when its batch committed (error is
# None) or was lost (error is the database's exception); ms is its share of the commit.
Report = Callable[[str, "sqlite3.Error | None", float], None]


@dataclass
class Pending:
    outcome: str  # new | updated | unchanged (a 304: only last_seen_at changes)
    report: Report


class BatchWriter:
    def __init__(
        self,
        db: sqlite_utils.Database,
        batch_size: int = 50,
        batch_seconds: float = 1.0,
        flush_later: Callable[[float, Callable[[], None]], Any] | None = None,
    ) -> None:
        self.db = db
        self.batch_size = max(1, batch_size)
        self.batch_seconds = batch_seconds
        self.flush_later = flush_later  # e.g. the reactor's callLater
        self.pending: list[Pending] = []
        self._timer: Any = None

    def store(self, item: Article, run_id: int | None, report: Report) -> None:
        """Write one article in its own savepoint of the open batch.

        Raises sqlite3.Error if it could not be written; nothing of it is
        then in the batch (and if SQLite abandoned the whole batch, as it may on a full
        disk, the batch's other articles are reported lost first)."""
        self._write(lambda: store_with_retry(self.db, item, run_id), report)

    def touch(self, item: Article, report: Report) -> None:
        """Record, in the open batch, that an unchanged article (HTTP 304) was seen."""
        self._write(lambda: (touch_article(self.db, item), "unchanged")[1], report)

    def _write(self, write: Callable[[], str], report: Report) -> None:
        if not self.db.conn.in_transaction:
            self.db.conn.execute("BEGIN")
            if self.flush_later is not None and self.batch_size > 1:
                self._timer = self.flush_later(self.batch_seconds, self.flush)
        try:
            outcome = write()  # db.atomic() inside makes it a savepoint of the batch
        except sqlite3.Error as exc:
            if not self.db.conn.in_transaction:
                self._lose_batch(exc)
            raise
        self.pending.append(Pending(outcome, report))
        if len(self.pending) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        """Commit the open batch and report each of its articles."""
        self._cancel_timer()
        if not self.db.conn.in_transaction:
            return
        start = time.perf_counter()
        try:
            self.db.conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            if self.db.conn.in_transaction:
                self.db.conn.execute("ROLLBACK")
            self._lose_batch(exc)
            return
        done, self.pending = self.pending, []
        share = (time.perf_counter() - start) * 1000 / max(1, len(done))
        for pending in done:
            pending.report(pending.outcome, None, share)

    def _lose_batch(self, exc: sqlite3.Error) -> None:
        self._cancel_timer()
        lost, self.pending = self.pending, []
        for pending in lost:
            pending.report(pending.outcome, exc, 0.0)

    def _cancel_timer(self) -> None:
        timer, self._timer = self._timer, None
        if timer is not None and getattr(timer, "active", lambda: False)():
            timer.cancel()

    def close(self) -> None:
        self.flush()
        self.db.close()


# One writer per database file in this process, shared by the crawlers of a run.
_writers: dict[str, tuple[BatchWriter, int]] = {}


def acquire_writer(
    path: str,
    busy_timeout: float,
    batch_size: int,
    batch_seconds: float,
    flush_later: Callable[[float, Callable[[], None]], Any] | None = None,
) -> BatchWriter:
    """The process's writer for `path`, opened on first use; pair with release_writer."""
    if path in _writers:
        writer, users = _writers[path]
    else:
        writer, users = (
            BatchWriter(open_db(path, busy_timeout), batch_size, batch_seconds, flush_later),
            0,
        )
    _writers[path] = (writer, users + 1)
    return writer


def acquire_crawl_writer(settings: Any) -> BatchWriter:
    """acquire_writer for a crawler's settings, its batch timer on the reactor."""
    from twisted.internet import reactor

    return acquire_writer(
        settings.get("AITRACK_DB"),
        busy_timeout=settings.getfloat("AITRACK_DB_BUSY_TIMEOUT", 30.0),
        batch_size=settings.getint("AITRACK_DB_BATCH", 50),
        batch_seconds=settings.getfloat("AITRACK_DB_BATCH_SECONDS", 1.0),
        flush_later=reactor.callLater,
    )


def release_writer(path: str) -> None:
    """Commit what is pending; the last user also closes the connection."""
    writer, users = _writers[path]
    if users <= 1:
        del _writers[path]
        writer.close()
    else:
        _writers[path] = (writer, users - 1)
        writer.flush()
