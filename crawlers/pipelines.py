"""The Scrapy item pipelines: thin shells around the processing core and the writer.

`ProcessPipeline` hands each fetched page to `pipelines.process.process_page` in the
run's worker pool; `StorePipeline` hands the result to the run's single writer
(pipelines.writer) and counts outcomes when the writer reports them. Failures are
recorded against the source by the spider, here, at the edge: the core only raises.
"""

from __future__ import annotations

import asyncio
from typing import Any

from scrapy.exceptions import DropItem

from crawlers.stats import add_time
from pipelines.extract import MIN_WORDS
from pipelines.model import Article, ExtractionError
from pipelines.process import identify, process_page
from pipelines.writer import WriterStopped, Written

# How long the crawl waits before offering an article again to a full writer queue.
BACKOFF_SECONDS = 0.05


class RunStage:
    """Base of the shells: the crawler, and the run's context (crawlers.context)."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.context = crawler.aitrack

    @classmethod
    def from_crawler(cls, crawler: Any) -> Any:
        return cls(crawler)


class ProcessPipeline(RunStage):
    """Fills in `extracted`, `tagging` and `content_hash`; drops (and records) pages
    with no usable article. Runs in a worker process, so the reactor goes on."""

    async def process_item(self, item: Article) -> Article:
        if item.not_modified:
            return identify(item)  # the stored extraction is current
        spider = self.crawler.spider
        try:
            item = await self.context.pool.run(process_page, item, spider.source.language)
        except ExtractionError as exc:
            spider.record_failure(item.url, "extraction", str(exc))
            raise DropItem(f"no article at {item.url}: {exc}") from None
        for stage, ms in item.timings.items():
            add_time(self.crawler, stage, ms)
        if item.extracted.word_count < MIN_WORDS and not item.record_only:
            self.crawler.stats.inc_value("aitrack/short_articles")
        return item


class StorePipeline(RunStage):
    """Hands each article to the writer; outcomes are counted once its batch commits.

    The writer runs on its own thread, so a locked database never stalls downloading.
    Its queue is bounded: when it is full, this waits (back-pressure) rather than
    holding an unbounded number of articles in memory.
    """

    async def process_item(self, item: Article) -> Article:
        from twisted.internet import reactor

        def report(written: Written) -> None:  # on the writer's thread
            reactor.callFromThread(self._count, written)

        writer = self.context.writer
        offer = writer.offer_touch if item.not_modified else writer.offer_store
        try:
            while not offer(item, report):
                self.crawler.stats.inc_value("aitrack/writer_waits")
                await asyncio.sleep(BACKOFF_SECONDS)
        except WriterStopped as exc:
            self.crawler.spider.record_failure(item.url, "db_error", f"not stored: {exc}")
            raise DropItem(f"{item.url} not stored: {exc}") from None
        return item

    def _count(self, written: Written) -> None:
        add_time(self.crawler, "store", written.ms)
        if written.error is None:
            self.crawler.stats.inc_value(f"aitrack/articles_{written.outcome}")
            if written.duplicate:
                self.crawler.stats.inc_value("aitrack/duplicates")
            return
        if written.error_kind == "store_error":
            self.crawler.stats.inc_value("aitrack/unhandled")  # a bug, not a bad page
        self.crawler.spider.record_failure(
            written.item.url, written.error_kind or "db_error", f"not stored: {written.error}"
        )

    async def close_spider(self, spider: Any = None) -> None:
        """Wait until everything this source handed over is committed and counted."""
        from twisted.internet import reactor

        loop = asyncio.get_running_loop()
        done = loop.create_future()

        def finished() -> None:  # on the writer's thread, after the item reports
            reactor.callFromThread(lambda: done.done() or done.set_result(None))

        await asyncio.to_thread(self.context.writer.barrier, finished)
        await done
