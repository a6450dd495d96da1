"""Per-stage timers: each pipeline stage adds its time to the crawl's stats.

`aitrack/time_ms/<stage>` totals, per source, end up in `crawl_runs.stats`, so an operator
(and bench/) can see where a run's time goes: download, extract, tag, dedupe, store.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

STAT_PREFIX = "aitrack/time_ms/"


def timed(stage: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate a pipeline's process_item(self, item); the class must have `crawler`."""

    def wrap(method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def inner(self: Any, item: Any) -> Any:
            start = time.perf_counter()
            try:
                return method(self, item)
            finally:
                add_time(self.crawler, stage, (time.perf_counter() - start) * 1000)

        return inner

    return wrap


def add_time(crawler: Any, stage: str, ms: float) -> None:
    """Add ms to a stage's total (for stages timed where they ran, in a worker)."""
    crawler.stats.inc_value(STAT_PREFIX + stage, ms, start=0.0)


class CrawlerStage:
    """Base of the thin pipeline classes: keeps the crawler for stats and failures."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        # Worker processes for the CPU-heavy stages (pipelines.offload); 0 = inline.
        from pipelines.offload import worker_count

        self.workers = worker_count(crawler.settings.get("AITRACK_WORKERS"))

    @classmethod
    def from_crawler(cls, crawler: Any) -> Any:
        return cls(crawler)


class WriterStage(CrawlerStage):
    """A stage that works through the run's one write connection (pipelines.writer)."""

    def open_spider(self, spider: Any = None) -> None:
        from pipelines.writer import acquire_crawl_writer

        self.writer = acquire_crawl_writer(self.crawler.settings)

    def close_spider(self, spider: Any = None) -> None:
        from pipelines.writer import release_writer

        release_writer(self.crawler.settings.get("AITRACK_DB"))
