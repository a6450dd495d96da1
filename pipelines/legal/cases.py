"""Case names: "Andersen v. Stability AI", "In re OpenAI Copyright Infringement Litigation".

A party is a run of capitalised words (with "of", "the", "and", "&" between them); the
first party loses the sentence words that precede it ("After Kadrey v. Meta ..."). The
canonical id drops corporate suffixes and a leading "The", so "The New York Times Co. v.
Microsoft Corp." and "New York Times v. Microsoft" are the same case."""

from __future__ import annotations

import re

from pipelines.legal.identifiers import Found

WORD = r"(?:[A-Z][\w'’&\-]*\.?|[A-Z]\.(?:[A-Z]\.)+|\d+[A-Za-z]*)"
JOIN = (
    r"(?:(?:\s+(?:of|the|and|for|de|&|in|on))+\s+|\s+"
    r"|,\s+(?=(?:Inc|LLC|Ltd|Corp|Co|PBC|L\.P)\b))"
)
PARTY = rf"{WORD}(?:{JOIN}{WORD}){{0,7}}"
CASE_RE = re.compile(rf"(?<![\w])({PARTY})\s+v(?:s)?\.\s+({PARTY})(?:,?\s+et\s+al\.?)?")
IN_RE_RE = re.compile(rf"\bIn\s+re:?\s+({PARTY})")

# Capitalised words that open a sentence or a phrase, never a party's name.
LEADING = {
    "a", "after", "also", "an", "and", "as", "at", "before", "both", "but", "by", "case",
    "cases", "court", "during", "filed", "following", "for", "from", "his", "her", "however",
    "if", "in", "its", "judge", "justice", "last", "lawsuit", "like", "meanwhile", "now",
    "on", "once", "plaintiffs", "ruling", "since", "so", "suit", "that", "the", "their",
    "then", "this", "though", "under", "unlike", "until", "when", "where", "while", "with",
    "within", "today", "yesterday", "monday", "tuesday", "wednesday", "thursday", "friday",
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "landmark", "settled", "separately", "district",
    "appeals", "circuit", "federal", "lawyers", "attorneys",
}  # fmt: skip
SUFFIXES = re.compile(
    r"(?:,?\s+(?:Inc|Incorporated|Corp|Corporation|Co|Company|LLC|L\.L\.C|Ltd|Limited|PBC|"
    r"LP|L\.P|PLC|N\.A)\.?)+$"
)
TRAILING = {"of", "the", "and", "for", "de", "&", "in", "on"}
SECOND_STOP = re.compile(
    r"\s+(?:In|On|After|Last|This|Judge|Justice|The|When|While|Monday|Tuesday|Wednesday|"
    r"Thursday|Friday|Saturday|Sunday|January|February|March|April|May|June|July|August|"
    r"September|October|November|December)\b.*$",
    re.DOTALL,
)


ABBREVIATIONS = {"inc.", "co.", "corp.", "ltd.", "jr.", "sr.", "st.", "bros.", "no.", "u.s."}
KEEP_JOINS = {"of", "&", "for", "the", "and", "de"}


def _is_sentence_end(word: str) -> bool:
    """A word ending in a full stop that is not an abbreviation ends a sentence."""
    if not word.endswith(".") or word.lower() in ABBREVIATIONS:
        return False
    return not re.fullmatch(r"(?:[A-Za-z]\.)+", word)  # initials: "L.L.C.", "J."


def _trim_first(party: str, offset: int) -> tuple[str, int]:
    words = party.split(" ")
    # Start after the last sentence end, and after a lowercase word that is not part of a
    # name ("Authors in Kadrey v. Meta" names Kadrey v. Meta).
    for i in range(len(words) - 1, -1, -1):
        if _is_sentence_end(words[i]) or (
            words[i].islower() and words[i] not in KEEP_JOINS and i < len(words) - 1
        ):
            offset += sum(len(w) + 1 for w in words[: i + 1])
            words = words[i + 1 :]
            break
    while words and (words[0].lower().strip(".,") in LEADING or words[0].lower() in TRAILING):
        offset += len(words[0]) + 1
        words = words[1:]
    return " ".join(words), offset


def _trim_second(party: str) -> str:
    party = SECOND_STOP.sub("", party)
    words = party.split(" ")
    for i, word in enumerate(words):
        if word in ("in", "on"):  # "v. OpenAI in Manhattan": a place, not the party
            words = words[:i]
            break
        if _is_sentence_end(word):
            words = words[: i + 1]
            words[-1] = words[-1][:-1]
            break
    while words and words[-1].lower() in TRAILING:
        words = words[:-1]
    return " ".join(words).rstrip(",")


# Words that name the kind of company, not the company: "Meta Platforms" is Meta.
GENERIC = re.compile(r"(?:\s+(?:Platforms|Technologies|Group|Holdings|Intelligence))+$")
# Short names newsrooms use for the same party.
ALIASES = {"NYT": "New York Times"}


def canonical_party(party: str) -> str:
    party = re.sub(r"\s+", " ", party).strip()
    party = re.sub(r"^The\s+", "", party)
    party = re.sub(r",?\s+et\s+al\.?$", "", party)
    party = SUFFIXES.sub("", party).strip(" ,")
    party = GENERIC.sub("", party) or party
    return ALIASES.get(party, party)


def find_cases(text: str) -> list[Found]:
    found: list[Found] = []
    for m in CASE_RE.finditer(text):
        first, start = _trim_first(re.sub(r"\s+", " ", m.group(1)), m.start(1))
        second = _trim_second(re.sub(r"\s+", " ", m.group(2)))
        if not first or not second or not re.match(r"[A-Z]", first):
            continue
        end = m.start(2) + len(second)
        if m.group(0).rstrip(".").endswith("et al") and len(second) == len(m.group(2)):
            end = m.end()
        id = f"{canonical_party(first)} v. {canonical_party(second)}"
        found.append(Found("case", id, start, end, "US"))
    for m in IN_RE_RE.finditer(text):
        name = _trim_second(re.sub(r"\s+", " ", m.group(1)))
        if not name:
            continue
        end = m.start(1) + len(name)
        found.append(Found("case", f"In re {canonical_party(name)}", m.start(), end, "US"))
    return found
