"""Date normalisation shared by spiders, extraction and storage.

Two forms, on purpose:

- `to_iso` keeps the publisher's own UTC offset ("2023-11-08T20:00:00-05:00"). The day a
  reader sees on the page is the day in that zone; converting first would move late-evening
  stories to the next day, which is the classic wrong-date complaint about extractors.
- `to_utc` gives the UTC instant that the database stores in `*_at` columns, so that SQL
  can order and compare times across sources.
"""

from __future__ import annotations

import calendar
import re
import time
import warnings
from datetime import UTC, date, datetime

from dateutil import parser as dateutil_parser

DATE_ONLY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TIME_RE = re.compile(r"\d{1,2}:\d{2}")
MIN_YEAR, MAX_YEAR = 1990, 2100


def now_iso() -> str:
    """The current time, ISO 8601 in UTC with seconds."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def to_iso(value: object) -> str | None:
    """Normalise a date from a feed, sitemap, API or page to ISO 8601, keeping its offset.

    A bare day ("2024-03-28", "March 5, 2024") stays a bare day: inventing midnight would
    claim a precision the source never gave. A time without a zone is taken as UTC, which
    is what most CMSs mean. Returns None for anything that is not a plausible date.
    """
    if value is None or value == "":
        return None
    if isinstance(value, time.struct_time):  # feedparser's *_parsed fields are UTC
        return _plausible(datetime.fromtimestamp(calendar.timegm(value), UTC))
    if isinstance(value, datetime):
        return _plausible(value if value.tzinfo else value.replace(tzinfo=UTC))
    if isinstance(value, date):
        return value.isoformat() if MIN_YEAR <= value.year <= MAX_YEAR else None
    text = str(value).strip()
    if DATE_ONLY_RE.match(text):
        try:
            return to_iso(date.fromisoformat(text))
        except ValueError:
            return None
    try:
        with warnings.catch_warnings():  # unknown zone names ("EST") are treated as UTC
            warnings.simplefilter("ignore")
            parsed = dateutil_parser.parse(text)
    except (ValueError, OverflowError):
        return None
    if not TIME_RE.search(text):  # a day written in words, no time
        return to_iso(parsed.date())
    return to_iso(parsed)


def to_utc(iso: str | None) -> str | None:
    """The UTC form of an ISO value from `to_iso`; bare days are returned unchanged."""
    if not iso or DATE_ONLY_RE.match(iso):
        return iso
    return datetime.fromisoformat(iso).astimezone(UTC).isoformat()


def _plausible(dt: datetime) -> str | None:
    if not MIN_YEAR <= dt.year <= MAX_YEAR:
        return None
    return dt.replace(microsecond=0).isoformat()
