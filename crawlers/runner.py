"""One run of `aitrack crawl`: every active source crawled concurrently in one Scrapy process.

Each source gets its own Crawler, so its stats, page cap and failures are its own; they
share one reactor and one SQLite file. The run holds a lock on the database, is recorded
in `crawl_runs`, and leaves each source's health in `sources`.
"""

from __future__ import annotations

import fcntl
import logging
import os
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings
from scrapy.utils.project import get_project_settings

from crawlers.context import RunContext
from crawlers.sources import Source
from crawlers.spiders import SPIDERS
from crawlers.spiders.base import BAD_LINK
from crawlers.state import save_index_validators
from crawlers.stats import STAT_PREFIX
from pipelines.redaction import redact_logs
from pipelines.store import (
    finish_run,
    mark_abandoned_runs,
    open_db,
    record_source_health,
    start_run,
    sync_sources,
    sync_topics,
)
from pipelines.tagging import load_taxonomy

# Exit statuses (cron and docs/operations.md depend on them).
EXIT_OK, EXIT_SOME_FAILED, EXIT_FAILED, EXIT_ALREADY_RUNNING = 0, 1, 2, 3
EXIT_INTERRUPTED = 130  # stopped by SIGINT or SIGTERM (128 + SIGINT, as shells report)
# Per source and run; the counts by kind in errors_by_kind are always complete.
MAX_FAILURES_KEPT = 1000
OK_CLOSE_REASONS = {"finished", "closespider_pagecount", "closespider_itemcount"}
log = logging.getLogger("aitrack")


class AlreadyRunning(RuntimeError):
    """Another `aitrack crawl` holds the database's lock."""


