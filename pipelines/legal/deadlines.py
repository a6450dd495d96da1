"""Deadlines: what happens next to a legal object, and on which day.

A `Deadline` comes from an API field (pipelines/legal/resolve_*.py), from the curated
data/legal_deadlines.yaml, or from an article's sentence ("comments are due March 5"),
found here by `deadlines_in_text`. Pure: no database."""

from __future__ import annotations

import bisect
import re
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

from pipelines.legal.mentions import LegalMention

DEADLINE_KINDS = (
    "comments_close",
    "reply_comments",
    "effective",
    "compliance",
    "hearing",
    "application",
)
# Which source wins when two disagree about the same object and kind: an official record
# over a curated file over an article's sentence; among equals, the later statement.
SOURCE_RANK = {"article": 1, "curated": 2, "api": 3}


@dataclass(frozen=True)
class Deadline:
    object_kind: str
    object_id: str
    kind: str  # one of DEADLINE_KINDS
    date: str  # ISO day, or an ISO instant when the source gives a time
    time_zone: str | None  # the zone the date is meant in ("America/New_York"), if known
    source: str  # "api:<slug>", "curated:<file>", "article"
    evidence: str  # the field and value, the citation, or the sentence
    as_of: str | None = None  # when the source said it (article date, fetch time)
    label: str = ""  # which date, when an object has several of one kind (stages of a law)

    @property
    def rank(self) -> int:
        return SOURCE_RANK.get(self.source.split(":", 1)[0], 0)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


MONTH_NAMES = (
    "january february march april may june july august september october november december"
)
MONTHS = {m: i for i, m in enumerate(MONTH_NAMES.split(), 1)}
MONTH = r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"  # noqa: E501
DATE = (
    rf"(?:{MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?"
    rf"|\d{{1,2}}\s+{MONTH}(?:\s+\d{{4}})?|\d{{4}}-\d{{2}}-\d{{2}})"
)
# (kind, pattern): the date is the last DATE the pattern's match contains.
# Words between a cue and its date, within one clause of one sentence (a full stop inside
# a sentence is an abbreviation's: "N.D. Cal.").
GAP = r"[^;]{{0,{}}}?"
COMMENT_VERBS = r"due|deadline|close[sd]?|closing|end(?:s|ed)?|accepted|received|submitted|filed"
EFFECT = (
    r"takes? effect|took effect|goes? into effect|went into effect|becomes? effective"
    r"|effective(?: date)?"
)
CUES = [
    ("reply_comments", rf"reply comments?\b{GAP.format(40)}\b(?:due|by|until|close)\b"
     rf"{GAP.format(20)}{DATE}"),
    ("comments_close", rf"\bcomments?\b{GAP.format(60)}\b(?:{COMMENT_VERBS})\b"
     rf"{GAP.format(40)}{DATE}"),
    ("comments_close", rf"\bcomment (?:period|deadline)\b{GAP.format(60)}{DATE}"),
    ("comments_close", rf"\bcomments?\s+(?:by|until|through|no later than)\s+{DATE}"),
    ("comments_close", rf"\b(?:close[sd]?|closing|end[sd]?)\b{GAP.format(30)}\bcomments?\b"
     rf"{GAP.format(20)}{DATE}"),
    ("comments_close", rf"\bextended\b{GAP.format(60)}\b(?:to|until|through)\s+{DATE}"),
    ("effective", rf"\b(?:{EFFECT})\b{GAP.format(20)}(?:on\s+)?{DATE}"),
    ("compliance", rf"\b(?:comply|compliance)\b{GAP.format(40)}\b(?:by|on|from|date)\b"
     rf"{GAP.format(10)}{DATE}"),
    # "a hearing held on June 8" is history, not a date to come.
    ("hearing", rf"\b(?:hearing|oral argument|arguments?)\b(?:(?!\bheld\b)[^;]){{0,60}}?"
     rf"\b(?:on|for)\s+{DATE}"),
    ("application", rf"\b(?:appl(?:y|ies)|application)\b{GAP.format(20)}\bfrom\s+{DATE}"),
]  # fmt: skip
CUE_RE = [(kind, re.compile(pattern, re.IGNORECASE)) for kind, pattern in CUES]
DATE_RE = re.compile(DATE, re.IGNORECASE)
# A sentence ends at . ! or ? before a space and a capital, a quote, a bracket or a digit,
# unless the word it ends is an abbreviation: "N.D. Cal.", "No. 22-451", "Pub. L."
END_RE = re.compile(r"[.!?](?=\s+[A-Z\"“(\d])|\n")
ABBREVIATION_RE = re.compile(
    r"(?:\b[A-Z]|\b(?:No|Nos|Cal|Del|Fla|Tex|Tenn|Ill|Wash|Colo|Mass|Inc|Corp|Co|Ltd|Fed|Reg|"
    r"Pub|Mr|Mrs|Ms|Dr|Sen|Rep|Gov|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|St|"
    r"Jr|v|vs|U\.S|e\.g|i\.e|Cir|App|Supp))\.$"
)
# Objects a deadline can belong to, in order of preference when a sentence names several.
DEADLINE_OBJECTS = (
    "reg_docket", "fr_document", "fr_citation", "executive_order", "celex", "eu_procedure",
    "bill", "state_bill", "public_law", "cfr", "uk_act", "docket", "case", "nlrb_case",
)  # fmt: skip


