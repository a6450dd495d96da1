"""The shared frontier of `aitrack crawl --frontier redis://...`: scrapy-redis's scheduler
and duplicate filter, with leases so that a killed worker loses nothing.

scrapy-redis pops a request from Redis and forgets it: a worker killed with that request
downloading or its page half-processed would lose the page. Here the pop and a lease
are one Lua script: the request moves from the source's queue into its `leased` hash,
with a deadline in `inflight` (Redis's clock, so workers' clocks do not matter). The
worker renews its leases while it works on them and releases one when the request is
finished: its follow-up requests queued, its article on the stream
(pipelines/stream.py), or its failure recorded. An expired lease (the worker died) puts
the request back in the queue directly, past the duplicate filter, which has seen it.

A request is finished when:
- its callback's output is exhausted and every item it gave has left the item pipelines
  (`LeaseMiddleware`, the item signals);
- its errback has run (the spider's `on_error` calls `release_request`);
- it is queued again as a retry or redirect, which carries the lease in its meta.

A source's crawl on a worker ends when its queue is empty and no worker holds a lease
on it: until then an idle spider stays open (another worker may still add requests).
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Request, signals
from scrapy.exceptions import DontCloseSpider
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler

from pipelines.redaction import expand
from pipelines.stream import PREFIX, source_keys

log = logging.getLogger("aitrack.frontier")
IDLE_POLL_SECONDS = 0.25  # how soon an idle worker looks at its source's queue again
MAX_IDLE_POLL_SECONDS = 4.0  # and at most this long, waiting on the other workers
LEASE = "aitrack_lease"  # the request's meta key: its lease id while a worker holds it

# KEYS: requests, inflight, leased. ARGV: lease seconds. The lowest-score request moves
# to `leased` under a new lease id; returns {request, lease} or nil.
POP_LUA = """
local item = redis.call('ZRANGE', KEYS[1], 0, 0)
if #item == 0 then return nil end
redis.call('ZREM', KEYS[1], item[1])
local t = redis.call('TIME')
local lease = redis.sha1hex(item[1] .. t[1] .. t[2] .. redis.call('INCR', KEYS[2] .. ':n'))
redis.call('ZADD', KEYS[2], t[1] + t[2] / 1e6 + tonumber(ARGV[1]), lease)
redis.call('HSET', KEYS[3], lease, item[1])
return {item[1], lease}
"""
# KEYS: requests, inflight, leased. Expired leases' requests go back to the queue, ahead
# of the rest (score -1: priority 1). Returns how many.
RECLAIM_LUA = """
local t = redis.call('TIME')
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', t[1] + t[2] / 1e6)
for _, lease in ipairs(expired) do
  local data = redis.call('HGET', KEYS[3], lease)
  if data then redis.call('ZADD', KEYS[1], -1, data) end
  redis.call('HDEL', KEYS[3], lease)
  redis.call('ZREM', KEYS[2], lease)
