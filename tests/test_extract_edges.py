"""The article's own head and tail: its lead paragraph is story, its headline repeated
under the story is not."""

from __future__ import annotations

from pipelines.extract import extract_article
from pipelines.extract.decode import parse_html
from pipelines.extract.furniture import prune_clutter, trim_edges

LEAD = (
    "The state's labor board ruled on Monday that delivery riders who set their own hours "
    "are still employees when the app decides their pay and routes."
)
BODY = [
    f"Paragraph {n} of the ruling's coverage explains how the board weighed the app's "
    "control over pay, schedules and the riders' ratings."
    for n in range(1, 8)
]


def story(head_tag: str) -> str:
    named = ('<div class="article-header">', "</div>")
    open_, close = ("<header>", "</header>") if head_tag == "header" else named
    paragraphs = "".join(f"<p>{p}</p>" for p in BODY)
    return f"""<html><body><header class="masthead"><p>The Valley Ledger, news since
    1901, read by the whole county every morning and night.</p></header>
    <article>{open_}<h1>Riders are employees, board rules</h1><p>By Ana Pérez</p>
    <p>{LEAD}</p>{close}{paragraphs}</article></body></html>"""


def test_the_lead_paragraph_in_an_article_header_is_kept() -> None:
    for head_tag in ("header", "named"):
        tree = parse_html(story(head_tag))
        prune_clutter(tree)
        text = " ".join(tree.find("body").text_content().split())
        assert LEAD in text, head_tag
        assert "By Ana Pérez" not in text  # the byline still goes, with the header
        assert "news since 1901" not in text  # a site's masthead keeps nothing


def test_the_lead_reaches_the_extracted_body() -> None:
    out = extract_article(story("header"), "https://example.org/riders")
    assert out.text.split("\n\n")[0] == LEAD


def test_a_headline_repeated_under_the_story_is_dropped() -> None:
    text = "\n\n".join([*BODY, "Riders are employees, board rules"])
    assert trim_edges(text, ["Riders are employees, board rules"]) == "\n\n".join(BODY)
    # A last paragraph that is not the headline stays.
    assert trim_edges("\n\n".join(BODY), ["Riders are employees, board rules"]).endswith(BODY[-1])


def test_a_paragraph_named_as_the_editors_summary_goes_with_the_header() -> None:
    html = story("header").replace(f"<p>{LEAD}</p>", f'<p class="article-dek">{LEAD}</p>')
    tree = parse_html(html)
    prune_clutter(tree)
    assert LEAD not in " ".join(tree.find("body").text_content().split())


def test_a_read_more_expander_holding_the_story_is_not_recirculation() -> None:
    # A "read more" toggle folds the story's own prose; a "related" rail is links.
    folded = "".join(f"<p>{p}</p>" for p in BODY[5:])
    rail = "".join(f"<a href='/s{n}'>Another story number {n}</a> " for n in range(8))
    html = f"""<html><body><article><h1>Riders are employees, board rules</h1>
    {"".join(f"<p>{p}</p>" for p in BODY[:5])}
    <div class="js-readmore">{folded}</div>
    <div class="related-stories"><p>{rail}</p></div></article></body></html>"""
    tree = parse_html(html)
    prune_clutter(tree)
    text = " ".join(tree.find("body").text_content().split())
    assert all(p in text for p in BODY)
    assert "Another story number" not in text
