"""Page furniture: what real news sites put around and inside articles (newsletter boxes,
share bars, related links, comments, cookie banners, author bios, photo credits).

`prune_clutter` removes it from the tree by its markup before trafilatura reads the body;
`trim_edges` drops the furniture paragraphs that no markup gave away.
"""

from __future__ import annotations

import re
from typing import Any

import lxml.html

from pipelines.extract.script import ends_sentence, word_count

# class/id tokens of page furniture. Whole hyphen/underscore-separated words only, so that
# "comments" matches but "commentary" (often the article itself) does not. Each group
# names the general pattern it targets; a word earns its place by being what many CMSs
# call that component, not by one page (the share guard in `prune_clutter` protects a
# story container that happens to carry one of these words, such as Blogger's
# "date-outer" around every post).
CLUTTER_WORDS = {
    # sign-up and subscription prompts
    "signup": "newsletters?|nl|subscribe|subscription|signup|sign-up|optin|cta|paywall",
    # share bars and article toolbars
    "share": "share|sharing|sharebar|social|toolbar|tools",
    # reader comments and feedback forms
    "comments": "comments?|respond|discussion|conversation|feedback",
    # consent and site-wide banners
    "consent": "cookies?|consent|gdpr|banner",
    # author boxes after the story (the byline itself is read as metadata)
    "author": "bio|author-bio|about-author|author-box|author-info|authorbox|contributor"
    "|contrib|profile",
    # legal and commercial notices
    "notices": "disclaimer|disclosure|affiliate|republish|copyright",
    # advertising slots and ad networks' recommendation widgets
    "ads": "advert|advertisement|ads?|adslot|ad-slot|sponsor|sponsored|promo|outbrain|taboola",
    # navigation aids: breadcrumbs and tag lists
    "navigation": "breadcrumbs?|crumbs|tags",
    # recirculation: links to other stories
    "recirculation": "related|relatedlinks|relatedposts|relatedstories|recirc|recommended"
    "|more-from|morestories|readmore|read-more|link-block|links-block|popular|trending",
    # photo captions and credits
    "captions": "caption|cutline|credit|credits",
    # the article head: headline furniture, byline, dateline (read as metadata instead)
    "head": "header|byline|dek|standfirst|subtitle|strapline|date|dateline|timestamp",
}
CLUTTER_TOKEN = re.compile(
    r"(?:^|[-_])(?:" + "|".join(CLUTTER_WORDS.values()) + r")(?:[-_]|$)", re.IGNORECASE
)
# Where dates that are not the story's sit: readers' comments and links to other stories.
OTHER_DATES_TOKEN = re.compile(
    r"(?:^|[-_])(?:"
    + "|".join(CLUTTER_WORDS[group] for group in ("comments", "recirculation"))
    + r")(?:[-_]|$)",
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
# An article head, by its name ("article-header", "m-intro-header"); and the length from
# which a sentence-ending paragraph in it is the story's lead, not a byline or kicker.
HEADER_NAME = re.compile(r"(?:^|[-_\s])header(?:[-_\s]|$)", re.IGNORECASE)
LEAD_WORDS = 20
# A block whose only furniture names are recirculation words, read as prose when at most
# this share of its words are link text.
RECIRCULATION_WORD = re.compile(rf"(?:(?:{CLUTTER_WORDS['recirculation']})\s?)+", re.IGNORECASE)
MAX_LINKED_SHARE = 0.2
DEK_NAME = re.compile(
    r"(?:^|[-_\s])(?:dek|standfirst|excerpt|summary|subtitle|subhead|strapline|teaser)"
    r"(?:[-_\s]|$)",
    re.IGNORECASE,
)
CLUTTER_ROLES = {"navigation", "complementary", "contentinfo", "banner", "dialog", "alertdialog"}
# Furniture is small next to the story: a "clutter" node holding more than this share of
# the page's paragraph text is a mislabelled container, and is kept.
MAX_CLUTTER_SHARE = 0.4
# ... but on a page with almost no text, a menu can be 40 % of it: below this size the
# share guard does not apply.
MIN_GUARDED_WORDS = 40
# The heading of a readers' comment section, in the words CMSs print above it.
COMMENTS_HEADING = re.compile(
    r"^(?:reader |readers' |user )?comments?\b|^\d+ (?:comments?|responses?|replies)\b"
    r"|^(?:leave|post|add) a (?:comment|reply)\b|^join the (?:discussion|conversation)\b",
    re.IGNORECASE,
)
# The heading of a box about a person ("About the author", "About the contributors").
ABOUT_HEADING = re.compile(r"^about (?:the|our|this) \w+(?: \w+)?$", re.IGNORECASE)
# An item of a link list, marked with an arrow or a bullet character ("» Next story").
LINK_LIST_ITEM = re.compile(r"^[»›→▸►•]\s")
# An author's closing bio is a sentence or two.
MAX_BIO_WORDS = 60
# Short closing lines that say where or when the piece ran, not what it says.
TRAILER_RE = re.compile(
    r"^(?:published|originally published|first published|this (?:article|story|report) "
    r"(?:was|first|originally)|filed under|tags?:|topics?:|posted in|categories:"
    r"|copyright ©|©)",
    re.IGNORECASE,
)


def prune_clutter(
    tree: lxml.html.HtmlElement,
    token: re.Pattern[str] = CLUTTER_TOKEN,
    tags: tuple[str, ...] = CLUTTER_TAGS,
) -> int:
    """Remove page furniture in place, judged by tag, ARIA role and class/id tokens.
    Returns the words of paragraph text removed (the safety net's measure of doubt).
    `token` and `tags` narrow what counts as furniture (see `prune_for_dates`).

    Two guards keep a mislabelled story: a node that holds a large share of the page's
    text is never removed, whatever its name (Blogger wraps each post in "date-outer",
    some sites wrap the whole page in a <form>); and nodes that share one clutter-like
    name are kept together when, together, they hold such a share (a magazine that marks
    every body paragraph `<p class="paywall">`). "Text" is measured twice, and either
    share protects: words in <p> (the story's usual markup; menus and link rails rarely
    use it) and words in all text nodes (many blogs separate paragraphs with <br>), both
    in script-aware words.
    """
    measures = list(_text_words(tree))
    limits = [
        max(sum(m.get(body, 0) for body in tree.iter("body")) * MAX_CLUTTER_SHARE, floor)
        for m, floor in zip(measures, (1, MIN_GUARDED_WORDS), strict=True)
    ]

    def holds_story(nodes: list[Any]) -> bool:
        return any(
            sum(m.get(n, 0) for n in nodes) > limit
            for m, limit in zip(measures, limits, strict=True)
        )

    doomed = []
    named: dict[str, list[Any]] = {}
    # Depth first, not looking inside what is already doomed: on a real news page most
    # elements sit in menus, footers and teaser rails, which go whole.
    stack = [tree]
    while stack:
        node = stack.pop()
        if not isinstance(node.tag, str):
            continue  # comments and processing instructions
        verdict = None if holds_story([node]) else _clutter_kind(node, token, tags)
        if verdict and token is CLUTTER_TOKEN and _is_prose_not_links(node, verdict):
            verdict = None
        if verdict == "markup":
            doomed.append(node)
            continue
        if verdict:  # judged by a name: grouped with the elements of that tag and word
            named.setdefault(f"{node.tag} {verdict}", []).append(node)
            continue
        stack.extend(reversed(node))
    for group in named.values():
        if len(group) == 1 or not holds_story(group):
            doomed.extend(group)
    if token is CLUTTER_TOKEN:
        doomed.extend(_signup_boxes(tree))
    removed = 0
    for node in doomed:
        if node.getparent() is not None:
            if token is CLUTTER_TOKEN:
                _keep_lead(node)
            removed += measures[0].get(node, 0)
            node.drop_tree()
    return removed


def _up_to(node: Any, top: Any) -> list[Any]:
    """`node` and its ancestors below `top`."""
    chain = [node]
    for ancestor in node.iterancestors():
        if ancestor is top:
            break
        chain.append(ancestor)
    return chain


def _is_prose_not_links(node: Any, verdict: str) -> bool:
    """Whether a block named as recirculation ("readmore", "related") is prose rather
    than links to other stories: a "read more" expander that folds the story's own
    text holds paragraphs of sentences and few links, a teaser rail mostly links."""
    if not RECIRCULATION_WORD.fullmatch(verdict):
        return False
    text = " ".join(node.text_content().split())
    if word_count(text) < LEAD_WORDS or not ends_sentence(text):
        return False
    linked = sum(word_count(a.text_content()) for a in node.iter("a"))
    return linked <= MAX_LINKED_SHARE * word_count(text)


def _keep_lead(node: Any) -> None:
    """An article's own header (a <header>, or a block named "header", inside <article>
    or <main>) holds the headline and byline, which are read as metadata, and often the
    lead paragraph, which is story: its prose paragraphs are moved out before the
    header goes (a site's masthead, outside the story, keeps no prose). A paragraph
    named as the editor's summary (dek, standfirst, excerpt) is no lead, and goes."""
    if node.tag != "header" and not HEADER_NAME.search(" ".join(_component_names(node))):
        return
    if not any(a.tag in ("article", "main") for a in node.iterancestors()):
        return
    for para in list(node.iter("p")):
        text = para.text_content()
        names = " ".join(n for a in _up_to(para, node) for n in _component_names(a))
        if word_count(text) >= LEAD_WORDS and ends_sentence(text) and not DEK_NAME.search(names):
            para.tail = None
            node.addprevious(para)


def _text_words(tree: Any) -> tuple[dict[Any, int], dict[Any, int]]:
    """Script-aware words under each element: of the text in <p> elements, and of all
    visible text (scripts and styles excluded). One walk of the tree for both."""
    paragraphs: dict[Any, int] = {}
    visible: dict[Any, int] = {}
    nodes = list(tree.iter())
    for node in nodes:
        if not isinstance(node.tag, str) or node.tag in ("script", "style", "template"):
            continue
        if node.tag == "p" and (own := word_count(node.text_content() or "")):
            paragraphs[node] = own
        own = word_count(node.text or "") + sum(
            word_count(child.tail or "") for child in node if child.tail
        )
        if own:
            visible[node] = own
    # Summed bottom up, in reverse document order (every descendant before its
    # ancestor): one pass, where adding each count to all of its ancestors took one
    # pass per element on deep pages.
    for node in reversed(nodes):
        parent = node.getparent()
        if parent is None:
            continue
        for counts in (paragraphs, visible):
            if total := counts.get(node):
                counts[parent] = counts.get(parent, 0) + total
    return paragraphs, visible


def prune_for_dates(tree: lxml.html.HtmlElement) -> None:
    """Remove, in place, the parts of a page that carry other people's and other stories'
    dates: comment sections and recirculation rails, judged by their names. What dates
    the story itself (its header, byline, dateline) stays, and so do footers and asides,
    where many sites print "last updated" (removing those lost more pages than it won on
    the date benchmark's development part). htmldate, searching the whole page, took a
    reader comment's day or a teaser's for the story's."""
    prune_clutter(tree, OTHER_DATES_TOKEN, ("template",))


def _clutter_kind(
    node: Any, token: re.Pattern[str] = CLUTTER_TOKEN, tags: tuple[str, ...] = CLUTTER_TAGS
) -> str | None:
    """Furniture by its tag or ARIA role ("markup"), or by the names its attributes give
    it (then the clutter words found, such as "ads"); None if it is not furniture."""
    if node.tag in tags or (tags is CLUTTER_TAGS and node.get("role") in CLUTTER_ROLES):
        return "markup"
    if node.tag in ("html", "body", "main", "article") or not node.attrib:
        return None  # never drop the container that holds the story
    matches = (token.search(name) for name in _component_names(node))
    found = sorted({m.group().strip("-_").lower() for m in matches if m})
    return " ".join(found) or None


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


def trim_edges(text: str, titles: list[str | None], author: str | None = None) -> str:
    """Drop a repeated headline (and its kicker) at the top, furniture paragraphs that
    markup did not give away ("Advertisement", "Read more: ...", affiliate notices,
    photo credits), and at the end: a comment section that no markup gave away, the
    author's bio, dateline trailers, link lists, orphaned widget headings, and the
    headline repeated under the story (a post footer's or share box's title line).
    """
    paragraphs = text.split("\n\n")
    known = {_flat(t) for t in titles if t} - {""}
    for index, para in enumerate(paragraphs[:3]):
        if _flat(para) in known and all(word_count(p) <= 12 for p in paragraphs[:index]):
            paragraphs = paragraphs[index + 1 :]
            break
    paragraphs = [p for p in paragraphs if not _is_boilerplate(p)]
    paragraphs = _cut_comment_section(paragraphs)
    while len(paragraphs) > 1 and (
        (word_count(paragraphs[-1]) <= 25 and TRAILER_RE.match(paragraphs[-1]))
        or _is_orphan_heading(paragraphs[-1])
        or _is_author_bio(paragraphs[-1], author)
        or LINK_LIST_ITEM.match(paragraphs[-1])
        or _flat(paragraphs[-1]) in known
    ):
        paragraphs.pop()
    return "\n\n".join(paragraphs)


def _flat(text: str) -> str:
    """Text compared without case, spaces or punctuation (headline forms differ in them)."""
    return re.sub(r"\W+", "", text.casefold())


def _is_boilerplate(paragraph: str) -> bool:
    return word_count(paragraph) <= MAX_BOILERPLATE_WORDS and bool(
        BOILERPLATE_PARAGRAPH.search(paragraph)
    )


def _is_orphan_heading(paragraph: str) -> bool:
    """A short unpunctuated line closing the text: the title of a widget whose links were
    pruned ("More from Technology", "Reader comments (3)"), not the story's last words.
    Counted in script-aware words: a Chinese or Thai paragraph is not "one word"."""
    return word_count(paragraph) <= 6 and not ends_sentence(paragraph)


def _is_author_bio(paragraph: str, author: str | None) -> bool:
    """The closing note about the writer: a short paragraph that starts with the name the
    byline gives ("Jane Roe covers courts for ..."). The byline is independent evidence,
    so no class name is needed."""
    if not author or word_count(paragraph) > MAX_BIO_WORDS:
        return False
    names = [n.strip() for n in re.split(r",| and ", author) if len(n.split()) >= 2]
    return any(paragraph.startswith(name) for name in names)


def _cut_comment_section(paragraphs: list[str]) -> list[str]:
    """Cut closing boxes that markup did not give away, from their heading to the end: a
    readers' comment section ("Reader comments (3)", "12 Comments") in the second half of
    the text, and a short "About the author" box (any "About the ..." heading followed by
    no more than a bio's length) among the last paragraphs."""
    for index in range(len(paragraphs) // 2 + 1, len(paragraphs)):
        heading = paragraphs[index]
        if not _is_orphan_heading(heading):
            continue
        if COMMENTS_HEADING.match(heading):
            return paragraphs[:index]
        rest = sum(word_count(p) for p in paragraphs[index + 1 :])
        if ABOUT_HEADING.match(heading) and rest <= 2 * MAX_BIO_WORDS:
            return paragraphs[:index]
    return paragraphs
