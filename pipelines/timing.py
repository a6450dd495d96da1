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
                elapsed = (time.perf_counter() - start) * 1000
                self.crawler.stats.inc_value(STAT_PREFIX + stage, elapsed, start=0.0)

        return inner

    return wrap


class CrawlerStage:
    """Base of the thin pipeline classes: keeps the crawler for stats and failures."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> Any:
        return cls(crawler)
