"""CPU-heavy stages off the reactor thread: one process pool for the whole run.

Scrapy's reactor is a single thread, so a page being extracted in a callback or pipeline
stops every download and every other page on that core. Extraction and tagging are pure
functions of the page, so they run in worker processes instead, one per core by
default, while the reactor keeps downloading and storing. Every crawler of a run (one
per source) shares the pool, so a run uses `AITRACK_WORKERS` processes however many
sources it has. `AITRACK_WORKERS = 0` runs the stages inline, as before (useful on one
core, or to profile).

The pool is started on first use, so a run that fetches no article (an unchanged site
answering 304s) never pays for starting it.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

T = TypeVar("T")

# Imported once by the fork server, so each worker starts warm (trafilatura and lxml
# take most of a second to import).
PRELOAD = ["pipelines.extract", "pipelines.tagging"]

_pool: ProcessPoolExecutor | None = None


def worker_count(setting: Any) -> int:
    """Workers to use for a setting value: None or "auto" means one per core; one core
    means inline (0), since a worker would only compete with the reactor for it."""
    if setting is None or str(setting).strip().lower() in ("", "auto"):
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
        return cores if cores > 1 else 0
    count = int(setting)
    if count < 0:
        raise ValueError(f"AITRACK_WORKERS must be 0 or more, not {count}")
    return count


def _warm() -> None:
    from pipelines.tagging import load_taxonomy

    load_taxonomy()  # compile the default taxonomy once per worker, not per page


def get_pool(size: int) -> ProcessPoolExecutor:
    """The run's pool, started on first use. A fork server, not plain fork: forking the
    crawl process would copy its threads' locks (Twisted's thread pool, SQLite)."""
    global _pool
    if _pool is None:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        _pool = ProcessPoolExecutor(max_workers=size, mp_context=context, initializer=_warm)
    return _pool


def shutdown_pool() -> None:
    """Stop the workers (the runner calls this when the crawl ends)."""
    global _pool
    if _pool is not None:
        _pool.shutdown(wait=True, cancel_futures=True)
        _pool = None


def timed_call(fn: Callable[..., T], *args: Any) -> tuple[T, float]:
    """fn(*args) and the milliseconds it took, measured where it ran (in the worker)."""
    start = time.perf_counter()
    result = fn(*args)
    return result, (time.perf_counter() - start) * 1000


async def run_timed(workers: int, fn: Callable[..., T], *args: Any) -> tuple[T, float]:
    """Run fn(*args) in the pool (inline when workers is 0); returns (result, ms).

    fn and its arguments are pickled to the worker, so fn must be a module-level
    function. An exception fn raises is raised here, in the caller.
    """
    if workers <= 0:
        return timed_call(fn, *args)
    pool = get_pool(workers)
    try:
        return await asyncio.wrap_future(pool.submit(timed_call, fn, *args))
    except BrokenProcessPool:
        # A worker died (killed, or a crash in a C extension): every page queued in that
        # pool fails with this. Start a fresh pool and try the page once more there.
        _discard(pool)
        return await asyncio.wrap_future(get_pool(workers).submit(timed_call, fn, *args))


def _discard(pool: ProcessPoolExecutor) -> None:
    """Forget a broken pool, unless another page already replaced it."""
    global _pool
    if _pool is pool:
        _pool = None
        pool.shutdown(wait=False, cancel_futures=True)
