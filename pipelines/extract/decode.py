"""Decoding and parsing: page bytes to text the way browsers do, then to an lxml tree."""

from __future__ import annotations

import re

import lxml.html
from lxml import etree
from w3lib.encoding import html_to_unicode

from pipelines.model import ExtractionError

XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


def page_markup(html: str | bytes) -> str:
    """The page as text; raises ExtractionError for empty or binary input."""
    if isinstance(html, bytes):
        head = html[:1024].lstrip()
        if not head:
            raise ExtractionError("empty document")
        if b"\x00" in html[:4096] or head.startswith((b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8")):
            raise ExtractionError("not HTML (binary content)")
    elif not html.strip():
        raise ExtractionError("empty document")
    return decode_html(html) if isinstance(html, bytes) else html


def parse_html(html: str | bytes) -> lxml.html.HtmlElement:
    """Parse a page with lxml; raises ExtractionError for empty or non-HTML input."""
    html = page_markup(html)
    # lxml refuses text that still declares an encoding (XHTML's <?xml ...?>): the text
    # is already decoded, so the declaration is only in the way.
    html = XML_DECLARATION.sub("", html, count=1)
    try:
        tree = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError) as exc:
        raise ExtractionError(f"not parseable as HTML: {exc}") from None
    if tree.find(".//body") is None and tree.find(".//p") is None:
        raise ExtractionError("not HTML (no body)")
    return tree


def decode_html(data: bytes, content_type: str | None = None) -> str:
    """Bytes to text the way browsers do: BOM, then Content-Type, then <meta charset>,
    then UTF-8 if the bytes are valid UTF-8, else Windows-1252 (what "Latin-1" pages are).

    lxml's own guess, given bytes without a declaration, turns UTF-8 into mojibake.
    """

    def sniff(body: bytes) -> str:
        try:
            body.decode("utf-8")
            return "utf-8"
        except UnicodeDecodeError as exc:
            # A multi-byte character cut by truncation is still UTF-8.
            return "utf-8" if exc.start >= len(body) - 3 else "cp1252"

    return html_to_unicode(content_type, data, auto_detect_fun=sniff)[1]
