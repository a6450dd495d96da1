"""Article extraction: clean body text and metadata that says where it came from.

trafilatura finds the body; before it runs, page furniture is pruned by its markup
(`furniture`), so it cannot leak into the text. Metadata is combined from several kinds
of evidence, most reliable first, and each chosen value records its origin
(`metadata`; for dates, `published`). Bytes become text in `decode`.
"""

from __future__ import annotations

import lxml.html
import readability
import trafilatura

from pipelines.extract.decode import decode_html, page_markup, parse_html
from pipelines.extract.evidence import gains, is_doubtful, vote
from pipelines.extract.furniture import clean_text, prune_clutter, trim_edges
from pipelines.extract.metadata import PageMeta, combine, headlines, read_page_meta
from pipelines.extract.script import word_count
from pipelines.model import Extracted, ExtractionError, Hints
from pipelines.text_quality import why_not_language

MIN_WORDS = 40

__all__ = [
    "MIN_WORDS",
    "ExtractionError",
    "Extracted",
    "decode_html",
    "extract_article",
    "extract_body",
    "extract_from_hints",
    "parse_html",
]


def extract_article(html: str | bytes, url: str, hints: Hints | None = None) -> Extracted:
    """Clean text and metadata of one article page. Raises ExtractionError if there is none.

    Metadata is read from the whole page (bylines and datelines live in the furniture);
    the body from the page with its furniture pruned.
    """
    hints = hints or Hints()
    markup = page_markup(html)
    tree = parse_html(markup)
    page = read_page_meta(tree)
    result = combine(url, page, hints, tree)
    titles = [result.title, hints.title, *headlines(url, page, tree)]
    removed = prune_clutter(tree)
    _math_as_text(tree)
    text = extract_body(lxml.html.tostring(tree, encoding="unicode"), url)
    article_body = _text_or_none(page.jsonld.get("articleBody"))
    if not text:
        # Pruning can misjudge a site that names its story container like furniture:
        # an article with no body is worse than one with a share bar left in. But text
        # that was all furniture (a menu, a slogan, a "needs JavaScript" notice) is no
        # article either.
        unpruned = extract_body(markup, url)
        text = unpruned if word_count(unpruned) >= MIN_WORDS else ""
        result.provenance["text"] = "unpruned"
    elif (doubt := is_doubtful(text, removed, article_body)) == "removed" and not gains(
        text, extract_body(markup, url)
    ):
        # Doubt about pruning alone has a cheap first opinion: the same extractor, in the
        # same fast mode, on the unpruned page. Story that pruning took would be in it;
        # when it holds no more prose than ours, what went was furniture to trafilatura
        # too (comments, teaser cards), and the full mode (3 times the cost) is not run.
        result.provenance["text"] = "checked"
    elif doubt:
        # The safety net (evidence.py): what pruning removed, or what trafilatura's fast
        # mode missed, may have been story. trafilatura's full mode on the unpruned page
        # (its own readability and jusText fallbacks on) is the second opinion.
        text, result.provenance["text"] = vote(
            text,
            extract_body(markup, url, fast=False),
            lambda: article_body or readability_text(markup),
        )
    else:
        result.provenance["text"] = "pruned"
    result.text = trim_edges(text, titles, result.author)
    if not result.text:
        raise ExtractionError("no article text found")
    if why := why_not_language(result.text):  # junk or binary read as text: no article
        raise ExtractionError(f"not language: {why}")
    if not result.summary:
        result.summary = _lead(result.text)
        result.provenance["summary"] = "text"
    return result


def extract_body(markup: str, url: str, fast: bool = True) -> str:
    """trafilatura's body text, paragraphs separated by blank lines ("" if none).

    trafilatura is handed markup, not our tree: given a tree it skips part of its own
    loading and loses whole paragraphs on some pages (measured on the benchmark).
    `fast=False` adds trafilatura's fallback extractors: the safety net's second opinion.
    """
    doc = trafilatura.bare_extraction(
        markup,
        url=url,
        with_metadata=False,
        # On the pruned page, no fallback extractors (readability, jusText): once the
        # furniture is pruned they no longer help on most pages (body F1 on the shared
        # benchmark: 0.9688 without them, 0.9679 with) and cost a fifth of the time. The
        # safety net turns them on where the result looks doubtful.
        fast=fast,
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=False,
    )
    return clean_text(doc.text if doc is not None else "")


def readability_text(markup: str) -> str:
    """readability-lxml's body text: a second algorithm's opinion for the safety net."""
    try:
        summary = readability.Document(markup).summary(html_partial=True)
        return clean_text("\n".join(lxml.html.fromstring(summary).itertext()))
    except Exception:  # noqa: BLE001 (an opinion we can do without on a page it cannot read)
        return ""


def _math_as_text(tree: lxml.html.HtmlElement) -> None:
    """MathML formulas as text: trafilatura drops a <math> element that has no alttext,
    and a formula is part of the sentence it sits in. Its TeX annotation or alttext is
    the formula as the author wrote it; otherwise its symbols in order."""
    for math in list(tree.iter("math", "{http://www.w3.org/1998/Math/MathML}math")):
        tex = [a.text for a in math.iter("annotation") if "tex" in (a.get("encoding") or "")]
        formula = math.get("alttext") or (tex[0] if tex and tex[0] else None)
        if not formula:
            formula = " ".join(t.strip() for t in math.itertext() if t.strip())
        block = math.get("display") == "block" and math.getparent().tag != "p"
        replacement = lxml.html.Element("p" if block else "span")
        replacement.text, replacement.tail = formula, math.tail
        math.getparent().replace(math, replacement)


def _text_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def extract_from_hints(url: str, hints: Hints) -> Extracted:
    """An 'article' that is only an index record (APIs whose URLs are not pages)."""
    result = combine(url, PageMeta(), hints, None)
    result.text = clean_text(hints.summary or "")
    if not result.text:
        raise ExtractionError("index record has no summary text")
    return result


def _lead(text: str, limit: int = 300) -> str | None:
    first = text.split("\n\n", 1)[0]
    return first if len(first) <= limit else first[:limit].rsplit(" ", 1)[0] + "…"
