"""The generated benchmark site's pages: realistic news articles made from our own demo text.

Every page is a pure function of (seed, n), so a site of 10,000 pages needs no storage:
the server renders each page when asked. Page n is a news article of 60–120 KB (sizes
spread uniformly over n) in one of three layouts a real site could have: a classic
newspaper CMS, a React app with hashed class names and a hydration blob, and WordPress
with its plugins. About 40% of a page's bytes are inline CSS, scripts (analytics, ads,
consent, a bundle) and state JSON, and a page has 550–800 elements (mega-menu, icons,
rails of teaser cards, footer): the medians of the 88 real news pages in
../shared/eval/extraction are 37% and 790. The story itself is 3–10 KB.

The text is ours: body paragraphs, headlines and summaries come from the demo articles
in data/demo/site (written for this project), whose labels (AI or not, where the body
starts) are tests/fixtures/demo/*.json. Each page's body is a seeded selection of
paragraphs from several demo articles of one kind (AI or not; about 15% of pages are
not about AI), so every page's text is unique as a whole. Headlines are a demo headline
with a neutral variation and the page's number. Furniture (newsletter box, share bar,
ads, captions, bios, related stories, comments, cookie banner) is written here.

Used by bench/site.py (the server) and tests/test_bench_site.py; see bench/site.py.
"""

from __future__ import annotations

import functools
import html
import json
import math
import random
import re
import string
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import lxml.html

ROOT = Path(__file__).resolve().parent.parent
DEMO_SITE = ROOT / "data" / "demo" / "site"
DEMO_MANIFEST = ROOT / "tests" / "fixtures" / "demo"

SITE_NAME = "The Policy Wire"
SITE_SLUG = "policywire"
NEWSROOM_TZ = ZoneInfo("America/New_York")  # dates carry a local offset, as most sites' do
FIRST_DAY = datetime(2023, 10, 2, tzinfo=NEWSROOM_TZ)
SPAN_DAYS = 730  # publication dates spread over two years
MIN_BYTES, MAX_BYTES = 61_500, 119_500  # inside 60–120 KB whichever K one means
NON_AI_SHARE = 0.15
TEMPLATES = ("newsroom", "app", "wordpress")
GOLDEN = (math.sqrt(5) - 1) / 2
SQRT2_FRAC = math.sqrt(2) - 1

# -- our own words for the furniture ---------------------------------------------------

HEADLINE_VARIANTS = (
    "{h}",
    "{h}",
    "{h}",
    "Analysis: {h}",
    "What to know: {h}",
    "Update: {h}",
    "Explainer: {h}",
    "In depth: {h}",
)
AUTHORS = (
    ("Dana Whitcomb", "technology policy"),
    ("Samuel Oyelaran", "courts and legal affairs"),
    ("Marisol Etxeberria", "European affairs"),
    ("Theo Vandermeer", "federal agencies"),
    ("Priya Ramaswami", "labor and the workplace"),
    ("Graham Osei-Bonsu", "state government"),
    ("Ingrid Halvorsen", "business and markets"),
    ("Lucas Ferreira-Maine", "Congress"),
    ("Harriet Achebe", "consumer protection"),
    ("Nikolai Brandvold", "privacy and security"),
    ("June Takahara", "the entertainment industry"),
    ("Rosalind Peake", "local government"),
)
FORMER_PAPERS = (
    "the Harbor City Courier",
    "the Midland Examiner",
    "the Lakeshore Gazette",
    "the Northgate Tribune",
    "Riverbend Public Radio",
)
PHOTOGRAPHERS = ("Lena Hartmann", "Corwin Ashby", "Desmond Achterling", "Ayla Brightwater")
PHOTO_AGENCIES = ("Northlight Images", "Pool", "The Policy Wire", "Meridian Photo")
CAPTIONS = (
    "Officials speak to reporters after the hearing.",
    "The building where the vote took place, seen from across the street.",
    "Members of the public wait outside the chamber before the session.",
    "Documents filed in the case, photographed at the courthouse.",
    "A committee room during a break in the proceedings.",
    "Workers gather outside the offices on the morning of the announcement.",
)
SECTIONS_BY_SITE = {
    "civic-ledger": "Politics",
    "bench-and-bar": "Courts",
    "eurodigest": "World",
    "fedbulletin": "Government",
    "screen-workers": "Labor",
}
NAV_SECTIONS = (
    "Politics",
    "Courts",
    "World",
    "Government",
    "Labor",
    "Business",
    "Tech & Policy",
    "Health",
    "Climate",
    "Metro",
    "Opinion",
    "Investigations",
    "Podcasts",
    "Newsletters",
    "Events",
    "Obituaries",
)
FOOTER_LINKS = (
    "About us",
    "Our journalists",
    "Ethics policy",
    "Corrections",
    "Careers",
    "Contact the newsroom",
    "Send us a tip",
    "Advertise",
    "Licensing and reprints",
    "Subscribe",
    "Gift subscriptions",
    "Group subscriptions",
    "Manage my account",
    "Help center",
    "Terms of use",
    "Privacy policy",
    "Cookie settings",
    "Accessibility",
    "Do not sell my personal information",
    "RSS feeds",
    "Site map",
    "Newsletters",
    "Podcasts",
    "Events",
    "E-edition",
    "Archive",
)
COMMENTS = (
    "Thanks for laying out the timeline so clearly. I had lost track of who decided what.",
    "I would like to see the full document rather than a summary of it.",
    "This is the third story on this in a month and the question of cost is still unanswered.",
    "Good reporting. The quote from the other side was useful too.",
    "Who is actually going to check that anyone follows these rules?",
    "My town went through something similar last year. It took ages to settle.",
    "The headline oversells it a bit, but the piece itself is fair.",
    "Interesting that nobody from the agency would comment on the record.",
    "I read the whole thing twice and I am still not sure who wins here.",
    "Can you do a follow-up in six months to see whether any of this happened?",
    "The lawyers will be the only ones who come out ahead, as usual.",
    "Please stop putting the important part in the last paragraph.",
)
COMMENTERS = ("riverside_reader", "J. Okafor", "MapleAndMain", "oldnewsroomhand", "Tess K.")
SUBHEADS = ("What happens next", "The background", "Reaction", "What it means", "By the numbers")

# -- the corpus: paragraphs from our demo articles --------------------------------------


@dataclass(frozen=True)
class Story:
    """A demo article: the raw material for generated pages."""

    title: str
    description: str
    paragraphs: tuple[str, ...]
    is_ai: bool
    section: str


@functools.cache
def corpus() -> dict[bool, tuple[Story, ...]]:
    """The demo articles by kind ({True: about AI, False: not}), read once per process."""
    stories: dict[bool, list[Story]] = {True: [], False: []}
    for manifest in sorted(DEMO_MANIFEST.glob("*.json")):
        for entry in json.loads(manifest.read_text(encoding="utf-8")):
            story = _read_story(entry)
            stories[story.is_ai].append(story)
    return {kind: tuple(found) for kind, found in stories.items()}


def _read_story(entry: dict) -> Story:
    """Body paragraphs of one demo page: the <p> children of the element whose first
    paragraph starts as the manifest says the body does (inline asides are skipped)."""
    tree = lxml.html.parse(str(DEMO_SITE / entry["path"].lstrip("/"))).getroot()
    start = entry["body_starts"]
    first = next(p for p in tree.iter("p") if _text(p).startswith(start))
    paragraphs = tuple(t for p in first.getparent().findall("p") if (t := _text(p)))
    meta = tree.xpath('//meta[@name="description"]/@content')
    site = entry["path"].strip("/").split("/")[0]
    return Story(
        title=entry["title"],
        description=" ".join(meta[0].split()) if meta else paragraphs[0],
        paragraphs=paragraphs,
        is_ai=bool(entry["is_ai"]),
        section=SECTIONS_BY_SITE.get(site, "News"),
    )


