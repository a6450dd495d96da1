"""Page furniture: what real news sites put around and inside articles (newsletter boxes,
share bars, related links, comments, cookie banners, author bios, photo credits).

`prune_clutter` removes it from the tree by its markup before trafilatura reads the body;
`trim_edges` drops the furniture paragraphs that no markup gave away.
"""

from __future__ import annotations

import re
from typing import Any

import lxml.html

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
