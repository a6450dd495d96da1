"""Federal Register API v1 (no key): a document's record and its dates.

The search answers few fields unless asked, so every request names the fields it needs
(`fields[]=`). Its `page` parameter silently starts again at 1 above 50, so a search is
never paged past 50: `search_url` refuses, and callers narrow the query instead."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from pipelines.legal.deadlines import Deadline

FIELDS = (
    "document_number", "title", "type", "subtype", "html_url", "publication_date",
    "agencies", "citation", "executive_order_number", "comments_close_on", "effective_on",
    "docket_ids", "regulations_dot_gov_info", "dates", "cfr_references",
)  # fmt: skip
DATE_FIELDS = (("comments_close_on", "comments_close"), ("effective_on", "effective"))
MAX_PAGE = 50  # above it the API silently answers page 1
EASTERN = "America/New_York"  # Federal Register dates are Washington's days


def document_url(base: str, number: str) -> str:
    query = urlencode([("fields[]", f) for f in FIELDS])
    return f"{base.rstrip('/')}/documents/{quote(number)}.json?{query}"


def search_url(
    base: str, conditions: list[tuple[str, str]], page: int = 1, per_page: int = 20
) -> str:
    """A search; `conditions` are (name, value) such as ("term", "14110")."""
    if not 1 <= page <= MAX_PAGE:
        raise ValueError(f"Federal Register search page {page}: the API resets above {MAX_PAGE}")
    pairs = [(f"conditions[{k}]", v) for k, v in conditions]
    pairs += [("fields[]", f) for f in FIELDS]
    pairs += [("per_page", str(per_page)), ("page", str(page))]
    return f"{base.rstrip('/')}/documents.json?{urlencode(pairs)}"


def executive_order_url(base: str, number: str) -> str:
    return search_url(base, [("term", number), ("presidential_document_type][", "executive_order")])


def pick_executive_order(answer: dict[str, Any], number: str) -> dict[str, Any] | None:
    """The search result that is the order itself (the term also finds documents citing it)."""
    for result in answer.get("results") or []:
        if str(result.get("executive_order_number") or "") == number:
            return result
    return None


def record(
    doc: dict[str, Any], kind: str, canonical_id: str, slug: str, fetched_at: str
) -> tuple[dict[str, Any], list[Deadline], list[tuple[str, str]]]:
    """(object fields, deadlines, aliases as (kind, id)) from one document's JSON."""
    agencies = [a.get("name") or a.get("raw_name") for a in doc.get("agencies") or []]
    fields = {
        "title": doc.get("title"),
        "status": " / ".join(x for x in (doc.get("type"), doc.get("subtype")) if x) or None,
        "official_url": doc.get("html_url"),
        "court_or_agency": "; ".join(a for a in agencies if a) or None,
        "fetched_at": fetched_at,
        "resolve_note": None,
    }
    source = f"api:{slug}"
    deadlines = []
    for field, deadline_kind in DATE_FIELDS:
        value = doc.get(field)
        if value:
            deadlines.append(
                Deadline(kind, canonical_id, deadline_kind, str(value)[:10], EASTERN, source,
                         f"{field}: {value}", fetched_at)
            )  # fmt: skip
    aliases = []
    if doc.get("document_number") and kind != "fr_document":
        aliases.append(("fr_document", str(doc["document_number"])))
    if doc.get("citation"):
        aliases.append(("fr_citation", str(doc["citation"]).replace("  ", " ")))
    if doc.get("executive_order_number") and kind != "executive_order":
        aliases.append(("executive_order", f"EO {doc['executive_order_number']}"))
    for docket in doc.get("docket_ids") or []:
        if isinstance(docket, str) and "-" in docket and docket.split("-")[0].isupper():
            aliases.append(("reg_docket", docket))
    info = doc.get("regulations_dot_gov_info") or {}
    if isinstance(info, dict) and info.get("docket_id"):
        aliases.append(("reg_docket", str(info["docket_id"])))
    return fields, deadlines, sorted(set(aliases))
