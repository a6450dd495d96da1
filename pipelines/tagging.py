"""Explainable tagging: is it about AI, which topics, and the phrases that earned each tag.

Everything the rules know lives in data/taxonomy.yaml, so a journalist can correct a
term without touching code. The scoring is deliberately simple enough to explain:

- A term scores its weight, multiplied by where it occurs first: the title counts most,
  the lead next, the tail least. Repeats add a little, with diminishing returns.
- Terms listed under a topic's `exclude` (e.g. "role model", "class act") cancel any
  term match they overlap, so other senses of a word never count.
- A topic with `context: ai` only counts term matches in a paragraph that mentions AI,
  or next to one: a lawsuit in an AI article's sidebar paragraph about parking does not
  make it an AI lawsuit.
- A topic with `requires_ai: true` is only assigned to articles that are about AI.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from pipelines import DATA
from pipelines.model import EntityMention, Hints, Tagging, TopicTag
from pipelines.semantic import AI, EXEMPLARS_PATH, Classifier, Proposal, load_exemplars

__all__ = [
    "EntityMention",
    "Tagging",
    "TopicTag",
    "load_classifier",
    "load_taxonomy",
    "rule_features",
    "tag_text",
]

TAXONOMY_PATH = DATA / "taxonomy.yaml"
TITLE_WEIGHT, LEAD_WEIGHT, TAIL_WEIGHT = 3.0, 2.0, 1.0
LEAD_PARAGRAPHS = 2
LONG_PARAGRAPHS = 3  # paragraphs (the title and two body ones) up to which a text is short
REPEAT_BONUS, MAX_REPEATS = 0.25, 4
ENTITY_KINDS = ("org", "person", "jurisdiction", "law", "case", "agency")


class TaxonomyError(ValueError):
    """data/taxonomy.yaml is malformed; the message names the topic and field."""


@dataclass
class Term:
    phrase: str
    weight: float
    pattern: re.Pattern[str]

    @cached_property
    def key(self) -> str:
        return term_key(self.phrase)

    @cached_property
    def starts_a_word(self) -> bool:
        """Every match starts where a word of the document starts (see Document.find)."""
        return bool(re.match(r"\w", self.phrase))


@dataclass
class Rules:
    terms: list[Term]
    exclude: list[Term]
    threshold: float
    context_ai: bool = False
    requires_ai: bool = False
    min_terms: int = 2
    anchor_weight: float = 5.0


@dataclass
class Topic:
    slug: str
    name: str
    description: str
    rules: Rules


@dataclass
class Taxonomy:
    ai: Rules
    topics: list[Topic]
    gazetteer: list[tuple[str, str, Term]]  # (kind, canonical name, one of its spellings)
    patterns: list[tuple[str, re.Pattern[str]]]  # (kind, pattern with the name in group 0)

    @cached_property
    def keys(self) -> frozenset[str]:
        """Every term's key: the only word prefixes a Document needs to index."""
        rules = [self.ai, *(t.rules for t in self.topics)]
        terms = [t for r in rules for t in (*r.terms, *r.exclude)]
        return frozenset(t.key for t in [*terms, *(g[2] for g in self.gazetteer)])


WORD = re.compile(r"\w+")
KEY_LENGTH = 5


def term_key(phrase: str) -> str:
    """What a document must contain for a term to possibly match: the first five
    letters of its first word, lower-cased (looked up in `Document.positions`)."""
    first = WORD.search(phrase)
    return first.group(0).lower()[:KEY_LENGTH] if first else ""


def compile_term(phrase: str) -> re.Pattern[str]:
    """A term as a regex: whole words, simple inflections, case rules for acronyms.

    - `regulat*`: a prefix (regulation, regulator, regulatory).
    - A term with two or more capitals ("AI", "FTC", "AI Act") matches case-sensitively
      and only takes a plural "s": "AI" must not match "ai" in other words or languages.
      It may start a hyphenated compound ("AI-generated").
    - Otherwise case-insensitive, and the last word may take a plural s/es. Other forms
      are terms of their own ("settled"): letting every term take ed/ing made "bill"
      match "billed", "rule" match "ruled" and "court" match "courted".
    """
    # Words of a phrase may be separated by any spacing, but not by a paragraph break.
    if phrase.endswith("*"):
        core = re.escape(phrase[:-1]).replace(r"\ ", r"[^\S\n]+")
        return re.compile(rf"(?<![\w-]){core}\w*", re.IGNORECASE)
    core = re.escape(phrase).replace(r"\ ", r"[^\S\n]+")
    if sum(c.isupper() for c in phrase) >= 2:
        # "AI-written" and "AI-powered" mention AI; "OpenAI" and "THAI" do not.
        return re.compile(rf"(?<![\w-]){core}s?(?!\w)")
    return re.compile(rf"(?<![\w-]){core}(?:s|es)?(?![\w])", re.IGNORECASE)