def _text(node: lxml.html.HtmlElement) -> str:
    return " ".join(node.text_content().split())


# -- what a page is, before it is rendered ---------------------------------------------


@dataclass(frozen=True)
class PageInfo:
    """Everything the sitemap, feed, home page and article page must agree on."""

    n: int
    seed: int
    is_ai: bool
    template: str
    lead: Story
    headline: str
    slug: str
    path: str
    published: datetime
    modified: datetime
    author: str
    beat: str
    section: str

    @property
    def description(self) -> str:
        return self.lead.description


def page_rng(n: int, seed: int, salt: str = "") -> random.Random:
    """A generator that depends only on (seed, n, salt): pages never depend on each other."""
    return random.Random(f"{seed}:{n}:{salt}")


def target_size(n: int, seed: int) -> int:
    """Page size in bytes: a low-discrepancy sequence, so sizes are uniform over any run of n."""
    fraction = (n * GOLDEN + seed * 0.1234) % 1.0
    return int(MIN_BYTES + fraction * (MAX_BYTES - MIN_BYTES))


def is_ai_page(n: int, seed: int) -> bool:
    """About 85% of pages are AI news; exactly that share over any long run of n."""
    return (n * SQRT2_FRAC + seed * 0.377) % 1.0 >= NON_AI_SHARE


@functools.lru_cache(maxsize=65_536)
def page_info(n: int, seed: int = 1) -> PageInfo:
    rng = page_rng(n, seed, "info")
    is_ai = is_ai_page(n, seed)
    lead = rng.choice(corpus()[is_ai])
    headline = f"{rng.choice(HEADLINE_VARIANTS).format(h=lead.title)} (No. {n})"
    day = FIRST_DAY + timedelta(days=rng.randrange(SPAN_DAYS))
    # Newsrooms publish from early morning to late evening, local time.
    # Aware arithmetic is wall-clock arithmetic: the offset is the zone's on that day.
    published = day + timedelta(minutes=rng.randrange(6 * 60, 22 * 60))
    updated = rng.random() < 0.35
    modified = published + timedelta(minutes=rng.randrange(20, 30 * 60)) if updated else published
    slug = "-".join(re.findall(r"[a-z0-9]+", lead.title.lower())[:9]) + f"-{n}"
    author, beat = rng.choice(AUTHORS)
    return PageInfo(
        n=n,
        seed=seed,
        is_ai=is_ai,
        template=TEMPLATES[n % len(TEMPLATES)],
        lead=lead,
        headline=headline,
        slug=slug,
        path=f"/{published:%Y/%m/%d}/{slug}.html",
        published=published,
        modified=modified,
        author=author,
        beat=beat,
        section=lead.section,
    )


PATH_NUMBER = re.compile(r"^/\d{4}/\d{2}/\d{2}/[a-z0-9-]+-(\d+)\.html$")


def page_number(path: str) -> int | None:
    """The n of an article path (the caller checks it is n's own path), or None."""
    match = PATH_NUMBER.match(path)
    return int(match.group(1)) if match else None


def body_blocks(n: int, seed: int = 1) -> list[tuple[str, str]]:
    """The story's blocks in order: ("p", text), ("h2", subheading) or ("blockquote", text).

    The lead article gives the first paragraph (it often carries the dateline) and a few
    more; two to four other demo articles of the same kind give the rest. Paragraph
    count is 8–25 with a median of 11 (about 600 words), like news stories.
    """
    info = page_info(n, seed)
    rng = page_rng(n, seed, "body")
    count = min(25, 8 + round(rng.expovariate(1 / 4)))
    pool = corpus()[info.is_ai]
    others = rng.sample([s for s in pool if s is not info.lead], rng.randint(2, 4))
    chosen = [info.lead.paragraphs[0]]
    lead_rest = list(info.lead.paragraphs[1:])
    chosen += rng.sample(lead_rest, min(len(lead_rest), rng.randint(2, 4)))
    candidates = [p for s in others for p in s.paragraphs if p not in chosen]
    chosen += rng.sample(candidates, min(len(candidates), count - len(chosen)))
    blocks: list[tuple[str, str]] = [("p", p) for p in chosen]
    if len(blocks) >= 10 and rng.random() < 0.4:
        blocks.insert(rng.randint(5, len(blocks) - 3), ("h2", rng.choice(SUBHEADS)))
    if rng.random() < 0.25:  # a paragraph set as a quotation
        index = rng.randint(2, len(blocks) - 2)
        if blocks[index][0] == "p":
            blocks[index] = ("blockquote", blocks[index][1])
    return blocks


def body_paragraphs(n: int, seed: int = 1) -> list[str]:
    """The story text of page n, paragraph by paragraph (what an extractor should find)."""
    return [text for kind, text in body_blocks(n, seed) if kind != "h2"]


# -- the static parts of each layout: CSS and JavaScript ------------------------------

PALETTE = ("gray", "slate", "red", "blue", "amber", "emerald", "navy")
SPACING = {"margin": "m", "padding": "p"}
SIDES = {"": "", "-top": "t", "-bottom": "b", "-left": "l", "-right": "r"}
BREAKPOINTS = (("sm", 640), ("md", 768), ("lg", 1024))


def _hexcolor(rng: random.Random) -> str:
    return "#" + "".join(rng.choice("0123456789abcdef") for _ in range(6))


def _utility_css(rng: random.Random, prefix: str = "", limit: int = 200) -> str:
    """Utility classes as an atomic-CSS build emits them (spacing, colour, type, grid):
    a sample of `limit` of them, some with responsive variants."""
    rules = []
    for prop, short in SPACING.items():
        for side, s in SIDES.items():
            for size in range(0, 13, 2):
                rules.append(f".{prefix}{short}{s}-{size}{{{prop}{side}:{size * 0.25:g}rem}}")
    for name in PALETTE:
        for shade in (100, 300, 500, 700, 900):
            color = _hexcolor(rng)
            rules.append(f".{prefix}text-{name}-{shade}{{color:{color}}}")
            rules.append(f".{prefix}bg-{name}-{shade}{{background-color:{color}}}")
    for size, rem in zip(("xs", "sm", "base", "lg", "xl", "2xl", "3xl"), range(7), strict=True):
        rules.append(f".{prefix}text-{size}{{font-size:{0.75 + rem * 0.125:g}rem;line-height:1.5}}")
    for value in ("flex", "grid", "block", "inline-block", "none", "inline-flex"):
        rules.append(f".{prefix}{value}{{display:{value}}}")
    for cols in range(1, 13):
        rules.append(
            f".{prefix}grid-cols-{cols}{{grid-template-columns:repeat({cols},minmax(0,1fr))}}"
        )
    rules = rng.sample(rules, min(limit, len(rules)))
    media = "".join(
        f"@media (min-width:{width}px){{" + "".join(f".{bp}\\:{r[1:]}" for r in rules[::9]) + "}"
        for bp, width in BREAKPOINTS
    )
    return "".join(rules) + media


def _component_css(rng: random.Random, selectors: list[str]) -> str:
    props = (
        "margin:0 auto",
        "padding:12px 16px",
        "font:14px/1.4 Helvetica,Arial,sans-serif",
        "display:flex",
        "gap:12px",
        "border-bottom:1px solid #e2e2e2",
        "text-transform:uppercase",
        "letter-spacing:.04em",
        "max-width:1200px",
        "position:relative",
        "transition:opacity .2s ease-in-out",
        "font-family:Georgia,'Times New Roman',serif",
        "font-size:1.1875rem",
        "line-height:1.6",
        "text-decoration:none",
        "overflow:hidden",
    )
    return "".join(
        f"{sel}{{{';'.join(rng.sample(props, rng.randint(3, 7)))};color:{_hexcolor(rng)}}}"
        for sel in selectors
    )


