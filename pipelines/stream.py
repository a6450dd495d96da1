"""The Redis side of a scaled-out crawl that needs no Scrapy: key names, the article
stream the workers write and the single ingest reads, and the validators ingest shares.

Workers (`aitrack crawl --frontier URL`) never open SQLite: each processed article goes
onto one Redis stream, and `aitrack ingest` (pipelines/ingest.py) is the only writer.
The stream carries pickles of `pipelines.model.Article` without its HTML (the store
never reads it, and it is most of a message's size). Pickle is safe only because the
Redis that carries it is the crawl's own, reachable by its workers and ingest alone
(docs/scale-out.md): anyone who can write to that Redis can run code in ingest.
"""

from __future__ import annotations

import json
import pickle
from collections.abc import Callable
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from pipelines.model import Article

PREFIX = "aitrack:"
STREAM = PREFIX + "articles"  # processed articles, oldest first
GROUP = "ingest"  # the consumer group of the single writer
STORED = PREFIX + "stored"  # article id -> what the store knows (fetch or skip, 304s)
INDEX_VALIDATORS = PREFIX + "index_validators"  # index URL -> [etag, last_modified]
RUN = PREFIX + "run"  # the current run: when it was seeded, by whom
RUN_SOURCES = PREFIX + "run:sources"  # the slugs the current run seeded
RUN_SEQ = PREFIX + "run:seq"  # the number of the latest run (`aitrack enqueue` adds one)
# Workers at work: a set of their names, and a key per worker that it keeps alive with a
# time to live while it crawls and deletes once its report is on the stream. Ingest
# `--until-done` waits for every worker to be done or dead (its key expired), so no
# worker's report arrives after the run's row is finished.
WORKERS = PREFIX + "workers"
ALIVE = PREFIX + "alive:"  # + worker name


def mark_alive(client: Any, worker: str, seconds: float) -> None:
    """Say that `worker` is at work for the next `seconds`."""
    pipe = client.pipeline(transaction=False)
    pipe.sadd(WORKERS, worker)
    pipe.set(ALIVE + worker, b"1", px=max(1, int(seconds * 1000)))
    pipe.execute()


def mark_done(client: Any, worker: str) -> None:
    """`worker` has put its last entry (its report) on the stream."""
    pipe = client.pipeline(transaction=False)
    pipe.delete(ALIVE + worker)
    pipe.srem(WORKERS, worker)
    pipe.execute()


def workers_alive(client: Any) -> int:
    """How many workers are still at work; forgets the dead (their keys expired)."""
    alive = 0
    for name in client.smembers(WORKERS):
        worker = name.decode()
        if client.exists(ALIVE + worker):
            alive += 1
        else:
            client.srem(WORKERS, worker)
    return alive


class FrontierError(ValueError):
    """A frontier URL that is not a Redis URL, or a Redis that cannot be reached."""


def source_keys(slug: str) -> dict[str, str]:
    """The keys of one source's frontier: scrapy-redis's queue and duplicate filter, and
    the leases of requests taken but not finished (crawlers/frontier.py)."""
    base = f"{PREFIX}{slug}:"
    return {
        "requests": base + "requests",
        "dupefilter": base + "dupefilter",
        "inflight": base + "inflight",  # lease id -> deadline (Redis clock, seconds)
        "leased": base + "leased",  # lease id -> the encoded request
    }


def shown(url: str) -> str:
    """The URL as messages may show it: a password in it (redis://:SECRET@host) is not."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return parts._replace(netloc=f"{parts.username or ''}:***@{netloc}").geturl()


def check_url(url: str) -> str:
    """The URL if it names a Redis server (redis://HOST:PORT/DB); FrontierError otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss", "unix") or not (parts.hostname or parts.path):
        raise FrontierError(f"--frontier {shown(url)}: expected redis://HOST:PORT/DB")
    db = parts.path.strip("/")
    if parts.scheme != "unix" and db and not db.isdigit():
        raise FrontierError(f"--frontier {shown(url)}: the database must be a number, e.g. /0")
    return url


def connect(url: str) -> Any:
    """A client of the frontier's Redis, checked with a PING; FrontierError in one line."""
    import redis

    check_url(url)
    client = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=30)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise FrontierError(f"cannot reach the frontier at {shown(url)}: {exc}") from None
    return client


