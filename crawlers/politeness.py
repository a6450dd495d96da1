"""Politeness per host across every source of a run.

Each source has its own crawler, and each crawler its own downloader slots, so Scrapy's
CONCURRENT_REQUESTS_PER_DOMAIN held per source, not per site: six feeds on one host
had twelve requests in flight there. This limiter is shared by all crawlers of a run
(crawlers.context): at most `per_host` requests in flight to a host, and, where the
host's robots.txt asks for one, a Crawl-delay between the starts of its requests.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any

from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.utils.httpobj import urlparse_cached


def host_of(url_or_netloc: str) -> str:
    """The host a limit applies to: the host name, lower case, without the port
    (what Scrapy's own download slots key on)."""
    netloc = url_or_netloc.split("://", 1)[-1].split("/", 1)[0]
    host = netloc.rsplit("@", 1)[-1]
    if host.startswith("["):
        return host[: host.find("]") + 1].lower()
    return host.split(":", 1)[0].lower()


class HostLimiter:
    def __init__(self, per_host: int = 4) -> None:
        self.per_host = max(1, per_host)
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._delays: dict[str, float] = {}
        self._next_start: defaultdict[str, float] = defaultdict(float)

    def set_delay(self, netloc: str, seconds: float) -> None:
        """A host's Crawl-delay (from its robots.txt); the largest one asked wins."""
        host = host_of(netloc)
        self._delays[host] = max(self._delays.get(host, 0.0), float(seconds))

    def delay(self, host: str) -> float:
        return self._delays.get(host, 0.0)

    async def acquire(self, host: str) -> None:
        slot = self._slots.get(host)
        if slot is None:
            slot = self._slots[host] = asyncio.Semaphore(self.per_host)
        await slot.acquire()
        delay = self.delay(host)
        if delay:
            loop = asyncio.get_running_loop()
            start_at = max(loop.time(), self._next_start[host])
            self._next_start[host] = start_at + delay  # reserve before sleeping
            await asyncio.sleep(start_at - loop.time())

    def release(self, host: str) -> None:
        self._slots[host].release()


class HostLimitedDownloadHandler(HTTP11DownloadHandler):
    """Scrapy's HTTP(S) download handler, entered only with a host slot from the run's
    limiter. Here, at the last step before the connection, rather than in a downloader
    middleware: each crawler's download slot may still hold a request back after a
    middleware has let it go (its own delay, AutoThrottle), and two sources' requests
    released a second apart were then seen to start together. Waiting here does not
    count towards DOWNLOAD_TIMEOUT or the measured download latency."""

    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        self.context = getattr(crawler, "aitrack", None)
        self.limiter: HostLimiter | None = self.context.hosts if self.context else None

    async def download_request(self, request: Request) -> Response:
        if self.limiter is None:
            return await super().download_request(request)
        host = urlparse_cached(request).hostname or ""
        await self.limiter.acquire(host)
        try:
            if self.context.interrupted:
                # Stopping: pages already downloading finish, the rest are not started
                # (each crawler holds up to CONCURRENT_REQUESTS of them queued here).
                raise IgnoreRequest(
                    f"not started: the run was stopped by {self.context.interrupted}"
                )
            return await super().download_request(request)
        finally:
            self.limiter.release(host)
