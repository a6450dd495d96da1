"""What the database already knows, read by the spiders to crawl incrementally.

A crawl asks three questions of it: which validators (ETag, Last-Modified) to send with
a request, whether an article listed by an index is already stored and fresh, and, at
the end of a source's run, which index validators to keep. Reads and writes are small
and keyed by URL, so their cost grows with what a run fetches, not with the archive.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlite_utils

from pipelines.dates import DATE_ONLY_RE, now_iso
from pipelines.model import Hints
from pipelines.redaction import Redactor
from pipelines.urls import article_id, canonicalize_url


@dataclass(frozen=True)
class Stored:
    """The stored facts about an article that decide whether to fetch it again."""

    last_seen_at: str | None
    published_at: str | None
    updated_at: str | None
    etag: str | None
    last_modified: str | None


class CrawlState:
    """A read-mostly view of the database for one crawler (this is not a cache).

    URLs are looked up as they are stored: redacted (`${NAME}` for a key), so that a
    request's real URL finds what was saved for it.
    """

    def __init__(self, db_path: str | Path, redact: Redactor | None = None) -> None:
        from pipelines.store import open_db

        self.db = open_db(db_path)
        self.redact = redact or Redactor()

    def close(self) -> None:
        self.db.close()

    def stored_article(self, url: str) -> Stored | None:
        row = self.db.execute(
            "select last_seen_at, published_at, updated_at, etag, last_modified "
            "from articles where id = ?",
            [article_id(canonicalize_url(self.redact(url)))],
        ).fetchone()
        return Stored(*row) if row else None

    def index_validators(self, url: str) -> tuple[str | None, str | None] | None:
        row = self.db.execute(
            "select etag, last_modified from http_validators where url = ?", [self.redact(url)]
        ).fetchone()
        return (row[0], row[1]) if row else None


def save_index_validators(db: sqlite_utils.Database, validators: dict[str, tuple]) -> None:
    """Remember the validators of index pages that a source read completely."""
    with db.atomic():
        for url, (etag, last_modified) in validators.items():
            db["http_validators"].upsert(
                {"url": url, "etag": etag, "last_modified": last_modified, "saved_at": now_iso()},
                pk="url",
            )


def _later(hinted: str | None, known: str | None) -> bool:
    """Whether the index's date is later than the stored one, at the precision both have.

    Two instants are compared as instants (offsets included). When either side is a bare
    day, the day is local to a publisher whose zone we may not know, so the hint counts as
    later only if it is later on every clock: the earliest calendar day the hint can be
    anywhere (UTC-12) against the latest day the stored value can be (UTC+14). A stored
    "2024-03-28" is therefore not older than "2024-03-28T23:30:00-05:00"; a change within
    the same day is left to the refresh interval, which is what it is for.
    """
    if not hinted or not known:
        return False
    try:
        if not DATE_ONLY_RE.match(hinted) and not DATE_ONLY_RE.match(known):
            return datetime.fromisoformat(hinted) > datetime.fromisoformat(known)
        return _day(hinted, -12) > _day(known, +14)
    except (ValueError, TypeError):  # TypeError: a naive time against an aware one
        return False  # not a date we wrote: let the refresh interval decide


def _day(value: str, utc_offset_hours: int) -> str:
    """A bare day as is; an instant as its calendar day at the given UTC offset."""
    if DATE_ONLY_RE.match(value):
        return value
    instant = datetime.fromisoformat(value)
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return (instant.astimezone(UTC) + timedelta(hours=utc_offset_hours)).date().isoformat()


def needs_fetch(
    stored: Stored | None, hints: Hints, refresh_hours: float, now: datetime | None = None
) -> str | None:
    """Why an article should be fetched ("new", "index shows a change", "refresh due"),
    or None when the stored copy is current.
    """
    if stored is None:
        return "new"
    for hinted, known in (
        (hints.updated, stored.updated_at),
        (hints.published, stored.published_at),
    ):
        if _later(hinted, known):
            return "index shows a change"
    if not stored.last_seen_at:
        return "refresh due"
    now = now or datetime.now(UTC)
    last_seen = datetime.fromisoformat(stored.last_seen_at)
    if now - last_seen >= timedelta(hours=refresh_hours):
        return "refresh due"
    return None
