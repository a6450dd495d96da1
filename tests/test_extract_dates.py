"""Publication dates from what the page shows its readers: the dateline under the
headline, the publisher's own offset, and dates written in several languages."""

from __future__ import annotations

import pytest

from pipelines.extract import extract_article
from pipelines.extract.decode import parse_html
from pipelines.extract.shown import headline_day, shows_day, written_days

STORY = " ".join(["The city council approved the new transit budget after a long debate."] * 10)
HEADLINE = "Council approves the transit budget"


def story_page(head: str = "", under_headline: str = "", lead: str = STORY, logo_h1=False) -> str:
    heading = f"<h2>{HEADLINE}</h2>" if logo_h1 else f"<h1>{HEADLINE}</h1>"
    logo = "<h1>Riverside Courier</h1>" if logo_h1 else ""
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
    <title>{HEADLINE} | Riverside Courier</title>
    <meta property="og:title" content="{HEADLINE}">{head}</head><body>
    <header>{logo}<a href="/">Home</a></header>
    <article>{heading}{under_headline}<p>{lead}</p><p>{STORY}</p></article>
    <aside><h3>Most read</h3><p>Bridge repairs start, 03.01.2020</p></aside>
    </body></html>"""


def test_without_markup_the_dateline_under_the_headline_dates_the_page() -> None:
    # A teaser rail shows another day; the one under the headline is the story's.
    html = story_page(under_headline="<p class='byline'>By Mara Quill · 17/02/2022</p>")
    out = extract_article(html, "https://example.org/council")
    assert (out.published, out.published_source) == ("2022-02-17", "text")


def test_a_day_in_running_prose_under_the_headline_is_no_dateline() -> None:
    lead = "The rules that took effect on 15 January 2022 were debated again. " + STORY
    tree = parse_html(story_page(lead=lead))
    assert headline_day(tree, [HEADLINE]) is None


def test_a_dateline_opening_the_lead_paragraph_counts() -> None:
    tree = parse_html(story_page(lead="Lakeside, 28.10.2021. " + STORY))
    assert headline_day(tree, [HEADLINE]) == "2021-10-28"


def test_the_headline_may_be_an_h2_under_a_logo_h1() -> None:
    html = story_page(under_headline="<p>4. 2. 2022</p>", logo_h1=True)
    assert headline_day(parse_html(html), [HEADLINE]) == "2022-02-04"


def test_a_utc_timestamp_gives_way_to_the_same_instant_in_the_publishers_offset() -> None:
    head = '<meta property="article:published_time" content="2023-11-09T02:11:03+00:00">'
    byline = '<time itemprop="datePublished" datetime="2023-11-08T21:11:03-05:00">Nov 8</time>'
    out = extract_article(story_page(head, byline), "https://example.org/council")
    assert (out.published, out.published_source) == ("2023-11-08T21:11:03-05:00", "meta")


def test_a_generic_date_meta_gives_way_to_the_dateline_readers_see() -> None:
    # <meta name="date"> does not say what it dates; here it is the last edit.
    head = '<meta name="date" content="2021-12-20T11:02:44+01:00">'
    html = story_page(head, "<p>Published 27.01.2022</p>")
    out = extract_article(html, "https://example.org/council")
    assert (out.published, out.published_source) == ("2022-01-27", "text")


def test_a_labelled_publication_meta_is_not_overruled_by_the_dateline() -> None:
    head = '<meta property="article:published_time" content="2021-12-20T11:02:44+01:00">'
    html = story_page(head, "<p>Published 27.01.2022</p>")
    out = extract_article(html, "https://example.org/council")
    assert (out.published, out.published_source) == ("2021-12-20T11:02:44+01:00", "meta")


def test_an_update_day_written_with_an_abbreviated_month_is_seen() -> None:
    head = (
        '<meta property="article:published_time" content="2023-01-10T08:00:00+01:00">'
        '<meta property="article:modified_time" content="2023-03-06T08:00:00+01:00">'
    )
    html = story_page(head, "<p>Aktualisiert am 06. Mär. 2023</p>")
    out = extract_article(html, "https://example.org/council")
    assert (out.published, out.published_source) == ("2023-03-06T08:00:00+01:00", "modified:meta")


def test_machine_timestamps_left_in_the_text_are_not_shown_days() -> None:
    html = story_page(under_headline="<div hidden>2021-10-27T20:35:36+01:00</div>")
    assert not shows_day(parse_html(html), "2021-10-27")


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("November 8, 2023, 11:15 PM", "2023-11-08"),
        ("3 déc. 2021", "2021-12-03"),
        ("21 de enero de 2022", "2022-01-21"),
        ("Written: 2023-11-07 15:03", "2023-11-07"),
        ("2023年11月7日", "2023-11-07"),
        ("11/28/2023", "2023-11-28"),
        ("28.09.19 12:44", "2019-09-28"),
        ("3.1.98", "1998-01-03"),
    ],
)
def test_days_are_read_as_written_in_several_forms(text: str, day: str) -> None:
    assert written_days(text) == [day]


def test_a_slashed_day_that_reads_either_way_is_not_guessed() -> None:
    assert written_days("03/04/2022") == []
    assert set(written_days("03/04/2022", ambiguous=True)) == {"2022-03-04", "2022-04-03"}


def test_a_dateline_labelled_as_an_update_is_not_the_publication_day() -> None:
    byline = "<p>Updated: 12.03.2024</p><p>Published: 09.03.2024</p>"
    assert headline_day(parse_html(story_page(under_headline=byline)), [HEADLINE]) == "2024-03-09"
    labelled_apart = "<p><span>Updated:</span> <time>12.03.2024</time></p><p>09.03.2024</p>"
    tree = parse_html(story_page(under_headline=labelled_apart))
    assert headline_day(tree, [HEADLINE]) == "2024-03-09"
    only_update = "<p>Aktualisiert am 12. März 2024</p>"
    assert headline_day(parse_html(story_page(under_headline=only_update)), [HEADLINE]) is None


def test_a_month_name_inside_a_word_is_no_month() -> None:
    assert written_days("to their dismay 5, 2020 rules") == []


def test_days_are_found_near_digits_exactly_as_by_scanning_the_whole_text(monkeypatch) -> None:  # noqa: ANN001
    # `_near_digits` scans only the spans a written day can occupy. Here: a long page with
    # few numbers, days at both ends, a month name two spaces from its day, and a run of
    # spaces (which makes the spans unbounded, so the whole text is scanned). The
    # reference is the same scan over the whole text.
    from pipelines.extract import shown

    filler = "The council met again and heard from residents about the plan. " * 40
    texts = [
        f"March  8,  2023 {filler} 17/02/2022 {filler} 6. Mär. 2023 and 2023年 11月 7日",
        f"{filler}21 de enero de 2022{filler}04. 02. 2022 then 03/04/2022",
        f"Nov.   8th    2023 {filler} 1999-12-31",
        "",
    ]
    found = [written_days(t, ambiguous) for t in texts for ambiguous in (False, True)]
    assert any(found) and len(found[0]) == 4
    monkeypatch.setattr(shown, "_near_digits", lambda text: [(0, len(text))])
    assert found == [written_days(t, ambiguous) for t in texts for ambiguous in (False, True)]
