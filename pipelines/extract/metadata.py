"""Metadata: each field from the most reliable evidence that has it, with its origin."""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import lxml.html
from trafilatura import metadata as trafilatura_metadata

from pipelines.dates import to_iso
from pipelines.extract.published import resolve_published, search_date
from pipelines.extract.shown import headline_day, shows_day
from pipelines.model import Extracted, Hints

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
URL_DATE = re.compile(r"/((?:19|20)\d{2})[/-](0[1-9]|1[0-2])[/-](0[1-9]|[12]\d|3[01])(?:/|[-_]|$)")


@dataclass
class PageMeta:
    """Evidence read from the page's markup, before any heuristics."""

    jsonld: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, str] = field(default_factory=dict)
    canonical: str | None = None
    lang: str | None = None
    title_tag: str | None = None


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
    labelled = _meta_dates(meta, "published")
    unlabelled = next((v for v in _meta_dates(meta, "unlabelled") if v not in labelled), None)
    out.published, origin = resolve_published(
        [
            (index, hints.published),
            ("jsonld", to_iso(ld.get("datePublished") or ld.get("dateCreated"))),
            *[("meta", value) for value in labelled],
            ("meta", unlabelled),
            ("url", _url_date(url)),
        ],
        (lambda: search_date(tree, url)) if tree is not None else None,
        fallback=(out.provenance.get("updated"), out.updated),
        updated=(out.provenance.get("updated"), out.updated),
        shows_day=(lambda day: shows_day(tree, day)) if tree is not None else None,
        headline_day=(
            (lambda: headline_day(tree, headlines(url, page, None))) if tree is not None else None
        ),
        unlabelled=unlabelled,
    )
    if origin:
        out.provenance["published"] = origin
    out.published_source = out.provenance.get("published")
    sites = _site_names(url, meta, ld)
    declared = [
        ("jsonld", strip_site(_text(ld.get("headline") or ld.get("name")), sites)),
        ("meta", strip_site(meta.get("og:title") or meta.get("twitter:title"), sites)),
    ]
    out.title = pick(
        "title",
        [
            ("h1", _shown_headline(tree, [v for _, v in declared] + [page.title_tag], sites)),
            *declared,
            ("text", from_page(lambda t: strip_site(trafilatura_metadata.extract_title(t), sites))),
            ("title", strip_site(page.title_tag, sites)),
            (index, hints.title),
        ],
    )
    out.author = pick(
        "author",
        [
            ("jsonld", _byline(_jsonld_names(ld.get("author")))),
            ("meta", _byline(_not_url(meta.get("author") or meta.get("article:author")))),
            ("text", from_page(lambda t: _byline(trafilatura_metadata.extract_author(t)))),
            (index, _byline(hints.author)),
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


def _meta_dates(meta: dict[str, str], which: str) -> list[str]:
    """Every date the meta tags give for `which`, most trusted key first."""
    keys = META_DATE_KEYS[which]
    values = [to_iso(meta.get(key)) for key in keys]
    return list(dict.fromkeys(v for v in values if v))


def _meta_date(meta: dict[str, str], which: str) -> str | None:
    values = _meta_dates(meta, which)
    return values[0] if values else None


META_DATE_KEYS = {
    "published": (
        "article:published_time",
        "og:published_time",
        "datepublished",
        "pubdate",
        "publish-date",
        "dcterms.created",
    ),
    # Generic dates that do not say what they date (publication, last edit, or the
    # moment the page was generated): trusted after the labelled ones, and checked
    # against the day the page shows (published.resolve_published).
    "unlabelled": ("date", "dc.date", "dcterms.date"),
    "modified": (
        "article:modified_time",
        "og:updated_time",
        "datemodified",
        "dcterms.modified",
        "last-modified",
    ),
}


def _url_date(url: str) -> str | None:
    match = URL_DATE.search(url)
    return to_iso("-".join(match.groups())) if match else None


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        return " ".join(value.split()) or None
    return None


# What sites put between a headline and their name in <title>, og:title and JSON-LD.
SITE_SEPARATORS = (" | ", " - ", " — ", " – ", " :: ", " · ", " » ", " / ")


def strip_site(title: str | None, sites: set[str]) -> str | None:
    """A headline without the site's name before or after it ("Headline | Site",
    "Site - Headline"), the same way for every candidate (JSON-LD, og:title, <title>,
    trafilatura's guess). A part is the site's name when it reads as og:site_name,
    the JSON-LD publisher or application-name, or as the host name ("CNN.com", "TechCrunch"
    on techcrunch.com), ignoring case, spaces and punctuation. Entities that a CMS
    escaped twice ("&#163;" in og:title) are decoded."""
    title = _text(html.unescape(title)) if title else None
    if not title or not sites:
        return title
    for sep in SITE_SEPARATORS:
        parts = title.split(sep)
        if len(parts) < 2:
            continue
        if _flat(parts[-1]) in sites:
            return strip_site(sep.join(parts[:-1]), sites)
        if _flat(parts[0]) in sites:
            return strip_site(sep.join(parts[1:]), sites)
    return title


def headlines(url: str, page: PageMeta, tree: Any) -> list[str]:
    """Every form of the headline the page gives (JSON-LD, og:title, twitter:title,
    <title>, each also without the site's name, and the <h1>s), so that a headline
    repeated at the top of the body is recognised whichever form it takes."""
    sites = _site_names(url, page.meta, page.jsonld)
    raw = [
        _text(page.jsonld.get("headline")),
        page.meta.get("og:title"),
        page.meta.get("twitter:title"),
        page.title_tag,
    ]
    found = [t for t in raw if t] + [strip_site(t, sites) or "" for t in raw if t]
    if tree is not None:
        found += [h1.text_content() for h1 in tree.iter("h1")]
    return [t for t in found if t and t.strip()]


def _site_names(url: str, meta: dict[str, str], ld: dict[str, Any]) -> set[str]:
    publisher = _jsonld_names(ld.get("publisher") or {})
    names = {meta.get("og:site_name"), meta.get("application-name"), publisher}
    host = urlsplit(url).hostname or ""
    labels = [label for label in host.split(".") if label not in ("www", "m", "amp")]
    if labels:
        names.add(labels[0] if len(labels) == 1 else labels[-2])  # "techcrunch"
        names.add(".".join(labels[-2:]))  # "cnn.com"
    return {_flat(n) for n in names if n} - {""}


def _flat(text: str) -> str:
    return re.sub(r"\W+", "", text.casefold())


def _shown_headline(tree: Any, declared: list[str | None], sites: set[str]) -> str | None:
    """The <h1> the page shows readers, when it is the headline its metadata declares
    (h1 is also used for logos and section names, so it needs that confirmation)."""
    if tree is None:
        return None
    wanted = {_flat(strip_site(t, sites) or "") for t in declared if t}
    wanted |= {_flat(t) for t in declared if t}
    wanted.discard("")
    for h1 in tree.iter("h1"):
        text = _text(h1.text_content())
        if text and _flat(text) in wanted:
            return text
    return None


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


# What page furniture looks like when taken for a byline: a label ("About the author"), a
# document's description ("A Notice by the Patent and Trademark Office on <date>"), or a
# phrase cut off after a joining word ("... Office on"). None of these is anyone's name.
NOT_A_BYLINE = re.compile(
    r"^(?:about\b|an?\s+\w+\s+by\b)|\babout the author\b|[\s;,](?:on|by|of|and|the|for)$|[;,]$",
    re.IGNORECASE,
)


def _byline(value: str | None) -> str | None:
    """An author as a name: a leading "By" dropped, and furniture refused (None)."""
    value = _text(value)
    if value:
        value = re.sub(r"^by\s+", "", value, flags=re.IGNORECASE)
    return None if not value or NOT_A_BYLINE.search(value) else value


def _not_url(value: str | None) -> str | None:
    value = _text(value)
    return None if value and value.startswith(("http://", "https://")) else value


def _lang(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    return re.split(r"[-_]", value.strip())[0].lower()[:3] or None