@contextmanager
def crawl_lock(db_path: str | Path) -> Iterator[None]:
    """An exclusive, non-blocking lock beside the database, released even on SIGKILL
    (the kernel drops flock locks with the process), so a dead run never blocks cron."""
    path = Path(f"{db_path}.lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise AlreadyRunning(
                f"another crawl is already running on {db_path} (pid {holder})"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@dataclass
class SourceResult:
    slug: str
    ok: bool
    error: str | None
    pages: int = 0
    not_modified: int = 0
    skipped: int = 0
    links: int = 0
    bodies: int = 0  # article pages downloaded in full (not 304s, not skipped)
    articles_new: int = 0
    articles_updated: int = 0
    articles_unchanged: int = 0
    duplicates: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    failures: list[dict[str, str]] = field(default_factory=list)
    time_ms: dict[str, float] = field(default_factory=dict)  # per stage, summed

    @property
    def listed_nothing(self) -> bool:
        """The index was read (not a 304) and listed no article at all."""
        return self.ok and self.links == 0 and self.not_modified == 0


@dataclass
class RunReport:
    run_id: int
    status: str  # ok | partial | failed | interrupted
    sources: list[SourceResult]
    skipped: dict[str, str]  # slug -> why it was not crawled
    duration_s: float = 0.0
    flagged: dict[str, str] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        return {
            "ok": EXIT_OK,
            "partial": EXIT_SOME_FAILED,
            "interrupted": EXIT_INTERRUPTED,
        }.get(self.status, EXIT_FAILED)

    def total(self, name: str) -> int:
        return sum(getattr(s, name) for s in self.sources)

    @property
    def errors_by_kind(self) -> dict[str, int]:
        counts: Counter[str] = Counter()
        for s in self.sources:
            counts.update(s.errors)
        return dict(counts)

    def summary(self) -> str:
        failed = [s.slug for s in self.sources if not s.ok]
        line = (
            f"run {self.run_id} {self.status} in {self.duration_s:.1f}s: "
            f"{len(self.sources)} sources, {self.total('pages')} pages "
            f"({self.total('not_modified')} not modified), {self.total('articles_new')} new, "
            f"{self.total('articles_updated')} updated, "
            f"{self.total('articles_unchanged')} unchanged, {self.total('skipped')} skipped, "
            f"{self.total('duplicates')} duplicates, {sum(self.errors_by_kind.values())} errors"
        )
        if failed:
            line += f"; failed sources: {', '.join(failed)}"
        if self.flagged:
            line += f"; flagged: {', '.join(self.flagged)}"
        return line


def crawl_settings(db_path: str | Path, run_id: int, overrides: dict[str, Any] | None) -> Settings:
    settings = get_project_settings()
    settings.set("AITRACK_DB", str(db_path), priority="cmdline")
    settings.set("AITRACK_RUN_ID", run_id, priority="cmdline")
    for key, value in (overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    return settings


def run_crawl(
    sources: list[Source],
    db_path: str | Path,
    sources_file: str = "",
    overrides: dict[str, Any] | None = None,
    progress: bool = False,
) -> RunReport:
    """Crawl the active sources into `db_path`. Blocks until done; call once per process.

    Raises AlreadyRunning if another crawl holds the database's lock. Twisted's reactor
    cannot be restarted, so a second crawl needs a new process (the CLI is one process
    per run, which is what cron wants anyway).
    """
    with crawl_lock(db_path):
        return _run_locked(sources, db_path, sources_file, overrides, progress)


def _run_locked(
    sources: list[Source],
    db_path: str | Path,
    sources_file: str,
    overrides: dict[str, Any] | None,
    progress: bool,
) -> RunReport:
    started = time.monotonic()
    redact_logs(sources)  # no key from the environment reaches the log
    db = open_db(db_path, busy_timeout=get_project_settings().getfloat("AITRACK_DB_BUSY_TIMEOUT"))
    mark_abandoned_runs(db)  # we hold the lock: any run still 'running' died
    sync_sources(db, sources)
    sync_topics(db, load_taxonomy())
    active = [s for s in sources if s.active]
    skipped = {s.slug: s.disabled_reason or "disabled" for s in sources if not s.active}
    run_id = start_run(db, sources_file, len(active))
    settings = crawl_settings(db_path, run_id, overrides)
    process = CrawlerProcess(settings)
    # Scrapy lists every enabled component and setting per crawler at INFO: with one
    # crawler per source that buries a cron log. Keep the rest of INFO.
    for noisy in (
        "scrapy.middleware",
        "scrapy.crawler",
        "scrapy.addons",
        "scrapy.extensions.telnet",
        "scrapy.utils.log",
    ):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    context = RunContext.open(db_path, run_id, settings)
    crawlers: list[tuple[Source, Crawler]] = []
    # From here to the last commit, SIGINT and SIGTERM stop the run in order.
    with stop_on_signals(process, context, db_path, run_id, settings):
        writer_done = _crawl_all(process, context, active, crawlers, progress)
    if not writer_done:
        log.error("the writer did not finish in time: its last batch is not stored")
    results = [collect_result(source, crawler) for source, crawler in crawlers]
    if context.interrupted:
        status = "interrupted"
        for r in results:
            if r.error and r.error.startswith("spider closed: shutdown"):
                r.ok, r.error = True, None  # stopped on request, not broken
    elif not results:
        status = "failed"
    elif all(r.ok for r in results):
        status = "ok"
    elif any(r.ok for r in results):
        status = "partial"
    else:
        status = "failed"
    report = RunReport(run_id, status, results, skipped)
    for source, crawler in crawlers:
        result = next(r for r in results if r.slug == source.slug)
        # A bad link in the index is not retried (the index would say the same): it
        # does not keep the index's validators from being saved.
        complete = all(f["kind"] == BAD_LINK for f in result.failures)
        if result.ok and complete and not context.interrupted:
            save_index_validators(db, getattr(crawler.spider, "index_validators", {}))
    for r in results:
        flag = record_source_health(
            db,
            r.slug,
            r.ok,
            r.error,
            r.listed_nothing,
            flag_empty=settings.getint("AITRACK_FLAG_EMPTY_RUNS"),
            flag_failed=settings.getint("AITRACK_FLAG_FAILED_RUNS"),
        )
        if flag:
            report.flagged[r.slug] = flag
    report.duration_s = time.monotonic() - started
    finish_run(
        db,
        run_id,
        status,
        {
            "pages_fetched": report.total("pages"),
            "not_modified": report.total("not_modified"),
            "skipped": report.total("skipped"),
            "articles_new": report.total("articles_new"),
            "articles_updated": report.total("articles_updated"),
            "articles_unchanged": report.total("articles_unchanged"),
            "duplicates": report.total("duplicates"),
            "errors": sum(report.errors_by_kind.values()),
            "errors_by_kind": report.errors_by_kind,
            "duration_s": round(report.duration_s, 3),
        },
        {
            "sources": {
                r.slug: {
                    "ok": r.ok,
                    "error": r.error,
                    "pages": r.pages,
                    "not_modified": r.not_modified,
                    "skipped": r.skipped,
                    "links": r.links,
                    "bodies": r.bodies,
                    "time_ms": r.time_ms,
                    "errors": r.errors,
                    "new": r.articles_new,
                    "updated": r.articles_updated,
                    "unchanged": r.articles_unchanged,
                    "failures": r.failures[:MAX_FAILURES_KEPT],
                }
                for r in results
            },
            "skipped": skipped,
            "flagged": report.flagged,
        },
    )
    # Fold the WAL back so that readers opening the file immutable see everything.
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return report


def _crawl_all(
    process: CrawlerProcess,
    context: RunContext,
    active: list[Source],
    crawlers: list[tuple[Source, Crawler]],
    progress: bool,
) -> bool:
    """Start a crawler per active source, run them to the end, then drain the writer
    and stop the workers. Returns whether the writer finished in time."""
    try:
        for source in active:
            crawler = process.create_crawler(SPIDERS[source.kind])
            context.attach(crawler)
            # A backstop behind the spider's own cap on article requests (max_pages):
            # index pages, robots.txt and retries count here too.
            crawler.settings.set(
                "CLOSESPIDER_PAGECOUNT", 2 * source.max_pages + 20, priority="cmdline"
            )
            crawlers.append((source, crawler))
            process.crawl(crawler, source=source)
        if crawlers and not context.interrupted:
            if progress:
                _show_progress([c for _, c in crawlers])
            process.start(install_signal_handlers=False)
            if progress:
                sys.stderr.write("\n")
    finally:
        writer_done = context.close()
    return writer_done


@contextmanager
def stop_on_signals(
    process: CrawlerProcess, context: RunContext, db_path: str | Path, run_id: int, settings: Any
) -> Iterator[None]:
    """SIGINT or SIGTERM: stop fetching, finish the pages in hand and the open batch,
    and let the run end as `interrupted`. A second signal, or a first one that has not
    finished within AITRACK_STOP_GRACE seconds, exits at once (the workers with it).
    """
    grace = settings.getfloat("AITRACK_STOP_GRACE", 10.0)

    marking: list[threading.Thread] = []

    def force(signame: str) -> None:
        context.pool.kill()
        # The first signal's thread is marking the run; the writer's open batch may
        # hold the lock for up to AITRACK_DB_BATCH_SECONDS. Wait that long, no longer.
        for thread in marking:
            thread.join(settings.getfloat("AITRACK_DB_BATCH_SECONDS", 1.0) + 0.5)
        mark_interrupted_now(db_path, run_id)
        sys.stderr.write(f"\naitrack: {signame} again: stopped at once\n")
        os._exit(EXIT_INTERRUPTED)

    def on_signal(signum: int, _frame: Any) -> None:
        signame = signal.Signals(signum).name
        if context.interrupted:
            force(signame)
        context.interrupted = signame
        # Recorded now, off the signal handler, so that even a forced exit leaves the
        # run `interrupted` (the writer's open batch may hold the lock for a second).
        marking.append(threading.Thread(target=mark_interrupted_now, args=(db_path, run_id, 5.0)))
        marking[-1].start()
        # Imported here, not above: importing it first would install Twisted's default
        # reactor before Scrapy installs the asyncio one.
        reactor = sys.modules.get("twisted.internet.reactor")
        if reactor is not None and reactor.running:
            reactor.callFromThread(log.warning, "%s: finishing the current pages", signame)
            reactor.callFromThread(skip_queued_at_once, process)
            reactor.callFromThread(process.stop)
        # Otherwise the crawl has not started (it will not) or has ended (the writer is
        # committing): the grace period below still bounds the wait.
        timer = threading.Timer(grace, force, args=(f"{signame} not done in {grace:.0f}s",))
        timer.daemon = True
        timer.start()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def skip_queued_at_once(process: CrawlerProcess) -> None:
    """Stopping: the requests queued in each crawler's download slots are not started
    (politeness.HostLimitedDownloadHandler refuses them), but a slot let them go one
    per its delay (AutoThrottle's, about a second), so a long queue outlasted the stop's
    grace. Without the delay they are refused at once."""
    for crawler in process.crawlers:
        downloader = getattr(getattr(crawler, "engine", None), "downloader", None)
        for slot in getattr(downloader, "slots", {}).values():
            slot.delay, slot.jitter = 0.0, 0.0


def mark_interrupted_now(db_path: str | Path, run_id: int, timeout: float = 0.5) -> None:
    """Best effort, waiting at most `timeout` seconds for the lock: the run is left
    `interrupted`, not `running` (a later run would otherwise call it abandoned)."""
    import sqlite3

    try:
        with sqlite3.connect(db_path, timeout=timeout) as conn:
            conn.execute(
                "update crawl_runs set status = 'interrupted' where id = ? and status = 'running'",
                [run_id],
            )
    except sqlite3.Error:
        pass


def _show_progress(crawlers: list[Crawler]) -> None:
    """A one-line progress display on stderr, refreshed every second (terminals only)."""
    from twisted.internet import reactor, task

    def show() -> None:
        totals: Counter[str] = Counter()
        for crawler in crawlers:
            stats = crawler.stats.get_stats() if crawler.stats else {}
            for key in (
                "response_received_count",
                "aitrack/articles_new",
                "aitrack/articles_updated",
                "aitrack/not_modified",
            ):
                totals[key] += stats.get(key, 0)
            totals["errors"] += sum(v for k, v in stats.items() if k.startswith("aitrack/errors/"))
        sys.stderr.write(
            f"\r[aitrack] {totals['response_received_count']} pages, "
            f"{totals['aitrack/not_modified']} not modified, "
            f"{totals['aitrack/articles_new']} new, {totals['aitrack/articles_updated']} "
            f"updated, {totals['errors']} errors "
        )
        sys.stderr.flush()

    loop = task.LoopingCall(show)
    reactor.callWhenRunning(loop.start, 1.0)


def collect_result(source: Source, crawler: Crawler) -> SourceResult:
    """A source's outcome from its crawler's stats and the spider's failure list."""
    stats = crawler.stats.get_stats() if crawler.stats else {}
    spider = crawler.spider
    failures = list(getattr(spider, "failures", []))
    errors: dict[str, int] = {}
    for key, value in stats.items():
        if key.startswith("aitrack/errors/"):
            errors[key.removeprefix("aitrack/errors/")] = value
    unhandled = stats.get("aitrack/unhandled", 0)
    if unhandled:
        errors["unhandled"] = unhandled
    reason = stats.get("finish_reason")
    error = None
    if getattr(spider, "index_failed", False):
        index_failures = [f for f in failures if f["role"] == "index"]
        first = index_failures[0] if index_failures else {"kind": "?", "reason": "?"}
        error = f"index failed ({first['kind']}): {first['reason']}"
    elif unhandled:
        error = f"{unhandled} unhandled error(s); see the log"
    elif reason not in OK_CLOSE_REASONS:
        error = f"spider closed: {reason}"
    return SourceResult(
        slug=source.slug,
        ok=error is None,
        error=error,
        pages=stats.get("response_received_count", 0),
        not_modified=stats.get("aitrack/not_modified", 0),
        skipped=stats.get("aitrack/skipped_current", 0),
        links=getattr(spider, "links_found", 0),
        bodies=stats.get("aitrack/article_bodies", 0),
        articles_new=stats.get("aitrack/articles_new", 0),
        articles_updated=stats.get("aitrack/articles_updated", 0),
        articles_unchanged=stats.get("aitrack/articles_unchanged", 0),
        duplicates=stats.get("aitrack/duplicates", 0),
        errors=errors,
        failures=failures,
        time_ms={
            key.removeprefix(STAT_PREFIX): round(value, 1)
            for key, value in stats.items()
            if key.startswith(STAT_PREFIX)
        },
    )