def load_taxonomy(path: str | Path = TAXONOMY_PATH) -> Taxonomy:
    """Read and compile a taxonomy file; cached per path and modification time."""
    path = Path(path)
    return _load_taxonomy(str(path), path.stat().st_mtime_ns)


@lru_cache(maxsize=4)
def _load_taxonomy(path: str, _mtime: int) -> Taxonomy:
    try:
        doc = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise TaxonomyError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(doc, dict):
        raise TaxonomyError(f"{path}: expected a mapping with 'ai', 'topics' and 'entities'")
    ai = _rules(doc.get("ai"), f"{path}: ai")
    topics = []
    for slug, spec in (doc.get("topics") or {}).items():
        where = f"{path}: topic {slug}"
        if not isinstance(spec, dict) or not spec.get("name"):
            raise TaxonomyError(f"{where}: needs at least 'name' and 'terms'")
        topics.append(Topic(slug, spec["name"], spec.get("description", ""), _rules(spec, where)))
    gazetteer = []
    for kind, entries in (doc.get("entities") or {}).items():
        if kind not in ENTITY_KINDS:
            raise TaxonomyError(f"{path}: entities.{kind}: unknown kind; use {ENTITY_KINDS}")
        for entry in entries or []:
            name, aliases = (
                (entry, [])
                if isinstance(entry, str)
                else (entry.get("name"), entry.get("aliases") or [])
            )
            if not name:
                raise TaxonomyError(f"{path}: entities.{kind}: an entry has no name")
            for phrase in [name, *aliases]:
                gazetteer.append((kind, name, Term(phrase, 0.0, compile_term(phrase))))
    patterns = []
    for kind, regex in (doc.get("patterns") or {}).items():
        base_kind = kind.split("_")[0]
        if base_kind not in ENTITY_KINDS:
            raise TaxonomyError(
                f"{path}: patterns.{kind}: kind must start with one of {ENTITY_KINDS}"
            )
        try:
            patterns.append((base_kind, re.compile(regex)))
        except re.error as exc:
            raise TaxonomyError(f"{path}: patterns.{kind}: bad regex: {exc}") from None
    return Taxonomy(ai=ai, topics=topics, gazetteer=gazetteer, patterns=patterns)


def _rules(spec: Any, where: str) -> Rules:
    if not isinstance(spec, dict) or not isinstance(spec.get("terms"), dict):
        raise TaxonomyError(f"{where}: 'terms' must map phrases to weights")
    terms = []
    for phrase, weight in spec["terms"].items():
        if not isinstance(weight, int | float):
            raise TaxonomyError(f"{where}: term {phrase!r}: weight must be a number")
        terms.append(Term(str(phrase), float(weight), compile_term(str(phrase))))
    threshold = spec.get("threshold", 3)
    if not isinstance(threshold, int | float):
        raise TaxonomyError(f"{where}: threshold must be a number")
    return Rules(
        terms=terms,
        exclude=[Term(str(p), 0.0, compile_term(str(p))) for p in spec.get("exclude") or []],
        threshold=float(threshold),
        context_ai=spec.get("context") == "ai",
        requires_ai=bool(spec.get("requires_ai", False)),
        min_terms=int(spec.get("min_terms", 2)),
        anchor_weight=float(spec.get("anchor_weight", 5)),
    )


@dataclass
class _Hit:
    term: Term
    paragraph: int  # 0 is the title
    surface: str


