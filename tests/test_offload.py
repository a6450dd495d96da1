"""Processing in worker processes (pipelines/offload.py), and their lifecycle: no stuck
worker can hang a shutdown, Ctrl-C does not reach a page, and no worker outlives the
process that owns it, however that process dies."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipelines.extract import ExtractionError, extract_article
from pipelines.offload import WorkerPool, worker_count
from pipelines.process import process_page
from tests.proctree import descendants, wait_gone
from tests.test_store import TEXT, make_item

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def pool():
    workers = WorkerPool(2)
    yield workers
    workers.close()


def test_worker_count_reads_the_setting() -> None:
    assert worker_count(0) == 0
    assert worker_count("3") == 3
    cores = len(os.sched_getaffinity(0))
    assert worker_count("auto") == (cores if cores > 1 else 0)
    assert worker_count(None) == worker_count("auto")
    for bad in (-1, "abc", "1.5"):
        with pytest.raises(ValueError, match="AITRACK_WORKERS"):
            worker_count(bad)


def test_a_worker_gives_what_the_inline_call_gives(pool) -> None:
    fresh = _fetched("https://example.org/a")
    pooled = asyncio.run(pool.run(process_page, _fetched("https://example.org/a")))
    inline = process_page(fresh)
    assert pooled.extracted == inline.extracted and pooled.tagging == inline.tagging
    assert pooled.content_hash == inline.content_hash and pooled.html == ""


def _fetched(url: str):
    """A page as the spider hands it over: HTML, nothing processed yet."""
    item = make_item(url)
    html = (
        "<html><head><title>Judge lets AI copyright lawsuit proceed</title></head><body>"
        "<article>" + "".join(f"<p>{p}.</p>" for p in TEXT.split(". ") if p) + "</article>"
        "</body></html>"
    )
    item.html, item.extracted, item.tagging, item.content_hash = html, None, None, None
    return item


def _classifier_loads() -> tuple[int, int]:
    from pipelines import tagging

    info = tagging._load_classifier.cache_info()
    return info.hits, info.misses


def test_a_worker_starts_with_the_semantic_layer_loaded(pool) -> None:
    """The fork server loaded the model and exemplars (pipelines.warm): the worker's
    own start found them in memory instead of loading them while the crawl waited."""
    hits, misses = asyncio.run(pool.run(_classifier_loads))
    assert misses == 1 and hits >= 1


def test_an_extraction_error_in_a_worker_reaches_the_caller(pool) -> None:
    with pytest.raises(ExtractionError):
        asyncio.run(pool.run(extract_article, "<html><body></body></html>", "u"))


def test_a_dead_worker_costs_a_retry_not_the_page(pool) -> None:
    asyncio.run(pool.run(process_page, _fetched("https://example.org/a")))
    for pid in pool.pids():
        os.kill(pid, signal.SIGKILL)  # as the kernel's OOM killer would
    result = asyncio.run(pool.run(process_page, _fetched("https://example.org/a")))
    assert result.extracted.text


def test_ctrl_c_does_not_reach_a_page_in_a_worker(pool) -> None:
    """SIGINT goes to the whole process group; a worker used to raise KeyboardInterrupt
    inside the page, and the crawl then hung on it."""

    async def run_while_interrupted() -> float:
        task = asyncio.ensure_future(pool.run(time.sleep, 1.0))
        await asyncio.sleep(0.5)
        for pid in pool.pids():
            os.kill(pid, signal.SIGINT)
        await task
        return 1.0

    asyncio.run(pool.run(time.sleep, 0))  # start the workers
    assert asyncio.run(run_while_interrupted()) == 1.0


def test_close_never_waits_on_a_stuck_worker() -> None:
    workers = WorkerPool(2)
    asyncio.run(workers.run(time.sleep, 0))
    pids = set(workers.pids())

    async def start_stuck() -> None:
        workers._get().submit(time.sleep, 3600)  # a page that never ends
        await asyncio.sleep(0.3)

    asyncio.run(start_stuck())
    start = time.monotonic()
    workers.close()
    assert time.monotonic() - start < 8
    assert wait_gone(pids, 5) == set()


OWNER = """
import asyncio, os, sys, time
from pipelines.offload import WorkerPool
pool = WorkerPool(2)
asyncio.run(pool.run(time.sleep, 0))
print(" ".join(map(str, pool.pids())), flush=True)
{end}
"""


@pytest.mark.parametrize(
    "end",
    [
        "os.kill(os.getpid(), 9)",  # kill -9 of the owner
        "sys.exit(0)",  # a normal exit that forgot to close the pool
        "raise SystemExit(3)",
    ],
)
def test_no_helper_process_outlives_its_owner(end: str) -> None:
    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER.format(end="time.sleep(0.5)\n" + end)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    workers = {int(p) for p in owner.stdout.readline().split()}
    time.sleep(0.2)
    helpers = descendants(owner.pid)  # workers, fork server, resource tracker
    assert workers <= helpers and len(helpers) >= 3
    owner.wait(10)
    assert wait_gone(helpers, 10) == set()
