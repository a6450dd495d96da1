"""CPU-heavy processing off the reactor thread: one pool of worker processes per run.

Scrapy's reactor is a single thread, so a page being extracted in a callback or pipeline
stops every download and every other page on that core. Processing a page is a pure
function (pipelines.process), so it runs in worker processes instead, one per core by
default, while the reactor keeps downloading. Every crawler of a run shares the run's
pool (crawlers.context). `WorkerPool(0)` runs the function inline (one core, profiling).

Lifecycle, because a pool that outlives its command is a leak an operator pays for:
- the pool starts on first use, so a run that fetches no article never pays for it,
  and on a thread of its own: the first workers wait for the fork server to import
  and load the tagging model (seconds on a busy machine), and the reactor must not wait
  with them (every timer due meanwhile, a Crawl-delay's included, would fire at once);
- workers come from a fork server (forking the crawl process would copy its threads'
  locks); each worker watches the crawl process through a pidfd and exits when it
  dies, however it dies (`kill -9` included). The fork server then sees its last
  client gone and exits, and so does multiprocessing's resource tracker;
- workers ignore SIGINT and SIGTERM: Ctrl-C reaches the whole process group, and a
  KeyboardInterrupt raised in a worker used to come back as a page's result;
- `close()` never waits on a stuck worker: it asks, waits briefly, then kills.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import select
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

T = TypeVar("T")

# Imported once by the fork server, so each worker starts warm (trafilatura and lxml
# take most of a second to import; pipelines.warm loads the taxonomy and the semantic
# layer's model, another half second).
PRELOAD = ["pipelines.forkserver_init", "pipelines.process", "pipelines.warm"]
JOIN_SECONDS = 2.0


def worker_count(setting: Any) -> int:
    """Workers to use for a setting value: None or "auto" means one per core; one core
    means inline (0), since a worker would only compete with the reactor for it."""
    if setting is None or str(setting).strip().lower() in ("", "auto"):
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
        return cores if cores > 1 else 0
    try:
        count = int(setting)
    except (TypeError, ValueError):
        raise ValueError(
            f"AITRACK_WORKERS must be a whole number or auto, not {setting!r}"
        ) from None
    if count < 0:
        raise ValueError(f"AITRACK_WORKERS must be 0 or more, not {count}")
    return count


def _start_worker(owner: int) -> None:
    """Each worker: leave SIGINT and SIGTERM to the owner, and die with it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    threading.Thread(target=_exit_with, args=(owner,), daemon=True).start()
    from pipelines.tagging import load_classifier

    # The default taxonomy and the embedding model with its exemplar vectors, once per
    # worker, not per page: already in memory when the fork server loaded them
    # (pipelines.warm), else loaded here; an exemplars file edited since is reloaded.
    load_classifier()


def _exit_with(owner: int) -> None:
    """Block until the owner process ends, then end this one. A pidfd reports the exit
    of exactly that process (no polling, no pid reuse); the worker's own parent is the
    fork server, so the kernel's parent-death signal would not see the owner die."""
    try:
        fd = os.pidfd_open(owner)
    except (AttributeError, OSError):
        fd = None
    if fd is None:  # no pidfd (old kernel): poll, as a fallback
        while os.getppid() != 1 and _alive(owner):
            time.sleep(0.5)
    else:
        select.select([fd], [], [])
    os._exit(1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class WorkerPool:
    """A lazily started process pool with a bounded, kill-if-needed shutdown."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()  # the starting thread and the reactor's
        self._started: Future[None] | None = None
        self._closed = False

    def _get(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._closed:
                raise RuntimeError("the worker pool is closed")
            if self._pool is None:
                context = multiprocessing.get_context("forkserver")
                context.set_forkserver_preload(PRELOAD)
                self._pool = ProcessPoolExecutor(
                    max_workers=self.size,
                    mp_context=context,
                    initializer=_start_worker,
                    initargs=(os.getpid(),),
                )
            return self._pool

    def _start(self) -> Future[None]:
        """The workers' start, begun once on a thread of its own (see the docstring)."""
        with self._lock:
            if self._started is None:
                self._started = Future()
                threading.Thread(
                    target=self._spawn, args=(self._started,), name="aitrack-pool", daemon=True
                ).start()
            return self._started

    def _spawn(self, done: Future[None]) -> None:
        try:
            # A fork-server pool launches all its workers at the first submit.
            self._get().submit(_ready).result()
        except BaseException as exc:  # reported through the future, to the first page
            done.set_exception(exc)
        else:
            done.set_result(None)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """fn(*args) in a worker (inline when the pool has size 0).

        fn and its arguments are pickled to the worker, so fn must be a module-level
        function. An exception fn raises is raised here, in the caller.
        """
        if self.size <= 0:
            return fn(*args)
        with contextlib.suppress(Exception):  # a failed start: the submit below says why
            await asyncio.wrap_future(self._start())
        pool = self._get()
        try:
            return await asyncio.wrap_future(pool.submit(fn, *args))
        except BrokenProcessPool:
            # A worker died (killed, or a crash in a C extension): every page queued in
            # that pool fails with this. Start a fresh pool and try the page once more.
            self._discard(pool)
            return await asyncio.wrap_future(self._get().submit(fn, *args))

    def pids(self) -> list[int]:
        """The live workers' process ids (for tests and the process-tree checks)."""
        pool = self._pool
        return [p.pid for p in _processes(pool)] if pool else []

    def _discard(self, pool: ProcessPoolExecutor) -> None:
        """Forget a broken pool, unless another page already replaced it."""
        with self._lock:
            if self._pool is not pool:
                return
            self._pool = None
        _stop(pool)

    def _take(self) -> ProcessPoolExecutor | None:
        """Close for good (no pool is started after this) and hand over the pool."""
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        return pool

    def close(self) -> None:
        """Stop the workers; never blocks for more than a few seconds."""
        pool = self._take()
        if pool is not None:
            _stop(pool)

    def kill(self) -> None:
        """Kill the workers at once (a second Ctrl-C)."""
        pool = self._take()
        for process in _processes(pool) if pool else []:
            process.kill()


def _ready() -> None:
    """A worker's first task: it is there."""


def _processes(pool: ProcessPoolExecutor) -> list[Any]:
    # The executor has no public way to reach its workers, and its own shutdown can
    # wait forever on a worker stuck writing a result (seen as a hang at exit).
    return list((getattr(pool, "_processes", None) or {}).values())


def _stop(pool: ProcessPoolExecutor) -> None:
    processes = _processes(pool)
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.join(JOIN_SECONDS / max(1, len(processes)))
    for process in processes:
        if process.is_alive():
            process.kill()
            process.join(JOIN_SECONDS)
    manager = getattr(pool, "_executor_manager_thread", None)
    if manager is not None:
        manager.join(JOIN_SECONDS)
