"""The publication date: choosing among index, JSON-LD, meta, URL and page-text evidence."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import Any

from htmldate import find_date
from trafilatura.settings import set_date_params

from pipelines.dates import to_iso
from pipelines.extract.furniture import prune_for_dates

INDEX_ORIGINS = ("feed", "sitemap", "listing", "api")


def resolve_published(
    candidates: list[tuple[str, str | None]],
    search_page: Any,
    fallback: tuple[str | None, str | None] = (None, None),
    updated: tuple[str | None, str | None] = (None, None),
    shows_day: Any = None,
    headline_day: Any = None,
    unlabelled: str | None = None,
) -> tuple[str | None, str | None]:
    """The publication date and where it came from, from evidence in priority order.

    The first candidate wins (index hint, JSON-LD, meta tags, URL), with these exceptions:

    - The winner is a UTC timestamp and another candidate gives the same instant with the
      publisher's own offset (microdata `<time datetime="...-05:00">` beside a UTC
      `article:published_time`): that one is taken, since its day is the publisher's.
    - The page's markup says it was published on one day and updated on another, and the
      page shows its readers only the update's day: the story is presented as of then.
      (Not for index hints: what a feed says was published is taken as said.)
    - The winner is a UTC timestamp, or a generic date meta (`unlabelled`: `<meta
      name="date">`, `dc.date`, which do not say whether they date the publication, the
      last edit or the page's generation). A UTC timestamp fixes the instant but not the
      publisher's local day: a story filed on a Tuesday evening in California reads as
      Wednesday (and CMSs with no zone configured stamp UTC on everything). Then the
      page's own day decides: the day printed under its headline, or else htmldate's
      search of its text (costly, so only then). Another candidate on that day wins, or
      else the day itself if readers see it and, for a UTC timestamp, it is a local day
      the instant can have somewhere on Earth (UTC-12 to UTC+14). An index's UTC
      timestamp is trusted more: the page may only move it to such a local day.

    Measured on the date benchmark, letting the text search arbitrate other disagreements
    between candidates did worse than the priority order, so it does not.
    Without a structured candidate, a declared modification time (`fallback`) stands in:
    a page that only says when it last changed is still better evidence than a search of
    its text. Without either, the page's date is used on its own ("text"): the day
    printed under the headline, else htmldate's search. A modification time standing in
    for the publication date is never passed off as one: its origin is labelled
    "modified:jsonld" or "modified:meta" (or "modified:feed", ...).
    """
    found = [(origin, value) for origin, value in candidates if value]
    if not found and fallback[1]:
        return fallback[1], f"modified:{fallback[0]}"
    if not found:
        page_date = (headline_day() if headline_day else None) or (
            search_page() if search_page else None
        )
        return (page_date, "text") if page_date else (None, None)
    origin, value = found[0]
    if _is_utc(value):
        for other_origin, other in found[1:]:
            if not _is_utc(other) and "T" in other and _same_instant(value, other):
                return other, other_origin
    updated_origin, updated_value = updated
    if (
        shows_day
        and updated_value
        and origin in ("jsonld", "meta")
        and updated_origin in ("jsonld", "meta")
        and updated_value[:10] != value[:10]
        and shows_day(updated_value[:10])
        and not shows_day(value[:10])
    ):
        return updated_value, f"modified:{updated_origin}"
    generic = unlabelled is not None and value == unlabelled and origin == "meta"
    if search_page is None or not (_is_utc(value) or generic):
        return value, origin
    page_day = ((headline_day() if headline_day else None) or search_page() or "")[:10]
    if not page_day or page_day == value[:10]:
        return value, origin
    possible = generic or _local_day_possible(value, page_day)
    if origin in INDEX_ORIGINS and not possible:
        return value, origin  # the index's instant stands; the page may only set its day
    for other_origin, other in found[1:]:
        if other[:10] == page_day:
            return other, other_origin
    # The day alone replaces the timestamp's only where readers see it on the page: a day
    # that htmldate found elsewhere in the markup (a comment's, a teaser's) once moved a
    # page's date forward.
    if possible and (shows_day is None or shows_day(page_day)):
        return page_day, "text"
    return value, origin


def _same_instant(a: str, b: str) -> bool:
    try:
        return datetime.fromisoformat(a) == datetime.fromisoformat(b)
    except ValueError:
        return False


def _local_day_possible(utc_iso: str, day: str) -> bool:
    """Whether `day` can be the local day of this UTC instant somewhere (UTC-12 to UTC+14)."""
    instant = datetime.fromisoformat(utc_iso)
    earliest = (instant - timedelta(hours=12)).date().isoformat()
    latest = (instant + timedelta(hours=14)).date().isoformat()
    return earliest <= day <= latest


def _is_utc(iso: str) -> bool:
    return iso.endswith(("+00:00", "Z")) and "T" in iso


def search_date(tree: Any, url: str) -> str | None:
    """htmldate's search of the page, with trafilatura's settings (original date), on a
    copy without comment sections and teaser rails: their dates belong to readers and
    other stories."""
    params = set_date_params(extensive=True)
    story = copy.deepcopy(tree)
    prune_for_dates(story)
    return to_iso(find_date(story, url=url, **params))
