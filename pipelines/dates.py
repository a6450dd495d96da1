"""Date normalisation shared by spiders and extraction: everything becomes ISO 8601 UTC."""

from __future__ import annotations

import calendar
import re
import time
from datetime import UTC, date, datetime

from dateutil import parser as dateutil_parser

DATE_ONLY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def now_iso() -> str:
    """The current time, ISO 8601 in UTC with seconds."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def to_iso(value: object) -> str | None:
    """Normalise a date from a feed, sitemap, API or page to ISO 8601.

    Values with a time and zone become UTC datetimes. A bare day ("2024-03-28") stays a
    bare day: inventing midnight would claim a precision the source never gave. A time
    without a zone is taken as UTC, which is what most CMSs mean. Returns None for
    anything that is not a plausible date, rather than guessing.
    """
    if value is None or value == "":
        return None
    if isinstance(value, time.struct_time):  # feedparser's *_parsed fields are UTC
        dt = datetime.fromtimestamp(calendar.timegm(value), UTC)
        return _plausible(dt)
    if isinstance(value, datetime):
        dt = value if value.tzinfo else value.replace(tzinfo=UTC)
        return _plausible(dt.astimezone(UTC))
    if isinstance(value, date):
        return value.isoformat() if 1990 <= value.year <= 2100 else None
    text = str(value).strip()
    if DATE_ONLY_RE.match(text):
        try:
            return to_iso(date.fromisoformat(text))
        except ValueError:
            return None
    try:
        dt = dateutil_parser.parse(text)
    except (ValueError, OverflowError):
        return None
    if not re.search(r"\d{1,2}:\d{2}", text):  # a day written in words, no time
        return to_iso(dt.date())
    return to_iso(dt)


def _plausible(dt: datetime) -> str | None:
    if not 1990 <= dt.year <= 2100:
        return None
    return dt.replace(microsecond=0).isoformat()


def day_of(iso: str | None) -> str | None:
    """The YYYY-MM-DD part of an ISO value."""
    return iso[:10] if iso else None
