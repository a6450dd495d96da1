"""Every legal identifier in a text, with its canonical id and span (pure)."""

from __future__ import annotations

import bisect
import re
from functools import cached_property
from urllib.parse import urlsplit

from pipelines.legal.cases import find_cases
from pipelines.legal.context import (
    SUPREME_RE,
    congress_named,
    congress_of,
    court_mentions,
    court_near,
    state_mentions,
    state_near,
)
from pipelines.legal.identifiers import RECOGNISERS, Found
from pipelines.legal.mentions import LegalMention


def recognise(text: str, published: str | None = None) -> list[LegalMention]:
    """The identifiers of `text` in order of position. `published` (an ISO date) gives a
    federal bill its Congress when the text does not name one; without either the bill
    keeps a bare id ('hr-5628')."""
    candidates: list[Found] = []
    for pattern, build, hints in RECOGNISERS:
        if hints and not any(hint in text for hint in hints):
            continue
        for match in pattern.finditer(text):
            found = build(match)
            if found is not None:
                candidates.append(found)
    candidates.extend(find_cases(text))
    kept = _without_overlaps(candidates)
    context = _Context(text)
    return [m for m in (_in_context(f, context, published) for f in kept) if m is not None]


class _Context:
    """What the whole text says (its courts, states, Congress), worked out once and only
    when a mention needs it."""

    def __init__(self, text: str) -> None:
        self.text = text

    @cached_property
    def courts(self) -> list[tuple[int, str]]:
        return court_mentions(self.text)

    @cached_property
    def states(self) -> list[tuple[int, str]]:
        return state_mentions(self.text)

    @cached_property
    def congress(self) -> int | None:
        return congress_named(self.text)


# A Federal Register document's own page: /documents/2024/09/11/2024-20529/<slug>.
FR_PAGE = re.compile(r"/documents/\d{4}/\d{2}/\d{2}/(\d{4}-\d{5})(?:/|$)")


def recognise_url(url: str) -> list[LegalMention]:
    """The object an article's own address says it is (an official record's page).
    Such a mention has no span in the text: start and end are -1, its text the URL."""
    path = urlsplit(url).path
    match = FR_PAGE.search(path)
    if match is None:
        return []
    return [LegalMention("fr_document", match.group(1), url, -1, -1, jurisdiction="US")]


def _without_overlaps(candidates: list[Found]) -> list[Found]:
    """Where spans overlap the longer wins (a docket inside "No. 3:23-cv-03417" is one
    mention). Kept spans never overlap, so sorted by start their ends are sorted too, and
    one bisection finds the only neighbours a candidate can collide with."""
    ordered = sorted(candidates, key=lambda f: (-(f.end - f.start), f.start))
    starts: list[int] = []
    kept: list[Found] = []  # in order of start
    for f in ordered:
        i = bisect.bisect_left(starts, f.start)
        if i > 0 and kept[i - 1].end > f.start:
            continue
        if i < len(kept) and kept[i].start < f.end:
            continue
        starts.insert(i, f.start)
        kept.insert(i, f)
    return kept


def _in_context(f: Found, context: _Context, published: str | None) -> LegalMention | None:
    text, id, court, jurisdiction = context.text, f.id, f.court, f.jurisdiction
    if f.needs == "supreme":
        lo, hi = max(0, f.start - 250), min(len(text), f.end + 250)
        if not SUPREME_RE.search(text[lo:hi]):
            return None  # "No. 22-451" with no Supreme Court near is not known to be one
    elif f.needs == "court":
        court = court_near(f.start, f.end, context.courts, text)
        if court:
            id = f"{court}:{id}"
    elif f.needs == "congress":
        congress = context.congress or congress_of(published)
        if congress:
            id = f"{congress}-{id}"
    elif f.needs == "state":
        state = state_near(text, f.start, f.end, context.states)
        if state:
            id, jurisdiction = f"{state} {id}", f"US-{state}"
    return LegalMention(
        f.kind, id, text[f.start : f.end], f.start, f.end, jurisdiction=jurisdiction, court=court
    )
