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

    One exception to the browsers' order: bytes that are valid UTF-8 and not plain ASCII
    are UTF-8, whatever a header or <meta> declares. A page re-saved as UTF-8 keeps its
    stale `<meta charset="iso-8859-1">`, and servers send a default charset for pages
    they never looked at; text in a legacy encoding is almost never valid UTF-8 once it
    has a non-ASCII character, so the bytes are better evidence than the label. This also
    makes `aitrack extract FILE` (bytes) agree with the text path.

    lxml's own guess, given bytes without a declaration, turns UTF-8 into mojibake.
    """
    if not data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")) and _is_utf8(data):
        return data.decode("utf-8", errors="replace")

    def sniff(body: bytes) -> str:
        return "utf-8" if _is_utf8(body) else "cp1252"

    return html_to_unicode(content_type, data, auto_detect_fun=sniff)[1]


def _is_utf8(data: bytes) -> bool:
    """Valid UTF-8 with at least one multi-byte character (a character cut by truncation
    at the very end still counts)."""
    if data.isascii():
        return False
    try:
        data.decode("utf-8")
        return True
    except UnicodeDecodeError as exc:
        return exc.start >= len(data) - 3
