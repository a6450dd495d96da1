"""Crawls of small sites built per test, through the real CLI and Scrapy's downloader.

They guard the promises to operators: every kind of spider works, a broken source is
logged against its name and counted while the rest of the crawl goes on, robots.txt is
obeyed, and the exit status says what happened.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import sqlite_utils

from crawlers import DATA
from tests.conftest import demo_manifest, run_aitrack, sources_yaml

DEMO = DATA / "demo" / "site"
ARTICLES = [
    "bench-and-bar/news/new-york-times-sues-openai-microsoft-copyright-4127.html",
    "civic-ledger/2024/05/18/colorado-ai-act-signed.html",
    "eurodigest/2024/12/italy-garante-fines-openai-chatgpt.html",
]


def build_site(root: Path) -> None:
    """Three real demo articles, a PDF, and index files of every kind pointing at them."""
    # Each index links to its own copies, so that each source's articles are its own rows.
    for folder in ("a", "j", "s", "l", "p"):
        for rel in ARTICLES:
            target = root / folder / Path(rel).name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(DEMO / rel, target)
    (root / "a" / "report.pdf").write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    (root / "drafts").mkdir()
    shutil.copy(DEMO / ARTICLES[0], root / "drafts" / "secret.html")
    (root / "robots.txt").write_text("User-agent: *\nDisallow: /drafts/\n")
    names = [Path(rel).name for rel in ARTICLES]
    items = "".join(
        f"<item><title>T{i}</title><link>{{{{BASE}}}}/a/{n}</link>"
        f"<pubDate>Tue, 02 Apr 2024 14:05:00 -0400</pubDate></item>"
        for i, n in enumerate(names)
    )
    (root / "rss.xml").write_text(
        f"<?xml version='1.0'?><rss version='2.0'><channel><title>x</title>{items}"
        "<item><title>missing</title><link>{{BASE}}/a/gone.html</link></item>"
        "<item><title>pdf</title><link>{{BASE}}/a/report.pdf</link></item>"
        "<item><title>draft</title><link>{{BASE}}/drafts/secret.html</link></item>"
        "</channel></rss>"
    )
    (root / "feed.json").write_text(
        json.dumps(
            {
                "version": "https://jsonfeed.org/version/1.1",
                "title": "j",
                "items": [
                    {
                        "id": "1",
                        "url": "{{BASE}}/j/" + names[1],
                        "title": "J",
                        "date_published": "2024-05-18T09:00:00-06:00",
                    }
                ],
            }
        )
    )
    (root / "index.xml").write_text(
        "<?xml version='1.0'?><sitemapindex xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
        "<sitemap><loc>{{BASE}}/news.xml</loc></sitemap></sitemapindex>"
    )
    (root / "news.xml").write_text(
        "<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9' "
        "xmlns:news='http://www.google.com/schemas/sitemap-news/0.9'><url>"
        f"<loc>{{{{BASE}}}}/s/{names[2]}</loc><news:news><news:publication><news:name>E"
        "</news:name><news:language>en</news:language></news:publication>"
        "<news:publication_date>2024-12-20T11:00:00+01:00</news:publication_date>"
        "<news:title>Sitemap title</news:title></news:news></url></urlset>"
    )
    (root / "list.html").write_text(
        f"<html><body><ul><li class='item'><a href='/l/{names[0]}'>One</a></li></ul>"
        "<a class='next' href='/list2.html'>next</a></body></html>"
    )
    (root / "list2.html").write_text(
        f"<html><body><ul><li class='item'><a href='/l/{names[1]}'>Two</a></li></ul></body></html>"
    )
    (root / "api.json").write_text(
        json.dumps(
            {
                "results": [
                    {
                        "html_url": "/p/" + names[2],
                        "title": "Api title",
                        "publication_date": "2024-12-20",
                        "abstract": "A summary.",
                    }
                ],
                "next_page_url": None,
            }
        )
    )
    (root / "not-a-feed.html").write_text("<html><body><p>Hello</p></body></html>")


def crawl(tmp_path: Path, entries: list[str], base: str) -> tuple[int, sqlite_utils.Database, str]:
    path = tmp_path / "sources.yaml"
    path.write_text(sources_yaml(entries).replace("BASE", base))
    db_path = tmp_path / "t.db"
    result = run_aitrack("crawl", "--sources", str(path), "--db", str(db_path))
    return result.returncode, sqlite_utils.Database(db_path), result.stderr


def test_every_kind_of_index_leads_to_stored_articles(tmp_path, site_server) -> None:
    build_site(site_server.root)
    code, db, log = crawl(
        tmp_path,
        [
            "slug: rss\n    name: R\n    kind: feed\n    urls: [BASE/rss.xml]",
            "slug: jsonfeed\n    name: J\n    kind: feed\n    urls: [BASE/feed.json]",
            "slug: sitemap\n    name: S\n    kind: sitemap\n    urls: [BASE/index.xml]",
            "slug: listing\n    name: L\n    kind: listing\n    urls: [BASE/list.html]\n"
            "    listing: {links: '.item a', next_page: 'a.next'}",
            "slug: api\n    name: A\n    kind: api\n    urls: [BASE/api.json]\n"
            "    api: {items: results, next_page: next_page_url, fields: {url: html_url, "
            "title: title, published: publication_date, summary: abstract}}",
        ],
        site_server.base_url,
    )
    assert code == 0, log[-3000:]
    by_source = dict(db.execute("select source, count(*) from articles group by source"))
    assert by_source == {"rss": 3, "jsonfeed": 1, "sitemap": 1, "listing": 2, "api": 1}
    sitemap_row = next(db["articles"].rows_where("source = 'sitemap'"))
    assert (sitemap_row["published_at"], sitemap_row["published_source"]) == (
        "2024-12-20T10:00:00+00:00",  # stored in UTC; the sitemap said 11:00+01:00
        "sitemap",
    )
    api_row = next(db["articles"].rows_where("source = 'api'"))
    assert (api_row["published_at"], api_row["published_source"]) == ("2024-12-20", "api")
    assert api_row["summary"] == "A summary."
    # robots.txt forbids /drafts/: the feed's link there is never fetched.
    assert db["articles"].count_where("url like '%/drafts/%'") == 0
    # A 404 and a PDF behind feed links are failures of those URLs, not of the source.
    run = next(db["crawl_runs"].rows)
    stats = json.loads(run["stats"])["sources"]["rss"]
    kinds = {f["kind"] for f in stats["failures"]}
    assert kinds == {"http_404", "not_html"}
    assert stats["ok"] is True and run["status"] == "ok"


def test_a_broken_source_is_recorded_and_the_crawl_goes_on(tmp_path, site_server) -> None:
    build_site(site_server.root)
    code, db, log = crawl(
        tmp_path,
        [
            "slug: good\n    name: G\n    kind: feed\n    urls: [BASE/rss.xml]",
            "slug: missing\n    name: M\n    kind: feed\n    urls: [BASE/nope.xml]",
            "slug: not-a-feed\n    name: N\n    kind: feed\n    urls: [BASE/not-a-feed.html]",
            "slug: changed-site\n    name: C\n    kind: listing\n    urls: [BASE/list.html]\n"
            "    listing: {links: '.story-card a'}",
            "slug: unreachable\n    name: U\n    kind: feed\n    urls: ['http://127.0.0.1:9/feed.xml']",
        ],
        site_server.base_url,
    )
    assert code == 1, log[-3000:]  # some sources failed
    assert db["articles"].count_where("source = 'good'") == 3
    run = next(db["crawl_runs"].rows)
    assert run["status"] == "partial"
    sources = json.loads(run["stats"])["sources"]
    assert sources["missing"]["error"].startswith("index failed (http_404)")
    assert (
        "not a feed" in sources["not-a-feed"]["error"]
        or "unreadable" in sources["not-a-feed"]["error"]
    )
    assert "matched nothing" in sources["changed-site"]["error"]
    assert sources["unreachable"]["error"].startswith("index failed (connection)")
    health = {r["slug"]: r for r in db["sources"].rows}
    assert health["good"]["consecutive_failures"] == 0 and health["good"]["last_success_at"]
    assert health["missing"]["consecutive_failures"] == 1
    assert "http_404" in health["missing"]["last_error"]
    assert "failed sources: missing" in log


def test_a_run_where_every_source_fails_exits_2(tmp_path, site_server) -> None:
    code, db, log = crawl(
        tmp_path,
        [
            "slug: missing\n    name: M\n    kind: feed\n    urls: [BASE/nope.xml]",
        ],
        site_server.base_url,
    )
    assert code == 2, log[-3000:]
    assert next(db["crawl_runs"].rows)["status"] == "failed"


def test_bad_sources_file_fails_before_any_fetch(tmp_path) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text(sources_yaml(["slug: x\n    name: X\n    kind: rss\n    urls: [http://a/b]"]))
    result = run_aitrack("crawl", "--sources", str(path), "--db", str(tmp_path / "t.db"))
    assert result.returncode == 2
    assert "entry 1 (x), field 'kind'" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "t.db").exists()


def test_demo_sources_crawl_through_the_demo_proxy(tmp_path, demo_server) -> None:
    """`aitrack crawl` with the demo's own sources file, as the README shows."""
    result = run_aitrack(
        "crawl",
        "--sources",
        str(DATA / "demo" / "sources.yaml"),
        "--db",
        str(tmp_path / "d.db"),
        "--source",
        "screen-workers",
        "--quiet",
        env={"http_proxy": demo_server.base_url},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    db = sqlite_utils.Database(tmp_path / "d.db")
    assert db["articles"].count == 10


def test_worker_processes_store_what_the_reactor_thread_stores(tmp_path, demo_server) -> None:
    """Extraction and tagging in a process pool (the default on 2+ cores) and inline on
    the reactor thread (AITRACK_WORKERS=0) give the same rows, tags and entities."""

    def crawl_demo(workers: int) -> dict[str, list]:
        path = tmp_path / f"w{workers}.db"
        result = run_aitrack(
            "crawl",
            "--sources",
            str(DATA / "demo" / "sources.yaml"),
            "--db",
            str(path),
            "--quiet",
            "-s",
            f"AITRACK_WORKERS={workers}",
            env={"http_proxy": demo_server.base_url},
        )
        assert result.returncode == 0, result.stderr[-3000:]
        db = sqlite_utils.Database(path)
        return {
            "articles": list(
                db.execute(
                    "select id, title, published_at, published_source, body, is_ai, topics "
                    "from articles order by id"
                )
            ),
            "topics": list(db.execute("select * from article_topics order by 1, 2")),
            "entities": list(db.execute("select * from article_entities order by 1, 2")),
        }

    inline, pooled = crawl_demo(0), crawl_demo(2)
    assert len(inline["articles"]) == len(demo_manifest())
    assert pooled == inline
