"""What a person types into a search box, as an FTS5 query that cannot be a syntax error.

FTS5 has its own query language: a bare `SAG-AFTRA` is "SAG, minus the column AFTRA",
`C++`, `AT&T` and `OpenAI's` are syntax errors, and so is a stray quote. A journalist
should not need to know any of that, so every word is sent as a quoted FTS5 string
(FTS5's own tokenizer then splits it as it split the indexed text: `"SAG-AFTRA"` is the
phrase "sag aftra"). What people do mean as syntax is kept: "balanced phrases", a
trailing `*` for a prefix, `OR` / `AND` / `NOT` in capitals, and `-word` to exclude.

Pure: no database. `tests/test_fts_query.py` runs thousands of odd strings through it
against real FTS5 tables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

OPERATORS = ("OR", "AND", "NOT")
MAX_TERMS = 32  # a pasted paragraph should not become a 500-term query
MAX_INPUT = 500
MIN_PREFIX = 3  # letters before a `*`
TOKEN = re.compile(r'"([^"]*)"(\*?)|([^\s"()]+)')
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Term:
    text: str  # never contains a double quote (they split terms)
    prefix: bool = False  # `regulat*`
    phrase: bool = False  # typed in quotes

    def fts(self, expansions: dict[str, list[str]] | None = None) -> str:
        """This term in FTS5 syntax. A prefix found in `expansions` (its words in the
        index's vocabulary) becomes an OR of those words: FTS5 reads an OR lazily in
        rowid order, but builds a prefix's whole list of matches before the first."""
        if self.prefix and expansions is not None and self.text.lower() in expansions:
            words = expansions[self.text.lower()]
            return "(" + " OR ".join(f'"{w}"' for w in words) + ")" if words else '""'
        star = "*" if self.prefix else ""
        joined = self.text.replace("-", "")
        if not self.phrase and joined != self.text and joined.isalnum():
            # co-pilot is also written copilot, e-mail email: either spelling matches.
            return f'("{self.text}"{star} OR "{joined}"{star})'
        return f'"{self.text}"{star}'


@dataclass(frozen=True)
class SearchQuery:
    """The parsed query: terms, and the operators people typed between them."""

    items: tuple[Term | str, ...]

    @property
    def terms(self) -> list[Term]:
        return [item for item in self.items if isinstance(item, Term)]

    @property
    def has_prefix(self) -> bool:
        return any(term.prefix for term in self.terms)

    @property
    def empty(self) -> bool:
        return not self.terms

    def fts(self, expansions: dict[str, list[str]] | None = None) -> str:
        """The FTS5 query; `""` (which matches nothing, without an error) when empty.
        `expansions` maps a prefix (lowercased) to the indexed words it stands for."""
        if self.empty:
            return '""'
        out: list[str] = []
        for item in self.items:
            if isinstance(item, Term):
                if out and out[-1] not in OPERATORS:
                    out.append("AND")  # explicit: FTS5 has no implicit AND after a group
                out.append(item.fts(expansions))
            else:
                out.append(item)
        return " ".join(out)

    def prefixes(self) -> list[str]:
        """Single-word prefixes, lowercased: the ones the vocabulary can expand."""
        return [t.text.lower() for t in self.terms if t.prefix and re.fullmatch(r"\w+", t.text)]

    def words(self) -> list[str]:
        """Plain words (no phrase, no prefix), lowercased: candidates for "did you mean"."""
        return [
            t.text.lower()
            for t in self.terms
            if not t.prefix and not t.phrase and re.fullmatch(r"\w+", t.text)
        ]

    def replaced(self, old: str, new: str) -> SearchQuery:
        """The same query with one plain word replaced (a "did you mean" suggestion)."""
        return SearchQuery(
            tuple(
                Term(new) if isinstance(i, Term) and i.text.lower() == old and not i.phrase else i
                for i in self.items
            )
        )

    def text(self) -> str:
        """The query as a person would type it again."""
        out = []
        for item in self.items:
            if isinstance(item, str):
                out.append(item)
            else:
                quote = item.phrase or item.text in OPERATORS  # a word "OR" stays a word
                word = f'"{item.text}"' if quote else item.text
                out.append(word + ("*" if item.prefix else ""))
        return " ".join(out)


def searchable(text: str) -> bool:
    """Whether FTS5's unicode61 tokenizer finds a token in it (letters and digits)."""
    return any(ch.isalnum() for ch in text)


def parse(typed: str | None) -> SearchQuery:
    """Whatever was typed, as a SearchQuery. Never raises."""
    text = CONTROL.sub(" ", (typed or "")[:MAX_INPUT])
    # A stray quote (an odd one out) is dropped, so the rest pair up as phrases.
    if text.count('"') % 2:
        last = text.rfind('"')
        text = text[:last] + " " + text[last + 1 :]
    items: list[Term | str] = []
    for match in TOKEN.finditer(text):
        phrase, star, word = match.groups()
        if phrase is not None:
            if searchable(phrase):
                prefix = bool(star) and sum(ch.isalnum() for ch in phrase) >= MIN_PREFIX
                items.append(Term(" ".join(phrase.split()), prefix=prefix, phrase=True))
            continue
        if word in OPERATORS:
            items.append(word)
            continue
        word, prefix = word.replace("*", ""), word.endswith("*")
        # A one- or two-letter prefix (a*, AI*) stands for a large part of the index and
        # costs seconds at a million articles: it is searched as the word itself.
        prefix = prefix and sum(ch.isalnum() for ch in word) >= MIN_PREFIX
        exclude = word.startswith("-") and len(items) > 0
        word = word.lstrip("-+")
        if not searchable(word):
            continue
        if exclude:
            items.append("NOT")
        items.append(Term(word, prefix=prefix))
        if len([i for i in items if isinstance(i, Term)]) >= MAX_TERMS:
            break
    return SearchQuery(tuple(_valid_operators(items)))


def _valid_operators(items: list[Term | str]) -> list[Term | str]:
    """Operators only between two terms, one at a time (the first of a run wins)."""
    out: list[Term | str] = []
    for item in items:
        if isinstance(item, str):
            if out and isinstance(out[-1], Term):
                out.append(item)
        else:
            out.append(item)
    while out and isinstance(out[-1], str):
        out.pop()
    return out


def to_fts(typed: str | None) -> str:
    """The FTS5 query for what was typed (`""` when nothing searchable was typed)."""
    return parse(typed).fts()
