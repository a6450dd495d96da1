"""An article's legal mentions and the deadlines its sentences state: the one function the
crawl (pipelines.process.process_page) and the rescan of stored articles both call."""

from __future__ import annotations

from pipelines.legal.deadlines import Deadline, deadlines_in_text
from pipelines.legal.mentions import LegalMention, article_text
from pipelines.legal.recognise import recognise, recognise_url


def article_legal(
    url: str, title: str | None, body: str, published: str | None
) -> tuple[list[LegalMention], list[Deadline]]:
    """Mentions (spans in "title, blank line, body"; the page's own record, if its URL is
    one, first with span -1) and deadlines."""
    text = article_text(title, body)
    named = recognise(text, published)
    own = recognise_url(url)  # the page of an official record
    deadlines = deadlines_in_text(text, named, published, subject=own[0] if own else None)
    return own + named, deadlines
