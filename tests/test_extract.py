"""Extraction: clean bodies from demo pages, and which evidence wins for each field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawlers import DATA
from pipelines.extract import ExtractionError, extract_article, extract_from_hints
from pipelines.model import Hints
from tests.conftest import demo_manifest

BODY = " ".join(["The regulator published its final guidance on Tuesday."] * 12)


def page(head: str = "", body_extra: str = "", url_body: str = BODY) -> str:
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
    <title>Fallback title | Site</title>{head}</head><body>
    <nav><a href="/">Home</a> <a href="/news">News</a></nav>
    <article><h1>The headline</h1><p>{url_body}</p><p>{url_body}</p>{body_extra}</article>
    <footer>Copyright Example Media</footer></body></html>"""


JSONLD = """<script type="application/ld+json">{"@context": "https://schema.org",
 "@type": "NewsArticle", "headline": "JSON-LD headline",
 "datePublished": "2024-05-02T10:00:00+02:00",
 "dateModified": "2024-05-03T09:00:00+02:00", "author": [{"@type": "Person", "name": "Ada Byline"}],
 "inLanguage": "en-GB"}</script>"""
META = """<meta property="article:published_time" content="2024-04-30T08:00:00-04:00">
<meta property="og:title" content="OG headline | Site"><meta property="og:site_name" content="Site">
<meta name="author" content="Meta Author"><meta name="description" content="Meta description.">"""


def test_feed_hint_beats_jsonld_for_the_date() -> None:
    hints = Hints(published="2024-05-01T12:00:00+00:00", origin="feed")
    out = extract_article(page(JSONLD + META), "https://example.org/a", hints)
    assert out.published == "2024-05-01T12:00:00+00:00"
    assert out.published_source == "feed"


def test_jsonld_beats_meta_tags() -> None:
    out = extract_article(page(JSONLD + META), "https://example.org/a")
    assert (out.published, out.published_source) == ("2024-05-02T10:00:00+02:00", "jsonld")
    assert out.updated == "2024-05-03T09:00:00+02:00"  # the publisher's offset is kept
    assert out.title == "JSON-LD headline"
    assert out.author == "Ada Byline"
    assert out.language == "en"


def test_meta_tags_beat_the_url() -> None:
    out = extract_article(page(META), "https://example.org/2020/01/02/a.html")
    assert (out.published, out.published_source) == ("2024-04-30T08:00:00-04:00", "meta")
    assert out.title == "OG headline"  # the " | Site" suffix is dropped
    assert out.author == "Meta Author"
    assert out.summary == "Meta description."


@pytest.mark.parametrize(
    "furniture",
    ["By About the author", "A Notice by the Patent; Trademark Office on", "About the author"],
)
def test_furniture_is_not_taken_for_an_author(furniture: str) -> None:
    """Journalists saw these as bylines; the next candidate (the feed's) is used instead."""
    head = f'<meta name="author" content="{furniture}">'
    out = extract_article(page(head), "https://example.org/a", Hints(author="By Ida Feed"))
    assert out.author == "Ida Feed"
    assert out.provenance["author"] == "feed"


def test_the_url_beats_the_page_text() -> None:
    out = extract_article(
        page(body_extra="<p>Posted March 3, 2019</p>"), "https://example.org/2021/06/15/a.html"
    )
    assert (out.published, out.published_source) == ("2021-06-15", "url")


def test_without_markup_the_date_comes_from_the_page_text() -> None:
    byline = "<p class='dateline'>Posted on March 3, 2019 by the newsroom</p>"
    out = extract_article(page(url_body=BODY + byline), "https://example.org/story")
    assert (out.published, out.published_source) == ("2019-03-03", "text")


def test_microdata_dates_count_as_markup() -> None:
    stamp = '<time itemprop="datePublished" datetime="2022-06-01T08:00:00+02:00">1 June</time>'
    out = extract_article(page(url_body=BODY + stamp), "https://example.org/2020/01/02/a")
    assert (out.published, out.published_source) == ("2022-06-01T08:00:00+02:00", "meta")


