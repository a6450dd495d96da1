"""Article extraction: clean body text and metadata that says where it came from.

trafilatura finds the body; before it runs, page furniture that real news sites put
around and inside articles (newsletter boxes, share bars, related links, comments,
cookie banners, author bios, photo credits) is pruned by its markup, so it cannot leak
into the text. Metadata is combined from several kinds of evidence, most reliable first,
and each chosen value records its origin (for dates: `published_source`).
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any

import lxml.html
import trafilatura
from lxml import etree
from scrapy.exceptions import DropItem

from crawlers.items import Article, Hints
from pipelines.dates import to_iso

ARTICLE_TYPES = {
    "Article",
    "NewsArticle",
    "ReportageNews",
    "AnalysisNewsArticle",
    "BlogPosting",
    "OpinionNewsArticle",
    "ScholarlyArticle",
    "TechArticle",
    "Report",
    "GovernmentPublication",
    "PressRelease",
}
# class/id tokens of page furniture. Whole hyphen/underscore-separated words only, so that
# "comments" matches but "commentary" (often the article itself) does not.
CLUTTER_TOKEN = re.compile(
    r"(?:^|[-_])(?:newsletters?|subscribe|subscription|signup|sign-up|optin|related|share"
    r"|sharing|sharebar|social|comments?|respond|discussion|cookies?|consent|gdpr|bio"
    r"|author-bio|disclaimer|disclosure|affiliate|advert|advertisement|ads?|adslot|sponsor"
    r"|sponsored|promo|breadcrumbs?|caption|credit|credits|toolbar|tools|feedback|outbrain"
    r"|taboola|recirc|more-from|readmore|read-more|popular|trending|paywall|banner|byline"
    r"|about-author|about-contact|author-box|author-info|authorbox|contributor|tags)(?:[-_]|$)",
    re.IGNORECASE,
)
# <header> holds the headline, kicker and byline: metadata, which we read separately.
CLUTTER_TAGS = (
    "nav",
    "header",
    "footer",
    "aside",
    "form",
    "button",
    "figcaption",
    "noscript",
    "iframe",
    "dialog",
    "svg",
    "template",
)
CLUTTER_ROLES = {"navigation", "complementary", "contentinfo", "banner", "dialog", "alertdialog"}
URL_DATE = re.compile(r"/((?:19|20)\d{2})[/-](0[1-9]|1[0-2])[/-](0[1-9]|[12]\d|3[01])(?:/|[-_]|$)")
MIN_WORDS = 40
# Short closing lines that say where or when the piece ran, not what it says.
TRAILER_RE = re.compile(
    r"^(?:published|originally published|first published|this (?:article|story|report) "
    r"(?:was|first|originally)|filed under|tags?:|topics?:|posted in|categories:"
    r"|copyright ©|©)",
    re.IGNORECASE,
)


class ExtractionError(ValueError):
    """The page has no article we can use (not HTML, or no body text)."""


@dataclass
class Extracted:
    url: str
    canonical_url: str | None = None
    title: str | None = None
    author: str | None = None
    published: str | None = None
    published_source: str | None = None
    updated: str | None = None
    language: str | None = None
    summary: str | None = None
    text: str = ""
    image: str | None = None
    site_name: str | None = None
    provenance: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def word_count(self) -> int:
        return len(self.text.split())


@dataclass
class PageMeta:
    """Evidence read from the page's markup, before any heuristics."""

    jsonld: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, str] = field(default_factory=dict)
    canonical: str | None = None
    lang: str | None = None
    title_tag: str | None = None


def extract_article(html: str | bytes, url: str, hints: Hints | None = None) -> Extracted:
    """Clean text and metadata of one article page. Raises ExtractionError if there is none."""
    hints = hints or Hints()
    tree = parse_html(html)
    page = read_page_meta(tree)
    prune_clutter(tree)
    doc = trafilatura.bare_extraction(
        tree,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=False,
    )
    text = clean_text(doc.text if doc is not None else "")
    result = combine(url, text, page, hints, doc)
    result.text = trim_edges(text, [result.title, hints.title, page.title_tag])
    if not result.text:
        raise ExtractionError("no article text found")
    return result


def extract_from_hints(url: str, hints: Hints) -> Extracted:
    """An 'article' that is only an index record (APIs whose URLs are not pages)."""
    text = clean_text(hints.summary or "")
    if not text:
        raise ExtractionError("index record has no summary text")
    return combine(url, text, PageMeta(), hints, None)


