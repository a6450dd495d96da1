"""Congress.gov API v3 (X-Api-Key): a bill's record, and the public law it became."""

from __future__ import annotations

from typing import Any

CHAMBER_PAGES = {
    "hr": "house-bill", "s": "senate-bill", "hres": "house-resolution",
    "sres": "senate-resolution", "hjres": "house-joint-resolution",
    "sjres": "senate-joint-resolution", "hconres": "house-concurrent-resolution",
    "sconres": "senate-concurrent-resolution",
}  # fmt: skip


def split_bill(canonical_id: str) -> tuple[int, str, int] | None:
    """'119-s-146' -> (119, 's', 146); None for a bill without its Congress."""
    parts = canonical_id.split("-")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[2].isdigit():
        return None
    return int(parts[0]), parts[1], int(parts[2])


def bill_url(base: str, congress: int, kind: str, number: int) -> str:
    return f"{base.rstrip('/')}/bill/{congress}/{kind}/{number}?format=json"


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def record(
    answer: dict[str, Any], congress: int, kind: str, number: int, fetched_at: str
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    bill = answer.get("bill") or {}
    action = bill.get("latestAction") or {}
    status = " ".join(x for x in (action.get("actionDate"), action.get("text")) if x) or None
    fields = {
        "title": bill.get("title"),
        "status": status,
        "court_or_agency": "Congress",
        "official_url": (
            f"https://www.congress.gov/bill/{ordinal(congress)}-congress/"
            f"{CHAMBER_PAGES.get(kind, kind)}/{number}"
        ),
        "fetched_at": fetched_at,
        "resolve_note": None,
    }
    aliases = [
        ("public_law", f"PL {law['number']}")
        for law in bill.get("laws") or []
        if law.get("number") and "public" in str(law.get("type", "")).lower()
    ]
    return fields, aliases