@pytest.mark.parametrize("origin", ["feed", "sitemap", "listing", "api"])
def test_each_kind_of_index_hint_is_named_as_the_source(origin) -> None:
    hints = Hints(published="2024-02-02", origin=origin)
    out = extract_article(page(JSONLD), "https://example.org/a", hints)
    assert (out.published, out.published_source) == ("2024-02-02", origin)


def test_a_utc_timestamp_takes_the_local_day_the_page_shows() -> None:
    # Filed at 9.30pm in Minneapolis, 03:30 the next day in UTC; the URL has the local day.
    head = '<meta property="article:published_time" content="2023-11-09T03:30:00+00:00">'
    byline = "<p>Published November 8, 2023 at 9:30 p.m.</p>"
    out = extract_article(
        page(head, url_body=BODY + byline), "https://example.org/2023/11/08/council-vote/"
    )
    assert (out.published, out.published_source) == ("2023-11-08", "url")


def test_an_index_utc_timestamp_keeps_its_instant_against_an_impossible_page_day() -> None:
    hints = Hints(published="2024-05-01T12:00:00+00:00", origin="feed")
    byline = "<p>Posted April 28, 2024</p>"
    out = extract_article(page(url_body=BODY + byline), "https://example.org/a", hints)
    assert (out.published, out.published_source) == ("2024-05-01T12:00:00+00:00", "feed")


def test_a_page_showing_only_its_update_day_is_dated_by_it() -> None:
    head = (
        '<meta property="article:published_time" content="2021-03-16T16:16:00+01:00">'
        '<meta property="article:modified_time" content="2021-03-20T09:00:00+01:00">'
    )
    out = extract_article(
        page(head, url_body=BODY + "<p>Stand: 20.03.2021</p>"), "https://example.org/a"
    )
    # Labelled as a modification time standing in for the publication date.
    assert (out.published, out.published_source) == (
        "2021-03-20T09:00:00+01:00",
        "modified:meta",
    )


def test_a_page_that_renders_its_text_with_javascript_uses_jsonld_article_body() -> None:
    body = " ".join(f"Sentence {i} of the article about the AI Act." for i in range(40))
    html = (
        '<html><head><script type="application/ld+json">'
        + json.dumps({"@type": "NewsArticle", "headline": "H", "articleBody": body})
        + '</script></head><body><div id="app">You need to enable JavaScript.</div>'
        "</body></html>"
    )
    out = extract_article(html, "https://example.org/a")
    assert out.text == body  # trafilatura's own fallback reads JSON-LD articleBody


def test_clutter_inside_the_article_is_pruned() -> None:
    clutter = """<div class="newsletter-signup"><p>Sign up for our daily briefing</p></div>
    <div class="share-bar">Share on X</div><section class="related-posts"><h3>Related</h3>
    <a href="/b">Another story</a></section><div id="comments"><p>Great piece! — Reader</p></div>
    <div class="cookie-banner">We use cookies</div>
    <figure><img src="x.jpg"><figcaption>Photo: Jane Roe/Getty Images</figcaption></figure>"""
    out = extract_article(page(body_extra=clutter), "https://example.org/a")
    for phrase in (
        "Sign up",
        "Share on X",
        "Another story",
        "Great piece",
        "cookies",
        "Getty Images",
        "Home",
        "Copyright Example",
    ):
        assert phrase not in out.text
    assert out.text.startswith("The regulator published")
    assert "The headline" not in out.text


@pytest.mark.parametrize("entry", demo_manifest(), ids=lambda e: e["path"].rsplit("/", 1)[-1])
def test_demo_pages_yield_their_article_and_no_clutter(entry) -> None:
    html = (DATA / "demo" / "site" / entry["path"].lstrip("/")).read_text(encoding="utf-8")
    html = html.replace("{{BASE}}", "http://demo.aitrack.test")
    out = extract_article(html, "http://demo.aitrack.test" + entry["path"])
    assert entry["body_starts"][:40] in out.text[:400]
    assert out.text.rstrip().endswith(entry["body_ends"][-40:])
    assert [c for c in entry["clutter"] if c in out.text] == []
    assert out.title == entry["title"]


@pytest.mark.parametrize(
    ("html", "message"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"%PDF-1.7\n\x00\x01binary", "not HTML"),
        (b"<html><body><nav>menu only</nav></body></html>", "no article text"),
    ],
)
def test_unusable_input_raises_a_clear_error(html, message) -> None:
    with pytest.raises(ExtractionError, match=message):
        extract_article(html, "https://example.org/x")


