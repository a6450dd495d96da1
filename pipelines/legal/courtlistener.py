"""CourtListener REST API v4 (token): a federal docket's case name, court and status.

Throttled to a few requests a minute for most accounts, so the catalogue caps the
lookups of a run (`per_run`): the rest wait, oldest first, for the next run, and every
answer is kept (nothing is asked twice within the refresh time)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from pipelines.legal.cases import canonical_party

SITE = "https://www.courtlistener.com"


def split_docket(canonical_id: str) -> tuple[str, str] | None:
    """'cand:3:23-cv-03417' -> ('cand', '3:23-cv-03417'); None without a court."""
    court, sep, number = canonical_id.partition(":")
    if not sep or not court.isalpha():
        return None
    return court, number


def docket_url(base: str, court: str, number: str) -> str:
    query = urlencode({"court": court, "docket_number": number})
    return f"{base.rstrip('/')}/dockets/?{query}"


def record(answer: dict[str, Any], fetched_at: str) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """(object fields, aliases) from the first docket of a search answer; raises
    LookupError when there is none."""
    results = answer.get("results") or []
    if not results:
        raise LookupError("no such docket")
    docket = results[0]
    terminated = docket.get("date_terminated")
    status = f"terminated {terminated}" if terminated else "open"
    if docket.get("date_filed"):
        status += f" (filed {docket['date_filed']})"
    path = docket.get("absolute_url") or ""
    fields = {
        "title": docket.get("case_name"),
        "court_or_agency": docket.get("court_id"),
        "status": status,
        "official_url": SITE + path if path.startswith("/") else None,
        "fetched_at": fetched_at,
        "resolve_note": None,
    }
    aliases = []
    name = docket.get("case_name") or ""
    if " v. " in name:
        first, _, second = name.partition(" v. ")
        aliases.append(("case", f"{canonical_party(first)} v. {canonical_party(second)}"))
    return fields, aliases