def sentences(text: str) -> list[re.Match[str]]:
    """The sentences of a text, as matches (their span and text), abbreviations kept in."""
    spans, start = [], 0
    for end in END_RE.finditer(text):
        stop = end.end()
        if text[end.start()] == "." and ABBREVIATION_RE.search(text[max(start, stop - 8) : stop]):
            continue
        spans.append((start, stop))
        start = stop
    spans.append((start, len(text)))
    whole = re.compile(r"\S[\s\S]*\S|\S")
    return [m for a, b in spans if (m := whole.search(text, a, b))]


def parse_day(text: str, published: str | None) -> str | None:
    """An ISO day from "March 5", "March 5, 2024", "5 March 2024" or "2024-03-05". A day
    without a year is the first such day no more than 60 days before the article."""
    text = text.strip().rstrip(".")
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return text
    words = re.findall(r"[A-Za-z]+|\d+", text)
    month = next((MONTHS[w] for w in (_month(w) for w in words) if w), None)
    numbers = [int(w) for w in words if w.isdigit()]
    day = next((n for n in numbers if n <= 31), None)
    year = next((n for n in numbers if n > 31), None)
    if month is None or day is None:
        return None
    if year is None:
        if not published:
            return None
        earliest = date.fromisoformat(published[:10]) - timedelta(days=60)
        for candidate in range(earliest.year, earliest.year + 2):
            try:
                if date(candidate, month, day) >= earliest:
                    return date(candidate, month, day).isoformat()
            except ValueError:
                return None  # 30 February
        return None
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def _month(word: str) -> str | None:
    word = word.lower()
    for name in MONTHS:
        if len(word) >= 3 and name.startswith(word):
            return name
    return None


def deadlines_in_text(
    text: str,
    mentions: list[LegalMention],
    published: str | None,
    subject: LegalMention | None = None,
) -> list[Deadline]:
    """Deadlines stated in the sentences of an article, each given to the legal object
    named in its sentence, else to the article's `subject` (the record whose own page it
    is), else to the one named before it that can have deadlines (a docket or rule first,
    then the nearest). A sentence
    with a date but no object to give it to yields nothing; a later sentence about the
    same object and kind wins (the extension after the first date)."""
    found: dict[tuple[str, str, str], Deadline] = {}
    starts = [m.start for m in mentions]  # recognise() returns them in order
    for sentence in sentences(text):
        used: set[int] = set()  # a date serves one cue: "reply comments" before "comments"
        target: LegalMention | None = None
        for kind, cue in CUE_RE:
            for match in cue.finditer(sentence.group(0)):
                dates = list(DATE_RE.finditer(match.group(0)))
                if not dates or match.start() + dates[-1].start() in used:
                    continue
                used.add(match.start() + dates[-1].start())
                day = parse_day(dates[-1].group(0), published)
                # The object only for a sentence that states a deadline: most do not.
                target = target or _object_for(sentence.start(), sentence.end(), mentions,
                                               starts, subject)  # fmt: skip
                if day and target:
                    found[(target.kind, target.id, kind)] = Deadline(
                        target.kind,
                        target.id,
                        kind,
                        day,
                        "America/New_York" if target.jurisdiction == "US" else None,
                        "article",
                        sentence.group(0).strip(),
                        published,
                    )
    return list(found.values())


LOOKBACK = 5000  # characters before a sentence whose objects it may be about


def _object_for(
    start: int,
    end: int,
    mentions: list[LegalMention],
    starts: list[int],
    subject: LegalMention | None,
) -> LegalMention | None:
    def best(candidates: list[LegalMention]) -> LegalMention | None:
        usable = [m for m in candidates if m.kind in DEADLINE_OBJECTS]
        named = Counter((m.kind, m.id) for m in usable)
        # The preferred kind; then the object the article names most (its subject, not a
        # case it cites in passing); then the nearest (sorted() is stable).
        ranked = sorted(
            reversed(usable),
            key=lambda m: (DEADLINE_OBJECTS.index(m.kind), -named[(m.kind, m.id)]),
        )
        return ranked[0] if ranked else None

    lo = bisect.bisect_left(starts, start)
    hi = bisect.bisect_left(starts, end)
    inside = best(mentions[lo:hi])
    if inside or subject:
        return inside or subject
    return best(mentions[bisect.bisect_left(starts, start - LOOKBACK) : lo])