JS_PATTERNS = (
    'function({a}){{var {b}={a}.className,{c}=void 0===({b})?"":{b};return(0,r.jsx)("div",'
    '{{className:(0,o.Z)("{cls}",{c}),children:{a}.children}})}}',
    "function({a},{b}){{if(!{a})return{b};for(var {c}=0;{c}<{a}.length;{c}++)"
    "if({a}[{c}].id==={b}.id)return {a}[{c}];return{b}}}",
    'function({a}){{return new Promise(function({b},{c}){{var d=document.createElement("script");'
    "d.src={a},d.async=!0,d.onload={b},d.onerror={c},document.head.appendChild(d)}})}}",
    'function(){{var {a}=window.localStorage.getItem("{cls}");try{{return {a}?JSON.parse({a}):'
    "{{}}}}catch({b}){{return{{}}}}}}",
    "function({a},{b}){{var {c}=0;return function(){{var d=Date.now();d-{c}>{b}&&({c}=d,"
    "{a}.apply(this,arguments))}}}}",
    "function({a}){{var {b}=new IntersectionObserver(function({c}){{{c}.forEach(function(e){{"
    "e.isIntersecting&&(e.target.src=e.target.dataset.src,{b}.unobserve(e.target))}})}},"
    '{{rootMargin:"200px 0px"}});{a}.forEach(function(e){{{b}.observe(e)}})}}',
)


def _ident(rng: random.Random) -> str:
    return rng.choice(string.ascii_letters) + "".join(
        rng.choice(string.ascii_letters + string.digits) for _ in range(rng.randint(0, 2))
    )


def _bundle_js(rng: random.Random, modules: int) -> str:
    """A webpack chunk of minified modules, the way bundlers inline them."""
    parts = []
    for _ in range(modules):
        body = rng.choice(JS_PATTERNS).format(
            a=_ident(rng), b=_ident(rng), c=_ident(rng), cls=f"c-{_ident(rng).lower()}"
        )
        parts.append(
            f'{rng.randint(100, 99999)}:function(e,t,n){{"use strict";n.d(t,{{Z:function()'
            f"{{return {_ident(rng)}}}}});var r=n({rng.randint(100, 99999)}),o=n("
            f"{rng.randint(100, 99999)}),{_ident(rng)}={body}}}"
        )
    return (
        f"(self.webpackChunk_{SITE_SLUG}=self.webpackChunk_{SITE_SLUG}||[]).push([["
        f"{rng.randint(100, 999)}],{{{','.join(parts)}}}]);"
    )


CONSENT_JS = (
    "!function(){var e=window,t=document;e.__tcfapi=e.__tcfapi||function(){(e.__tcfapi.a="
    "e.__tcfapi.a||[]).push(arguments)};var n=t.cookie.match(/(?:^|; )pw_consent=([^;]*)/);"
    "e.pwConsent=n?JSON.parse(decodeURIComponent(n[1])):{analytics:!1,ads:!1,social:!1};"
    'e.addEventListener("pw:consent",function(t){e.pwConsent=t.detail,t.detail.ads&&e.pwAds&&'
    "e.pwAds.refresh()})}();"
)
LAZY_JS = (
    '!function(){if("loading"in HTMLImageElement.prototype)return;var e=document.querySelector'
    'All("img[loading=lazy]");e.forEach(function(e){e.dataset.src=e.src,e.removeAttribute("src")'
    '});var t=document.createElement("script");t.src="/static/js/lazysizes.min.js",t.async=!0,'
    "document.body.appendChild(t)}();"
)


WP_PRESETS = (
    "black",
    "white",
    "cyan-bluish-gray",
    "pale-pink",
    "vivid-red",
    "vivid-green-cyan",
    "pale-cyan-blue",
    "vivid-purple",
    "accent",
    "contrast",
    "base",
)
WP_BLOCKS = ("image", "quote", "pullquote", "group", "columns", "column", "button", "separator")


COMPONENT_CLASSES = (
    "masthead",
    "nav-primary",
    "breadcrumbs",
    "headline",
    "dek",
    "byline",
    "dateline",
    "article-body",
    "story",
    "figure",
    "caption",
    "credit",
    "newsletter",
    "share-bar",
    "ad-slot",
    "author-bio",
    "related",
    "comments",
    "comment",
    "cookie-banner",
    "site-footer",
    "sidebar",
    "most-read",
    "tag-list",
    "paywall-promo",
    "skip-link",
    "topbar",
    "search",
    "logo",
    "kicker",
)


@functools.cache
def template_assets(template: str) -> tuple[str, str]:
    """(CSS, JS) of one layout, built once: every page of a layout shares them, as a
    real site's pages share their inline critical CSS and bundles."""
    rng = random.Random(f"assets:{template}")
    selectors = [f".{word}" for word in COMPONENT_CLASSES]
    if template == "app":
        selectors += [f".css-{rng.getrandbits(30):x}" for _ in range(12)]
        css = _component_css(rng, selectors) + _utility_css(rng, limit=40)
        js = _bundle_js(rng, 24) + CONSENT_JS + LAZY_JS
    elif template == "wordpress":
        variables = "".join(
            f"--wp--preset--{kind}--{name}:{_hexcolor(rng)};"
            for kind in ("color", "gradient")
            for name in WP_PRESETS
        )
        blocks = [f".wp-block-{b}" for b in WP_BLOCKS]
        css = "body{" + variables + "}" + _component_css(rng, selectors + blocks)
        css += _utility_css(rng, "has-", limit=40)
        js = _bundle_js(rng, 18) + CONSENT_JS
    else:
        css = _component_css(rng, selectors) + _utility_css(rng, limit=60)
        js = _bundle_js(rng, 20) + CONSENT_JS + LAZY_JS
    return css, js


# -- rendering ---------------------------------------------------------------------------


@functools.lru_cache(maxsize=16_384)
def esc(text: str) -> str:
    """HTML-escaped text; cached, since pages reuse the same paragraphs and headlines."""
    return html.escape(text, quote=True)


def human_time(moment: datetime) -> str:
    """'March 14, 2025, 9:40 a.m. ET', the way American newspapers print it."""
    hour = moment.hour % 12 or 12
    half = "a.m." if moment.hour < 12 else "p.m."
    return f"{moment:%B} {moment.day}, {moment.year}, {hour}:{moment:%M} {half} ET"


def article_url(base_url: str, info: PageInfo) -> str:
    return base_url + info.path


@dataclass
class Page:
    """One page being rendered: its facts, its generator, and the site's address."""

    info: PageInfo
    rng: random.Random
    base: str

    @property
    def url(self) -> str:
        return article_url(self.base, self.info)

    def other(self, count: int) -> list[PageInfo]:
        """Other pages to link to (related stories, most read): numbers below max(n, 40),
        so links resolve on any site of 40 pages or more."""
        n = self.info.n
        numbers = {self.rng.randrange(0, max(n, 40)) for _ in range(count)} - {n}
        return [page_info(m, self.info.seed) for m in sorted(numbers)]

    def other_many(self) -> Iterator[PageInfo]:
        """An endless stream of other pages, for rails as long as the page needs."""
        n = self.info.n
        for m in _teaser_numbers(self, n):
            if m != n:
                yield page_info(m, self.info.seed)


