"""The data both packages share: a source, what an index said, a fetched page, and what
processing made of it. Plain dataclasses, so they pickle to a worker process and need
neither Scrapy nor a database.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import Any

from pipelines.redaction import Redactor, expand, referenced

# -- the catalogue ----------------------------------------------------------------------


@dataclass(frozen=True)
class Listing:
    links: str
    next_page: str | None = None
    max_index_pages: int = 5


@dataclass(frozen=True)
class Api:
    items: str
    fields: dict[str, str]
    next_page: str | None = None
    follow: bool = True
    extra: tuple[tuple[str, str], ...] = ()  # (label, dotted path), in the file's order


# `{1}`, `{name}`, `{1|upper}` in a rewrite's replacement: a group of its pattern.
PLACEHOLDER_RE = re.compile(r"\{(\w+)(?:\|(upper|lower))?\}")


@dataclass(frozen=True)
class Rewrite:
    """Fetch an article link that matches `pattern` at another address (an API that
    serves the page's text); the article keeps the link as its URL."""

    pattern: re.Pattern[str]
    replace: str
    html_field: str | None = None  # the answer is JSON; its HTML is at this dotted path

    def apply(self, url: str) -> str | None:
        """The address to fetch for `url`, or None when the pattern does not match."""
        match = self.pattern.search(url)
        if match is None:
            return None

        def fill(placeholder: re.Match[str]) -> str:
            name, case = placeholder.group(1), placeholder.group(2)
            value = match.group(int(name) if name.isdigit() else name) or ""
            return value.upper() if case == "upper" else value.lower() if case else value

        return PLACEHOLDER_RE.sub(fill, self.replace)


@dataclass(frozen=True)
class Source:
    """One entry of a sources catalogue (crawlers/sources.py loads and validates it).

    `urls` and `headers` are templates, as written: `${NAME}` stays in them, because
    they are stored and shown. Only the spider expands them (`request_url`,
    `request_headers`) with `secrets`, the values taken from the environment, which
    nothing else may print."""

    slug: str
    name: str
    kind: str
    urls: tuple[str, ...]
    publisher: str
    category: str
    jurisdiction: str
    language: str = "en"
    verified: str | None = None  # the level: high | medium | low
    verified_on: str | None = None  # the day it was checked (ISO)
    verified_how: str | None = None  # the evidence
    notes: str | None = None
    refresh_hours: float = 24.0
    max_pages: int = 500
    requires_env: tuple[str, ...] = ()
    headers: dict[str, str] = field(default_factory=dict)
    allow: str | None = None
    enabled: bool = True
    disabled_reason: str | None = None
    listing: Listing | None = None
    api: Api | None = None
    secrets: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)
    delay_seconds: float | None = None  # at least this long between requests to a host
    rewrite: Rewrite | None = None

    @property
    def active(self) -> bool:
        return self.enabled and self.disabled_reason is None

    def request_url(self, template: str) -> str:
        return expand(template, self.secrets)

    def request_headers(self) -> dict[str, str]:
        return {name: expand(value, self.secrets) for name, value in self.headers.items()}

    @property
    def keyed_headers(self) -> tuple[str, ...]:
        """Names of the headers whose value comes from the environment."""
        return tuple(name for name, value in self.headers.items() if referenced([value]))

    @cached_property
    def redact(self) -> Redactor:
        """Puts `${NAME}` back for this source's secrets, in anything to store or log."""
        return Redactor(self.secrets)


# -- a fetched page ---------------------------------------------------------------------


@dataclass
class Hints:
    """What the index (feed, sitemap, listing or API) already said about an article."""

    title: str | None = None
    published: str | None = None  # ISO 8601, UTC when a zone was known
    updated: str | None = None
    summary: str | None = None
    author: str | None = None
    origin: str | None = None  # feed | sitemap | listing | api


# -- what processing makes of it --------------------------------------------------------


class ExtractionError(ValueError):
    """The page has no article we can use (not HTML, no body text, not language)."""


@dataclass
class Extracted:
    url: str
    canonical_url: str | None = None
    title: str | None = None
    author: str | None = None
    published: str | None = None
    published_source: str | None = None
    updated: str | None = None
    language: str | None = None
    summary: str | None = None
    text: str = field(default="", repr=False)  # kept out of log lines about the item
    image: str | None = None
    site_name: str | None = None
    provenance: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def word_count(self) -> int:
        return len(self.text.split())


# How a tag was made: by the rules of data/taxonomy.yaml, by the semantic layer over the
# exemplars of data/exemplars.yaml, or by both.
METHODS = ("rules", "semantic", "both")


@dataclass
class TopicTag:
    slug: str
    score: float  # the rules' score; 0 when only the semantic layer proposed the topic
    evidence: list[str]  # the phrases that earned it under the rules
    method: str = "rules"  # one of METHODS
    vote: float | None = None  # the semantic layer's vote, 0 to 1, when it proposed it
    passages: list[str] = field(default_factory=list)  # its sentences closest to exemplars


@dataclass
class EntityMention:
    kind: str
    name: str
    mentions: int


@dataclass
class Tagging:
    is_ai: bool
    relevance: float
    ai_evidence: list[str] = field(default_factory=list)
    topics: list[TopicTag] = field(default_factory=list)
    entities: list[EntityMention] = field(default_factory=list)
    ai_method: str | None = None  # one of METHODS when is_ai, else None
    ai_vote: float | None = None  # the semantic layer's AI vote, when it counted
    ai_passages: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "is_ai": self.is_ai,
            "relevance": self.relevance,
            "ai_method": self.ai_method,
            "ai_evidence": self.ai_evidence,
            "ai_vote": self.ai_vote,
            "ai_passages": self.ai_passages,
            "topics": [
                {
                    "slug": t.slug,
                    "method": t.method,
                    "score": t.score,
                    "evidence": t.evidence,
                    "vote": t.vote,
                    "passages": t.passages,
                }
                for t in self.topics
            ],
            "entities": [
                {"kind": e.kind, "name": e.name, "mentions": e.mentions} for e in self.entities
            ],
        }


@dataclass
class Fingerprint:
    """What the writer needs to put an article in a story (pipelines.stories.signature)."""

    minhash: bytes = field(repr=False)  # NUM_PERM little-endian uint32
    bands: list[int] = field(repr=False)  # LSH band keys of the MinHash
    vector: bytes = field(repr=False)  # the title and lead's unit embedding, float32
    names: list[str] = field(default_factory=list)  # the lead's names and figures


@dataclass
class Article:
    """A fetched article page; `pipelines.process.process_page` fills in the rest."""

    url: str
    source: str
    fetched_at: str
    status: int
    html: str = field(repr=False)  # a log line about the item must not carry the page
    etag: str | None = None
    last_modified: str | None = None
    hints: Hints = field(default_factory=Hints)
    not_modified: bool = False  # the server answered 304: the stored copy is current
    record_only: bool = False  # an API record with no page: its summary is the text
    # Set by processing (pipelines.process).
    canonical_url: str | None = None
    id: str | None = None
    extracted: Extracted | None = None
    tagging: Tagging | None = None
    content_hash: str | None = None
    legal: list[Any] | None = None  # pipelines.legal.LegalMention, in "title\n\nbody"
    deadlines: list[Any] = field(default_factory=list)  # pipelines.legal.deadlines.Deadline
    fingerprint: Fingerprint | None = None
    timings: dict[str, float] = field(default_factory=dict)  # ms per stage, where it ran
    # Set by the writer (pipelines.writer), which alone sees what is stored.
    cluster_id: str | None = None
    story_id: int | None = None