class Document:
    """A title and body prepared once for every rule: joined text, paragraph offsets, and
    where each word prefix occurs, so that a term is tried only where it could start.

    Running every term's regex over the whole text cost more than extracting the page
    (about 500 scans of the text per article); trying a term only at the words that
    begin with its key gives the same matches for a fraction of that.
    """

    def __init__(self, paragraphs: list[str], keys: frozenset[str] | None = None) -> None:
        self.paragraphs = paragraphs
        self.text = "\n".join(paragraphs)
        self.starts = []
        offset = 0
        for para in paragraphs:
            self.starts.append(offset)
            offset += len(para) + 1
        by_word: dict[str, list[int]] = {}
        for match in WORD.finditer(self.text):
            by_word.setdefault(match.group(0).lower()[:KEY_LENGTH], []).append(match.start())
        # prefix (1 to KEY_LENGTH letters) -> start offsets of the words that begin with it;
        # given the taxonomy's keys, only the prefixes some term could start with.
        self.positions: dict[str, list[int]] = {}
        for word, where in by_word.items():
            for k in range(1, len(word) + 1):
                prefix = word[:k]
                if keys is None or prefix in keys:
                    self.positions.setdefault(prefix, []).extend(where)

    def may_contain(self, term: Term) -> bool:
        return term.key in self.positions

    def find(self, term: Term) -> list[re.Match[str]]:
        """The term's matches in order, as `finditer` over the whole text finds them."""
        if not self.may_contain(term):
            return []
        if not term.starts_a_word:
            return list(term.pattern.finditer(self.text))
        matches = []
        end = 0
        for start in sorted(self.positions[term.key]):
            if start < end:
                continue  # inside the previous match: finditer would not look here
            match = term.pattern.match(self.text, start)
            if match:
                matches.append(match)
                end = match.end()
        return matches

    def paragraph_of(self, position: int) -> int:
        return bisect_right(self.starts, position) - 1


def _find_hits(rules: Rules, doc: Document) -> list[_Hit]:
    blocked = [m.span() for ex in rules.exclude for m in doc.find(ex)]
    hits = []
    for term in rules.terms:
        for match in doc.find(term):
            start, end = match.span()
            if any(start < b_end and b_start < end for b_start, b_end in blocked):
                continue
            hits.append(_Hit(term, doc.paragraph_of(start), match.group(0)))
    return hits


def _score(hits: list[_Hit]) -> tuple[float, list[str]]:
    by_term: dict[str, list[_Hit]] = {}
    for hit in hits:
        by_term.setdefault(hit.term.phrase, []).append(hit)
    total, ranked = 0.0, []
    for term_hits in by_term.values():
        term = term_hits[0].term
        first = min(h.paragraph for h in term_hits)
        where = (
            TITLE_WEIGHT if first == 0 else LEAD_WEIGHT if first <= LEAD_PARAGRAPHS else TAIL_WEIGHT
        )
        repeats = min(len(term_hits) - 1, MAX_REPEATS)
        contribution = term.weight * where * (1 + REPEAT_BONUS * repeats)
        total += contribution
        surface = Counter(h.surface for h in term_hits).most_common(1)[0][0]
        ranked.append((contribution, surface))
    ranked.sort(key=lambda pair: -pair[0])
    evidence = list(dict.fromkeys(" ".join(s.split()) for _, s in ranked))
    return round(total, 2), evidence


def split_paragraphs(title: str, body: str) -> list[str]:
    """The title as paragraph 0, then the body's paragraphs (blank-line or line separated)."""
    parts = [p.strip() for p in re.split(r"\n\s*\n|\n", body or "") if p.strip()]
    return [title or "", *parts]


@dataclass
class _RulesPass:
    """What the rules found in a document, before any decision: the AI terms, and per
    topic its hits (all, and those near AI for a `context: ai` topic) and score."""

    ai_hits: list[_Hit]
    ai_score: float
    ai_evidence: list[str]
    rules_ai: bool
    topics: list[tuple[Topic, list[_Hit], list[_Hit], float, list[str], bool]]

    def features(self) -> np.ndarray:
        """The rules' partial scores as numbers for the semantic layer's regression: a
        term too weak for a tag on its own still says something about the topic."""
        values = [
            self.ai_score,
            float(self.rules_ai),
            float(bool(self.ai_hits)),
            len({h.term.phrase for h in self.ai_hits}),
        ]
        for _, _, hits, score, _, by_rules in self.topics:
            values += [score, float(by_rules), len({h.term.phrase for h in hits})]
        return np.asarray(values, dtype=np.float64)