def _head(page: Page, extra: str = "") -> str:
    info, url = page.info, page.url
    css, js = template_assets(info.template)
    image = f"{page.base}/img/{info.published:%Y/%m}/{info.slug}-1200.jpg"
    jsonld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "headline": info.headline,
        "description": info.description,
        "image": [image],
        "datePublished": info.published.isoformat(),
        "dateModified": info.modified.isoformat(),
        "articleSection": info.section,
        "author": [{"@type": "Person", "name": info.author, "url": f"{page.base}/staff/"}],
        "publisher": {
            "@type": "NewsMediaOrganization",
            "name": SITE_NAME,
            "logo": {"@type": "ImageObject", "url": f"{page.base}/img/logo.png"},
        },
        "isAccessibleForFree": True,
    }
    crumbs = {
        "@context": "https://schema.org",
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": 1, "name": "Home", "item": page.base + "/"},
            {"@type": "ListItem", "position": 2, "name": info.section, "item": _section_url(page)},
        ],
    }
    data_layer = {
        "event": "pageview",
        "pageType": "article",
        "contentId": f"pw-{info.n}",
        "section": info.section,
        "author": info.author,
        "publishDate": info.published.isoformat(),
        "wordCount": sum(t.count(" ") + 1 for t in body_paragraphs(info.n, info.seed)),
        "template": info.template,
        "abVariant": page.rng.choice(("control", "recirc-v2", "nl-bottom")),
    }
    published, modified = info.published.isoformat(), info.modified.isoformat()
    return (
        f'<!DOCTYPE html>\n<html lang="en-US">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(info.headline)} | {SITE_NAME}</title>\n"
        f'<meta name="description" content="{esc(info.description)}">\n'
        f'<meta name="author" content="{esc(info.author)}">\n'
        f'<meta name="robots" content="max-image-preview:large">\n'
        f'<link rel="canonical" href="{url}">\n'
        f'<meta property="og:type" content="article">\n'
        f'<meta property="og:site_name" content="{SITE_NAME}">\n'
        f'<meta property="og:title" content="{esc(info.headline)}">\n'
        f'<meta property="og:description" content="{esc(info.description)}">\n'
        f'<meta property="og:url" content="{url}">\n'
        f'<meta property="og:image" content="{image}">\n'
        f'<meta property="og:locale" content="en_US">\n'
        f'<meta name="twitter:card" content="summary_large_image">\n'
        f'<meta name="twitter:site" content="@{SITE_SLUG}">\n'
        f'<meta property="article:published_time" content="{published}">\n'
        f'<meta property="article:modified_time" content="{modified}">\n'
        f'<meta property="article:section" content="{esc(info.section)}">\n'
        f'<link rel="alternate" type="application/rss+xml" title="{SITE_NAME}" '
        f'href="{page.base}/feed.xml">\n'
        f'<link rel="preconnect" href="https://cdn.{SITE_SLUG}.example">\n'
        f'<link rel="preload" as="font" href="/static/fonts/serif-text.woff2" crossorigin>\n'
        f'<style id="critical-css">{css}</style>\n'
        f'<script type="application/ld+json">{_script_json(jsonld)}</script>\n'
        f'<script type="application/ld+json">{_script_json(crumbs)}</script>\n'
        f"<script>window.dataLayer=window.dataLayer||[];window.dataLayer.push("
        f"{_script_json(data_layer)});</script>\n"
        f"<script>{_ads_config(page)}</script>\n"
        f"<script>{js}</script>\n{extra}</head>\n"
    )


def _script_json(value: object) -> str:
    """JSON safe inside <script>: no '</' can close the element early."""
    return json.dumps(value, separators=(",", ":")).replace("</", "<\\/")


def _ads_config(page: Page) -> str:
    info = page.info
    slots = [
        f'googletag.defineSlot("/2281/{SITE_SLUG}/{info.section.lower().replace(" ", "")}/'
        f'{name}",{sizes},"ad-{name}").addService(googletag.pubads())'
        for name, sizes in (
            ("top", "[[728,90],[970,250]]"),
            ("mid1", "[[300,250],[336,280]]"),
            ("mid2", "[[300,250]]"),
            ("rail", "[[300,600],[300,250]]"),
            ("bottom", "[[728,90]]"),
        )
    ]
    return (
        "window.googletag=window.googletag||{cmd:[]};googletag.cmd.push(function(){"
        + ";".join(slots)
        + f';googletag.pubads().setTargeting("section","{info.section}").setTargeting('
        f'"article","pw-{info.n}");googletag.pubads().enableLazyLoad({{fetchMarginPercent:200,'
        "renderMarginPercent:100}});googletag.enableServices()});"
    )


def _section_url(page: Page) -> str:
    return f"{page.base}/section/{_slug(page.info.section)}/"


def _nav(page: Page, cls: str, style: str = "plain") -> str:
    return (
        f'<nav class="{cls}" aria-label="Sections"><ul class="menu">{_menu(page.base, style)}'
        "</ul></nav>\n"
    )


def _slug(text: str) -> str:
    return "-".join(re.findall(r"[a-z0-9]+", text.lower()))


@functools.lru_cache(maxsize=16)
def _menu(base: str, style: str) -> str:
    """The section mega-menu, with a submenu per section and a toggle icon: the same on
    every page of a site, so built once. WordPress spells out its menu classes."""
    items = []
    per_section = 3 if style == "wordpress" else 4  # WordPress's menu markup is twice as long
    for i, section in enumerate(NAV_SECTIONS[:12]):
        subs = "".join(
            _menu_item(base, style, f"{_slug(section)}/{_slug(sub)}", sub, 100 + i * 10 + k)
            for k, sub in enumerate(
                SUBSECTIONS[(i * 7 + j) % len(SUBSECTIONS)] for j in range(per_section)
            )
        )
        toggle = (
            f'<button class="submenu-toggle" aria-expanded="false" aria-label="Open {esc(section)}'
            f' menu">{_icon("chevron")}</button>'
        )
        link = _menu_item(base, style, _slug(section), section, 100 + i * 10)
        items.append(
            f'{link[:-5]}{toggle}<div class="submenu-panel"><div class="submenu-inner">'
            f'<ul class="sub-menu">{subs}</ul></div></div></li>'
        )
    return "".join(items)


def _menu_item(base: str, style: str, path: str, label: str, number: int) -> str:
    if style == "wordpress":
        cls = (
            f' id="menu-item-{number}" class="menu-item menu-item-type-taxonomy '
            f'menu-item-object-category menu-item-{number}"'
        )
    else:
        cls = ' class="menu-item"'
    return f'<li{cls}><a href="{base}/section/{path}/">{esc(label)}</a></li>'


SUBSECTIONS = (
    "Supreme Court",
    "State courts",
    "Elections",
    "Congress",
    "White House",
    "Agencies",
    "Europe",
    "Asia",
    "Americas",
    "Unions",
    "Workplace",
    "Markets",
    "Companies",
    "Startups",
    "Privacy",
    "Security",
    "Health policy",
    "Energy",
    "City Hall",
    "Schools",
    "Transit",
    "Editorials",
    "Columnists",
    "Letters",
    "Data desk",
    "Explainers",
)
ICON_NAMES = (
    "chevron",
    "search",
    "menu",
    "account",
    "x",
    "facebook",
    "linkedin",
    "email",
    "link",
    "bookmark",
    "comment",
    "rss",
)


@functools.cache
def _icon_path(name: str) -> str:
    """Path data of an icon, generated (seeded by the name): a few hundred bytes of
    coordinates, like a real icon's."""
    rng = random.Random(f"icon:{name}")
    steps = "".join(
        f"{rng.choice('lcsq')}{rng.uniform(-6, 6):.2f} {rng.uniform(-6, 6):.2f}"
        + (f" {rng.uniform(-6, 6):.2f} {rng.uniform(-6, 6):.2f}" if rng.random() < 0.5 else "")
        for _ in range(rng.randint(8, 18))
    )
    return f"M{rng.uniform(2, 22):.2f} {rng.uniform(2, 22):.2f}{steps}z"


