"""Regulations.gov API v4 (X-Api-Key): a docket's record and its comment deadline.

`commentEndDate` is an instant in UTC: "2023-10-31T03:59:59Z" is 11:59 pm Eastern on
30 October, so the deadline's day is taken in America/New_York, not from the string."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from pipelines.legal.deadlines import Deadline

EASTERN = "America/New_York"


def docket_url(base: str, docket_id: str) -> str:
    return f"{base.rstrip('/')}/dockets/{quote(docket_id)}"


def documents_url(base: str, docket_id: str) -> str:
    query = urlencode({"filter[docketId]": docket_id, "page[size]": "25", "sort": "-postedDate"})
    return f"{base.rstrip('/')}/documents?{query}"


def eastern_day(instant: str) -> str:
    """The day in Washington of an instant the API gives in UTC."""
    moment = datetime.fromisoformat(instant.replace("Z", "+00:00"))
    return moment.astimezone(ZoneInfo(EASTERN)).date().isoformat()


def record(
    docket: dict[str, Any],
    documents: dict[str, Any],
    docket_id: str,
    slug: str,
    fetched_at: str,
) -> tuple[dict[str, Any], list[Deadline]]:
    attributes = (docket.get("data") or {}).get("attributes") or {}
    fields = {
        "title": attributes.get("title"),
        "court_or_agency": attributes.get("agencyId"),
        "status": attributes.get("docketType"),
        "official_url": f"https://www.regulations.gov/docket/{docket_id}",
        "fetched_at": fetched_at,
        "resolve_note": None,
    }
    # The latest comment end date among the docket's documents: an extension is posted
    # as a newer document (or changes the date on the notice itself).
    ends = []
    for document in documents.get("data") or []:
        attributes = document.get("attributes") or {}
        # The filter asked for this docket only; a document of another is not its date.
        if attributes.get("commentEndDate") and attributes.get("docketId") in (None, docket_id):
            ends.append(attributes["commentEndDate"])
    deadlines = []
    if ends:
        end = max(ends)
        deadlines.append(
            Deadline(
                "reg_docket",
                docket_id,
                "comments_close",
                eastern_day(end),
                EASTERN,
                f"api:{slug}",
                f"commentEndDate: {end}",
                fetched_at,
            )
        )
    return fields, deadlines