def encode_article(item: Article, kind: str, run: int = 0) -> dict[bytes, bytes]:
    """A stream entry for an article to store ("store") or to mark seen ("touch")."""
    return {
        b"kind": kind.encode(),
        b"run": str(run).encode(),
        b"article": pickle.dumps(replace(item, html="")),
    }


def encode_report(run: int, worker: str, sources: dict[str, Any]) -> dict[bytes, bytes]:
    """A stream entry for a worker's report of its run (pipelines/ingest_runs.py)."""
    return {
        b"kind": b"report",
        b"run": str(run).encode(),
        b"worker": worker.encode(),
        b"report": json.dumps(sources, ensure_ascii=False, default=str).encode(),
    }


def decode_entry(fields: dict[bytes, bytes]) -> tuple[str, int, Any]:
    """(kind, run, payload): the Article to store or touch, or (worker, sources)."""
    kind, run = fields[b"kind"].decode(), int(fields.get(b"run", b"0"))
    if kind == "report":
        return kind, run, (fields[b"worker"].decode(), json.loads(fields[b"report"]))
    if kind not in ("store", "touch"):
        raise ValueError(f"unknown entry kind {kind!r}")
    item = pickle.loads(fields[b"article"])
    if not isinstance(item, Article):
        raise ValueError(f"not an article: {type(item).__name__}")
    return kind, run, item


def stored_facts(row: tuple[Any, ...]) -> str:
    """What a worker needs to decide fetch or skip, and to send a conditional GET:
    last_seen_at, published_at, updated_at, etag, last_modified (crawlers.state.Stored)."""
    return json.dumps(list(row))


def run_number(client: Any) -> int:
    """The number of the run `aitrack enqueue` started last (0: none yet)."""
    return int(client.hget(RUN, "seq") or 0)


class StreamWriter:
    """The worker's stand-in for pipelines.writer.Writer: the same `offer_*`, `barrier`
    and `close`, but each article goes onto the stream at once (one XADD), and the report
    says "queued": whether it is new or updated is known only to ingest.

    `offer_*` returns False while the stream holds `max_backlog` entries or more that
    ingest has not acknowledged: back-pressure, as with the local writer's full queue.
    """

    def __init__(self, client: Any, max_backlog: int = 20000, run: int = 0) -> None:
        self.client = client
        self.run = run  # the run `aitrack enqueue` numbered, read when the worker started
        self.max_backlog = max(1, max_backlog)
        self._room = 0  # entries we may add before asking the stream's length again

    def offer_store(self, item: Article, report: Callable[[Any], None]) -> bool:
        return self._offer(item, "store", report)

    def offer_touch(self, item: Article, report: Callable[[Any], None]) -> bool:
        return self._offer(item, "touch", report)

    def _offer(self, item: Article, kind: str, report: Callable[[Any], None]) -> bool:
        from pipelines.writer import Written

        if self._room <= 0:
            # Ingest deletes what it acknowledged, so the length is the backlog.
            self._room = self.max_backlog - int(self.client.xlen(STREAM))
            if self._room <= 0:
                return False
            self._room = min(self._room, 100)  # look again every 100 entries
        self.client.xadd(STREAM, encode_article(item, kind, self.run))
        self._room -= 1
        report(Written(item, "queued"))
        return True

    def barrier(self, done: Callable[[], None]) -> None:
        done()  # every XADD has returned: the entries are in Redis

    def close(self, timeout: float | None = None) -> bool:
        return True