end
return #expired
"""
# KEYS: inflight. ARGV: lease seconds, then lease ids: a new deadline for those still held.
RENEW_LUA = """
local t = redis.call('TIME')
local deadline = t[1] + t[2] / 1e6 + tonumber(ARGV[1])
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], 'XX', deadline, ARGV[i]) end
return #ARGV - 1
"""


def frontier_settings(url: str, lease_seconds: float) -> dict[str, Any]:
    """The Scrapy settings that make a crawler use the shared frontier."""
    return {
        "AITRACK_FRONTIER": url,
        "AITRACK_LEASE_SECONDS": lease_seconds,
        "REDIS_URL": url,
        "SCHEDULER": "crawlers.frontier.FrontierScheduler",
        "SCHEDULER_QUEUE_CLASS": "crawlers.frontier.LeasedQueue",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_QUEUE_KEY": PREFIX + "%(spider)s:requests",
        "SCHEDULER_DUPEFILTER_KEY": PREFIX + "%(spider)s:dupefilter",
        # scrapy-redis 0.9.1 with Scrapy 2.19 works only so; a new run is cleared by
        # `aitrack enqueue`, never by a worker's start or end.
        "SCHEDULER_PERSIST": True,
        "SCHEDULER_FLUSH_ON_START": False,
        "SPIDER_MIDDLEWARES": {"crawlers.frontier.LeaseMiddleware": 10},
    }


class Leases:
    """The leases one worker holds on one source's requests."""

    def __init__(self, client: Any, slug: str, seconds: float) -> None:
        self.client = client
        self.keys = source_keys(slug)
        self.seconds = seconds
        self.held: set[str] = set()
        self.items: dict[str, int] = {}  # lease -> items still in the item pipelines
        self.output_done: set[str] = set()
        self._pop = client.register_script(POP_LUA)
        self._reclaim = client.register_script(RECLAIM_LUA)
        self._renew = client.register_script(RENEW_LUA)

    def pop(self) -> tuple[bytes, str] | None:
        keys = self.keys
        answer = self._pop(
            keys=[keys["requests"], keys["inflight"], keys["leased"]], args=[self.seconds]
        )
        if not answer:
            return None
        data, lease = answer[0], answer[1].decode()
        self.held.add(lease)
        return data, lease

    def release(self, lease: str | None) -> None:
        if not lease or lease not in self.held:
            return  # not ours (already released, or taken before a restart)
        self.held.discard(lease)
        self.items.pop(lease, None)
        self.output_done.discard(lease)
        pipe = self.client.pipeline(transaction=True)
        pipe.zrem(self.keys["inflight"], lease)
        pipe.hdel(self.keys["leased"], lease)
        pipe.execute()

    def renew(self) -> None:
        if self.held:
            self._renew(keys=[self.keys["inflight"]], args=[self.seconds, *self.held])

    def reclaim(self) -> int:
        keys = self.keys
        return int(self._reclaim(keys=[keys["requests"], keys["inflight"], keys["leased"]]))

    def pending(self) -> bool:
        """Whether any worker still has this source's requests queued or leased."""
        pipe = self.client.pipeline(transaction=False)
        pipe.zcard(self.keys["requests"])
        pipe.zcard(self.keys["inflight"])
        return any(pipe.execute())

    # -- when a request is finished ----------------------------------------------------

    def item_started(self, lease: str | None) -> None:
        if lease in self.held:
            self.items[lease] = self.items.get(lease, 0) + 1

    def item_finished(self, lease: str | None) -> None:
        if lease not in self.held:
            return
        self.items[lease] = self.items.get(lease, 1) - 1
        if self.items[lease] <= 0 and lease in self.output_done:
            self.release(lease)

    def callback_finished(self, lease: str | None) -> None:
        if lease not in self.held:
            return
        if self.items.get(lease, 0) > 0:
            self.output_done.add(lease)  # released when its last item is through
        else:
            self.release(lease)


def encode_request(request: Request, spider: Any) -> bytes:
    """A request as the queue keeps it: scrapy-redis's pickled dict, with the source's
    keys (`${NAME}` values from the environment) taken out of its URL and headers.
    Redis is storage: a key goes back in only in the worker that pops the request."""
    from scrapy_redis import picklecompat

    data = request.to_dict(spider=spider)
    redact = getattr(spider, "redact", None)
    if redact:
        data["url"] = redact(data["url"])
        data["headers"] = _headers(data.get("headers") or {}, redact)
    return picklecompat.dumps(data)


def decode_request(encoded: bytes, spider: Any) -> Request:
    """A queued request with the source's keys put back (see encode_request)."""
    from scrapy.utils.request import request_from_dict
    from scrapy_redis import picklecompat

    data = picklecompat.loads(encoded)
    secrets = getattr(getattr(spider, "source", None), "secrets", None)
    if secrets:
        # Before the Request is made: it would escape the braces of `${NAME}`.
        data["url"] = expand(data["url"], secrets)
        data["headers"] = _headers(data.get("headers") or {}, lambda v: expand(v, secrets))
    return request_from_dict(data, spider=spider)


def _headers(headers: dict[Any, Any], change: Any) -> dict[Any, list[bytes]]:
    return {
        name: [change(value.decode("latin-1")).encode("latin-1") for value in values]
        for name, values in headers.items()
    }


class LeasedQueue(PriorityQueue):
    """scrapy-redis's priority queue whose pop takes a lease (POP_LUA), and which keeps
    no key from the environment in Redis."""

    leases: Leases | None = None  # set by FrontierScheduler.open

    def _encode_request(self, request: Request) -> bytes:
        return encode_request(request, self.spider)

    def _decode_request(self, encoded: bytes) -> Request:
        return decode_request(encoded, self.spider)

    def pop(self, timeout: int = 0) -> Request | None:
        assert self.leases is not None
        taken = self.leases.pop()
        if taken is None:
            return None
        data, lease = taken
        try:
            request = self._decode_request(data)
        except Exception as exc:  # unreadable (another version's request): drop it, say so
            log.error("dropped an unreadable request of %s: %s", self.spider.name, exc)
            self.leases.release(lease)
            return None
        request.meta[LEASE] = lease
        return request


