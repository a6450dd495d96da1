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
from datetime import datetime, timedelta
from typing import Any

import lxml.html
import trafilatura
from htmldate import find_date
from lxml import etree
from trafilatura import metadata as trafilatura_metadata
from trafilatura.settings import set_date_params
from w3lib.encoding import html_to_unicode

from crawlers.items import Article, Hints
from pipelines.dates import to_iso
from pipelines.offload import run_timed, timed_call
from pipelines.text_quality import why_not_language
from pipelines.timing import CrawlerStage, add_time

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
    r"(?:^|[-_])(?:newsletters?|nl|subscribe|subscription|signup|sign-up|optin|cta|related"
    r"|share|sharing|sharebar|social|comments?|cmt|cmtinfo|respond|discussion|conversation"
    r"|cookies?|consent|gdpr|bio|author-bio|author-card|disclaimer|disclosure|affiliate"
    r"|advert|advertisement|ads?|adslot|ad-slot|inline-slot|sponsor|sponsored|promo"
    r"|breadcrumbs?|crumbs|caption|cutline|credit|credits|toolbar|tools|feedback|outbrain"
    r"|taboola|recirc|recommended|more-from|readmore|read-more|link-block|links-block"
    r"|inline-links|popular|trending|paywall|banner|header|byline|dek|standfirst|subtitle"
    r"|strapline|about-author|about-contact|author-box|author-info|authorbox|contributor"
    r"|contrib|profile|republish|copyright|tags|date|dateline|timestamp|morelinks"
    r"|morestories|relatedlinks|relatedposts|relatedstories)(?:[-_]|$)",
    re.IGNORECASE,
)
# Attributes whose values name a component: class and id, and what component frameworks
# use instead (data-testid="inline-newsletter", data-component="RelatedArticles").
NAME_ATTRIBUTES = ("class", "id", "data-component", "data-testid", "data-module", "aria-label")
CAMEL_HUMP = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
# Short paragraphs that are furniture whatever markup they sit in.
BOILERPLATE_PARAGRAPH = re.compile(
    r"^(?:advertisement|sponsored|ad could not be loaded|story continues below"
    r"|continue reading below)\W*$"
    r"|^read (?:more|also|next)\s*:"
    r"|^about the author\b"
    r"|^republish this story\b"
    r"|\bwe may earn (?:a )?(?:small )?commission\b|\baffiliate links?\b"
    r"|\bsign up\b.{0,80}\b(?:newsletter|inbox|briefing|weekly|daily|letter)\b"
    r"|\b(?:photo|photograph|image|picture)\s*(?:credit)?\s*:\s*[^.:]{2,60}/[^.:]{2,60}\)?$",
    re.IGNORECASE,
)
MAX_BOILERPLATE_WORDS = 40
MAX_SIGNUP_BOX_WORDS = 80
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
INDEX_ORIGINS = ("feed", "sitemap", "listing", "api")
XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
# Furniture is small next to the story: a "clutter" node holding more than this share of
# the page's paragraph text is a mislabelled container, and is kept.
MAX_CLUTTER_SHARE = 0.4
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
    """Clean text and metadata of one article page. Raises ExtractionError if there is none.

    Metadata is read from the whole page (bylines and datelines live in the furniture);
    the body from the page with its furniture pruned.
    """
    hints = hints or Hints()
    tree = parse_html(html)
    result = combine(url, read_page_meta(tree), hints, tree)
    prune_clutter(tree)
    text = extract_body(lxml.html.tostring(tree, encoding="unicode"), url)
    if not text:
        # Pruning can misjudge a site that names its story container like furniture:
        # an article with no body is worse than one with a share bar left in. But text
        # that was all furniture (a menu, a slogan, a "needs JavaScript" notice) is no
        # article either.
        unpruned = extract_body(html if isinstance(html, str) else decode_html(html), url)
        text = unpruned if len(unpruned.split()) >= MIN_WORDS else ""
    result.text = trim_edges(text, [result.title, hints.title])
    if not result.text:
        raise ExtractionError("no article text found")
    if why := why_not_language(result.text):  # junk or binary read as text: no article
        raise ExtractionError(f"not language: {why}")
    if not result.summary:
        result.summary = _lead(result.text)
        result.provenance["summary"] = "text"
    return result