def _rules_pass(doc: Document, taxonomy: Taxonomy) -> _RulesPass:
    ai_hits = _find_hits(taxonomy.ai, doc)
    ai_score, ai_evidence = _score(ai_hits)
    rules_ai = ai_score >= taxonomy.ai.threshold and _enough_evidence(ai_hits, taxonomy.ai)
    ai_paragraphs = {h.paragraph for h in ai_hits}
    topics = []
    for topic in taxonomy.topics:
        rules = topic.rules
        found = _find_hits(rules, doc)
        hits = found
        if rules.context_ai:
            hits = [h for h in found if _near_ai(h.paragraph, ai_paragraphs)]
        score, evidence = _score(hits)
        by_rules = score >= rules.threshold and _enough_evidence(hits, rules)
        topics.append((topic, found, hits, score, evidence, by_rules))
    return _RulesPass(ai_hits, ai_score, ai_evidence, rules_ai, topics)


def rule_features(title: str, body: str, taxonomy: Taxonomy | None = None) -> np.ndarray:
    """A document's rule features (see `_RulesPass.features`)."""
    taxonomy = taxonomy or load_taxonomy()
    doc = Document(split_paragraphs(title, body), taxonomy.keys)
    return _rules_pass(doc, taxonomy).features()


def load_classifier(
    taxonomy_path: str | Path = TAXONOMY_PATH, exemplars_path: str | Path = EXEMPLARS_PATH
) -> Classifier:
    """The semantic layer over an exemplars file, its regressions fitted on the exemplars'
    vectors and rule features under a taxonomy; cached per files and modification times,
    so a worker builds it once and an edit of either file is picked up."""
    taxonomy_path, exemplars_path = Path(taxonomy_path), Path(exemplars_path)
    return _load_classifier(
        str(taxonomy_path),
        taxonomy_path.stat().st_mtime_ns,
        str(exemplars_path),
        exemplars_path.stat().st_mtime_ns,
    )


@lru_cache(maxsize=4)
def _load_classifier(
    taxonomy_path: str, _t_mtime: int, exemplars_path: str, _e_mtime: int
) -> Classifier:
    taxonomy = load_taxonomy(taxonomy_path)
    exemplars = load_exemplars(exemplars_path)
    features = np.asarray(
        [rule_features(e.title, e.body, taxonomy) for e in exemplars], dtype=np.float64
    ).reshape(len(exemplars), -1)
    return Classifier.build(exemplars, [t.slug for t in taxonomy.topics], features)


