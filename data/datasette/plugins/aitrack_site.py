"""aitrack's Datasette plugin: article pages, the dashboard, safe search highlighting.

Loaded with `--plugins-dir data/datasette/plugins` by `aitrack serve`. Everything taken
from crawled pages is escaped here before any markup of ours is added, so a title or body
containing <script> is shown as text.
"""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from typing import Any

from datasette import hookimpl
from datasette.utils.asgi import NotFound, Response
from markupsafe import Markup, escape

from pipelines.atom import safe_url

# Snippets are marked with control characters in SQL (see the `search` query), escaped
# here, and only then given <mark> tags: the article text itself can never become markup.
SNIPPET_OPEN, SNIPPET_CLOSE = "\x02", "\x03"
ARTICLE_ID = re.compile(r"^[0-9a-f]{16}$")
ID_COLUMNS = ("id", "article_id", "cluster_id")
ARTICLE_TABLES = (None, "articles", "article_topics", "article_entities", "article_revisions")


@hookimpl
def render_cell(
    row: Any, value: Any, column: str, table: str | None, database: str, datasette: Any
) -> Markup | None:
    if isinstance(value, str) and SNIPPET_OPEN in value:
        return highlight_markers(value)
    if (
        column in ID_COLUMNS
        and table in ARTICLE_TABLES
        and isinstance(value, str)
        and ARTICLE_ID.match(value)
    ):
        return Markup('<a href="{}">{}</a>').format(datasette.urls.path(f"/article/{value}"), value)
    return None


def highlight_markers(value: str) -> Markup:
    """Escape a snippet, then turn its control-character markers into <mark> tags."""
    text = str(escape(value))
    return Markup(text.replace(SNIPPET_OPEN, "<mark>").replace(SNIPPET_CLOSE, "</mark>"))


def highlight_evidence(
    text: str,
    phrases: list[tuple[str, str]],
    passages: list[tuple[str, str]] | None = None,
) -> Markup:
    """Escaped text with each (topic, phrase) of the rules wrapped in <mark>, and each
    (topic, sentence) the semantic layer chose wrapped in a <span class="passage">.

    A phrase is marked only where it stands as whole words: "law" is evidence, the "law"
    inside "unlawful" is not. Where phrases overlap the longer wins, and a phrase is
    marked inside a passage but never across its edge. Escaped segment by segment.
    """
    sentences = _spans(text, passages or [], whole_words=False)
    marks = [
        m
        for m in _spans(text, phrases, whole_words=True)
        if not any(m[0] < edge < m[1] for s in sentences for edge in s[:2])
    ]
    out, position = [], 0
    for start, end, topic in sentences:
        out.append(_marked(text, position, start, marks))
        out.append(
            Markup('<span class="passage topic-{}" title="{}: closest to its exemplars">').format(
                topic, topic
            )
        )
        out.append(_marked(text, start, end, marks))
        out.append(Markup("</span>"))
        position = end
    out.append(_marked(text, position, len(text), marks))
    return Markup("").join(out)


def _spans(
    text: str, items: list[tuple[str, str]], whole_words: bool
) -> list[tuple[int, int, str]]:
    """Where each (topic, phrase) occurs, without overlaps (the longer first)."""
    found = []
    for topic, phrase in items:
        if not phrase:
            continue
        pattern = re.escape(phrase)
        # Whole words: no word character may continue the phrase's first or last word.
        if whole_words and re.match(r"\w", phrase):
            pattern = rf"(?<!\w){pattern}"
        if whole_words and re.search(r"\w$", phrase):
            pattern = rf"{pattern}(?!\w)"
        found.extend((m.start(), m.end(), topic) for m in re.finditer(pattern, text))
    found.sort(key=lambda s: (s[0], -(s[1] - s[0])))
    kept: list[tuple[int, int, str]] = []
    for span in found:
        if not kept or span[0] >= kept[-1][1]:
            kept.append(span)
    return kept


def _marked(text: str, start: int, end: int, marks: list[tuple[int, int, str]]) -> Markup:
    """text[start:end], escaped, with the marks that lie inside it."""
    out, position = [], start
    for m_start, m_end, topic in marks:
        if m_start < start or m_end > end:
            continue
        out.append(escape(text[position:m_start]))
        out.append(
            Markup('<mark class="evidence topic-{}" title="{}">{}</mark>').format(
                topic, topic, text[m_start:m_end]
            )
        )
        position = m_end
    out.append(escape(text[position:end]))
    return Markup("").join(out)


# One line per story (pipelines/store/stories.py): the newest article of each story,
# about AI and tagged (untagged product news is left to search), shown with its story's
# title, outlets and original. Read from the newest rows by the published_at index.
LATEST_STORIES = """
select a.id, a.title, a.source, coalesce(s.name, a.source) as source_name,
  a.published_day, a.topics, a.cluster_id, a.story_id
from articles a left join sources s on s.slug = a.source
where a.is_ai = 1 and a.topics is not null and a.topics != '[]'
order by a.published_at desc limit 200
"""
LATEST_IN_TOPIC = """
select a.id, a.title, coalesce(s.name, a.source) as source_name, a.published_day,
  a.cluster_id, a.story_id
from article_topics t join articles a on a.id = t.article_id
left join sources s on s.slug = a.source
where t.topic = ? and a.is_ai = 1 order by a.published_at desc limit 40
"""


