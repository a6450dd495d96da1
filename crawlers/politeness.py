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

from scrapy.http import Request, Response
from scrapy.utils.httpobj import urlparse_cached

SLOT_KEY = "aitrack_host_slot"


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
        self.in_flight: defaultdict[str, int] = defaultdict(int)
        self.peak: defaultdict[str, int] = defaultdict(int)

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
        self.in_flight[host] += 1
        self.peak[host] = max(self.peak[host], self.in_flight[host])

    def release(self, host: str) -> None:
        self.in_flight[host] -= 1
        self._slots[host].release()


class HostLimitMiddleware:
    """Downloader middleware, closest to the download: takes a host slot before the
    request goes out, gives it back when the response or the failure comes in."""

    def __init__(self, limiter: HostLimiter | None) -> None:
        self.limiter = limiter

    @classmethod
    def from_crawler(cls, crawler: Any) -> HostLimitMiddleware:
        context = getattr(crawler, "aitrack", None)
        return cls(context.hosts if context is not None else None)

    async def process_request(self, request: Request) -> None:
        if self.limiter is None or SLOT_KEY in request.meta:
            return None
        host = urlparse_cached(request).hostname or ""
        await self.limiter.acquire(host)
        request.meta[SLOT_KEY] = host
        return None

    def process_response(self, request: Request, response: Response) -> Response:
        self._release(request)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        self._release(request)
        return None

    def _release(self, request: Request) -> None:
        host = request.meta.pop(SLOT_KEY, None)
        if host is not None and self.limiter is not None:
            self.limiter.release(host)