@functools.cache
def _icon_sprite() -> str:
    """Every icon once, as <symbol>s that the page's icons <use>: how sites inline icons."""
    symbols = "".join(
        f'<symbol id="i-{name}" viewBox="0 0 24 24"><path d="{_icon_path(name)}"></path></symbol>'
        for name in ICON_NAMES
    )
    return f'<svg xmlns="http://www.w3.org/2000/svg" style="display:none">{symbols}</svg>\n'


def _icon(name: str) -> str:
    return (
        f'<svg class="icon icon-{name}" width="20" height="20" aria-hidden="true" '
        f'focusable="false"><use href="#i-{name}"></use></svg>'
    )


def _share_links(page: Page) -> str:
    """Share buttons with their icons, the way share bars are marked up."""
    url = page.url
    targets = (
        ("x", f"https://x.com/intent/tweet?url={url}", "Share on X"),
        ("facebook", f"https://www.facebook.com/sharer/sharer.php?u={url}", "Share on Facebook"),
        (
            "linkedin",
            f"https://www.linkedin.com/sharing/share-offsite/?url={url}",
            "Share on LinkedIn",
        ),
        ("email", f"mailto:?subject={esc(page.info.headline)}&amp;body={url}", "Email"),
    )
    return "".join(
        f'<a class="share-{name}" href="{href}" target="_blank" rel="noopener">{_icon(name)}'
        f"<span>{label}</span></a>"
        for name, href, label in targets
    )


def _footer(page: Page, cls: str) -> str:
    return (
        f'<footer class="{cls}">{_footer_links(page.base)}<p class="copyright">'
        f"© {page.info.published.year} {SITE_NAME}. All rights reserved.</p></footer>\n"
    )


@functools.lru_cache(maxsize=16)
def _footer_links(base: str) -> str:
    links = "".join(f'<li><a href="{base}/info/{_slug(t)}">{esc(t)}</a></li>' for t in FOOTER_LINKS)
    sections = "".join(
        f'<li><a href="{base}/section/{_slug(s)}/">{esc(s)}</a></li>' for s in NAV_SECTIONS
    )
    social = "".join(
        f'<li><a href="https://{name}.example/{SITE_SLUG}" aria-label="{name}">{_icon(name)}'
        "</a></li>"
        for name in ("x", "facebook", "linkedin", "rss")
    )
    return (
        f'<div class="footer-sections"><h4>Sections</h4><ul>{sections}</ul></div>'
        f'<div class="footer-links"><ul>{links}</ul></div><ul class="footer-social">{social}</ul>'
    )


def _figure_parts(page: Page) -> tuple[str, str, str]:
    """(image URL, caption, credit) for the story's lead photo."""
    info = page.info
    credit = f"{page.rng.choice(PHOTOGRAPHERS)}/{page.rng.choice(PHOTO_AGENCIES)}"
    image = f"{page.base}/img/{info.published:%Y/%m}/{info.slug}-1200.jpg"
    return image, page.rng.choice(CAPTIONS), credit


def _bio(page: Page) -> str:
    info = page.info
    year = 2012 + page.rng.randrange(11)
    return (
        f"{info.author} covers {info.beat} for {SITE_NAME}. Before joining the newsroom in "
        f"{year}, they reported for {page.rng.choice(FORMER_PAPERS)}. Send tips securely "
        f"through our tips page."
    )


def _comments(page: Page) -> list[tuple[str, str, str]]:
    """(commenter, date, text) for 0–12 reader comments."""
    count = page.rng.choice((0, 0, 2, 3, 5, 8, 12))
    day = page.info.published
    return [
        (
            page.rng.choice(COMMENTERS),
            f"{day + timedelta(hours=page.rng.randrange(1, 72)):%b %d, %Y}",
            page.rng.choice(COMMENTS),
        )
        for _ in range(count)
    ]


def _story_blocks(page: Page, render: dict[str, str]) -> str:
    """The story with furniture set between its paragraphs: `render` gives each layout's
    markup for a paragraph, a subheading, a quotation and the inline furniture."""
    blocks = body_blocks(page.info.n, page.info.seed)
    out = []
    related = page.other(1)
    for index, (kind, text) in enumerate(blocks):
        out.append(render[kind].format(text=esc(text)))
        if index == 2:
            out.append(render["newsletter"])
        elif index == 4:
            out.append(render["ad"].format(slot="mid1"))
        elif index == 6 and related:
            info = related[0]
            out.append(
                render["readmore"].format(
                    url=article_url(page.base, info), title=esc(info.headline)
                )
            )
        elif index == 9:
            out.append(render["ad"].format(slot="mid2"))
    return "\n".join(out)


def _teaser(page: Page, info: PageInfo, tag: str, cls: str) -> str:
    return (
        f'<{tag} class="{cls}"><a href="{article_url(page.base, info)}">{esc(info.headline)}</a>'
        f'<p class="{cls}__dek">{esc(info.description)}</p><time datetime="'
        f'{info.published.isoformat()}">{info.published:%b} {info.published.day}</time></{tag}>'
    )


COOKIE_TEXT = (
    f"We use cookies and similar technologies to run {SITE_NAME}, to measure our audience "
    "and to show you advertising. You can accept all cookies, reject the ones that are not "
    "essential, or choose in Cookie Settings."
)
NEWSLETTER_TITLE = "Get the Policy Brief"
NEWSLETTER_TEXT = (
    f"Sign up for {SITE_NAME}'s Policy Brief newsletter: the week's most important stories "
    "on technology, law and government, in your inbox every Thursday."
)


CARDS = "\x00cards\x00"  # where a layout's "more news" cards go
BLOB = "\x00blob\x00"  # where its state JSON goes
CARD_SHARE = 0.5  # of the bytes left for filling, the share that goes to markup


@dataclass
class Layout:
    """A rendered layout: parts with the CARDS and BLOB markers, and the card's markup."""

    parts: list[str]
    card_tag: str
    card_class: str


@functools.lru_cache(maxsize=65_536)
def _card(m: int, seed: int, base: str, tag: str, cls: str) -> bytes:
    """A teaser card with a responsive image, as "more news" rails show them (one in
    three with its summary). Cached: a card is the same on every page that shows it."""
    info = page_info(m, seed)
    url = article_url(base, info)
    img = f"{base}/img/{info.published:%Y/%m}/{info.slug}"
    dek = f'<p class="{cls}__dek">{esc(info.description)}</p>' if m % 3 == 0 else ""
    return (
        f'<{tag} class="{cls}"><div class="{cls}__inner"><div class="{cls}__media"><a href="'
        f'{url}" tabindex="-1"><picture><source type="image/webp" srcset="{img}-400.webp 400w, '
        f'{img}-800.webp 800w" sizes="(min-width: 768px) 240px, 100vw"><img src="{img}-400.jpg" '
        f'alt="" width="400" height="225" loading="lazy" decoding="async"></picture></a></div>'
        f'<div class="{cls}__body"><div class="{cls}__meta"><span class="{cls}__section">'
        f'{esc(info.section)}</span></div><h3 class="{cls}__title"><a href="{url}">'
        f'{esc(info.headline)}</a></h3>{dek}<div class="{cls}__footer"><time datetime="'
        f'{info.published.isoformat()}">{info.published:%b} {info.published.day}, '
        f"{info.published.year}</time></div></div></div></{tag}>"
    ).encode()


