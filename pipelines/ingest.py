"""`aitrack ingest`: the single SQLite writer of a scaled-out crawl.

It reads the article stream (pipelines/stream.py) as the consumer group's one
consumer, stores each article through the same BatchWriter as a local crawl (revisions,
duplicate clusters, tags, entities, finders, FTS), and acknowledges the entries of a
batch only after the batch committed. So:

- a crashed ingest loses nothing: its unacknowledged entries stay pending in the group,
  and the next ingest reads them first (its own by name, and any other consumer's
  through XAUTOCLAIM);
- an entry stored but not acknowledged (killed between the commit and the XACK) is
  stored again, which changes nothing: the row is keyed by the article id, the same
  content hash is "unchanged" (no revision), and topics, entities and finders are
  replaced or upserted, never appended.

After each commit, the stored articles' validators and dates go to a Redis hash, from
which the workers decide fetch or skip and send conditional GETs without a database.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines.ingest_runs import RunBook
from pipelines.store import open_db
from pipelines.stream import (
    GROUP,
    RUN_SOURCES,
    STORED,
    STREAM,
    decode_entry,
    source_keys,
    stored_facts,
    workers_alive,
)
from pipelines.writer import BatchWriter, Written

log = logging.getLogger("aitrack.ingest")
# An entry another consumer has held this long unacknowledged is taken over.
CLAIM_IDLE_MS = 60_000


class IngestError(RuntimeError):
    """A batch that did not commit: its entries stay pending for the next ingest."""


@dataclass
class IngestReport:
    stored: int = 0  # entries acknowledged
    outcomes: dict[str, int] = field(default_factory=dict)  # new | updated | unchanged
    failed: int = 0  # entries that could not be read or written (acknowledged, logged)
    seconds: float = 0.0

    def summary(self) -> str:
        parts = ", ".join(f"{n} {k}" for k, n in sorted(self.outcomes.items()))
        rate = self.stored / self.seconds if self.seconds else 0.0
        return (
            f"ingest: {self.stored} articles in {self.seconds:.1f}s ({rate:.0f}/s)"
            f"{': ' + parts if parts else ''}; {self.failed} failed"
        )


def ensure_group(client: Any) -> None:
    """Create the consumer group (and the stream) once; later calls change nothing."""
    import redis

    try:
        client.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
    except redis.ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


def frontier_done(client: Any) -> bool:
    """Whether the current run has nothing queued and nothing leased for any source: every
    worker's last article is then already on the stream."""
    slugs = [s.decode() for s in client.smembers(RUN_SOURCES)]
    pipe = client.pipeline(transaction=False)
    for slug in slugs:
        keys = source_keys(slug)
        pipe.zcard(keys["requests"])
        pipe.zcard(keys["inflight"])
    return not any(pipe.execute())