def parse_html(html: str | bytes) -> lxml.html.HtmlElement:
    """Parse a page with lxml; raises ExtractionError for empty or non-HTML input."""
    if isinstance(html, bytes):
        head = html[:1024].lstrip()
        if not head:
            raise ExtractionError("empty document")
        if b"\x00" in html[:4096] or head.startswith((b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8")):
            raise ExtractionError("not HTML (binary content)")
    elif not html.strip():
        raise ExtractionError("empty document")
    try:
        tree = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError) as exc:
        raise ExtractionError(f"not parseable as HTML: {exc}") from None
    if tree.find(".//body") is None and tree.find(".//p") is None:
        raise ExtractionError("not HTML (no body)")
    return tree


def read_page_meta(tree: lxml.html.HtmlElement) -> PageMeta:
    """JSON-LD article object, meta tags, canonical link, language and <title>."""
    page = PageMeta()
    for script in tree.xpath('//script[@type="application/ld+json"]'):
        for obj in _jsonld_objects(script.text_content()):
            types = obj.get("@type")
            types = set(types) if isinstance(types, list) else {types}
            if types & ARTICLE_TYPES and not page.jsonld:
                page.jsonld = obj
    for node in tree.xpath("//meta[@content]"):
        key = (node.get("property") or node.get("name") or node.get("itemprop") or "").lower()
        if key and key not in page.meta and node.get("content", "").strip():
            page.meta[key] = node.get("content").strip()
    canonical = tree.xpath('//link[@rel="canonical"]/@href')
    page.canonical = canonical[0].strip() if canonical else None
    lang = tree.get("lang") or tree.get("{http://www.w3.org/XML/1998/namespace}lang")
    page.lang = lang
    title = tree.find(".//title")
    page.title_tag = " ".join(title.text_content().split()) if title is not None else None
    return page


def prune_clutter(tree: lxml.html.HtmlElement) -> None:
    """Remove page furniture in place, judged by tag, ARIA role and class/id tokens."""
    doomed = []
    for node in tree.iter():
        if not isinstance(node.tag, str):
            continue
        if node.tag in CLUTTER_TAGS or node.get("role") in CLUTTER_ROLES:
            doomed.append(node)
            continue
        if node.tag in ("html", "body", "main", "article"):
            continue  # never drop the container that holds the story
        names = f"{node.get('class', '')} {node.get('id', '')}".split()
        if any(CLUTTER_TOKEN.search(name) for name in names):
            doomed.append(node)
    for node in doomed:
        parent = node.getparent()
        if parent is not None:
            node.drop_tree()


def clean_text(text: str) -> str:
    """Normalise whitespace paragraph by paragraph; paragraphs are separated by a blank line."""
    paragraphs = [" ".join(line.split()) for line in (text or "").splitlines()]
    return "\n\n".join(p for p in paragraphs if p)


def trim_edges(text: str, titles: list[str | None]) -> str:
    """Drop a repeated headline (and its kicker) at the top and dateline trailers at the end.

    Markup pruning removes most of these; this catches sites that put the headline in
    the body container, or close the story with "Published in ... on ...".
    """
    paragraphs = text.split("\n\n")
    known = {" ".join(t.split()).casefold() for t in titles if t}
    for index, para in enumerate(paragraphs[:3]):
        if para.casefold() in known and all(len(p.split()) <= 12 for p in paragraphs[:index]):
            paragraphs = paragraphs[index + 1 :]
            break
    while (
        len(paragraphs) > 1
        and len(paragraphs[-1].split()) <= 25
        and TRAILER_RE.match(paragraphs[-1])
    ):
        paragraphs.pop()
    return "\n\n".join(paragraphs)


def combine(url: str, text: str, page: PageMeta, hints: Hints, doc: Any) -> Extracted:
    """Pick each field from the most reliable evidence that has it, and record which."""
    ld, meta = page.jsonld, page.meta
    out = Extracted(url=url, text=text)

    def pick(name: str, candidates: list[tuple[str, Any]]) -> Any:
        for origin, value in candidates:
            if value not in (None, "", []):
                out.provenance[name] = origin
                return value
        return None

    out.published = pick(
        "published",
        [
            (hints.origin or "feed", hints.published),
            ("jsonld", to_iso(ld.get("datePublished") or ld.get("dateCreated"))),
            ("meta", _meta_date(meta, "published")),
            ("url", _url_date(url)),
            ("text", to_iso(getattr(doc, "date", None))),
        ],
    )
    out.published_source = out.provenance.get("published")
    out.updated = pick(
        "updated",
        [
            (hints.origin or "feed", hints.updated),
            ("jsonld", to_iso(ld.get("dateModified"))),
            ("meta", _meta_date(meta, "modified")),
        ],
    )
    out.title = pick(
        "title",
        [
            ("jsonld", _text(ld.get("headline") or ld.get("name"))),
            ("meta", _strip_site(meta.get("og:title") or meta.get("twitter:title"), meta)),
            ("text", _text(getattr(doc, "title", None))),
            (hints.origin or "feed", hints.title),
            ("meta", _strip_site(page.title_tag, meta)),
        ],
    )
    out.author = pick(
        "author",
        [
            ("jsonld", _jsonld_names(ld.get("author"))),
            ("meta", _not_url(meta.get("author") or meta.get("article:author"))),
            ("text", _text(getattr(doc, "author", None))),
            (hints.origin or "feed", hints.author),
        ],
    )
    out.summary = pick(
        "summary",
        [
            (hints.origin or "feed", hints.summary),
            ("meta", meta.get("description") or meta.get("og:description")),
            ("jsonld", _text(ld.get("description"))),
            ("text", _lead(text)),
        ],
    )
    out.language = pick(
        "language",
        [
            ("jsonld", _lang(ld.get("inLanguage"))),
            ("meta", _lang(page.lang) or _lang(meta.get("og:locale"))),
            ("text", _lang(getattr(doc, "language", None))),
        ],
    )
    out.canonical_url = pick(
        "canonical_url",
        [("meta", page.canonical or meta.get("og:url")), ("jsonld", _text(ld.get("url")))],
    )
    out.image = pick(
        "image",
        [
            ("meta", meta.get("og:image") or meta.get("twitter:image")),
            ("jsonld", _jsonld_image(ld.get("image"))),
            ("text", getattr(doc, "image", None)),
        ],
    )
    out.site_name = pick(
        "site_name",
        [
            ("meta", meta.get("og:site_name")),
            ("jsonld", _jsonld_names(ld.get("publisher") or {})),
            ("text", getattr(doc, "sitename", None)),
        ],
    )
    return out


def _jsonld_objects(raw: str) -> list[dict[str, Any]]:
    try:
        data = json.loads(raw)
    except ValueError:
        return []
    found: list[dict[str, Any]] = []
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))
        elif isinstance(item, dict):
            found.append(item)
            if "@graph" in item:
                stack.append(item["@graph"])
    return found


