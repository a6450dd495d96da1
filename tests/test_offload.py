"""Extraction and tagging in worker processes (pipelines/offload.py)."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from pipelines import offload
from pipelines.extract import ExtractionError, extract_article
from pipelines.tagging import tag_text
from tests.test_store import TEXT, make_item


@pytest.fixture
def pool():
    yield
    offload.shutdown_pool()


def test_worker_count_reads_the_setting() -> None:
    assert offload.worker_count(0) == 0
    assert offload.worker_count("3") == 3
    cores = len(os.sched_getaffinity(0))
    assert offload.worker_count("auto") == (cores if cores > 1 else 0)
    assert offload.worker_count(None) == offload.worker_count("auto")
    with pytest.raises(ValueError, match="0 or more"):
        offload.worker_count(-1)


def test_a_worker_gives_what_the_inline_call_gives(pool) -> None:
    item = make_item("https://example.org/a")
    inline, _ = offload.timed_call(extract_article, item.html, item.url, item.hints)
    pooled, ms = asyncio.run(offload.run_timed(2, extract_article, item.html, item.url, item.hints))
    assert pooled == inline and ms > 0
    tags, _ = asyncio.run(offload.run_timed(2, tag_text, pooled.title, pooled.text, item.hints))
    assert tags == tag_text(inline.title, inline.text, item.hints)


def test_an_extraction_error_in_a_worker_reaches_the_caller(pool) -> None:
    with pytest.raises(ExtractionError):
        asyncio.run(offload.run_timed(2, extract_article, "<html><body></body></html>", "u"))


def _worker_pids() -> list[int]:
    return list(offload.get_pool(2)._processes)


def test_a_dead_worker_costs_a_retry_not_the_page(pool) -> None:
    item = make_item("https://example.org/a", TEXT)
    asyncio.run(offload.run_timed(2, extract_article, item.html, item.url, item.hints))
    broken = offload.get_pool(2)
    for pid in _worker_pids():
        os.kill(pid, signal.SIGKILL)  # as the kernel's OOM killer would
    result, _ = asyncio.run(offload.run_timed(2, extract_article, item.html, item.url, item.hints))
    assert result.text and offload.get_pool(2) is not broken