def extract_body(markup: str, url: str) -> str:
    """trafilatura's body text, paragraphs separated by blank lines ("" if none).

    trafilatura is handed markup, not our tree: given a tree it skips part of its own
    loading and loses whole paragraphs on some pages (measured on the benchmark).
    """
    doc = trafilatura.bare_extraction(
        markup,
        url=url,
        with_metadata=False,
        # No fallback extractors (readability, jusText) to compare with: once the
        # furniture is pruned they no longer help (body F1 on the shared benchmark:
        # 0.9688 without them, 0.9679 with) and they cost a fifth of the time.
        fast=True,
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=False,
    )
    return clean_text(doc.text if doc is not None else "")


def extract_from_hints(url: str, hints: Hints) -> Extracted:
    """An 'article' that is only an index record (APIs whose URLs are not pages)."""
    result = combine(url, PageMeta(), hints, None)
    result.text = clean_text(hints.summary or "")
    if not result.text:
        raise ExtractionError("index record has no summary text")
    return result


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
    if isinstance(html, bytes):
        html = decode_html(html)
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
    # Microdata puts dates on <time> and other elements, not only on <meta>.
    for node in tree.xpath("//*[@itemprop='datePublished' or @itemprop='dateModified']"):
        key = node.get("itemprop").lower()
        value = node.get("datetime") or node.get("content")
        if value and key not in page.meta:
            page.meta[key] = value.strip()
    canonical = tree.xpath('//link[@rel="canonical"]/@href')
    page.canonical = canonical[0].strip() if canonical else None
    lang = tree.get("lang") or tree.get("{http://www.w3.org/XML/1998/namespace}lang")
    page.lang = lang
    title = tree.find(".//title")
    page.title_tag = " ".join(title.text_content().split()) if title is not None else None
    return page


def prune_clutter(tree: lxml.html.HtmlElement) -> None:
    """Remove page furniture in place, judged by tag, ARIA role and class/id tokens.

    A node that holds a large share of the page's paragraph text is never removed,
    whatever its name: some sites wrap the whole page in a <form> or give the article
    container a class like "entry-content-read-more".
    """
    paragraph_words: dict[Any, int] = {}
    total = 0
    for para in tree.iter("p"):
        words = len((para.text_content() or "").split())
        total += words
        node = para
        while node is not None:
            paragraph_words[node] = paragraph_words.get(node, 0) + words
            node = node.getparent()
    limit = max(total * MAX_CLUTTER_SHARE, 1)
    doomed = []
    # Depth first, not looking inside what is already doomed: on a real news page most
    # elements sit in menus, footers and teaser rails, which go whole.
    stack = [tree]
    while stack:
        node = stack.pop()
        if not isinstance(node.tag, str):
            continue  # comments and processing instructions
        if paragraph_words.get(node, 0) <= limit and _is_clutter(node):
            doomed.append(node)
            continue
        stack.extend(reversed(node))
    doomed.extend(_signup_boxes(tree))
    for node in doomed:
        if node.getparent() is not None:
            node.drop_tree()


def _is_clutter(node: Any) -> bool:
    """Furniture by its tag, its ARIA role, or the names its attributes give it."""
    if node.tag in CLUTTER_TAGS or node.get("role") in CLUTTER_ROLES:
        return True
    if node.tag in ("html", "body", "main", "article") or not node.attrib:
        return False  # never drop the container that holds the story
    return any(CLUTTER_TOKEN.search(name) for name in _component_names(node))


def _component_names(node: Any) -> list[str]:
    """The words a page uses to name this element, hyphenated ("InlineNewsletter" and
    "inline newsletter" both become "inline-newsletter")."""
    names = []
    for attribute in NAME_ATTRIBUTES:
        value = node.get(attribute)
        if not value:
            continue
        if attribute == "aria-label":
            names.append("-".join(value.split()))
        else:
            names.extend(CAMEL_HUMP.sub("-", v) for v in value.split())
    return names


