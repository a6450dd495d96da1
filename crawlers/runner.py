"""One run of `aitrack crawl`: every active source crawled concurrently in one Scrapy process.

Each source gets its own Crawler, so its stats, page cap and failures are its own; they
share one reactor and one SQLite file. The run is recorded in `crawl_runs` and each
source's health in `sources`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings
from scrapy.utils.project import get_project_settings

from crawlers.sources import Source
from crawlers.spiders import SPIDERS
from pipelines.store import finish_run, open_db, record_source_health, start_run, sync_sources

EXIT_OK, EXIT_SOME_FAILED, EXIT_FAILED = 0, 1, 2
OK_CLOSE_REASONS = {"finished", "closespider_pagecount", "closespider_itemcount"}
log = logging.getLogger("aitrack")


@dataclass
class SourceResult:
    slug: str
    ok: bool
    error: str | None
    pages: int = 0
    articles_new: int = 0
    articles_updated: int = 0
    articles_unchanged: int = 0
    duplicates: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    failures: list[dict[str, str]] = field(default_factory=list)


@dataclass
class RunReport:
    run_id: int
    status: str  # ok | partial | failed
    sources: list[SourceResult]
    skipped: dict[str, str]  # slug -> why it was not crawled

    @property
    def exit_code(self) -> int:
        return {"ok": EXIT_OK, "partial": EXIT_SOME_FAILED}.get(self.status, EXIT_FAILED)

    def total(self, name: str) -> int:
        return sum(getattr(s, name) for s in self.sources)

    def summary(self) -> str:
        errors = sum(sum(s.errors.values()) for s in self.sources)
        failed = [s.slug for s in self.sources if not s.ok]
        line = (
            f"run {self.run_id} {self.status}: {len(self.sources)} sources, "
            f"{self.total('pages')} pages, {self.total('articles_new')} new, "
            f"{self.total('articles_updated')} updated, "
            f"{self.total('articles_unchanged')} unchanged, "
            f"{self.total('duplicates')} duplicates, {errors} errors"
        )
        if failed:
            line += f"; failed sources: {', '.join(failed)}"
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
) -> RunReport:
    """Crawl the active sources into `db_path`. Blocks until done; call once per process.

    Twisted's reactor cannot be restarted, so a second crawl needs a new process (the
    CLI is one process per run, which is what cron wants anyway).
    """
    db = open_db(db_path)
    sync_sources(db, sources)
    active = [s for s in sources if s.active]
    skipped = {s.slug: s.disabled_reason or "disabled" for s in sources if not s.active}
    run_id = start_run(db, sources_file, len(active))
    settings = crawl_settings(db_path, run_id, overrides)
    process = CrawlerProcess(settings)
    crawlers: list[tuple[Source, Crawler]] = []
    for source in active:
        crawler = process.create_crawler(SPIDERS[source.kind])
        # Not frozen until crawl() starts: the page cap is this source's own.
        crawler.settings.set("CLOSESPIDER_PAGECOUNT", source.max_pages, priority="cmdline")
        crawlers.append((source, crawler))
        process.crawl(crawler, source=source)
    if crawlers:
        process.start()
    results = [collect_result(source, crawler) for source, crawler in crawlers]
    if not results:
        status = "failed"
    elif all(r.ok for r in results):
        status = "ok"
    elif any(r.ok for r in results):
        status = "partial"
    else:
        status = "failed"
    report = RunReport(run_id, status, results, skipped)
    for r in results:
        record_source_health(db, r.slug, r.ok, r.error, r.articles_new)
    finish_run(
        db,
        run_id,
        status,
        {
            "pages_fetched": report.total("pages"),
            "articles_new": report.total("articles_new"),
            "articles_updated": report.total("articles_updated"),
            "articles_unchanged": report.total("articles_unchanged"),
            "duplicates": report.total("duplicates"),
            "errors": sum(sum(r.errors.values()) for r in results),
        },
        {
            "sources": {
                r.slug: {
                    "ok": r.ok,
                    "error": r.error,
                    "pages": r.pages,
                    "errors": r.errors,
                    "new": r.articles_new,
                    "updated": r.articles_updated,
                    "unchanged": r.articles_unchanged,
                    "failures": r.failures[:50],
                }
                for r in results
            },
            "skipped": skipped,
        },
    )
    # Fold the WAL back so that readers opening the file immutable see everything.
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return report


def collect_result(source: Source, crawler: Crawler) -> SourceResult:
    """A source's outcome from its crawler's stats and the spider's failure list."""
    stats = crawler.stats.get_stats() if crawler.stats else {}
    spider = crawler.spider
    failures = list(getattr(spider, "failures", []))
    errors: dict[str, int] = {}
    for key, value in stats.items():
        if key.startswith("aitrack/errors/"):
            errors[key.removeprefix("aitrack/errors/")] = value
    unhandled = stats.get("log_count/ERROR", 0)
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
        articles_new=stats.get("aitrack/articles_new", 0),
        articles_updated=stats.get("aitrack/articles_updated", 0),
        articles_unchanged=stats.get("aitrack/articles_unchanged", 0),
        duplicates=stats.get("aitrack/duplicates", 0),
        errors=errors,
        failures=failures,
    )
