"""The one writer: processed articles into SQLite, in batches, on a thread of its own.

Why a thread: SQLite allows one writer at a time. When another process holds the lock
(a reader's checkpoint, a second tool, a backup), a write waits up to the busy timeout
and is then retried with backoff (pipelines.store.retry). On the reactor thread that
wait froze every download for up to about 90 s; here it only lets the queue grow.

Why batches: a commit in WAL mode waits for the disk, so a transaction per article
costs a disk flush per article. The writer keeps one transaction open for up to
`batch_size` articles or `batch_seconds`, whichever comes first, and writes each
article inside its own savepoint:

- an article that fails to write is rolled back alone (its savepoint), so no article is
  ever half-stored, and the rest of the batch goes on;
- a batch is durable only at its commit, so an article is reported stored only then.
  If the commit fails (disk full) or the process dies, the whole batch is absent, and
  the next run fetches those articles again: nothing is stored twice, nothing half.

The writer also finds each article's duplicate cluster (pipelines.dedupe): only its
connection sees the articles of its own uncommitted batch. Results are reported through
a callback, called on the writer's thread: the caller moves them where it needs them
(the crawl hands them to the reactor).
"""

from __future__ import annotations

import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from pipelines.dedupe import find_cluster
from pipelines.model import Article
from pipelines.store import classify_db_error, open_db, store_with_retry, touch_article
from pipelines.store.retry import with_retry

CACHE_KIB = 64 * 1024  # the writer connection's page cache, at most


@dataclass
class Written:
    """What became of one article. `error` is None once its batch committed."""

    item: Article
    outcome: str  # new | updated | unchanged (a 304 only moves last_seen_at)
    error: BaseException | None = None
    error_kind: str | None = None  # db_locked | db_full | db_readonly | db_error
    duplicate: bool = False
    ms: float = 0.0  # time spent writing it, its share of the commit included


Report = Callable[[Written], None]


class BatchWriter:
    """Batched writes on one connection, used from one thread (the Writer's)."""

    def __init__(self, db: sqlite_utils.Database, batch_size: int = 50) -> None:
        self.db = db
        self.batch_size = max(1, batch_size)
        # A batch of 500 articles writes about 10 MB of pages (text, two full-text
        # indexes, the story index). In SQLite's default 2 MB cache they were spilled to
        # the WAL before the commit and read back by the next article's lookups; the
        # cache grows only as used, so a small batch costs no more memory than before.
        db.conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        self.pending: list[tuple[Written, Report]] = []
        self.opened_at: float | None = None

    def store(self, item: Article, run_id: int | None) -> Written:
        """Write one processed article in its own savepoint of the open batch.

        Raises sqlite3.Error if it could not be written; nothing of it is then in the
        batch (and if SQLite abandoned the whole batch, as it may on a full disk, the
        batch's other articles are reported lost first)."""

        def write() -> Written:
            assert item.id is not None and item.content_hash is not None
            item.cluster_id = find_cluster(self.db, item.content_hash, item.id)
            outcome = store_with_retry(self.db, item, run_id)
            return Written(item, outcome, duplicate=item.cluster_id != item.id)

        return self._write(write)

    def touch(self, item: Article, run_id: int | None) -> Written:
        """Record, in the open batch, that an unchanged article (HTTP 304) was seen."""

        def write() -> Written:
            touch_article(self.db, item, run_id)
            return Written(item, "unchanged")

        return self._write(write)

    def add(self, written: Written, report: Report) -> None:
        """Hold a written article's report until its batch commits."""
        self.pending.append((written, report))
        if len(self.pending) >= self.batch_size:
            self.flush()

    def _write(self, write: Callable[[], Written]) -> Written:
        if not self.db.conn.in_transaction:
            # IMMEDIATE: take the write lock now, waiting for it through the busy
            # handler. A deferred BEGIN reads first (the duplicate lookup) and SQLite
            # then refuses the upgrade to a write at once, without waiting, when another
            # connection holds the lock: an article lost to a one-second backup.
            with_retry(lambda: self.db.conn.execute("BEGIN IMMEDIATE"))
            self.opened_at = time.monotonic()
        start = time.perf_counter()
        try:
            written = write()  # db.atomic() inside makes it a savepoint of the batch
        except sqlite3.Error as exc:
            if not self.db.conn.in_transaction:
                self._lose_batch(exc)
            raise
        written.ms = (time.perf_counter() - start) * 1000
        return written

    def flush(self) -> None:
        """Commit the open batch and report each of its articles."""
        self.opened_at = None
        start = time.perf_counter()
        try:
            if self.db.conn.in_transaction:
                self.db.conn.execute("COMMIT")
        except sqlite3.Error as exc:  # locked, full, a deferred constraint, corruption
            if self.db.conn.in_transaction:
                self.db.conn.execute("ROLLBACK")
            self._lose_batch(exc)
            return
        done, self.pending = self.pending, []
        share = (time.perf_counter() - start) * 1000 / max(1, len(done))
        for written, report in done:
            written.ms += share
            report(written)

    def _lose_batch(self, exc: sqlite3.Error) -> None:
        self.opened_at = None
        lost, self.pending = self.pending, []
        for written, report in lost:
            written.error, written.error_kind = exc, classify_db_error(exc) or "db_error"
            report(written)

    def close(self) -> None:
        self.flush()
        self.db.close()


