"""Guards against over-pruning: a story container named like furniture keeps its story,
and the safety net (pipelines/extract/evidence.py) restores what pruning lost."""

from __future__ import annotations

from pipelines.extract import extract_article
from pipelines.extract.evidence import is_doubtful, vote

LINES = [
    f"The county board heard {n} hours of testimony on the facial recognition contract "
    "before voting to pause it until an outside audit is finished."
    for n in range(2, 9)
]
SIDEBAR = "".join(f"<li><a href='/p{n}'>Older post number {n}</a></li>" for n in range(12))


def test_a_blogger_post_inside_date_outer_with_br_paragraphs_is_kept() -> None:
    # Blogger wraps every post in div.date-outer; its paragraphs are <br>-separated runs.
    body = "<br><br>".join(LINES)
    html = f"""<html><body><div class="date-outer"><h2 class="date-header">Monday</h2>
    <div class="post-body">{body}</div></div>
    <div class="sidebar"><ul>{SIDEBAR}</ul></div></body></html>"""
    out = extract_article(html, "https://example.blogspot.com/2024/05/post.html")
    for line in LINES:
        assert line in out.text


def test_body_paragraphs_that_share_a_clutter_word_are_kept_together() -> None:
    # A magazine marks every body paragraph <p class="paywall">; one promo box is real clutter.
    paragraphs = "".join(f'<p class="paywall">{line}</p>' for line in LINES)
    html = f"""<html><body><article>{paragraphs}
    <div class="promo">Subscribe for one dollar a week</div></article>
    <ul class="menu">{SIDEBAR}</ul></body></html>"""
    out = extract_article(html, "https://example.org/a")
    assert out.text.split("\n\n") == LINES


def test_doubt_comes_from_little_prose_or_much_pruned_paragraph_text() -> None:
    story = "\n\n".join(LINES * 3)
    assert not is_doubtful(story, removed_words=20, article_body=None)
    assert is_doubtful("Menu\n\nHome\n\nContact", removed_words=0, article_body=None)
    assert is_doubtful(story, removed_words=400, article_body=None)
    longer = " ".join(f"Witness {n} asked the board for the vendor's test data." for n in range(60))
    assert is_doubtful(story, removed_words=0, article_body=f"{story} {longer}")


def test_the_vote_keeps_what_two_opinions_share_and_leaves_out_furniture() -> None:
    ours = "\n\n".join(LINES[:2])
    furniture = "Share this story with a friend who cares about county politics and audits."
    unpruned = "\n\n".join([*LINES, furniture])
    third = "\n\n".join(LINES[2:])
    text, how = vote(ours, unpruned, lambda: third)
    assert (text, how) == ("\n\n".join(LINES), "voted")
    # Nothing gained: ours is kept, and the third opinion is never asked.
    assert vote(ours, ours, lambda: 1 / 0) == (ours, "checked")