def render_page(n: int, seed: int = 1, base_url: str = "http://127.0.0.1") -> bytes:
    """The HTML of article page n, filled to its target size by a rail of teaser cards
    (markup) and the layout's state JSON (script), about half each."""
    info = page_info(n, seed)
    page = Page(info, page_rng(n, seed, "page"), base_url.rstrip("/"))
    layout = {"newsroom": _newsroom, "app": _app, "wordpress": _wordpress}[info.template](page)
    html_ = "".join(layout.parts)
    before_cards, rest = html_.split(CARDS)
    between, after_blob = rest.split(BLOB)
    fixed = [before_cards.encode(), between.encode(), after_blob.encode()]
    room = target_size(n, seed) - sum(len(part) for part in fixed)
    cards: list[bytes] = []
    used = 0
    for other in page.other_many():
        card = _card(other.n, seed, page.base, layout.card_tag, layout.card_class)
        if used + len(card) > room * CARD_SHARE:
            break
        cards.append(card)
        used += len(card)
    blob = _state_blob(page, room - used).encode()
    return b"".join((fixed[0], *cards, fixed[1], blob, fixed[2]))


def _newsroom(page: Page) -> Layout:
    """A classic newspaper CMS: semantic class names, sidebar, comments below the story."""
    info = page.info
    image, caption, credit = _figure_parts(page)
    render = {
        "p": "<p>{text}</p>",
        "h2": "<h2>{text}</h2>",
        "blockquote": "<blockquote><p>{text}</p></blockquote>",
        "newsletter": (
            f'<aside class="newsletter-signup inline" aria-label="Newsletter sign-up"><h3>'
            f'{NEWSLETTER_TITLE}</h3><p>{esc(NEWSLETTER_TEXT)}</p><form class="nl-form" '
            f'action="{page.base}/newsletters" method="post"><label for="nl-email">Email address'
            f'</label> <input type="email" id="nl-email" name="email" '
            f'placeholder="you@example.com"> <button type="submit">Sign up</button></form>'
            f'<p class="nl-legal">By signing up you '
            f"agree to our Terms of Use and Privacy Policy.</p></aside>"
        ),
        "ad": '<div class="ad-slot ad-inline" id="ad-{slot}"><span class="ad-label">Advertisement'
        "</span></div>",
        "readmore": '<p class="read-more"><strong>Read more:</strong> <a href="{url}">{title}'
        "</a></p>",
    }
    related = "".join(_teaser(page, o, "li", "related-item") for o in page.other(6))
    most_read = "".join(
        f'<li><a href="{article_url(page.base, o)}">{esc(o.headline)}</a></li>'
        for o in page.other(8)
    )
    comments = "".join(
        f'<li class="comment"><div class="comment-meta"><strong class="comment-author">{esc(who)}'
        f'</strong> <span class="comment-date">{when}</span></div><p>{esc(text)}</p></li>'
        for who, when, text in _comments(page)
    )
    updated = (
        f' <span class="updated">Updated <time datetime="{info.modified.isoformat()}">'
        f"{human_time(info.modified)}</time></span>"
        if info.modified != info.published
        else ""
    )
    parts = [
        _head(page),
        '<body class="article-page template-newsroom">\n'
        f"{_icon_sprite()}"
        '<div class="cookie-banner" id="cookie-consent" role="dialog" aria-label="Cookie consent">'
        f'<p>{esc(COOKIE_TEXT)}</p><button type="button">Accept all</button> <button '
        'type="button">Reject non-essential</button></div>\n'
        '<a class="skip-link" href="#main">Skip to main content</a>\n'
        f'<div class="topbar"><span>{info.published:%A, %B} {info.published.day}, '
        f'{info.published.year}</span> <a href="{page.base}/subscribe">Subscribe for $1 a week'
        f'</a> <a href="{page.base}/account">{_icon("account")}Sign in</a></div>\n'
        f'<header class="masthead"><button class="menu-toggle" aria-label="Menu">{_icon("menu")}'
        f'</button><a class="logo" href="{page.base}/">{SITE_NAME}</a>'
        f'<form class="site-search" role="search" action="{page.base}/search"><input '
        f'type="search" name="q" aria-label="Search"><button type="submit">{_icon("search")}'
        f"</button></form>\n{_nav(page, 'nav-primary')}</header>\n"
        f'<nav class="breadcrumbs" aria-label="Breadcrumb"><ol><li><a href="{page.base}/">Home'
        f'</a></li><li><a href="{_section_url(page)}">{esc(info.section)}</a></li></ol></nav>\n'
        '<main id="main"><div class="layout"><div class="container"><div class="row">'
        '<div class="col-main">\n<article class="story">\n'
        f'<header class="story-header"><p class="kicker">{esc(info.section)}</p>'
        f'<h1 class="headline">{esc(info.headline)}</h1><p class="dek">{esc(info.description)}'
        f'</p><p class="byline">By <a rel="author" href="{page.base}/staff/">{esc(info.author)}'
        f'</a> | <time class="published" datetime="{info.published.isoformat()}">'
        f"{human_time(info.published)}</time>{updated}</p></header>\n"
        f'<div class="share-bar" aria-label="Share this article">{_share_links(page)}</div>\n'
        f'<figure class="lead-art"><img src="{image}" alt="{esc(caption)}" width="1200" '
        f'height="675"><figcaption>{esc(caption)} <span class="credit">Photo: {esc(credit)}'
        "</span></figcaption></figure>\n"
        '<div class="article-body" itemprop="articleBody">\n'
        f"{_story_blocks(page, render)}\n</div>\n"
        f'<footer class="story-footer"><div class="tags">Filed under: <a href="'
        f'{_section_url(page)}" rel="tag">{esc(info.section)}</a></div>'
        f'<div class="author-bio"><p>{esc(_bio(page))}</p></div></footer>\n</article>\n'
        "</div>\n"
        '<aside class="sidebar"><div class="ad-slot" id="ad-rail"><span>Advertisement</span>'
        f'</div><section class="most-read"><h3>Most read</h3><ol>{most_read}</ol></section>'
        "</aside>\n</div></div></div>\n"
        f'<section class="related"><h2>Related coverage</h2><ul>{related}</ul></section>\n'
        '<section class="comments" id="comments"><h2>Comments</h2><ol class="comment-list">'
        f"{comments}</ol></section>\n"
        f'<section class="more-news" aria-label="More news"><h2>More news</h2><div class='
        f'"card-grid">{CARDS}</div></section>\n</main>\n'
        f"{_footer(page, 'site-footer')}"
        f"<script>window.__INITIAL_STATE__={BLOB};</script>\n</body>\n</html>\n",
    ]
    return Layout(parts, "div", "card")