class _Barrier:
    def __init__(self, done: Callable[[], None]) -> None:
        self.done = done


_STOP = object()


class WriterStopped(RuntimeError):
    """The writer's thread has ended (closed, or its database failed beyond repair)."""


class Writer:
    """The run's single writer: a thread that takes jobs from a bounded queue.

    `offer` never blocks: it returns False when the queue is full, which is the
    back-pressure signal (the crawl then waits before handing over more). `close`
    drains the queue and commits, so nothing accepted is lost when a crawl ends or is
    interrupted.
    """

    def __init__(
        self,
        path: str | Path,
        run_id: int | None = None,
        busy_timeout: float = 30.0,
        batch_size: int = 50,
        batch_seconds: float = 1.0,
        max_queue: int = 2000,
    ) -> None:
        self.path = str(path)
        self.run_id = run_id
        self.busy_timeout = busy_timeout
        self.batch_size = batch_size
        self.batch_seconds = batch_seconds
        self._queue: queue.Queue[object] = queue.Queue(maxsize=max_queue)
        self._opened = threading.Event()
        self._open_error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="aitrack-writer", daemon=True)
        self._thread.start()
        self._opened.wait()
        if self._open_error is not None:
            raise self._open_error

    def offer_store(self, item: Article, report: Report) -> bool:
        """Queue a processed article; False when the queue is full (try again later)."""
        return self._offer(("store", item, report))

    def offer_touch(self, item: Article, report: Report) -> bool:
        """Queue a 304 (seen again, unchanged); False when the queue is full."""
        return self._offer(("touch", item, report))

    def barrier(self, done: Callable[[], None]) -> None:
        """Commit everything queued before this call, then call `done` (on the writer's
        thread, or here if the writer has ended). Blocks only while the queue is full."""
        while self._thread.is_alive():
            try:
                self._queue.put(_Barrier(done), timeout=0.5)
                return
            except queue.Full:
                continue
        done()

    def _offer(self, job: object) -> bool:
        if not self._thread.is_alive():
            raise WriterStopped(f"the writer of {self.path} has stopped")
        try:
            self._queue.put_nowait(job)
        except queue.Full:
            return False
        return True

    def close(self, timeout: float | None = None) -> bool:
        """Write what is queued, commit and close. Returns False if that did not finish
        within `timeout` seconds (the thread then goes on until the process ends)."""
        if self._thread.is_alive():
            self._queue.put(_STOP)
        self._thread.join(timeout)
        return not self._thread.is_alive()

    # -- the writer's thread ------------------------------------------------------------

    def _run(self) -> None:
        try:
            batch = BatchWriter(open_db(self.path, self.busy_timeout), self.batch_size)
        except BaseException as exc:  # reported to the constructor's caller
            self._open_error = exc
            self._opened.set()
            return
        self._opened.set()
        try:
            while True:
                try:
                    job = self._queue.get(timeout=self._until_due(batch))
                except queue.Empty:
                    batch.flush()  # the batch is old enough
                    continue
                if job is _STOP:
                    break
                if isinstance(job, _Barrier):
                    batch.flush()
                    job.done()
                    continue
                self._handle(batch, job)
                if self._until_due(batch) == 0.0:
                    batch.flush()  # jobs keep coming: the batch is due all the same
        finally:
            batch.close()

    def _until_due(self, batch: BatchWriter) -> float | None:
        if batch.opened_at is None:
            return None
        return max(0.0, batch.opened_at + self.batch_seconds - time.monotonic())

    def _handle(self, batch: BatchWriter, job: object) -> None:
        kind, item, report = job  # type: ignore[misc]
        try:
            if kind == "store":
                written = batch.store(item, self.run_id)
            else:
                written = batch.touch(item, self.run_id)
        except sqlite3.Error as exc:
            kind = classify_db_error(exc) or "db_error"
            report(Written(item, "failed", exc, kind))
            return
        except Exception as exc:  # a bug: report it against the page, keep writing
            report(Written(item, "failed", exc, "store_error"))
            return
        batch.add(written, report)
