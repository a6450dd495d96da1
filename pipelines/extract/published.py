"""The publication date: choosing among index, JSON-LD, meta, URL and page-text evidence."""

from __future__ import annotations

import copy
import re
from datetime import date, datetime, timedelta
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
) -> tuple[str | None, str | None]:
    """The publication date and where it came from, from evidence in priority order.

    The first candidate wins (index hint, JSON-LD, meta tags, URL), with two exceptions:

    - The page's markup says it was published on one day and updated on another, and the
      page shows its readers only the update's day: the story is presented as of then.
      (Not for index hints: what a feed says was published is taken as said.)
    - The winner is a UTC timestamp: it fixes the instant but not the publisher's local
      day, so a story filed on a Tuesday evening in California reads as Wednesday (and
      CMSs with no zone configured stamp UTC on everything). Then the page's own date
      (htmldate's search of its text, costly, so only then) decides: another candidate
      on that day wins, or else the day itself if it is a local day the instant can have
      somewhere on Earth (UTC-12 to UTC+14). An index's UTC timestamp is trusted more:
      the page may only move it to such a local day.

    Measured on the date benchmark, letting the text search arbitrate other disagreements
    between candidates did worse than the priority order, so it does not.
    Without a structured candidate, a declared modification time (`fallback`) stands in:
    a page that only says when it last changed is still better evidence than a search of
    its text. Without either, the page's date is used on its own ("text"). A modification
    time standing in for the publication date is never passed off as one: its origin is
    labelled "modified:jsonld" or "modified:meta" (or "modified:feed", ...).
    """
    found = [(origin, value) for origin, value in candidates if value]
    if not found and fallback[1]:
        return fallback[1], f"modified:{fallback[0]}"
    if not found:
        page_date = search_page() if search_page else None
        return (page_date, "text") if page_date else (None, None)
    origin, value = found[0]
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
    if search_page is None or not _is_utc(value):
        return value, origin
    page_day = (search_page() or "")[:10]
    if not page_day or page_day == value[:10]:
        return value, origin
    possible = _local_day_possible(value, page_day)
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


def _local_day_possible(utc_iso: str, day: str) -> bool:
    """Whether `day` can be the local day of this UTC instant somewhere (UTC-12 to UTC+14)."""
    instant = datetime.fromisoformat(utc_iso)
    earliest = (instant - timedelta(hours=12)).date().isoformat()
    latest = (instant + timedelta(hours=14)).date().isoformat()
    return earliest <= day <= latest


MONTH_NAMES = {
    1: "jan|january|januar|janvier|enero|gennaio|jänner",
    2: "feb|february|februar|février|febrero|febbraio",
    3: "mar|march|märz|mars|marzo",
    4: "apr|april|avril|abril|aprile",
    5: "may|mai|mayo|maggio",
    6: "jun|june|juni|juin|junio|giugno",
    7: "jul|july|juli|juillet|julio|luglio",
    8: "aug|august|août|agosto",
    9: "sep|sept|september|septembre|septiembre|settembre",
    10: "oct|october|oktober|octobre|octubre|ottobre",
    11: "nov|november|novembre|noviembre",
    12: "dec|december|dezember|décembre|diciembre|dicembre",
}


def shows_day(tree: Any, day: str) -> bool:
    """Whether the page's visible text shows this day in a common numeric or written form."""
    d = date.fromisoformat(day)
    y, m, dd = d.year, d.month, d.day
    numeric = [
        f"{y}-{m:02d}-{dd:02d}",
        f"{y}/{m:02d}/{dd:02d}",
        f"{dd:02d}.{m:02d}.{y}",
        f"{dd}.{m}.{y}",
        f"{dd}. {m}. {y}",
        f"{dd:02d}/{m:02d}/{y}",
        f"{m:02d}/{dd:02d}/{y}",
        f"{m}/{dd}/{y}",
        f"{dd}/{m}/{y}",
        f"{dd:02d}.{m:02d}.{y % 100:02d}",
    ]
    names = MONTH_NAMES[m]
    pattern = re.compile(
        r"(?<!\d)(?:"
        + "|".join(re.escape(n) for n in numeric)
        + rf"|{dd}(?:st|nd|rd|th|\.)?\s+(?:{names})\.?,?\s+{y}"
        + rf"|(?:{names})\.?\s+{dd}(?:st|nd|rd|th)?,?\s+{y})(?!\d)",
        re.IGNORECASE,
    )
    text = " ".join(tree.xpath("//body//text()[not(ancestor::script) and not(ancestor::style)]"))
    return bool(pattern.search(text))


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
