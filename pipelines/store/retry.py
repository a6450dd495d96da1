"""Database faults the crawl survives, and retrying a write while another writer holds
the lock. Called from the writer's own thread, so a wait never stalls downloading."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from typing import TypeVar

import sqlite_utils

from pipelines.model import Article
from pipelines.store.articles import store_article

T = TypeVar("T")

DB_ATTEMPTS = 3
DB_BACKOFF_S = 1.0


def classify_db_error(exc: sqlite3.Error) -> str | None:
    """A short kind for database faults the crawl survives, or None for a bug."""
    message = str(exc).lower()
    if "locked" in message or "busy" in message:
        return "db_locked"
    if "disk is full" in message or "disk i/o error" in message:
        return "db_full"
    if "readonly" in message or "read-only" in message:
        return "db_readonly"
    return None


def with_retry(
    action: Callable[[], T], attempts: int = DB_ATTEMPTS, backoff: float = DB_BACKOFF_S
) -> T:
    """action(), retried with exponential backoff while another writer holds the
    database (each attempt also waits the connection's busy timeout). Raises the last
    sqlite3.OperationalError."""
    for attempt in range(attempts):
        try:
            return action()
        except sqlite3.OperationalError as exc:
            if classify_db_error(exc) != "db_locked" or attempt == attempts - 1:
                raise
            time.sleep(backoff * 2**attempt)
    raise AssertionError("unreachable")


def store_with_retry(
    db: sqlite_utils.Database,
    item: Article,
    run_id: int | None,
    attempts: int = DB_ATTEMPTS,
    backoff: float = DB_BACKOFF_S,
) -> str:
    """store_article with_retry; the article's savepoint is rolled back every time."""
    return with_retry(lambda: store_article(db, item, run_id), attempts, backoff)