class FrontierScheduler(Scheduler):
    """scrapy-redis's scheduler with leases, renewed while held, and an idle spider kept
    open while any worker has work on its source."""

    @classmethod
    def from_crawler(cls, crawler: Any) -> FrontierScheduler:
        context = getattr(crawler, "aitrack", None)
        if context is None or context.frontier is None:
            instance = super().from_crawler(crawler)  # scrapy-redis's own connection
        else:
            # The worker's one client (crawlers/worker.py), not a connection per source:
            # with a crawler per source, a catalogue of thousands would open thousands
            # of connections per worker. All of them are used from the reactor's thread.
            settings = crawler.settings
            instance = cls(
                server=context.frontier,
                persist=True,
                queue_key=settings.get("SCHEDULER_QUEUE_KEY"),
                queue_cls=settings.get("SCHEDULER_QUEUE_CLASS"),
                dupefilter_key=settings.get("SCHEDULER_DUPEFILTER_KEY"),
                dupefilter_cls=settings.get("DUPEFILTER_CLASS"),
            )
            instance.stats = crawler.stats
        instance.crawler = crawler
        instance.idle_polls = 0
        return instance

    def open(self, spider: Any) -> None:
        if self.df is None:
            # Our key per source, not scrapy-redis's one-time default.
            key = self.dupefilter_key % {"spider": spider.name}
            self.df = RFPDupeFilter(self.server, key=key)
        super().open(spider)
        seconds = self.crawler.settings.getfloat("AITRACK_LEASE_SECONDS")
        self.leases = Leases(self.server, spider.name, seconds)
        self.queue.leases = self.leases
        self.crawler.aitrack_leases = self.leases
        self.crawler.signals.connect(self._idle, signal=signals.spider_idle)
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            self.crawler.signals.connect(self._item_done, signal=signal)
        from twisted.internet import task

        self._renewing = task.LoopingCall(self._tick)
        self._renewing.start(max(0.5, seconds / 3), now=False)

    def close(self, reason: str) -> None:
        if self._renewing.running:
            self._renewing.stop()
        super().close(reason)

    def _tick(self) -> None:
        try:
            self.leases.renew()
            self.leases.reclaim()  # a dead worker's requests come back on time
        except Exception as exc:  # Redis away for a moment: the next tick tries again
            log.warning("frontier: renewing leases failed: %s", exc)

    def next_request(self) -> Request | None:
        request = super().next_request()
        if request is not None:
            self.idle_polls = 0  # work again: look again soon when it runs out
        return request

    def enqueue_request(self, request: Request) -> bool:
        lease = request.meta.get(LEASE)
        queued = super().enqueue_request(request)
        if lease:
            # A retry or a redirect of a leased request: it is in the queue now (or
            # the duplicate filter dropped it on purpose), so that lease is done.
            self.leases.release(lease)
        return queued

    def _idle(self, spider: Any = None) -> None:
        if self.leases.held:
            # Idle: nothing of this source is downloading or in the item pipelines, so
            # a lease still held belongs to a request finished by a path that did not
            # release it. Renewed for ever, it would keep every worker waiting.
            log.warning(
                "%s: %d leases left after their requests ended; released",
                self.spider.name,
                len(self.leases.held),
            )
            for lease in list(self.leases.held):
                self.leases.release(lease)
        self.leases.reclaim()
        if self.leases.pending():
            # Scrapy asks an idle spider again only at its 5 s heartbeat: a worker would
            # sit out while another one fills the queue. Look again soon.
            from twisted.internet import reactor

            # Sooner at first, then less often: a worker with thousands of sources
            # must not ask about each of them four times a second.
            pause = min(IDLE_POLL_SECONDS * 2 ** min(self.idle_polls, 5), MAX_IDLE_POLL_SECONDS)
            self.idle_polls += 1
            reactor.callLater(pause, self._wake)
            raise DontCloseSpider("other workers still have requests of this source")

    def _wake(self) -> None:
        slot = getattr(self.crawler.engine, "_slot", None)  # Scrapy's, no public handle
        if slot is not None:
            slot.nextcall.schedule()  # takes a request if there is one, else idles again

    def _item_done(self, item: Any = None, response: Any = None, **_: Any) -> None:
        request = getattr(response, "request", None)
        if request is not None:
            self.leases.item_finished(request.meta.get(LEASE))


class LeaseMiddleware:
    """Counts the items each leased response gives and tells the leases when its
    callback's output is exhausted (its requests are then queued)."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> LeaseMiddleware:
        return cls(crawler)

    async def process_spider_output(self, response: Any, result: Any, spider: Any = None) -> Any:
        leases: Leases | None = getattr(self.crawler, "aitrack_leases", None)
        lease = response.request.meta.get(LEASE) if response.request is not None else None
        try:
            async for output in result:
                if leases is not None and not isinstance(output, Request):
                    leases.item_started(lease)
                yield output
        finally:
            if leases is not None:
                leases.callback_finished(lease)


def release_request(crawler: Any, request: Request) -> None:
    """The request's errback has run: its failure is recorded, the request finished."""
    leases: Leases | None = getattr(crawler, "aitrack_leases", None)
    if leases is not None:
        leases.callback_finished(request.meta.get(LEASE))
