"""Names as people type them, to the names the store keeps.

Entities are stored under one canonical name with their aliases folded in
(data/taxonomy.yaml), and sources carry a jurisdiction code (US, GB, EU, US-CA). A reader
types "openai", "NYT", "GB" or "United Kingdom": this module maps any of them to what
the rows say, ignoring case. Pure, no database; cached per taxonomy file.
"""

from __future__ import annotations

from functools import lru_cache

from pipelines.tagging import load_taxonomy

# Source jurisdiction codes (sources.jurisdiction) and the jurisdiction entity they mean.
JURISDICTION_CODES = {
    "EU": "European Union",
    "US": "United States",
    "GB": "United Kingdom",
    "FR": "France",
    "IT": "Italy",
    "IE": "Ireland",
    "DE": "Germany",
    "CN": "China",
    "US-CA": "California",
    "US-CO": "Colorado",
    "US-IL": "Illinois",
    "US-TN": "Tennessee",
    "US-NY": "New York",
    "US-TX": "Texas",
}
# Common names for the taxonomy's entities that the taxonomy does not list as aliases
# (they would be too ambiguous to tag text with, but are clear in a lookup box).
EXTRA_ALIASES = {"nyt": "The New York Times", "uk": "United Kingdom", "usa": "United States"}


@lru_cache(maxsize=1)
def _aliases() -> dict[str, str]:
    out = {}
    for _kind, name, term in load_taxonomy().gazetteer:
        out.setdefault(term.phrase.lower(), name)
        out.setdefault(name.lower(), name)
    for code, name in JURISDICTION_CODES.items():
        out.setdefault(code.lower(), name)
    for alias, name in EXTRA_ALIASES.items():
        out.setdefault(alias, name)
    return out


def canonical_entity(typed: str | None) -> str:
    """The stored name for an entity typed any way; the typed text, trimmed, otherwise
    (names found by patterns, such as court cases, match ignoring case in SQL)."""
    text = " ".join((typed or "").split())
    return _aliases().get(text.lower(), text)


def jurisdiction_code(typed: str | None) -> str:
    """The sources.jurisdiction code for "GB", "gb", "United Kingdom" or "UK"; the typed
    text upper-cased when it is no known jurisdiction."""
    text = " ".join((typed or "").split())
    if text.upper() in JURISDICTION_CODES:
        return text.upper()
    name = canonical_entity(text)
    for code, known in JURISDICTION_CODES.items():
        if known == name:
            return code
    return text.upper()
