"""One worker of a scaled-out crawl: `aitrack crawl --frontier redis://HOST:PORT/DB`.

The same spiders, middlewares and processing core as crawlers/runner.py's run, on the
shared frontier (crawlers/frontier.py) instead of Scrapy's in-memory scheduler, with
articles going to the Redis stream instead of SQLite (pipelines/stream.py). A worker
opens no database and takes no lock: any number run at once, on any machines, and
`aitrack ingest` is the one writer. It ends when no worker has anything left to do
for any source of the run that `aitrack enqueue` seeded.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.exceptions import ScrapyDeprecationWarning
from scrapy.utils.project import get_project_settings

from crawlers.context import RunContext
from crawlers.frontier import frontier_settings
from crawlers.politeness import host_of
from crawlers.runner import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_SOME_FAILED,
    MAX_FAILURES_KEPT,
    SourceResult,
    _crawl_all,
    collect_result,
)
from crawlers.shared_state import save_shared_index_validators
from crawlers.sources import Source
from crawlers.spiders.base import BAD_LINK
from pipelines.redaction import redact_logs
from pipelines.stream import STREAM, connect, encode_report, mark_alive, mark_done

log = logging.getLogger("aitrack")


@dataclass
class WorkerReport:
    status: str  # ok | partial | failed | interrupted
    sources: list[SourceResult]
    duration_s: float = 0.0
    queued: int = 0  # articles put on the stream (stored or touched by ingest)
    errors: dict[str, int] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        return {"ok": EXIT_OK, "partial": EXIT_SOME_FAILED, "interrupted": EXIT_INTERRUPTED}.get(
            self.status, EXIT_FAILED
        )

    def summary(self) -> str:
        failed = [s.slug for s in self.sources if not s.ok]
        line = (
            f"worker {self.status} in {self.duration_s:.1f}s: {len(self.sources)} sources, "
            f"{sum(s.pages for s in self.sources)} pages, {self.queued} articles to ingest, "
            f"{sum(self.errors.values())} errors"
        )
        return line + (f"; failed sources: {', '.join(failed)}" if failed else "")


def run_worker(
    sources: list[Source], url: str, overrides: dict[str, Any] | None = None
) -> WorkerReport:
    """Crawl the active sources' shared frontier until it is empty. Blocks; once per
    process (Twisted's reactor cannot be restarted). Raises FrontierError if Redis
    cannot be reached."""
    started = time.monotonic()
    redact_logs(sources)
    # scrapy-redis 0.9.1 calls APIs Scrapy 2.19 deprecates, once per request.
    warnings.filterwarnings("ignore", category=ScrapyDeprecationWarning, module="scrapy_redis")
    client = connect(url)
    settings = get_project_settings()
    for key, value in (overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    lease = settings.getfloat("AITRACK_LEASE_SECONDS")
    for key, value in frontier_settings(url, lease).items():
        settings.set(key, value, priority="cmdline")
    for noisy in ("scrapy.middleware", "scrapy.crawler", "scrapy.addons", "scrapy.utils.log"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    process = CrawlerProcess(settings)
    context = RunContext.open_frontier(client, settings)
    name = f"{socket.gethostname()}:{os.getpid()}"
    heartbeat = _keep_alive(url, name, lease)
    active = [s for s in sources if s.active]
    for source in active:
        if source.delay_seconds:
            # A source's own pacing holds across workers too, as robots.txt's
            # Crawl-delay does: through the shared limiter, per host of its URLs.
            for template in source.urls:
                context.hosts.set_delay(host_of(template), source.delay_seconds)
    crawlers: list[tuple[Source, Crawler]] = []
    with stop_on_signals(process, context):
        _crawl_all(process, context, active, crawlers, progress=False)
    results = [collect_result(source, crawler) for source, crawler in crawlers]
    if context.interrupted:
        for r in results:
            if r.error and r.error.startswith("spider closed: shutdown"):
                r.ok, r.error = True, None  # stopped on request: its leases come back
    for (_, crawler), result in zip(crawlers, results, strict=True):
        complete = all(f["kind"] == BAD_LINK for f in result.failures)
        if result.ok and complete and not context.interrupted:
            save_shared_index_validators(client, getattr(crawler.spider, "index_validators", {}))
    if context.interrupted:
        status = "interrupted"
    elif not results or not any(r.ok for r in results):
        status = "failed"
    else:
        status = "ok" if all(r.ok for r in results) else "partial"
    report = WorkerReport(status, results, time.monotonic() - started)
    sources_report: dict[str, dict[str, Any]] = {}
    for (_, crawler), result in zip(crawlers, results, strict=True):
        stats = crawler.stats.get_stats() if crawler.stats else {}
        queued = stats.get("aitrack/articles_queued", 0)
        report.queued += queued
        for kind, count in result.errors.items():
            report.errors[kind] = report.errors.get(kind, 0) + count
        sources_report[result.slug] = {
            "ok": result.ok,
            "error": result.error,
            "pages": result.pages,
            "not_modified": result.not_modified,
            "skipped": result.skipped,
            "links": result.links,
            "bodies": result.bodies,
            "queued": queued,
            "errors": result.errors,
            "failures": result.failures[:MAX_FAILURES_KEPT],
            "time_ms": result.time_ms,
        }
    # The run's row and the sources' health are kept by ingest (pipelines/ingest_runs.py).
    client.xadd(STREAM, encode_report(context.writer.run, name, sources_report))
    heartbeat.set()
    mark_done(client, name)
    client.close()
    return report


def _keep_alive(url: str, name: str, lease: float) -> threading.Event:
    """Keep this worker marked alive in Redis (pipelines.stream.mark_alive) from a thread
    of its own, on its own connection, until the returned event is set; a killed
    worker's mark expires with its leases."""
    stop = threading.Event()
    client = connect(url)
    mark_alive(client, name, lease)

    def beat() -> None:
        try:
            while not stop.wait(max(0.5, lease / 3)):
                mark_alive(client, name, lease)
        except Exception as exc:  # Redis gone: ingest then treats this worker as dead
            log.warning("frontier: keeping this worker marked alive failed: %s", exc)
        finally:
            client.close()

    threading.Thread(target=beat, name="aitrack-alive", daemon=True).start()
    return stop


@contextmanager
def stop_on_signals(process: CrawlerProcess, context: RunContext) -> Iterator[None]:
    """SIGINT or SIGTERM: stop taking requests and finish the pages in hand; a second
    signal exits at once. Either way what this worker held comes back to the queue
    when its leases expire, so nothing is lost."""
    grace = process.settings.getfloat("AITRACK_STOP_GRACE", 10.0)

    def force(why: str) -> None:
        context.pool.kill()
        sys.stderr.write(f"\naitrack: {why}: stopped at once\n")
        os._exit(EXIT_INTERRUPTED)

    def on_signal(signum: int, _frame: Any) -> None:
        signame = signal.Signals(signum).name
        if context.interrupted:
            force(f"{signame} again")
        context.interrupted = signame
        reactor = sys.modules.get("twisted.internet.reactor")
        if reactor is not None and reactor.running:
            reactor.callFromThread(process.stop)
        timer = threading.Timer(grace, force, args=(f"{signame} not done in {grace:.0f}s",))
        timer.daemon = True
        timer.start()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
