#!/usr/bin/env python3
"""Baselines for the crawl benchmark: a bare Scrapy spider over a site's sitemap.

(a) `--mode download`: fetch the sitemap, then every article URL in it, and only count
    the pages: what Scrapy itself costs on this machine.
(f) `--mode trafilatura`: the same, calling `trafilatura.bare_extraction(response.text,
    url=..., **options)` in the callback, as a user would write it. `--options` picks
    the options (bench/bare_trafilatura.py): `default` is trafilatura's defaults with
    `with_metadata=True`; `aitrack` is exactly what aitrack passes (fast=True, ...).
    `--workers 0` (the default) extracts on the reactor thread: one process, one core.
    `--workers N` hands each page to a pool of N worker processes (a fork server, as
    aitrack's pool is) and awaits the text, so downloads go on meanwhile: the same
    processes and cores that `aitrack crawl` uses.

Settings are what a user would choose to crawl their own server fast (no robots.txt, no
throttling, no cookies, no cache, no telnet console, CONCURRENT_REQUESTS and the per-domain
limit both --concurrency), given in code to CrawlerProcess: the project's scrapy.cfg and
settings are never read.

Timing: `seconds` runs from the spider's start (before the sitemap request, and before
the pool starts) to the spider's close, the span the harness times for `aitrack crawl`
too; `process_seconds` adds the interpreter's start-up and Scrapy's imports. The JSON
result is printed as the last line of stdout, and written to --json PATH if given:
{"mode", "options", "workers", "pages", "extracted", "seconds", "pages_per_s", "bytes",
"peak_rss_mb", "cpu_seconds", "pages_per_cpu_s", "errors", "concurrency",
"process_seconds"}. On a busy machine, cpu_seconds (this process only, not its workers)
well below seconds means the crawler waited (for the CPU, or the server). Exits 1 if
any page failed.

    .venv/bin/python bench/site.py --pages 2000 &        # prints READY <port>
    .venv/bin/python bench/bare_spider.py --mode trafilatura [--options aitrack] \\
        [--workers 2] --sitemap http://127.0.0.1:PORT/sitemap.xml [--concurrency 16] \\
        [--json out.json]
"""

from __future__ import annotations

import time

PROCESS_START = time.perf_counter()  # before the heavy imports below

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import multiprocessing  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
from collections.abc import AsyncIterator, Iterator  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

# Run as a script, bench/ comes first on sys.path, where a script's name can shadow a
# package Scrapy or Twisted imports (incremental.py once did): import from the root.
BENCH = Path(__file__).resolve().parent
sys.path[:] = [str(BENCH.parent)] + [p for p in sys.path if Path(p or ".").resolve() != BENCH]

import scrapy  # noqa: E402
from scrapy.crawler import CrawlerProcess  # noqa: E402
from scrapy.http import Response  # noqa: E402
from scrapy.utils.sitemap import Sitemap  # noqa: E402

from bench.bare_trafilatura import OPTIONS, body_text  # noqa: E402

MODES = ("download", "trafilatura")


class BareSpider(scrapy.Spider):
    """Sitemap, then every <loc> in it; counts pages and (mode f) extractions."""

    name = "bare"

    def __init__(self, sitemap: str, mode: str, options: str, workers: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sitemap_url = sitemap
        self.mode = mode
        self.options = options
        self.workers = workers
        self.pool: ProcessPoolExecutor | None = None
        self.pages = 0
        self.extracted = 0
        self.bytes = 0
        self.errors = 0
        self.started = self.finished = 0.0
        self.cpu_started = self.cpu_finished = 0.0  # this process's CPU time, same span

    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.started, self.cpu_started = time.perf_counter(), time.process_time()
        if self.mode == "trafilatura" and self.workers:
            # A fork server, as aitrack's pool: forking a process with threads is unsafe.
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["bench.bare_trafilatura"])
            self.pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=context)
        yield scrapy.Request(self.sitemap_url, callback=self.parse_sitemap)

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        for entry in Sitemap(response.body):
            yield scrapy.Request(entry["loc"], callback=self.parse_page, errback=self.on_error)

    async def parse_page(self, response: Response) -> None:
        self.pages += 1
        self.bytes += len(response.body)
        if self.mode != "trafilatura":
            return
        if self.pool is None:
            text = body_text(response.text, response.url, self.options)
        else:
            job = self.pool.submit(body_text, response.text, response.url, self.options)
            text = await asyncio.wrap_future(job)
        if text:
            self.extracted += 1

    def on_error(self, failure: Any) -> None:
        self.errors += 1

    def closed(self, reason: str) -> None:
        if self.pool is not None:
            self.pool.shutdown()  # inside the timed span, as aitrack's run ends its pool
        self.finished, self.cpu_finished = time.perf_counter(), time.process_time()


def settings(concurrency: int, log_level: str) -> dict[str, Any]:
    return {
        "ROBOTSTXT_OBEY": False,
        "AUTOTHROTTLE_ENABLED": False,
        "COOKIES_ENABLED": False,
        "HTTPCACHE_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "CONCURRENT_REQUESTS": concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
        "DOWNLOAD_DELAY": 0,
        # Scrapy's default; stated because the pool's futures are awaited on asyncio.
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
        "LOG_LEVEL": log_level,
        "USER_AGENT": "aitrack-bench-bare (+https://example.org/aitrack)",
    }


def run(
    sitemap: str,
    mode: str,
    concurrency: int,
    options: str = "default",
    workers: int = 0,
    log_level: str = "WARNING",
) -> dict[str, Any]:
    process = CrawlerProcess(settings=settings(concurrency, log_level))
    crawler = process.create_crawler(BareSpider)
    process.crawl(crawler, sitemap=sitemap, mode=mode, options=options, workers=workers)
    process.start()
    spider: BareSpider = crawler.spider
    seconds = spider.finished - spider.started
    cpu = spider.cpu_finished - spider.cpu_started
    return {
        "mode": mode,
        "options": options if mode == "trafilatura" else None,
        "workers": workers if mode == "trafilatura" else 0,
        "pages": spider.pages,
        "extracted": spider.extracted,
        "seconds": round(seconds, 3),
        "pages_per_s": round(spider.pages / seconds, 1) if seconds > 0 else 0.0,
        "bytes": spider.bytes,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        # The crawler's CPU over `seconds`: near `seconds` means the crawler itself was
        # the bottleneck (not the server, nor other load on the machine).
        "cpu_seconds": round(cpu, 3),
        # Pages per CPU-second of this process: steadier than pages_per_s on a busy machine.
        "pages_per_cpu_s": round(spider.pages / cpu, 1) if cpu > 0 else 0.0,
        "errors": spider.errors,
        "concurrency": concurrency,
        "process_seconds": round(time.perf_counter() - PROCESS_START, 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=MODES, required=True)
    parser.add_argument("--options", choices=OPTIONS, default="default")
    parser.add_argument("--workers", type=int, default=0, help="0: extract on the reactor")
    parser.add_argument("--sitemap", required=True, help="URL of the site's sitemap.xml")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--json", type=Path, help="also write the result here")
    parser.add_argument("--log-level", default="WARNING")
    args = parser.parse_args()
    result = run(
        args.sitemap, args.mode, args.concurrency, args.options, args.workers, args.log_level
    )
    line = json.dumps(result)
    if args.json:
        args.json.write_text(line + "\n")
    print(line, flush=True)
    return 0 if result["pages"] and not result["errors"] else 1


if __name__ == "__main__":
    sys.exit(main())
