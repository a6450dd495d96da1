"""From a candidate's similarities to a relation: pure rules, tuned on the development part
of the labeled pairs (tests/fixtures/stories/dev.yaml; bench/stories.py), never on the
held-out part.

A candidate is a stored article found through the index: one sharing an LSH band
(a possible copy) or one published within the time window that names an entity (of
the gazetteer) or a name or figure of its lead that the new article names too
(possibly the same event). The best verified candidate wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

COPY_JACCARD = 0.5  # estimated Jaccard of word 3-shingles: a syndicated copy
EVENT_COSINE = 0.63  # cosine of the title-and-lead embeddings, with a shared name
EVENT_COSINE_NAMED = 0.5  # ... or this much, with at least NAMED names in common
NAMED = 3
EVENT_WINDOW_DAYS = 4  # same-event coverage is published within this many days
# Jurisdictions ("United States", "EU") are named by most articles: they do not make
# two articles about one event, so they neither find candidates nor count as shared.
BROAD_KINDS = frozenset({"jurisdiction"})

WIRE_CREDIT = re.compile(r"\b(?:Associated Press|AP|Reuters|AFP|Agence France-Presse)\b")


@dataclass
class Candidate:
    article_id: str
    story_id: int
    jaccard: float = 0.0
    cosine: float = 0.0
    shared: list[str] = field(default_factory=list)  # names of the entities both name
    names: list[str] = field(default_factory=list)  # names and figures both leads have

    def same_event(self) -> bool:
        """Similar enough, and about the same people, bodies or figures."""
        named = len(self.names)
        return bool(
            (self.cosine >= EVENT_COSINE and (self.shared or named))
            or (self.cosine >= EVENT_COSINE_NAMED and named >= NAMED)
        )


@dataclass
class Match:
    story_id: int
    article_id: str  # the stored article it was matched with
    relation: str  # copy | same_event
    score: float
    why: str


def decide(candidates: list[Candidate]) -> Match | None:
    """The best verified candidate: a copy first (the stronger evidence), else the most
    similar same-event coverage; None when nothing verifies (a new story)."""
    copies = [c for c in candidates if c.jaccard >= COPY_JACCARD]
    if copies:
        best = max(copies, key=lambda c: (c.jaccard, c.article_id))
        return Match(
            best.story_id,
            best.article_id,
            "copy",
            round(best.jaccard, 3),
            f"shares about {best.jaccard:.0%} of its word sequences with article {best.article_id}",
        )
    events = [c for c in candidates if c.same_event()]
    if not events:
        return None
    best = max(events, key=lambda c: (c.cosine, len(c.names), c.article_id))
    said = " ".join(best.shared).lower().split()  # "getty" is already in "Getty Images"
    both = sorted(set(best.shared)) + [n for n in sorted(set(best.names)) if n not in said]
    score = round(best.cosine, 3)
    return Match(
        best.story_id,
        best.article_id,
        "same_event",
        score,
        f"title and lead similar (cosine {score:.2f}) to article {best.article_id}, "
        f"within {EVENT_WINDOW_DAYS} days, both naming {', '.join(both[:8])}",
    )


def is_wire(author: str | None, lead: str | None) -> bool:
    """A wire credit in the byline or the dateline (AP, Reuters, AFP)."""
    return bool(WIRE_CREDIT.search(author or "") or WIRE_CREDIT.search((lead or "")[:200]))
