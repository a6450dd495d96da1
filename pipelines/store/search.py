"""The site's search over the store: what /search, its feed and the topic, entity and
jurisdiction pages show. Plain sqlite3 (the site runs it in Datasette's reader thread).

Why the cost does not grow with the archive: FTS5 hands out matches in rowid order (the
order articles were stored) and stops at WINDOW, so a search reads at most WINDOW
matches however many there are; filters, ordering and counts work on those. Words use
the porter-stemmed index ("strikes" finds "strike"); a query with a prefix (`regulat*`)
uses the unstemmed one, where regulation, regulatory and regulators all start with
"regulat". Snippets are made for the rows of one page only.
"""

from __future__ import annotations

import difflib
import json
import sqlite3
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from pipelines.names import canonical_entity, jurisdiction_code
from pipelines.store.fts_query import SearchQuery, parse

WINDOW = 2000  # matches read per search, the most recently stored first
PER_PAGE = 20
SNIPPET_OPEN, SNIPPET_CLOSE = "\x02", "\x03"  # marked in SQL, escaped, then <mark>ed
ORDERS = ("newest", "relevance")


@dataclass
class Filters:
    topic: str = ""
    source: str = ""
    since: str = ""  # YYYY-MM-DD, inclusive
    until: str = ""
    ai_only: bool = False
    jurisdiction: str = ""  # a code or name, as typed
    entity_id: str = ""
    one_per_story: bool = False  # feeds: a story once, as its original (docs/stories.md)

    def sql(self) -> tuple[str, list[Any]]:
        """A condition on `a` (articles) and its parameters; "1" when there is none."""
        where, params = [], []
        if self.topic:
            where.append(
                "exists (select 1 from article_topics t where t.article_id = a.id and t.topic = ?)"
            )
            params.append(self.topic)
        if self.source:
            where.append("a.source = ?")
            params.append(self.source)
        if self.since:
            where.append("a.published_day >= ?")
            params.append(self.since)
        if self.until:
            where.append("a.published_day <= ?")
            params.append(self.until)
        if self.ai_only:
            where.append("a.is_ai = 1")
        if self.jurisdiction:
            code = jurisdiction_code(self.jurisdiction)
            # Sources of the jurisdiction or of a part of it (US: US-CA), or articles
            # that name it. substr, not LIKE: a typed % or _ is no wildcard.
            where.append(
                "(a.source in (select slug from sources where jurisdiction = ? "
                "or substr(jurisdiction, 1, ?) = ?) or exists (select 1 from "
                "article_entities ae join entities e on e.id = ae.entity_id where "
                "ae.article_id = a.id and e.kind = 'jurisdiction' and e.name = ? collate nocase))"
            )
            params += [code, len(code) + 1, code + "-", canonical_entity(self.jurisdiction)]
        if self.entity_id:
            where.append(
                "exists (select 1 from article_entities ae where ae.article_id = a.id "
                "and ae.entity_id = ?)"
            )
            params.append(self.entity_id)
        if self.one_per_story:
            where.append("coalesce(a.story_relation, 'original') = 'original'")
        return (" and ".join(where) or "1"), params


@dataclass
class SearchAnswer:
    typed: str
    query: SearchQuery
    order: str
    page: int
    per_page: int
    total: int  # matches after filters, of the WINDOW read
    capped: bool  # more than WINDOW matches: total counts the most recent WINDOW only
    results: list[dict[str, Any]] = field(default_factory=list)
    suggestion: str | None = None
    error: str | None = None  # why there is no answer (the time limit), for the reader

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


ARTICLE_COLUMNS = (
    "a.rowid as rowid, a.id, a.title, a.url, a.source, coalesce(s.name, a.source) as "
    "source_name, a.published_at, a.published_day, a.first_seen_at, a.author, a.topics, "
    "a.is_ai, a.cluster_id, coalesce(a.summary, substr(a.body, 1, 400)) as summary, "
    "(select st.outlets from stories st where st.id = a.story_id) as story_outlets"
)


