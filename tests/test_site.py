"""The published site through Datasette's own test client, configured as `aitrack serve` is.

Covers every canned query (HTML and JSON) and every Atom feed (parsed back with
feedparser), the article page and dashboard, the documentation of every table and
column, and the security promises: read-only, SQL time limit, crawled text escaped.
"""

from __future__ import annotations

import importlib.util
import random
import shutil
from datetime import date, timedelta
from pathlib import Path

import feedparser
import pytest
import sqlite_utils
import yaml
from datasette.app import Datasette

from crawlers import DATA, ROOT
from crawlers.cli import DATASETTE_SETTINGS, PLUGINS_DIR, TEMPLATES_DIR, datasette_metadata
from tests.conftest import DESIGN_TOPICS

QUERIES = yaml.safe_load((DATA / "datasette" / "metadata.yaml").read_text())["databases"][
    "aitrack"
]["queries"]
QUERY_ARGS = {
    "topic": "topic=litigation",
    "ai_lawsuits": "",
    "labor_deals": "",
    "regulation_by_jurisdiction": "jurisdiction=EU",
    "mentions": "entity=OpenAI",
    "search": "q=strike",
    "multi_source_stories": "",
    "recently_changed": "",
    "source_health": "",
}


def make_datasette(path: Path) -> Datasette:
    return Datasette(
        [str(path)],
        metadata=datasette_metadata(path),
        settings=DATASETTE_SETTINGS,
        plugins_dir=str(PLUGINS_DIR),
        template_dir=str(TEMPLATES_DIR),
    )


@pytest.fixture
def site(site_db: Path) -> Datasette:
    return make_datasette(site_db)


async def get_json(site: Datasette, path: str) -> list[dict]:
    response = await site.client.get(path)
    assert response.status_code == 200, (path, response.text[:500])
    return response.json()


@pytest.mark.parametrize("name", sorted(QUERIES))
async def test_every_canned_query_answers_in_html_and_json(site, name) -> None:
    args = QUERY_ARGS[name]
    html = await site.client.get(f"/site/{name}?{args}")
    assert html.status_code == 200
    assert QUERIES[name]["title"] in html.text
    rows = await get_json(site, f"/site/{name}.json?{args}&_shape=array")
    assert rows, f"{name} returned no rows on the demo database"


@pytest.mark.parametrize("name", sorted(n for n, q in QUERIES.items() if "atom_id" in q["sql"]))
async def test_every_article_query_has_a_valid_atom_feed(site, name) -> None:
    response = await site.client.get(f"/site/{name}.atom?{QUERY_ARGS[name]}")
    assert response.status_code == 200
    feed = feedparser.parse(response.content)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.entries
    for entry in feed.entries:
        assert entry.updated_parsed and entry.link and entry.title
    assert feed.feed.title == QUERIES[name]["title"]


async def test_a_search_feed_with_no_matches_is_empty_not_an_error(site) -> None:
    response = await site.client.get("/site/search.atom?q=zzzzunlikelyword")
    assert response.status_code == 200
    feed = feedparser.parse(response.content)
    assert feed.bozo == 0 and feed.entries == []


async def test_topic_feeds_exist_for_every_topic(site) -> None:
    for slug in DESIGN_TOPICS:
        response = await site.client.get(f"/site/topic.atom?topic={slug}")
        feed = feedparser.parse(response.content)
        assert feed.bozo == 0 and feed.entries, slug


async def test_search_highlights_matches_in_snippets(site) -> None:
    response = await site.client.get("/site/search?q=copyright+Midjourney")
    assert response.status_code == 200
    page = (await site.client.get("/site/search?q=strike")).text
    assert page.count("<mark>") >= 3
    rows = await get_json(site, "/site/search.json?q=strikes&_shape=array")
    assert any("trike" in r["snippet"] for r in rows)  # stemming: strikes finds strike


async def test_search_shows_the_newest_published_of_the_matches_stored_last(
    site_db, tmp_path
) -> None:
    # The `search` query's promise (see its description): of the 2,000 matches stored most
    # recently, the 100 published last, newest first, whatever order they were stored in.
    path = tmp_path / "window.db"
    shutil.copy(site_db, path)
    days = list(range(2100))
    random.Random(8).shuffle(days)  # stored in an order unrelated to publication
    db = sqlite_utils.Database(path)
    db["articles"].insert_all(
        {
            "id": f"ffff{i:012x}",
            "url": f"http://demo.aitrack.test/window/{i}.html",
            "source": "civic-ledger",
            "title": f"Zanzibarian report number {i}",
            "body": "The zanzibarian ferry operators met the regulator.",
            "content_hash": f"window-{i}",
            "cluster_id": f"ffff{i:012x}",
            "published_at": f"{date(2020, 1, 1) + timedelta(days=day)}T12:00:00+00:00",
        }
        for i, day in enumerate(days)
    )  # the triggers index them as a crawl's writes are indexed
    db.close()
    stored_last = sorted(range(100, 2100), key=lambda i: days[i], reverse=True)
    expected = [f"ffff{i:012x}" for i in stored_last[:100]]
    newest_overall = sorted(range(2100), key=lambda i: days[i], reverse=True)[:100]
    assert set(newest_overall) - set(stored_last[:100]), "the window must matter here"

    rows = await get_json(make_datasette(path), "/window/search.json?q=zanzibarian&_shape=array")
    assert [r["id"] for r in rows] == expected
    assert all("\x02zanzibarian\x03" in r["snippet"] for r in rows)