def _app(page: Page) -> Layout:
    """A React app's server render: hashed class names, data-testid attributes, little
    semantic naming on the furniture, a JSON hydration blob at the end."""
    info = page.info
    rng = page.rng
    image, caption, credit = _figure_parts(page)
    # Hashed class names are a component's, the same on every page: a fixed sequence.
    classes = random.Random("app-classes")

    def css() -> str:  # emotion-style hashed class names
        return f"css-{classes.getrandbits(30):x}"

    render = {
        "p": f'<p class="{css()}">{{text}}</p>',
        "h2": f'<h2 class="{css()}">{{text}}</h2>',
        "blockquote": f'<blockquote class="{css()}"><p class="{css()}">{{text}}</p></blockquote>',
        "newsletter": (
            f'<div class="{css()}" data-testid="inline-newsletter"><div class="{css()}"><p '
            f'class="{css()}">{NEWSLETTER_TITLE}</p><p class="{css()}">{esc(NEWSLETTER_TEXT)}</p>'
            f'<div class="{css()}"><input class="{css()}" type="email" name="email" '
            f'aria-label="Email address"><button class="{css()}">Sign up</button></div></div></div>'
        ),
        "ad": f'<div class="{css()}" data-testid="ad-slot-{{slot}}"><div id="ad-{{slot}}"></div>'
        f'<p class="{css()}">Advertisement</p></div>',
        "readmore": f'<div class="{css()}"><p class="{css()}">Read more: <a class="{css()}" '
        'href="{url}">{title}</a></p></div>',
    }
    related = "".join(
        f'<li class="{css()}"><a class="{css()}" href="{article_url(page.base, o)}"><h3 class="'
        f'{css()}">{esc(o.headline)}</h3><p class="{css()}">{esc(o.description)}</p></a></li>'
        for o in page.other(8)
    )
    comments = "".join(
        f'<div class="{css()}" data-testid="comment"><div class="{css()}"><span>{esc(who)}</span>'
        f'<span>{when}</span></div><p class="{css()}">{esc(text)}</p></div>'
        for who, when, text in _comments(page)
    )
    parts = [
        _head(page),
        f'<body>{_icon_sprite()}<div id="__next"><div class="{css()}">\n'
        f'<div class="{css()}" data-testid="consent-banner"><p class="{css()}">{esc(COOKIE_TEXT)}'
        f'</p><button class="{css()}">Accept all</button><button class="{css()}">Manage choices'
        "</button></div>\n"
        f'<header class="{css()}" data-testid="masthead"><button class="{css()}" aria-label='
        f'"Sections">{_icon("menu")}</button><a class="{css()}" href="{page.base}/">{SITE_NAME}'
        f'</a><button class="{css()}" aria-label="Search">{_icon("search")}</button><a class="'
        f'{css()}" href="{page.base}/account">{_icon("account")}Log in</a>'
        f"{_nav(page, css())}</header>\n"
        f'<main class="{css()}" id="site-content"><div class="{css()}"><div class="{css()}">'
        f'<div class="{css()}"><article class="{css()}" id="story">\n'
        f'<div class="{css()}"><span class="{css()}">{esc(info.section)}</span>'
        f'<h1 class="{css()}" data-testid="headline">{esc(info.headline)}</h1>'
        f'<p class="{css()}" id="article-summary">{esc(info.description)}</p></div>\n'
        f'<div class="{css()}"><figure class="{css()}"><img class="{css()}" src="{image}" alt="">'
        f'<figcaption class="{css()}"><span>{esc(caption)}</span><span class="{css()}">'
        f"{esc(credit)}</span></figcaption></figure></div>\n"
        f'<div class="{css()}"><p class="{css()}">By <a href="{page.base}/staff/">'
        f'{esc(info.author)}</a></p><time class="{css()}" datetime="'
        f'{info.published.isoformat()}">{human_time(info.published)}</time></div>\n'
        f'<div class="{css()}" data-testid="share-tools">{_share_links(page)}<button class="'
        f'{css()}">{_icon("link")}Copy link</button><button class="{css()}">{_icon("bookmark")}'
        f'Save</button><span class="{css()}">{_icon("comment")}{rng.randint(12, 900)}</span>'
        "</div>\n"
        f'<section class="{css()}" name="articleBody">\n{_story_blocks(page, render)}\n'
        "</section>\n"
        f'<div class="{css()}" data-testid="author-bio"><p class="{css()}">{esc(_bio(page))}'
        "</p></div>\n</article>\n</div></div></div>\n"
        f'<div class="{css()}" data-testid="related-links"><h2 class="{css()}">More on this '
        f'story</h2><ul class="{css()}">{related}</ul></div>\n'
        f'<div class="{css()}" id="comments-panel"><h2 class="{css()}">Reader comments</h2>'
        f"{comments}</div>\n"
        f'<section class="{css()}" aria-labelledby="latest-heading"><h2 id="latest-heading" '
        f'class="{css()}">Latest news</h2><ol class="{css()}">{CARDS}</ol></section>\n</main>\n'
        f"{_footer(page, css())}</div></div>\n"
        f'<script id="__NEXT_DATA__" type="application/json">{BLOB}</script>\n</body>\n</html>\n',
    ]
    return Layout(parts, "li", css())


def _wordpress(page: Page) -> Layout:
    """WordPress with a theme and the usual plugins: Mailchimp form, Jetpack sharing and
    related posts, an ad inserter, an author box, threaded comments, a cookie notice."""
    info = page.info
    image, caption, credit = _figure_parts(page)
    post_id = 10_000 + info.n
    render = {
        "p": "<p>{text}</p>",
        "h2": '<h2 class="wp-block-heading">{text}</h2>',
        "blockquote": '<blockquote class="wp-block-quote"><p>{text}</p></blockquote>',
        "newsletter": (
            f'<form id="mc4wp-form-1" class="mc4wp-form mc4wp-form-{post_id}" method="post">'
            f'<div class="mc4wp-form-fields"><p><strong>{NEWSLETTER_TITLE}</strong></p>'
            f'<p>{esc(NEWSLETTER_TEXT)}</p><p><input type="email" name="EMAIL" placeholder='
            f'"Your email address" required> <input type="submit" value="Sign up"></p></div></form>'
        ),
        "ad": '<div class="code-block code-block-{slot}" style="margin:8px auto;'
        'text-align:center;"><div id="ad-{slot}"></div><p style="font-size:11px">Advertisement'
        "</p></div>",
        "readmore": '<p><em>Read more: <a href="{url}">{title}</a></em></p>',
    }
    related = "".join(
        f'<div class="jp-relatedposts-post jp-relatedposts-post{i}"><h4 class="jp-relatedposts-'
        f'post-title"><a href="{article_url(page.base, o)}">{esc(o.headline)}</a></h4><p class='
        f'"jp-relatedposts-post-excerpt">{esc(o.description)}</p></div>'
        for i, o in enumerate(page.other(3))  # Jetpack shows three
    )
    comments = "".join(
        f'<li class="comment even thread-even depth-1" id="comment-{post_id}{i}"><article '
        f'class="comment-body"><footer class="comment-meta"><b class="fn">{esc(who)}</b> '
        f'<time>{when}</time></footer><div class="comment-content"><p>{esc(text)}</p></div>'
        '<div class="reply"><a class="comment-reply-link" href="#respond">Reply</a></div>'
        "</article></li>"
        for i, (who, when, text) in enumerate(_comments(page))
    )
    styles = f'<style id="global-styles-inline-css">{template_assets("wordpress")[0][:1500]}'
    styles = styles[: styles.rfind("}") + 1] + "</style>\n"  # whole rules only
    parts = [
        _head(page, styles),
        f'<body class="post-template-default single single-post postid-{post_id} '
        f'single-format-standard">\n{_icon_sprite()}<div id="page" class="site">\n'
        '<a class="skip-link screen-reader-text" href="#content">Skip to content</a>\n'
        '<header id="masthead" class="site-header"><div class="site-branding"><p class="site-'
        f'title"><a href="{page.base}/" rel="home">{SITE_NAME}</a></p><p class="site-'
        'description">News on technology, law and government</p></div>\n'
        f'<button class="menu-toggle" aria-controls="primary-menu">{_icon("menu")}Menu</button>'
        f"{_nav(page, 'main-navigation', 'wordpress')}</header>\n"
        '<div id="content" class="site-content"><div class="ast-container"><div class="row">'
        '<div id="primary" class="content-area"><main id="main" class="site-main">\n'
        f'<article id="post-{post_id}" class="post-{post_id} post type-post status-publish">\n'
        f'<header class="entry-header"><span class="cat-links"><a href="{_section_url(page)}" '
        f'rel="category tag">{esc(info.section)}</a></span><h1 class="entry-title">'
        f'{esc(info.headline)}</h1><div class="entry-meta"><span class="posted-on"><time '
        f'class="entry-date published" datetime="{info.published.isoformat()}">'
        f"{info.published:%B} {info.published.day}, {info.published.year}</time><time "
        f'class="updated" datetime="{info.modified.isoformat()}">{info.modified:%B} '
        f'{info.modified.day}, {info.modified.year}</time></span> <span class="byline">by '
        f'<span class="author vcard"><a class="url fn n" href="{page.base}/author/">'
        f"{esc(info.author)}</a></span></span></div></header>\n"
        '<div class="entry-content">\n'
        f'<figure class="wp-block-image size-large"><img src="{image}" alt="" class="wp-image-'
        f'{post_id}"><figcaption class="wp-element-caption">{esc(caption)} (Photo: '
        f"{esc(credit)})</figcaption></figure>\n"
        f"{_story_blocks(page, render)}\n"
        '<div class="sharedaddy sd-sharing-enabled"><div class="robots-nocontent sd-block '
        'sd-social sd-social-icon-text sd-sharing"><h3 class="sd-title">Share this:</h3>'
        f'<div class="sd-content">{_share_links(page)}</div></div></div>\n'
        '<div id="jp-relatedposts" class="jp-relatedposts"><h3 class="jp-relatedposts-headline">'
        f"<em>Related</em></h3>{related}</div>\n</div>\n"
        '<footer class="entry-footer"><div class="author-box"><p>'
        f"{esc(_bio(page))}</p></div></footer>\n</article>\n"
        '<div id="comments" class="comments-area"><h2 class="comments-title">Responses</h2>'
        f'<ol class="comment-list">{comments}</ol><div id="respond" class="comment-respond">'
        '<h3 id="reply-title" class="comment-reply-title">Leave a Reply</h3></div></div>\n'
        "</main></div>\n"
        '<aside id="secondary" class="widget-area"><section id="recent-posts-3" class="widget '
        'widget_recent_entries"><h2 class="widget-title">Recent Posts</h2><ul>'
        f"{CARDS}</ul></section></aside></div></div></div>\n"
        f"{_footer(page, 'site-footer')}</div>\n"
        f'<div id="cookie-law-info-bar" data-nosnippet="true"><span>{esc(COOKIE_TEXT)}</span>'
        '<a role="button" class="cli_action_button">Accept</a></div>\n'
        f'<script id="{SITE_SLUG}-recirc-js-extra">var pwRecirc = {BLOB};</script>\n'
        "</body>\n</html>\n",
    ]
    return Layout(parts, "li", "recent-post")


