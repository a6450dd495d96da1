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
from pipelines.offload import WorkerPool, worker_count
from pipelines.writer import Writer

# Seconds the writer may take to drain and commit when a run ends normally.
CLOSE_SECONDS = 120.0


@dataclass
class RunContext:
    db_path: str
    run_id: int | None
    pool: WorkerPool
    writer: Writer
    hosts: HostLimiter
    interrupted: str | None = None  # the signal's name, once one arrived
    closed: bool = field(default=False)

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