def story_key(row: dict[str, Any]) -> Any:
    """A row's story: its story id, else (a database not yet migrated) its cluster."""
    return ("story", row["story_id"]) if row.get("story_id") else ("cluster", row["cluster_id"])


def one_per_story(rows: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    """The first row of each story (its copies and same-event coverage share story_id)."""
    seen, out = set(), []
    for row in rows:
        if story_key(row) in seen:
            continue
        seen.add(story_key(row))
        out.append(row)
        if len(out) == limit:
            break
    return out


async def with_stories(db: Any, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Give each row its story: the original's title and id, and the outlets, the
    original's first. A story of one outlet keeps the row as it is."""
    ids = [row["story_id"] for row in rows if row.get("story_id")]
    stories: dict[int, dict[str, Any]] = {}
    if ids:
        marks = ",".join("?" * len(ids))
        for r in (
            await db.execute(
                f"select id, title, outlets, outlet_count, original_id from stories "
                f"where id in ({marks})",
                ids,
            )
        ).rows:
            stories[r["id"]] = dict(r)
    for row in rows:
        story = stories.get(row.get("story_id"))
        row["outlets"] = json.loads(story["outlets"]) if story else [row["source_name"]]
        row["outlet_count"] = story["outlet_count"] if story else 1
        if story and story["outlet_count"] > 1:
            row["id"], row["title"] = story["original_id"], story["title"] or row["title"]
    return rows


@hookimpl
def extra_template_vars(template: str, datasette: Any) -> Any:
    """Topics with their counts, the latest stories, lawsuits and labor deals, and the
    last crawl, for the front page."""
    if template != "index.html":
        return {}

    async def inner() -> dict[str, Any]:
        db = datasette.get_database()
        if not await db.table_exists("articles"):
            return {"aitrack_db": None}
        topics = await db.execute(
            "select t.slug, t.name, t.description, count(at.article_id) as n from topics t "
            "left join article_topics at on at.topic = t.slug group by t.slug order by t.name"
        )
        names = {r["slug"]: r["name"] for r in topics.rows}
        rows = [dict(r) for r in (await db.execute(LATEST_STORIES)).rows]
        latest = await with_stories(db, one_per_story(rows, 12))
        for row in latest:
            slugs = json.loads(row["topics"] or "[]")
            row["topic_names"] = [(slug, names.get(slug, slug)) for slug in slugs]
        sections = {}
        for topic in ("litigation", "labor"):
            rows = [dict(r) for r in (await db.execute(LATEST_IN_TOPIC, [topic])).rows]
            sections[topic] = await with_stories(db, one_per_story(rows, 5))
        crawl = (await db.execute("select max(finished_at), count(*) from crawl_runs")).first()
        return {
            "aitrack_db": db.name,
            "aitrack_topics": [dict(r) for r in topics.rows],
            "aitrack_latest": latest,
            "aitrack_lawsuits": sections["litigation"],
            "aitrack_labor": sections["labor"],
            "aitrack_last_crawl": crawl[0] if crawl else None,
        }

    return inner


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [
        (r"^/article/(?P<article_id>[0-9a-f]{16})$", article_page),
        (r"^/dashboard$", dashboard_page),
    ]


async def article_page(datasette: Any, request: Any) -> Response:
    article_id = request.url_vars["article_id"]
    db = datasette.get_database()
    rows = (
        await db.execute(
            "select a.*, s.name as source_name, s.category as source_category "
            "from articles a left join sources s on s.slug = a.source where a.id = ?",
            [article_id],
        )
    ).rows
    if not rows:
        raise NotFound(f"No article {article_id}")
    article = dict(rows[0])
    topics = [
        dict(r)
        for r in (
            await db.execute(
                "select t.topic, t.score, t.evidence, t.method, t.vote, t.passages, tp.name "
                "from article_topics t left join topics tp on tp.slug = t.topic "
                "where t.article_id = ? order by t.score desc, t.vote desc",
                [article_id],
            )
        ).rows
    ]
    for topic in topics:
        topic["evidence"] = json.loads(topic["evidence"] or "[]")
        topic["passages"] = json.loads(topic["passages"] or "[]")
    article["ai_evidence"] = json.loads(article.get("ai_evidence") or "[]")
    article["ai_passages"] = json.loads(article.get("ai_passages") or "[]")
    # AI relevance is highlighted like a topic, under the name "ai".
    phrases = [(t["topic"], phrase) for t in topics for phrase in t["evidence"]]
    phrases += [("ai", phrase) for phrase in article["ai_evidence"]]
    passages = [(t["topic"], sentence) for t in topics for sentence in t["passages"]]
    passages += [("ai", sentence) for sentence in article["ai_passages"]]
    entities = [
        dict(r)
        for r in (
            await db.execute(
                "select e.kind, e.name, ae.mentions from article_entities ae "
                "join entities e on e.id = ae.entity_id where ae.article_id = ? "
                "order by ae.mentions desc, e.name",
                [article_id],
            )
        ).rows
    ]
    same_story = [
        dict(r)
        for r in (
            await db.execute(
                "select id, title, source, published_day, url, story_relation from articles "
                "where (story_id = ? or cluster_id = ?) and id != ? order by published_at",
                [article.get("story_id"), article["cluster_id"], article_id],
            )
        ).rows
    ]
    paragraphs = [
        highlight_evidence(p, phrases, passages) for p in (article["body"] or "").split("\n\n")
    ]
    context = {
        "article": article,
        "title_html": highlight_evidence(article["title"] or "(untitled)", phrases, passages),
        "paragraphs": paragraphs,
        "topics": topics,
        "entities": entities,
        "same_story": same_story,
        "original_url": safe_url(article["url"]),  # never a javascript: link
        "database": db.name,
    }
    return Response.html(await datasette.render_template("article.html", context, request=request))


DASHBOARD_QUERIES = {
    # Weeks start on Monday (date(d, 'weekday 0', '-6 days')), so each links to a range.
    "per_week": (
        "select date(a.published_day, 'weekday 0', '-6 days') as week, t.topic, "
        "count(*) as n from article_topics t join articles a on a.id = t.article_id "
        "where a.published_day >= date((select max(published_day) from articles), '-190 days') "
        "group by week, t.topic"
    ),
    "top_sources": (
        "select a.source, s.name, count(*) as n, sum(a.is_ai) as ai from articles a "
        "left join sources s on s.slug = a.source group by a.source order by n desc limit 15"
    ),
    "top_entities": (
        "select e.kind, e.name, count(distinct ae.article_id) as n from article_entities ae "
        "join entities e on e.id = ae.entity_id group by e.id order by n desc limit 20"
    ),
    "lawsuits": (
        "select substr(a.published_day, 1, 7) as month, count(*) as n from article_topics t "
        "join articles a on a.id = t.article_id where t.topic = 'litigation' and a.is_ai = 1 "
        "and a.published_day is not null group by month order by month"
    ),
    "totals": (
        "select count(*) as articles, coalesce(sum(is_ai), 0) as ai, "
        "count(distinct coalesce(story_id, cluster_id)) as stories, max(published_day) as newest, "
        "(select max(finished_at) from crawl_runs) as last_crawl from articles"
    ),
}
WEEKS_SHOWN = 26


def week_range(newest: str | None, count: int = WEEKS_SHOWN) -> list[str]:
    """The Mondays of the last `count` weeks up to the week of `newest`, newest first:
    every week, so a week without articles shows as zero rather than vanishing."""
    if not newest:
        return []
    day = date.fromisoformat(newest[:10])
    monday = day - timedelta(days=day.weekday())
    return [(monday - timedelta(weeks=i)).isoformat() for i in range(count)]


def month_range(first: str, last: str) -> list[str]:
    """Every YYYY-MM from first to last, inclusive."""
    year, month = int(first[:4]), int(first[5:7])
    out = []
    while f"{year:04d}-{month:02d}" <= last:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def month_end(month: str) -> str:
    year, mon = int(month[:4]), int(month[5:7])
    following = date(year + 1, 1, 1) if mon == 12 else date(year, mon + 1, 1)
    return (following - timedelta(days=1)).isoformat()


async def dashboard_page(datasette: Any, request: Any) -> Response:
    db = datasette.get_database()
    data = {
        name: [dict(r) for r in (await db.execute(sql)).rows]
        for name, sql in DASHBOARD_QUERIES.items()
    }
    totals = data["totals"][0]
    counts: dict[str, dict[str, int]] = {}
    for row in data["per_week"]:
        counts.setdefault(row["week"], {})[row["topic"]] = row["n"]
    topics = [
        dict(r) for r in (await db.execute("select slug, name from topics order by slug")).rows
    ]
    weeks = [
        (
            monday,
            (date.fromisoformat(monday) + timedelta(days=6)).isoformat(),
            counts.get(monday, {}),
        )
        for monday in week_range(totals["newest"])
    ]
    by_month = {r["month"]: r["n"] for r in data["lawsuits"]}
    months = month_range(min(by_month), max(by_month)) if by_month else []
    lawsuits = [{"month": m, "end": month_end(m), "n": by_month.get(m, 0)} for m in months]
    context = {
        "database": db.name,
        "totals": totals,
        "weeks": weeks,
        "topics": topics,
        "top_sources": data["top_sources"],
        "sources_max": max((r["n"] for r in data["top_sources"]), default=1),
        "top_entities": data["top_entities"],
        "entities_max": max((r["n"] for r in data["top_entities"]), default=1),
        "lawsuits": lawsuits,
        "lawsuits_max": max((r["n"] for r in lawsuits), default=0) or 1,
    }
    return Response.html(
        await datasette.render_template("dashboard.html", context, request=request)
    )