def test_index_record_without_a_page_uses_its_summary() -> None:
    hints = Hints(
        title="Docket 24-1", summary="A notice about AI.", published="2024-01-02", origin="api"
    )
    out = extract_from_hints("https://api.example.org/doc/1", hints)
    assert (out.title, out.text, out.published_source) == (
        "Docket 24-1",
        "A notice about AI.",
        "api",
    )
    assert json.dumps(out.as_dict())


FIXTURES = Path(__file__).parent / "fixtures" / "extraction"


@pytest.mark.parametrize("page_path", sorted(FIXTURES.glob("*.html")), ids=lambda p: p.stem)
def test_cluttered_fixture_pages_yield_exactly_their_article(page_path: Path) -> None:
    """Our own pages in the markup styles of real CMSs, each with its exact body (.txt)."""
    expected = page_path.with_suffix(".txt").read_text(encoding="utf-8").rstrip("\n")
    out = extract_article(page_path.read_text(encoding="utf-8"), "https://example.org/a")
    assert out.text == expected


def test_a_utc_day_is_not_moved_to_a_day_readers_do_not_see() -> None:
    # 22:30 UTC; the only other day is in a teaser's machine-readable attribute.
    head = '<meta property="article:published_time" content="2024-03-01T22:30:00+00:00">'
    teaser = '<div class="teaser"><time datetime="2024-03-02T08:00:00+00:00"></time></div>'
    out = extract_article(page(head, url_body=BODY + teaser), "https://example.org/a")
    assert out.published == "2024-03-01T22:30:00+00:00"


def test_a_modification_time_standing_in_for_the_date_says_so() -> None:
    head = '<meta property="article:modified_time" content="2024-06-03T10:00:00+02:00">'
    out = extract_article(page(head), "https://example.org/a")
    assert (out.published, out.published_source) == (
        "2024-06-03T10:00:00+02:00",
        "modified:meta",
    )
    assert out.updated == "2024-06-03T10:00:00+02:00"


def test_utf8_bytes_under_a_stale_charset_declaration_decode_as_utf8() -> None:
    # A page re-saved as UTF-8 that still declares Latin-1: the file path (bytes) must
    # read what the text path reads, not mojibake.
    html = page(
        '<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">',
        url_body=BODY + " The Conseil d’État ruled on the café’s naïve AI notice.",
    ).replace('<meta charset="utf-8">', "")
    from_bytes = extract_article(html.encode("utf-8"), "https://example.org/a")
    from_text = extract_article(html, "https://example.org/a")
    assert "Conseil d’État" in from_bytes.text
    assert from_bytes.text == from_text.text


def test_latin1_bytes_still_decode_as_declared() -> None:
    html = page('<meta charset="iso-8859-1">', url_body=BODY + " Café société.")
    out = extract_article(html.replace('<meta charset="utf-8">', "").encode("cp1252"), "")
    assert "Café société." in out.text


def test_mathml_formulas_stay_in_the_text() -> None:
    formula = (
        "<p>The audit bounds the error by <math><mi>ε</mi><mo>≤</mo><mn>0.05</mn></math>"
        " on every benchmark it ran.</p>"
        '<math display="block"><semantics><mi>E</mi>'
        '<annotation encoding="application/x-tex">E = \\sum_i w_i x_i</annotation>'
        "</semantics></math><p>The weights were published with the model card in May.</p>"
    )
    out = extract_article(page(body_extra=formula), "https://example.org/a")
    assert "by ε ≤ 0.05 on every benchmark" in out.text
    assert "E = \\sum_i w_i x_i" in out.text


def test_the_page_date_is_searched_outside_reader_comments() -> None:
    # The story shows its day; a later reader comment shows another.
    comment = (
        '<div class="comments"><div class="comment__date">09.03.2019 - 00:00 Uhr</div>'
        "<p>Good summary.</p></div>"
    )
    html = page(url_body=BODY + "<p>Datum: 03.03.2019</p>", body_extra=comment)
    out = extract_article(html, "https://example.org/story")
    assert (out.published, out.published_source) == ("2019-03-03", "text")
