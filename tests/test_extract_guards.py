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


def test_doubt_says_why_and_removal_is_only_named_when_nothing_else_doubts() -> None:
    story = "\n\n".join(LINES * 3)
    assert is_doubtful("Menu\n\nHome\n\nContact", removed_words=0, article_body=None) == "short"
    assert is_doubtful(story, removed_words=400, article_body=None) == "removed"
    longer = " ".join(f"Witness {n} asked the board for the vendor's test data." for n in range(60))
    # Much removed and an articleBody we hold too little of: the full check must run.
    assert is_doubtful(story, removed_words=400, article_body=f"{story} {longer}") == "article-body"


COMMENTS = [
    f"Reader {n} wrote that the board should publish the vendor's error rates before any "
    "vote, and that the audit ought to include the sheriff's own records as well."
    for n in range(6)
]


def _spy_on_extract_body(monkeypatch) -> list[bool]:  # noqa: ANN001 (pytest fixture)
    """Record the `fast` flag of every trafilatura call (the real function still runs)."""
    import pipelines.extract as extract

    calls: list[bool] = []
    real = extract.extract_body

    def spy(markup: str, url: str, fast: bool = True) -> str:
        calls.append(fast)
        return real(markup, url, fast)

    monkeypatch.setattr(extract, "extract_body", spy)
    return calls


def test_a_big_comment_section_is_settled_by_the_cheap_first_opinion(monkeypatch) -> None:  # noqa: ANN001
    # The comments outweigh half the story, so pruning them raises doubt; trafilatura's
    # fast mode on the unpruned page holds no more story, so the full mode never runs.
    calls = _spy_on_extract_body(monkeypatch)
    story = "".join(f"<p>{line}</p>" for line in LINES + LINES[:5])
    comments = "".join(f"<div class='comment'><p>{c}</p></div>" for c in COMMENTS)
    html = f"""<html><body><article>{story}</article>
    <section class="comments">{comments}</section></body></html>"""
    out = extract_article(html, "https://example.org/a")
    assert out.provenance["text"] == "checked"
    assert calls == [True, True]
    assert all(line in out.text for line in LINES)
    assert not any(c in out.text for c in COMMENTS)


def test_story_lost_to_pruning_still_goes_to_the_full_vote(monkeypatch) -> None:  # noqa: ANN001
    # Half the story sits in a block named like a toolbar: the cheap opinion sees it, so
    # the full mode and the vote run and bring it back.
    calls = _spy_on_extract_body(monkeypatch)
    kept = "".join(f"<p>{line}</p>" for line in LINES + LINES[:2])
    named = "".join(
        f"<p>{line} It was item {n} on the agenda.</p>" for n, line in enumerate(LINES[:6])
    )
    footer = "".join(f"<p>{c}</p>" for c in COMMENTS[:3])
    html = f"""<html><body><article>{kept}<div class="story-tools">{named}</div>
    </article><footer>{footer}</footer></body></html>"""
    out = extract_article(html, "https://example.org/b")
    assert calls == [True, True, False]
    assert out.provenance["text"] == "voted"
    assert "It was item 5 on the agenda." in out.text