def search(
    conn: sqlite3.Connection,
    typed: str | None,
    filters: Filters | None = None,
    order: str = "newest",
    page: int = 1,
    per_page: int = PER_PAGE,
) -> SearchAnswer:
    """One page of what was typed (the latest articles when nothing searchable was)."""
    query = parse(typed)
    filters = filters or Filters()
    order = order if order in ORDERS else "newest"
    page = max(1, min(page, WINDOW // per_page))
    where, params = filters.sql()
    if query.empty:
        order = "newest"
        total = conn.execute(f"select count(*) from articles a where {where}", params).fetchone()[0]
        capped = False
        rowids = [
            r[0]
            for r in conn.execute(
                f"select a.rowid from articles a where {where} "
                "order by a.published_at desc, a.rowid desc limit ? offset ?",
                [*params, per_page, (page - 1) * per_page],
            )
        ]
    else:
        index = "articles_fts_words" if query.has_prefix else "articles_fts"
        fts = query.fts(expand_prefixes(conn, query))
        rank = f"bm25({index})" if order == "relevance" else "0"
        # One pass over the window (plus one row, to tell whether there were more):
        # the filters are evaluated per match rather than in WHERE so that the FTS
        # search runs once for both the results and the "2,000+" count.
        rows = conn.execute(
            f"with m as (select rowid, {rank} as rank from {index} where {index} match ? "
            "order by rowid desc limit ?) "
            f"select a.rowid, m.rank, a.published_at, ({where}) as ok "
            "from m join articles a on a.rowid = m.rowid",
            [fts, WINDOW + 1, *params],
        ).fetchall()
        rows = sorted((tuple(r) for r in rows), key=lambda r: r[0], reverse=True)
        capped = len(rows) > WINDOW
        matches = [r for r in rows[:WINDOW] if r[3]]
        if order == "relevance":
            matches.sort(key=lambda r: (r[1], -r[0]))
        else:
            matches.sort(key=lambda r: (r[2] or "", r[0]), reverse=True)
        total = len(matches)
        start = (page - 1) * per_page
        rowids = [r[0] for r in matches[start : start + per_page]]
    results = _rows(conn, rowids)
    if not query.empty and rowids:
        _add_snippets(conn, index, fts, results)
    answer = SearchAnswer(
        typed=typed or "",
        query=query,
        order=order,
        page=page,
        per_page=per_page,
        total=total,
        capped=capped,
        results=results,
    )
    if not query.empty and total == 0:
        answer.suggestion = suggest(conn, query)
    return answer


def _rows(conn: sqlite3.Connection, rowids: list[int]) -> list[dict[str, Any]]:
    if not rowids:
        return []
    marks = ",".join("?" * len(rowids))
    cursor = conn.execute(
        f"select {ARTICLE_COLUMNS} from articles a left join sources s on s.slug = a.source "
        f"where a.rowid in ({marks})",
        rowids,
    )
    names = [d[0] for d in cursor.description]
    rows = [dict(zip(names, tuple(row), strict=True)) for row in cursor.fetchall()]
    topic_names = {r[0]: r[1] for r in conn.execute("select slug, name from topics")}
    for item in rows:
        slugs = json.loads(item["topics"] or "[]")
        item["topics"] = slugs
        item["topic_names"] = [(slug, topic_names.get(slug) or slug) for slug in slugs]
        item["snippet"] = None
    by_rowid = {item["rowid"]: item for item in rows}
    return [by_rowid[r] for r in rowids if r in by_rowid]


def _add_snippets(conn: sqlite3.Connection, index: str, fts: str, results: list[dict]) -> None:
    """Snippets for the rows of one page, one lookup each: a few milliseconds for 20
    rows, where one pass over the page's rowid range made a snippet for every match
    in between (hundreds, at a million articles)."""
    for result in results:
        row = conn.execute(
            f"select snippet({index}, -1, char(2), char(3), '…', 24) from {index} "
            f"where {index} match ? and rowid = ?",
            [fts, result["rowid"]],
        ).fetchone()
        result["snippet"] = row[0] if row else None


MAX_EXPANSION = 64  # words a prefix may stand for; regulat* stands for five


def expand_prefixes(conn: sqlite3.Connection, query: SearchQuery) -> dict[str, list[str]]:
    """Each single-word prefix of the query, as the words of the unstemmed index that
    start with it (its vocabulary is sorted, so this is one range read). The commonest
    MAX_EXPANSION words when there are more."""
    out = {}
    for prefix in query.prefixes():
        rows = vocabulary_range(conn, fold(prefix), 300)
        ranked = sorted(rows, key=lambda r: -r[1])[:MAX_EXPANSION]
        out[prefix] = sorted(r[0] for r in ranked)
    return out


# The vocabulary counts every word's articles as it is read (25 ms for a common word at
# a million articles), and it changes only when articles are written: ranges already read
# are kept, per database file and its newest rowid, so a new crawl starts afresh. (A word
# that only an edited article gained is missed until the next article is stored.)
_VOCABULARY: OrderedDict[tuple[str, int, str, int], list[tuple[str, int]]] = OrderedDict()
VOCABULARY_CACHE = 1024


def vocabulary_range(conn: sqlite3.Connection, start: str, limit: int) -> list[tuple[str, int]]:
    """(word, articles) for the indexed words that start with `start`, in order."""
    file = conn.execute("pragma database_list").fetchone()[2]
    newest = conn.execute("select max(rowid) from articles").fetchone()[0] or 0
    key = (file, newest, start, limit)
    if key in _VOCABULARY:
        _VOCABULARY.move_to_end(key)
        return _VOCABULARY[key]
    rows = [
        (r[0], r[1])
        for r in conn.execute(
            "select term, doc from articles_fts_words_vocab where term >= ? and term < ? limit ?",
            [start, start + "\uffff", limit],
        )
    ]
    _VOCABULARY[key] = rows
    while len(_VOCABULARY) > VOCABULARY_CACHE:
        _VOCABULARY.popitem(last=False)
    return rows


def fold(word: str) -> str:
    """A word as unicode61 with remove_diacritics indexes it: lowercased, unaccented."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def suggest(conn: sqlite3.Connection, query: SearchQuery) -> str | None:
    """A query to try instead, from the index's own vocabulary: each plain word no article
    contains replaced by the closest word that articles do contain ("copywrite" ->
    "copyright"), or two words that are one ("deep fake" -> "deepfake")."""

    def docs(term: str) -> int:
        # Whether any article has the word: the first match only (the vocabulary would
        # count all of them, 25 ms for a common word at a million articles).
        row = conn.execute(
            "select 1 from articles_fts_words where articles_fts_words match ? limit 1",
            [f'"{fold(term)}"'],
        ).fetchone()
        return 1 if row else 0

    words = query.words()
    for first, second in zip(words, words[1:], strict=False):
        joined = vocabulary_range(conn, fold(first + second), 1)  # "deep fake": deepfake(s)
        if joined:
            return query.replaced(first, joined[0][0]).text().replace(f" {second}", "", 1)
    suggestion, changed = query, False
    for word in words:
        if len(word) < 3 or docs(word):
            continue
        # Words sharing the first three letters: one short range of the sorted
        # vocabulary (two letters is a thousand words to count at a million articles).
        candidates = vocabulary_range(conn, fold(word[:3]), 500)
        counts = dict(candidates)
        close = difflib.get_close_matches(word, list(counts), n=5, cutoff=0.75)
        if close:
            best = max(close, key=lambda term: counts[term])  # the commonest close word
            suggestion, changed = suggestion.replaced(word, best), True
    return suggestion.text() if changed else None
