"""`aitrack enqueue`: start a run of a scaled-out crawl.

Each active source's frontier is cleared (its queue, its duplicate filter, its leases)
and its index URLs are queued once, as requests the workers' spiders can read back
(scrapy-redis's pickled request dicts). The workers themselves queue nothing at start,
so however many start, each index is fetched once per run.
"""

from __future__ import annotations

import time
from typing import Any

from scrapy_redis.dupefilter import RFPDupeFilter

from crawlers.frontier import encode_request
from crawlers.shared_politeness import DELAYS
from crawlers.spiders import SPIDERS
from pipelines.stream import RUN, RUN_SEQ, RUN_SOURCES, source_keys


def enqueue(client: Any, sources: list[Any]) -> dict[str, int]:
    """Start a run: clear each active source's frontier (queue, duplicate filter, leases)
    and queue its index URLs once. Returns the number queued per source."""
    active = [s for s in sources if s.active]
    queued: dict[str, int] = {}
    pipe = client.pipeline(transaction=True)
    pipe.delete(RUN_SOURCES)
    pipe.delete(DELAYS)  # Crawl-delays and sources' pacing are set again by this run
    for source in active:
        pipe.delete(*source_keys(source.slug).values())
    if active:
        pipe.sadd(RUN_SOURCES, *[s.slug for s in active])
    seq = int(client.incr(RUN_SEQ))  # the run's number: its row in crawl_runs (ingest)
    pipe.hset(RUN, mapping={"seq": seq, "seeded_at": time.time(), "sources": len(active)})
    for source in active:
        spider = SPIDERS[source.kind](source=source)
        keys = source_keys(source.slug)
        df = RFPDupeFilter(client, key=keys["dupefilter"])
        urls = []
        for template in source.urls:
            request = spider.index_request(source.request_url(template))
            urls.append(request.url)
            pipe.sadd(keys["dupefilter"], df.request_fingerprint(request))
            data = encode_request(request, spider)  # no key from the environment in Redis
            pipe.zadd(keys["requests"], {data: -request.priority})
        queued[source.slug] = len(urls)
    pipe.execute()
    return queued