def _signup_boxes(tree: Any) -> list[Any]:
    """Newsletter boxes that no class name gives away: the small block around an email box."""
    boxes = []
    for email in tree.xpath("//input[@type='email' or contains(@name, 'email')]"):
        box, node = None, email.getparent()
        while node is not None and node.tag not in ("body", "main", "article", "html"):
            if len(node.text_content().split()) > MAX_SIGNUP_BOX_WORDS:
                break
            box, node = node, node.getparent()
        if box is not None:
            boxes.append(box)
    return boxes


def clean_text(text: str) -> str:
    """Normalise whitespace paragraph by paragraph; paragraphs are separated by a blank line."""
    paragraphs = [" ".join(line.split()) for line in (text or "").splitlines()]
    return "\n\n".join(p for p in paragraphs if p)


def trim_edges(text: str, titles: list[str | None]) -> str:
    """Drop a repeated headline (and its kicker) at the top, furniture paragraphs that
    markup did not give away ("Advertisement", "Read more: ...", affiliate notices,
    photo credits), and dateline trailers and orphaned widget headings at the end.
    """
    paragraphs = text.split("\n\n")
    known = {" ".join(t.split()).casefold() for t in titles if t}
    for index, para in enumerate(paragraphs[:3]):
        if para.casefold() in known and all(len(p.split()) <= 12 for p in paragraphs[:index]):
            paragraphs = paragraphs[index + 1 :]
            break
    paragraphs = [p for p in paragraphs if not _is_boilerplate(p)]
    while len(paragraphs) > 1 and (
        (len(paragraphs[-1].split()) <= 25 and TRAILER_RE.match(paragraphs[-1]))
        or _is_orphan_heading(paragraphs[-1])
    ):
        paragraphs.pop()
    return "\n\n".join(paragraphs)


def _is_boilerplate(paragraph: str) -> bool:
    return len(paragraph.split()) <= MAX_BOILERPLATE_WORDS and bool(
        BOILERPLATE_PARAGRAPH.search(paragraph)
    )


def _is_orphan_heading(paragraph: str) -> bool:
    """A short unpunctuated line closing the text: the title of a widget whose links were
    pruned ("More from Technology", "Reader comments (3)"), not the story's last words."""
    return len(paragraph.split()) <= 6 and not re.search(r"[.!?…\"”’:;]\W*$", paragraph)


def combine(url: str, page: PageMeta, hints: Hints, tree: Any) -> Extracted:
    """Pick each field from the most reliable evidence that has it, and record which.

    Candidates are tried in order; the costly ones (htmldate's search of the page text,
    trafilatura's heuristics) are functions, called only when nothing cheaper answered.
    """
    ld, meta = page.jsonld, page.meta
    out = Extracted(url=url)
    index = hints.origin or "feed"

    def pick(name: str, candidates: list[tuple[str, Any]]) -> Any:
        for origin, candidate in candidates:
            value = candidate() if callable(candidate) else candidate
            if value not in (None, "", []):
                out.provenance[name] = origin
                return value
        return None

    def from_page(fn: Any) -> Any:
        return (lambda: fn(tree)) if tree is not None else None

    out.updated = pick(
        "updated",
        [
            (index, hints.updated),
            ("jsonld", to_iso(ld.get("dateModified"))),
            ("meta", _meta_date(meta, "modified")),
        ],
    )
    out.published, origin = resolve_published(
        [
            (index, hints.published),
            ("jsonld", to_iso(ld.get("datePublished") or ld.get("dateCreated"))),
            ("meta", _meta_date(meta, "published")),
            ("url", _url_date(url)),
        ],
        (lambda: _search_date(tree, url)) if tree is not None else None,
        fallback=(out.provenance.get("updated"), out.updated),
        updated=(out.provenance.get("updated"), out.updated),
        shows_day=(lambda day: shows_day(tree, day)) if tree is not None else None,
    )
    if origin:
        out.provenance["published"] = origin
    out.published_source = out.provenance.get("published")
    out.title = pick(
        "title",
        [
            ("jsonld", _text(ld.get("headline") or ld.get("name"))),
            ("meta", _strip_site(meta.get("og:title") or meta.get("twitter:title"), meta)),
            ("text", from_page(lambda t: _text(trafilatura_metadata.extract_title(t)))),
            (index, hints.title),
        ],
    )
    out.author = pick(
        "author",
        [
            ("jsonld", _jsonld_names(ld.get("author"))),
            ("meta", _not_url(meta.get("author") or meta.get("article:author"))),
            ("text", from_page(lambda t: _text(trafilatura_metadata.extract_author(t)))),
            (index, hints.author),
        ],
    )
    out.summary = pick(
        "summary",
        [
            (index, hints.summary),
            ("meta", meta.get("description") or meta.get("og:description")),
            ("jsonld", _text(ld.get("description"))),
        ],
    )
    out.language = pick(
        "language",
        [
            ("jsonld", _lang(ld.get("inLanguage"))),
            ("meta", _lang(page.lang) or _lang(meta.get("og:locale"))),
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
        ],
    )
    out.site_name = pick(
        "site_name",
        [
            ("meta", meta.get("og:site_name")),
            ("jsonld", _jsonld_names(ld.get("publisher") or {})),
            ("text", from_page(lambda t: _text(trafilatura_metadata.extract_sitename(t)))),
        ],
    )
    return out


