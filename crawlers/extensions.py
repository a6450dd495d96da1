"""Counts exceptions that nothing handled, so a run can tell a bug from a bad page.

Scrapy's own ERROR log count mixes both (RetryMiddleware logs "Gave up retrying" at
ERROR for every page that stayed broken), so it cannot decide whether a source failed.
"""

from __future__ import annotations

from typing import Any

from scrapy import signals


class UnhandledErrorCounter:
    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> UnhandledErrorCounter:
        extension = cls(crawler)
        crawler.signals.connect(extension.count, signal=signals.spider_error)
        crawler.signals.connect(extension.count, signal=signals.item_error)
        return extension

    def count(self, failure: Any = None, **kwargs: Any) -> None:
        self.crawler.stats.inc_value("aitrack/unhandled")
