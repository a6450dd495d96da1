"""The published site through Datasette's own test client, configured as `aitrack serve` is."""

from __future__ import annotations

from pathlib import Path

import pytest
from datasette.app import Datasette

from crawlers.cli import datasette_metadata


@pytest.fixture
def datasette(demo_db: Path) -> Datasette:
    return Datasette(
        [str(demo_db)],
        metadata=datasette_metadata(demo_db),
        settings={"suggest_facets": False, "sql_time_limit_ms": 3000, "max_returned_rows": 1000},
    )


async def test_articles_table_json(datasette: Datasette) -> None:
    response = await datasette.client.get("/demo/articles.json?_shape=array&_size=max")
    assert response.status_code == 200
    rows = response.json()
    assert len(rows) >= 50
    assert {"id", "title", "body", "published_at", "is_ai", "topics"} <= set(rows[0])


async def test_full_text_search(datasette: Datasette) -> None:
    response = await datasette.client.get("/demo/articles.json?_search=copyright&_shape=array")
    titles = [r["title"] for r in response.json()]
    assert titles and any("Times" in t or "Fair" in t or "Copyright" in t for t in titles)


async def test_search_query_returns_highlighted_snippets(datasette: Datasette) -> None:
    response = await datasette.client.get("/demo/search.json?q=strike&_shape=array")
    rows = response.json()
    assert rows and all("<mark>" in r["snippet"].lower() for r in rows)


async def test_topic_facet_and_metadata(datasette: Datasette) -> None:
    response = await datasette.client.get("/demo/articles.json?_facet_array=topics&_size=0")
    facets = response.json()["facet_results"]
    topics = {f["value"] for f in facets["topics"]["results"]}
    assert {
        "regulation",
        "litigation",
        "labor",
        "copyright",
        "privacy",
        "antitrust",
        "safety",
    } <= topics
    meta = (await datasette.client.get("/-/metadata.json")).json()
    assert meta["title"] == "aitrack"
    tables = meta["databases"]["demo"]["tables"]
    assert tables["articles"]["description"]
    assert all(t.get("description") for t in tables.values())


async def test_latest_by_topic_query(datasette: Datasette) -> None:
    response = await datasette.client.get(
        "/demo/latest_by_topic.json?topic=litigation&_shape=array"
    )
    rows = response.json()
    assert len(rows) >= 5
    dates = [r["published_at"] for r in rows]
    assert dates == sorted(dates, reverse=True)


def test_every_table_and_column_is_documented(demo_db: Path) -> None:
    import sqlite_utils

    db = sqlite_utils.Database(demo_db)
    tables = datasette_metadata(demo_db)["databases"]["demo"]["tables"]
    schema_doc = (Path(__file__).parent.parent / "docs" / "schema.md").read_text()
    for table in db.table_names():
        if table.startswith("_") or (table.startswith("articles_fts") and table != "articles_fts"):
            continue  # migrations bookkeeping and FTS shadow tables
        assert table in tables, f"table {table} lacks a description in metadata.yaml"
        assert f"`{table}`" in schema_doc, f"table {table} is missing from docs/schema.md"
        if tables[table].get("hidden"):
            continue
        columns = tables[table].get("columns", {})
        for column in db[table].columns_dict:
            assert columns.get(column), f"{table}.{column} lacks a description"