def resolve_published(
    candidates: list[tuple[str, str | None]],
    search_page: Any,
    fallback: tuple[str | None, str | None] = (None, None),
    updated: tuple[str | None, str | None] = (None, None),
    shows_day: Any = None,
) -> tuple[str | None, str | None]:
    """The publication date and where it came from, from evidence in priority order.

    The first candidate wins (index hint, JSON-LD, meta tags, URL), with two exceptions:

    - The page's markup says it was published on one day and updated on another, and the
      page shows its readers only the update's day: the story is presented as of then.
      (Not for index hints: what a feed says was published is taken as said.)
    - The winner is a UTC timestamp: it fixes the instant but not the publisher's local
      day, so a story filed on a Tuesday evening in California reads as Wednesday (and
      CMSs with no zone configured stamp UTC on everything). Then the page's own date
      (htmldate's search of its text, costly, so only then) decides: another candidate
      on that day wins, or else the day itself if it is a local day the instant can have
      somewhere on Earth (UTC-12 to UTC+14). An index's UTC timestamp is trusted more:
      the page may only move it to such a local day.

    Measured on the date benchmark, letting the text search arbitrate other disagreements
    between candidates did worse than the priority order, so it does not.
    Without a structured candidate, a declared modification time (`fallback`) stands in:
    a page that only says when it last changed is still better evidence than a search of
    its text. Without either, the page's date is used on its own ("text").
    """
    found = [(origin, value) for origin, value in candidates if value]
    if not found and fallback[1]:
        return fallback[1], fallback[0]
    if not found:
        page_date = search_page() if search_page else None
        return (page_date, "text") if page_date else (None, None)
    origin, value = found[0]
    updated_origin, updated_value = updated
    if (
        shows_day
        and updated_value
        and origin in ("jsonld", "meta")
        and updated_origin in ("jsonld", "meta")
        and updated_value[:10] != value[:10]
        and shows_day(updated_value[:10])
        and not shows_day(value[:10])
    ):
        return updated_value, updated_origin
    if search_page is None or not _is_utc(value):
        return value, origin
    page_day = (search_page() or "")[:10]
    if not page_day or page_day == value[:10]:
        return value, origin
    possible = _local_day_possible(value, page_day)
    if origin in INDEX_ORIGINS and not possible:
        return value, origin  # the index's instant stands; the page may only set its day
    for other_origin, other in found[1:]:
        if other[:10] == page_day:
            return other, other_origin
    return (page_day, "text") if possible else (value, origin)


