"""Politeness per host across every worker of a scaled-out crawl, kept in Redis.

crawlers/politeness.py's HostLimiter holds per process: two workers would each allow
CONCURRENT_REQUESTS_PER_DOMAIN requests to a host. This one has the same interface
and keeps the count in the frontier's Redis: a host's slots are a sorted set of
tokens, each with an expiry (so a killed worker's slots come free), and its
Crawl-delay a next-start time. A Lua script checks and takes a slot in one step, on
Redis's clock; a worker that finds the host full or early waits and asks again.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import socket
from typing import Any

from crawlers.politeness import host_of
from pipelines.stream import PREFIX

DELAYS = PREFIX + "host_delays"  # host -> the largest Crawl-delay asked, in seconds
POLL_SECONDS = 0.01  # how soon a worker first asks again for a full host
MAX_POLL_SECONDS = 0.16  # then twice as long each time, up to this

# KEYS: slots, next start. ARGV: token, per host, delay ms, hold ms.
# Returns 0 with the slot taken, or the milliseconds to wait before asking again.
ACQUIRE_LUA = """
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return -1 end
local delay = tonumber(ARGV[3])
if delay > 0 then
  local next_start = tonumber(redis.call('GET', KEYS[2]) or '0')
  if now < next_start then return next_start - now end
  redis.call('SET', KEYS[2], now + delay, 'PX', delay + 1000)
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[4]), ARGV[1])
return 0
"""


class SharedHostLimiter:
    """HostLimiter's interface (set_delay, delay, acquire, release) across processes."""

    def __init__(self, client: Any, per_host: int = 4, hold_seconds: float = 90.0) -> None:
        self.client = client
        self.per_host = max(1, per_host)
        self.hold_ms = int(hold_seconds * 1000)
        self._acquire = client.register_script(ACQUIRE_LUA)
        self._delays: dict[str, float] = {}
        self._tokens = (f"{socket.gethostname()}:{os.getpid()}:{n}" for n in itertools.count())
        self._held: dict[str, list[str]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def set_delay(self, netloc: str, seconds: float) -> None:
        host = host_of(netloc)
        self._delays[host] = max(self._delays.get(host, 0.0), float(seconds))
        self.client.hset(DELAYS, host, self._delays[host])

    def delay(self, host: str) -> float:
        if host not in self._delays:
            raw = self.client.hget(DELAYS, host)
            self._delays[host] = float(raw) if raw else 0.0
        return self._delays[host]

    async def acquire(self, host: str) -> None:
        token = next(self._tokens)
        keys = [f"{PREFIX}host:{host}", f"{PREFIX}host:{host}:next"]
        args = [token, self.per_host, int(self.delay(host) * 1000), self.hold_ms]
        # One request per host and process asks Redis at a time, in order (the lock is
        # FIFO); the rest wait here. Without it, every request waiting for a full host
        # polled Redis: thousands of calls a second, a tenth of a worker's CPU.
        lock = self._locks.setdefault(host, asyncio.Lock())
        async with lock:
            pause = POLL_SECONDS
            while (wait := int(self._acquire(keys=keys, args=args))) != 0:
                await asyncio.sleep(pause if wait < 0 else wait / 1000)
                pause = min(pause * 2, MAX_POLL_SECONDS)
        self._held.setdefault(host, []).append(token)

    def release(self, host: str) -> None:
        tokens = self._held.get(host)
        if tokens:
            self.client.zrem(f"{PREFIX}host:{host}", tokens.pop())