def _meta_date(meta: dict[str, str], which: str) -> str | None:
    keys = {
        "published": (
            "article:published_time",
            "og:published_time",
            "datepublished",
            "pubdate",
            "publish-date",
            "date",
            "dc.date",
            "dcterms.created",
        ),
        "modified": (
            "article:modified_time",
            "og:updated_time",
            "datemodified",
            "dcterms.modified",
            "last-modified",
        ),
    }[which]
    for key in keys:
        value = to_iso(meta.get(key))
        if value:
            return value
    return None


def _url_date(url: str) -> str | None:
    match = URL_DATE.search(url)
    return to_iso("-".join(match.groups())) if match else None


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        return " ".join(value.split()) or None
    return None


def _strip_site(title: str | None, meta: dict[str, str]) -> str | None:
    """Drop a trailing " | Site Name" that og:title and <title> often carry."""
    title = _text(title)
    site = meta.get("og:site_name")
    if title and site:
        for sep in (" | ", " - ", " — ", " – ", " :: "):
            if title.endswith(sep + site):
                return title[: -len(sep + site)]
    return title


def _jsonld_names(value: Any) -> str | None:
    if isinstance(value, str):
        return _not_url(value)
    if isinstance(value, dict):
        return _text(value.get("name"))
    if isinstance(value, list):
        names = [n for n in (_jsonld_names(v) for v in value) if n]
        return ", ".join(dict.fromkeys(names)) or None
    return None


def _jsonld_image(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return _text(value.get("url"))
    if isinstance(value, list) and value:
        return _jsonld_image(value[0])
    return None


def _not_url(value: str | None) -> str | None:
    value = _text(value)
    return None if value and value.startswith(("http://", "https://")) else value


def _lang(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    return re.split(r"[-_]", value.strip())[0].lower()[:3] or None


def _lead(text: str, limit: int = 300) -> str | None:
    first = text.split("\n\n", 1)[0]
    return first if len(first) <= limit else first[:limit].rsplit(" ", 1)[0] + "…"


class ExtractPipeline:
    """Fills `item.extracted`; drops (and records) pages with no usable article."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> ExtractPipeline:
        return cls(crawler)

    def process_item(self, item: Article) -> Article:
        try:
            if item.html:
                extracted = extract_article(item.html, item.url, item.hints)
            else:
                extracted = extract_from_hints(item.url, item.hints)
        except ExtractionError as exc:
            self.crawler.spider.record_failure(item.url, "extraction", str(exc))
            raise DropItem(f"no article at {item.url}: {exc}") from None
        if extracted.word_count < MIN_WORDS and item.html:
            self.crawler.stats.inc_value("aitrack/short_articles")
        if not extracted.language:
            extracted.language = getattr(self.crawler.spider.source, "language", None)
        item.extracted = extracted
        return item