def _local_day_possible(utc_iso: str, day: str) -> bool:
    """Whether `day` can be the local day of this UTC instant somewhere (UTC-12 to UTC+14)."""
    instant = datetime.fromisoformat(utc_iso)
    earliest = (instant - timedelta(hours=12)).date().isoformat()
    latest = (instant + timedelta(hours=14)).date().isoformat()
    return earliest <= day <= latest


MONTH_NAMES = {
    1: "jan|january|januar|janvier|enero|gennaio|jänner",
    2: "feb|february|februar|février|febrero|febbraio",
    3: "mar|march|märz|mars|marzo",
    4: "apr|april|avril|abril|aprile",
    5: "may|mai|mayo|maggio",
    6: "jun|june|juni|juin|junio|giugno",
    7: "jul|july|juli|juillet|julio|luglio",
    8: "aug|august|août|agosto",
    9: "sep|sept|september|septembre|septiembre|settembre",
    10: "oct|october|oktober|octobre|octubre|ottobre",
    11: "nov|november|novembre|noviembre",
    12: "dec|december|dezember|décembre|diciembre|dicembre",
}


def shows_day(tree: Any, day: str) -> bool:
    """Whether the page's visible text shows this day in a common numeric or written form."""
    from datetime import date

    d = date.fromisoformat(day)
    y, m, dd = d.year, d.month, d.day
    numeric = [
        f"{y}-{m:02d}-{dd:02d}",
        f"{y}/{m:02d}/{dd:02d}",
        f"{dd:02d}.{m:02d}.{y}",
        f"{dd}.{m}.{y}",
        f"{dd}. {m}. {y}",
        f"{dd:02d}/{m:02d}/{y}",
        f"{m:02d}/{dd:02d}/{y}",
        f"{m}/{dd}/{y}",
        f"{dd}/{m}/{y}",
        f"{dd:02d}.{m:02d}.{y % 100:02d}",
    ]
    names = MONTH_NAMES[m]
    pattern = re.compile(
        r"(?<!\d)(?:"
        + "|".join(re.escape(n) for n in numeric)
        + rf"|{dd}(?:st|nd|rd|th|\.)?\s+(?:{names})\.?,?\s+{y}"
        + rf"|(?:{names})\.?\s+{dd}(?:st|nd|rd|th)?,?\s+{y})(?!\d)",
        re.IGNORECASE,
    )
    text = " ".join(tree.xpath("//body//text()[not(ancestor::script) and not(ancestor::style)]"))
    return bool(pattern.search(text))


def _is_utc(iso: str) -> bool:
    return iso.endswith(("+00:00", "Z")) and "T" in iso


def _search_date(tree: Any, url: str) -> str | None:
    """htmldate's search of the whole page, with trafilatura's settings (original date)."""
    params = set_date_params(extensive=True)
    return to_iso(find_date(tree, url=url, **params))


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


class ExtractPipeline(CrawlerStage):
    """Fills `item.extracted`; drops (and records) pages with no usable article.

    Extraction runs in a worker process (pipelines.offload), so the reactor goes on
    downloading meanwhile; its time is measured in the worker.
    """

    async def process_item(self, item: Article) -> Article:
        if item.not_modified:
            return item  # the stored extraction is current
        try:
            if item.record_only:
                extracted, ms = timed_call(extract_from_hints, item.url, item.hints)
            else:
                extracted, ms = await run_timed(
                    self.workers, extract_article, item.html, item.url, item.hints
                )
        except ExtractionError as exc:
            from scrapy.exceptions import DropItem  # the functional core needs no Scrapy

            self.crawler.spider.record_failure(item.url, "extraction", str(exc))
            raise DropItem(f"no article at {item.url}: {exc}") from None
        add_time(self.crawler, "extract", ms)
        item.html = ""  # the page is not needed any more; the item may wait in a queue
        if extracted.word_count < MIN_WORDS and not item.record_only:
            self.crawler.stats.inc_value("aitrack/short_articles")
        if not extracted.language:
            extracted.language = getattr(self.crawler.spider.source, "language", None)
        item.extracted = extracted
        return item
