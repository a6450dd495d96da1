"""One document (text or HTML bytes) to its legal mentions: what `aitrack legal` prints."""

from __future__ import annotations

from pipelines.legal.mentions import LegalMention, article_text
from pipelines.legal.recognise import recognise


def legal_mentions(data: bytes, published: str | None = None) -> list[LegalMention]:
    """The mentions of a text file, or of an HTML page's title and body as the crawl
    extracts them (spans are then offsets in "title\\n\\nbody"). Raises ValueError when
    the bytes hold no text."""
    text = data.decode("utf-8", errors="replace")
    if text.lstrip()[:1] == "<":
        from pipelines.dates import now_iso
        from pipelines.extract import decode_html
        from pipelines.model import Article, ExtractionError
        from pipelines.process import process_page

        page = Article(url="", source="cli", fetched_at=now_iso(), status=200, html="")
        page.html = decode_html(data)
        try:
            extracted = process_page(page).extracted
        except ExtractionError as exc:
            raise ValueError(str(exc)) from None
        assert extracted is not None
        text = article_text(extracted.title, extracted.text)
        published = published or extracted.published
    if not text.strip():
        raise ValueError("empty document")
    return recognise(text, published)