async def test_articles_table_has_facets_newest_first_and_search(site) -> None:
    data = await get_json(site, "/site/articles.json?_size=5")
    assert {"source", "topics", "language", "published_month"} <= set(data["facet_results"])
    dates = [r[data["columns"].index("published_at")] for r in data["rows"]]
    assert dates == sorted(dates, reverse=True)
    found = await get_json(site, "/site/articles.json?_search=copyright&_shape=array")
    assert found


async def test_metadata_describes_the_site_every_table_and_column(site, site_db) -> None:
    meta = await get_json(site, "/-/metadata.json")
    for key in ("title", "description_html", "about", "source", "license"):
        assert meta.get(key), key
    tables = meta["databases"]["site"]["tables"]
    schema_doc = (ROOT / "docs" / "schema.md").read_text()
    db = sqlite_utils.Database(site_db)
    for name in [*db.table_names(), *db.view_names()]:
        if name.startswith("_") or (name.startswith("articles_fts") and name != "articles_fts"):
            continue  # migration bookkeeping and FTS shadow tables
        assert tables.get(name, {}).get("description"), f"{name} has no description"
        assert f"`{name}`" in schema_doc, f"{name} is missing from docs/schema.md"
        if name == "articles_fts":
            continue
        for column in db[name].columns_dict:
            assert tables[name].get("columns", {}).get(column), f"{name}.{column} undocumented"
            assert f"`{column}`" in schema_doc, f"{name}.{column} is missing from docs/schema.md"


async def test_article_page_shows_topics_evidence_entities_and_same_story(site, site_db) -> None:
    db = sqlite_utils.Database(site_db)
    copies = list(
        db.query(
            "select id from articles where cluster_id in (select cluster_id "
            "from articles group by cluster_id having count(*) > 1)"
        )
    )
    page = (await site.client.get(f"/article/{copies[0]['id']}")).text
    assert 'class="evidence topic-regulation"' in page
    assert "The same story elsewhere" in page and f"/article/{copies[1]['id']}" in page
    assert "Read the original" in page and "Named in it" in page


async def test_crawled_markup_is_shown_as_text_everywhere(site) -> None:
    for path in (
        "/article/00000000000000aa",
        "/site/articles/00000000000000aa",
        "/site/articles?_search=regulators",
        "/site/search?q=regulators",
        "/site/topic?topic=regulation",
    ):
        page = (await site.client.get(path)).text
        assert "<script>window.__xss" not in page, path
        assert 'onerror="window' not in page and 'onmouseover="window' not in page, path
    page = (await site.client.get("/article/00000000000000aa")).text
    assert "window.__xss = 3&lt;/script&gt;" in page
    # The evidence "<script>" is highlighted as text, not inserted as a tag.
    assert "&lt;script&gt;</mark>" in page


async def test_article_page_underlines_semantic_passages_and_marks_ai_evidence(site) -> None:
    page = (await site.client.get("/article/00000000000000aa")).text
    assert '<span class="passage topic-regulation"' in page
    assert '<span class="passage topic-ai"' in page
    assert "by both" in page and "semantic vote 0.8" in page
    # The rule phrase inside the passage is still marked, and still escaped.
    passage = page[page.index('<span class="passage topic-regulation"') :]
    passage = passage[: passage.index("</span>")]
    assert "&lt;script&gt;</mark>" in passage and "<script>" not in passage
    assert '<mark class="evidence topic-ai"' in page


def test_evidence_is_marked_only_as_whole_words() -> None:
    plugin = load_plugin()
    html = str(
        plugin.highlight_evidence("An unlawful law, lawfully made.", [("regulation", "law")])
    )
    assert html.count("<mark") == 1
    assert '<mark class="evidence topic-regulation" title="regulation">law</mark>,' in html
    # A phrase that would cross the edge of a passage is left unmarked; inside, marked.
    html = str(
        plugin.highlight_evidence(
            "Rules passed. The law applies.",
            [("regulation", "passed. The"), ("regulation", "law")],
            [("labor", "The law applies.")],
        )
    )
    assert "passed. The</mark>" not in html
    assert '<span class="passage topic-labor"' in html and ">law</mark>" in html


def load_plugin():
    spec = importlib.util.spec_from_file_location(
        "aitrack_site_plugin", ROOT / "data" / "datasette" / "plugins" / "aitrack_site.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_unknown_article_is_404(site) -> None:
    assert (await site.client.get("/article/0123456789abcdef")).status_code == 404


async def test_dashboard_shows_the_four_panels(site) -> None:
    page = (await site.client.get("/dashboard")).text
    for heading in (
        "Articles per topic per week",
        "AI lawsuits over time",
        "Top sources",
        "Most named",
    ):
        assert heading in page
    assert "bench-and-bar" in page or "Bench" in page


async def test_writes_are_refused(site, site_db) -> None:
    before = sqlite_utils.Database(site_db)["articles"].count
    for sql in (
        "insert into topics (slug) values ('x')",
        "delete from articles",
        "update articles set title = 'x'",
        "drop table articles",
    ):
        response = await site.client.get("/site.json", params={"sql": sql})
        assert response.status_code in (400, 403), sql
    # Datasette 0.65 has no write API: POSTs to write endpoints are refused too.
    for path in ("/site/articles/-/insert", "/site/-/create", "/site/articles/-/drop"):
        response = await site.client.post(path, json={"row": {"title": "x"}})
        assert response.status_code in (403, 404, 405), path
    assert sqlite_utils.Database(site_db)["articles"].count == before


async def test_a_slow_query_is_stopped_by_the_time_limit(site) -> None:
    slow = "with recursive n(i) as (select 1 union all select i + 1 from n) select count(*) from n"
    response = await site.client.get("/site.json", params={"sql": slow})
    assert response.status_code == 400
    assert "took too long" in response.text.lower() or "interrupted" in response.text.lower()
