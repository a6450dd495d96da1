"""One run's shared parts, created and closed by the runner: no module-level state.

Every crawler of a run (one per source) reaches the same context as `crawler.aitrack`:
the worker pool that processes pages, the single writer, and the per-host limiter that
keeps politeness across sources sharing a host.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crawlers.politeness import HostLimiter
from crawlers.shared_politeness import SharedHostLimiter
from crawlers.shared_state import SharedCrawlState
from pipelines.offload import WorkerPool, worker_count
from pipelines.stream import StreamWriter, run_number
from pipelines.writer import Writer

# Seconds the writer may take to drain and commit when a run ends normally.
CLOSE_SECONDS = 120.0


@dataclass
class RunContext:
    db_path: str
    run_id: int | None
    pool: WorkerPool
    writer: Writer | StreamWriter
    hosts: HostLimiter | SharedHostLimiter
    interrupted: str | None = None  # the signal's name, once one arrived
    closed: bool = field(default=False)
    # The frontier's Redis client when this is a worker of a scaled-out crawl
    # (crawlers/worker.py): the writer is then the article stream, the host limiter
    # shared through Redis, and there is no database.
    frontier: Any = None

    @classmethod
    def open(cls, db_path: str | Path, run_id: int | None, settings: Any) -> RunContext:
        return cls(
            db_path=str(db_path),
            run_id=run_id,
            pool=WorkerPool(worker_count(settings.get("AITRACK_WORKERS"))),
            writer=Writer(
                db_path,
                run_id,
                busy_timeout=settings.getfloat("AITRACK_DB_BUSY_TIMEOUT", 30.0),
                batch_size=settings.getint("AITRACK_DB_BATCH", 50),
                batch_seconds=settings.getfloat("AITRACK_DB_BATCH_SECONDS", 1.0),
                max_queue=settings.getint("AITRACK_WRITER_QUEUE", 2000),
            ),
            hosts=HostLimiter(settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN", 4)),
        )

    @classmethod
    def open_frontier(cls, client: Any, settings: Any) -> RunContext:
        """A worker's context: articles to the stream, politeness shared in Redis."""
        timeout = settings.getfloat("DOWNLOAD_TIMEOUT", 30.0)
        return cls(
            db_path="",
            run_id=None,
            pool=WorkerPool(worker_count(settings.get("AITRACK_WORKERS"))),
            writer=StreamWriter(
                client, settings.getint("AITRACK_STREAM_BACKLOG", 20000), run_number(client)
            ),
            # A slot outlives the longest download, so a killed worker's slots come free.
            hosts=SharedHostLimiter(
                client, settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN", 4), 2 * timeout + 30
            ),
            frontier=client,
        )

    def shared_state(self, redact: Any) -> SharedCrawlState:
        return SharedCrawlState(self.frontier, redact)

    def attach(self, crawler: Any) -> None:
        """Make this context reachable from the crawler's components."""
        crawler.aitrack = self
        # The robots.txt middleware hands each host's Crawl-delay over through this.
        crawler.aitrack_on_crawl_delay = self.hosts.set_delay

    def close(self, timeout: float = CLOSE_SECONDS) -> bool:
        """Drain and close the writer, then stop the workers. False if the writer did
        not finish in time (its last batch is then not committed, and not counted)."""
        if self.closed:
            return True
        self.closed = True
        try:
            return self.writer.close(timeout)
        finally:
            self.pool.close()