def _state_blob(page: Page, room: int) -> str:
    """The hydration/state JSON that fills the page to its size: page facts, navigation,
    flags and teasers of other stories (real apps ship hundreds of them)."""
    info = page.info
    state: dict[str, object] = {
        "page": {
            "id": f"pw-{info.n}",
            "type": "article",
            "section": info.section,
            "published": info.published.isoformat(),
            "modified": info.modified.isoformat(),
            "author": info.author,
        },
        "nav": [{"label": s, "href": f"/section/{s.lower()}/"} for s in NAV_SECTIONS],
        "features": {
            f"exp_{page.rng.getrandbits(24):x}": page.rng.random() < 0.5 for _ in range(24)
        },
    }
    text = _script_json(state)
    teasers: list[str] = []
    size = len(text) + len(',"recirc":[],"chunks":[]')
    for m in _teaser_numbers(page, info.n):
        teaser = _teaser_json(m, info.seed, page.base)
        if size + len(teaser) + 1 > room:
            break
        teasers.append(teaser)
        size += len(teaser) + 1
    # The bundle's chunk list closes the gap to the exact size, ~50 bytes at a time.
    chunks = []
    while size + 52 <= room:
        chunks.append(f'"/_next/static/chunks/{page.rng.getrandbits(64):016x}-{len(chunks)}.js"')
        size += len(chunks[-1]) + 1
    return f'{text[:-1]},"recirc":[{",".join(teasers)}],"chunks":[{",".join(chunks)}]}}'


def _teaser_numbers(page: Page, n: int) -> Iterator[int]:
    """Other page numbers for rails and state JSON, below max(n, 400): a seeded walk."""
    start = page.rng.randrange(1_000_000)
    for k in range(10_000):
        yield (start + k * 7919) % max(n, 400)


@functools.lru_cache(maxsize=32_768)
def _teaser_json(m: int, seed: int, base: str) -> str:
    info = page_info(m, seed)
    return _script_json(
        {
            "id": f"pw-{m}",
            "headline": info.headline,
            "url": article_url(base, info),
            "summary": info.description,
            "section": info.section,
            "published": info.published.isoformat(),
            "image": {"src": f"/img/{info.published:%Y/%m}/{info.slug}-400.jpg", "w": 400},
        }
    )


# -- the site's indexes ---------------------------------------------------------------


def all_pages(pages: int, seed: int = 1) -> list[PageInfo]:
    """Every page of an N-page site, newest first (the order of real sitemaps and feeds)."""
    infos = [page_info(n, seed) for n in range(pages)]
    return sorted(infos, key=lambda i: (i.published, i.n), reverse=True)


def render_sitemap(base_url: str, pages: int, seed: int = 1) -> bytes:
    """A Google News urlset of all N articles: <lastmod>, publication date and title."""
    base = base_url.rstrip("/")
    entries = "".join(
        f"<url><loc>{article_url(base, i)}</loc><lastmod>{i.modified.isoformat()}</lastmod>"
        f"<news:news><news:publication><news:name>{SITE_NAME}</news:name><news:language>en"
        f"</news:language></news:publication><news:publication_date>{i.published.isoformat()}"
        f"</news:publication_date><news:title>{esc(i.headline)}</news:title></news:news></url>\n"
        for i in all_pages(pages, seed)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n'
        f"{entries}</urlset>\n"
    ).encode()


def render_feed(base_url: str, pages: int, seed: int = 1) -> bytes:
    """An RSS 2.0 feed of all N articles with title, link, guid, pubDate and description."""
    base = base_url.rstrip("/")
    infos = all_pages(pages, seed)
    items = "".join(
        f"<item><title>{esc(i.headline)}</title><link>{article_url(base, i)}</link>"
        f'<guid isPermaLink="true">{article_url(base, i)}</guid>'
        f"<pubDate>{format_datetime(i.published)}</pubDate><dc:creator>{esc(i.author)}"
        f"</dc:creator><category>{esc(i.section)}</category>"
        f"<description>{esc(i.description)}</description></item>\n"
        for i in infos
    )
    newest = infos[0].modified if infos else FIRST_DAY
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/">\n<channel>\n'
        f"<title>{SITE_NAME}</title><link>{base}/</link>"
        f"<description>News on technology, law and government</description>"
        f"<language>en-us</language><lastBuildDate>{format_datetime(newest)}</lastBuildDate>\n"
        f"{items}</channel>\n</rss>\n"
    ).encode()


def render_home(base_url: str, pages: int, seed: int = 1, latest: int = 50) -> bytes:
    """The front page: the latest 50 stories with their summaries."""
    base = base_url.rstrip("/")
    items = "".join(
        f'<li class="river-item"><h3><a href="{article_url(base, i)}">{esc(i.headline)}</a></h3>'
        f'<p>{esc(i.description)}</p><time datetime="{i.published.isoformat()}">'
        f"{human_time(i.published)}</time></li>\n"
        for i in all_pages(pages, seed)[:latest]
    )
    return (
        f'<!DOCTYPE html>\n<html lang="en-US"><head><meta charset="utf-8"><title>{SITE_NAME}'
        f'</title><link rel="alternate" type="application/rss+xml" href="{base}/feed.xml">'
        f'</head><body><header><a href="{base}/">{SITE_NAME}</a></header><main><h1>Latest news'
        f'</h1><ol class="river">\n{items}</ol></main></body></html>\n'
    ).encode()


def render_robots(base_url: str) -> bytes:
    return f"User-agent: *\nAllow: /\n\nSitemap: {base_url.rstrip('/')}/sitemap.xml\n".encode()


def last_modified(pages: int, seed: int = 1) -> datetime:
    """When the site last changed: its newest modification (for the indexes' validators)."""
    return max((page_info(n, seed).modified for n in range(pages)), default=FIRST_DAY).astimezone(
        UTC
    )