class Ingest:
    """One consumer of the stream, writing into one database."""

    def __init__(
        self,
        client: Any,
        db_path: str | Path,
        consumer: str = "ingest",
        batch_size: int = 500,
        busy_timeout: float = 30.0,
    ) -> None:
        self.client = client
        self.consumer = consumer
        self.batch_size = max(1, batch_size)
        self.db = open_db(db_path, busy_timeout)
        self.writer = BatchWriter(self.db, self.batch_size)
        self.runs = RunBook(self.db)
        self.report = IngestReport()
        ensure_group(client)

    def close(self) -> None:
        self.writer.close()

    def run(
        self,
        until_done: bool = False,
        block_ms: int = 1000,
        stop: Callable[[], bool] = lambda: False,
    ) -> IngestReport:
        """Store entries until `stop()` says so or, with `until_done`, until the run's
        frontier is empty and every entry is acknowledged."""
        started = time.monotonic()
        try:
            self._take_over()
            self._drain("0")  # our own pending entries first: a restart resumes here
            while not stop():
                # The frontier is read before the stream: if it was empty then, every
                # article a worker will ever add is already on the stream.
                done = (
                    until_done
                    and frontier_done(self.client)
                    and workers_alive(self.client) == 0  # every report is on the stream
                )
                if self._drain(">", block_ms=block_ms) == 0:
                    if done and self._backlog() == 0:
                        with self.db.conn:
                            self.runs.finish_open()  # the run is crawled and stored
                        break
                    self._take_over()
        finally:
            self.report.seconds = time.monotonic() - started
        return self.report

    def _backlog(self) -> int:
        return int(self.client.xlen(STREAM))

    def _take_over(self) -> None:
        """Claim the entries another consumer left pending too long (a dead ingest
        under another name), then store them as ours."""
        start = "0-0"
        while True:
            start, claimed, *_ = self.client.xautoclaim(
                STREAM, GROUP, self.consumer, CLAIM_IDLE_MS, start_id=start, count=500
            )
            if claimed:
                self._drain("0")
            if start in (b"0-0", "0-0"):
                return

    def _drain(self, from_id: str, block_ms: int | None = None) -> int:
        """Read and store entries: from "0" this consumer's pending ones (until none are
        left), from ">" new ones (one read). Returns how many were read."""
        total = 0
        while True:
            answer = self.client.xreadgroup(
                GROUP,
                self.consumer,
                {STREAM: from_id},
                count=self.batch_size,
                block=block_ms if from_id == ">" else None,
            )
            entries = answer[0][1] if answer else []
            entries = [(i, f) for i, f in entries if f]  # a deleted entry has no fields
            if entries:
                self._store(entries)
            total += len(entries)
            if from_id == ">" or not entries:
                return total

    def _store(self, entries: list[tuple[bytes, dict[bytes, bytes]]]) -> None:
        committed: list[tuple[bytes, Written]] = []
        lost: list[bytes] = []
        failed: list[bytes] = []

        def done(entry_id: bytes, written: Written) -> None:  # when its batch commits
            (lost.append(entry_id) if written.error else committed.append((entry_id, written)))

        reports: list[tuple[bytes, int, Any]] = []
        committed_reports: list[bytes] = []
        for entry_id, fields in entries:
            try:
                kind, run, item = decode_entry(fields)
            except Exception as exc:  # not ours, or from another version: say which
                log.error("stream entry %s skipped: %s", entry_id.decode(), exc)
                failed.append(entry_id)
                continue
            if kind == "report":
                reports.append((entry_id, run, item))
                continue
            try:
                store = self.writer.touch if kind == "touch" else self.writer.store
                written = store(item, self.runs.row(run) if run else None)
            except Exception as exc:
                log.error("%s not stored: %s", item.url, exc)
                if self.db.conn.in_transaction:
                    failed.append(entry_id)
                    continue
                raise  # SQLite dropped the batch: nothing of it is acknowledged
            self.writer.add(written, lambda w, i=entry_id: done(i, w))
        self.writer.flush()
        self._share(committed)
        for entry_id, run, (worker, sources) in reports:
            if run:
                with self.db.conn:  # its own transaction: committed before the XACK
                    self.runs.report(run, worker, sources)
            committed_reports.append(entry_id)
        ids = [i for i, _ in committed] + failed + committed_reports
        if ids:
            pipe = self.client.pipeline(transaction=True)
            pipe.xack(STREAM, GROUP, *ids)
            pipe.xdel(STREAM, *ids)  # acknowledged entries leave: the length is the backlog
            pipe.execute()
        self.report.stored += len(committed)
        self.report.failed += len(failed)
        for _, written in committed:
            self.report.outcomes[written.outcome] = self.report.outcomes.get(written.outcome, 0) + 1
        if lost:
            # The commit failed: those entries stay pending, to be read again.
            raise IngestError(f"a batch of {len(lost)} did not commit; it stays on the stream")

    def _share(self, committed: list[tuple[bytes, Written]]) -> None:
        """Publish what the store now knows of these articles to the workers."""
        ids = list({w.item.id for _, w in committed if w.item.id})
        if not ids:
            return
        marks = ",".join("?" for _ in ids)
        rows = self.db.execute(
            "select id, last_seen_at, published_at, updated_at, etag, last_modified "
            f"from articles where id in ({marks})",
            ids,
        ).fetchall()
        if rows:
            self.client.hset(STORED, mapping={row[0]: stored_facts(row[1:]) for row in rows})


def run_ingest(
    client: Any,
    db_path: str | Path,
    sources: list[Any],
    until_done: bool = False,
    batch_size: int = 500,
    consumer: str = "ingest",
) -> IngestReport:
    """Sync the catalogue into the database, then ingest until told to stop (SIGINT or
    SIGTERM: the open batch is committed and acknowledged first) or, with `until_done`,
    until the run is finished and stored."""
    import signal

    from pipelines.store import sync_sources, sync_topics
    from pipelines.tagging import load_taxonomy

    db = open_db(db_path)
    try:
        sync_sources(db, sources)  # articles name their source: the rows must exist
        sync_topics(db, load_taxonomy())
    finally:
        db.close()
    stopping: list[int] = []

    def on_signal(signum: int, _frame: Any) -> None:
        if stopping:
            raise KeyboardInterrupt  # a second signal: stop now, the batch stays pending
        stopping.append(signum)

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    ingest = Ingest(client, db_path, consumer=consumer, batch_size=batch_size)
    try:
        return ingest.run(until_done=until_done, stop=lambda: bool(stopping))
    finally:
        ingest.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def publish_stored(client: Any, db_path: str | Path, chunk: int = 5000) -> int:
    """Put every stored article's facts into Redis (for a database that existed before
    the frontier did); returns how many."""
    db = open_db(db_path)
    count = 0
    try:
        cursor = db.execute(
            "select id, last_seen_at, published_at, updated_at, etag, last_modified from articles"
        )
        while rows := cursor.fetchmany(chunk):
            client.hset(STORED, mapping={row[0]: stored_facts(row[1:]) for row in rows})
            count += len(rows)
    finally:
        db.close()
    return count