def tag_text(
    title: str,
    body: str,
    hints: Hints | None = None,
    taxonomy: Taxonomy | None = None,
    classifier: Classifier | None = None,
    semantic: bool = True,
) -> Tagging:
    """Tag one document: AI relevance, topics with evidence, and named entities.

    Two layers, unioned: the rules of the taxonomy (precise, with the phrases that earned
    each tag) and, unless `semantic` is False, the semantic layer over the exemplars
    (`pipelines.semantic`), which proposes what a paraphrase hides from the rules, with
    the sentences closest to the exemplars as evidence. Every tag says which made it.

    Only the title and body are read, so every evidence phrase can be found in the
    stored article: the index's summary in `hints` is deliberately not scored, since a
    reader could not find its phrases there. The index's title stands in for a missing one.
    """
    taxonomy = taxonomy or load_taxonomy()
    title = title or (hints.title if hints and hints.title else "")
    paragraphs = split_paragraphs(title, body)
    doc = Document(paragraphs, taxonomy.keys)
    found = _rules_pass(doc, taxonomy)
    proposals: dict[str, Proposal] = {}
    # A short item (a title and a few paragraphs) always goes to the semantic layer: a
    # wire brief may say "the chatbot maker" or "an answer engine" and no AI term, and
    # the regression, which also sees that no AI term was found, decides (better on the
    # development part's cross-validation than asking for a term: AI accuracy 0.945
    # against 0.905). A longer page is about AI only by the rules, and goes to the
    # layer (for its topics) only then: a long article about AI names it (the rules
    # found every one of the demo site's 46 and the development part's 14), while the
    # layer's probability for a whole long page is the least sure (its exemplars are
    # mostly short): it made a fisheries notice signed by an "Assistant Administrator"
    # and a nurses' union page on "physician assistants" about AI.
    if semantic and (found.rules_ai or len(paragraphs) <= LONG_PARAGRAPHS):
        classifier = classifier or load_classifier()
        proposals = classifier.propose(paragraphs, found.features())
    semantic_ai = AI in proposals
    is_ai = found.rules_ai or semantic_ai
    # Relevance stays the rules' measure of how much the text is about AI: the vote says
    # what the text resembles, and nearly everything resembles the AI exemplars somewhat.
    relevance = round(min(1.0, found.ai_score / (2 * taxonomy.ai.threshold)), 3)

    topics = []
    for topic, all_hits, _, score, evidence, by_rules in found.topics:
        if topic.rules.requires_ai and not is_ai:
            continue
        proposal = proposals.get(topic.slug)
        # In a long text, resembling a topic's exemplars is not enough on its own: the
        # rules must have seen some term of the topic where the vote came from. A long
        # page has many paragraphs, and one of them resembles something by chance; a
        # page about a topic uses at least one of its words.
        if (
            proposal
            and proposal.paragraphs
            and not {h.paragraph for h in all_hits} & set(proposal.paragraphs)
        ):
            proposal = None
        if by_rules or proposal:
            topics.append(
                TopicTag(
                    topic.slug,
                    score if by_rules else 0.0,
                    evidence if by_rules else [],
                    method=_method(by_rules, proposal is not None),
                    vote=proposal.vote if proposal else None,
                    passages=proposal.evidence if proposal else [],
                )
            )
    topics.sort(key=lambda t: (-t.score, -(t.vote or 0)))
    return Tagging(
        is_ai=is_ai,
        relevance=relevance,
        ai_evidence=found.ai_evidence,
        topics=topics,
        entities=find_entities(doc, taxonomy),
        ai_method=_method(found.rules_ai, semantic_ai) if is_ai else None,
        ai_vote=proposals[AI].vote if AI in proposals else None,
        ai_passages=proposals[AI].evidence if semantic_ai else [],
    )


def _method(by_rules: bool, by_semantic: bool) -> str:
    return "both" if by_rules and by_semantic else "rules" if by_rules else "semantic"


def _enough_evidence(hits: list[_Hit], rules: Rules) -> bool:
    """`min_terms` different terms, or one defining term (weight >= `anchor_weight`)."""
    terms = {h.term.phrase: h.term.weight for h in hits}
    return len(terms) >= rules.min_terms or max(terms.values(), default=0) >= rules.anchor_weight


def _near_ai(paragraph: int, ai_paragraphs: set[int]) -> bool:
    if paragraph == 0:  # the title frames the whole story
        return bool(ai_paragraphs)
    return bool({paragraph - 1, paragraph, paragraph + 1, 0} & ai_paragraphs)


def find_entities(doc: Document, taxonomy: Taxonomy) -> list[EntityMention]:
    """Gazetteer names (aliases folded into one name) and pattern matches, counted.

    Where matches overlap the longest wins, so "The New York Times" is one organisation
    and not also the jurisdiction "New York".
    """
    found: list[tuple[int, int, str, str]] = []
    for kind, name, term in taxonomy.gazetteer:
        found.extend((m.start(), m.end(), kind, name) for m in doc.find(term))
    for kind, pattern in taxonomy.patterns:
        found.extend(
            (m.start(), m.end(), kind, " ".join(m.group(0).split()))
            for m in pattern.finditer(doc.text)
        )
    found.sort(key=lambda f: (-(f[1] - f[0]), f[0]))
    taken: list[tuple[int, int]] = []
    counts: Counter[tuple[str, str]] = Counter()
    for start, end, kind, name in found:
        if any(start < t_end and t_start < end for t_start, t_end in taken):
            continue
        taken.append((start, end))
        counts[(kind, name)] += 1
    return [
        EntityMention(kind, name, n)
        for (kind, name), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
