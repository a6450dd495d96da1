"""The semantic layer of tagging: topics and AI relevance from labeled exemplars.

The rules of data/taxonomy.yaml are precise but only know the words they list, so a
paraphrase ("takes Stability AI to court", "paid less than $2 an hour") slips past them.
This layer compares the meaning of a text with the labeled items of data/exemplars.yaml
and proposes the topics of the most similar ones:

- Texts become vectors with wordllama's static embedding (256 dimensions, shipped in its
  wheel, loaded once per process and never downloaded): the mean of the token vectors.
- A vector votes with its k nearest exemplars: each topic gets the share of their
  cosine similarity carried by exemplars labeled with it (0 to 1).
- Per label, a logistic regression (pipelines.learned) over the text's vector, that vote
  and the rules' partial scores gives the whole text a probability; each label has its
  threshold, chosen by cross-validation on the exemplars.
- A longer article is also voted on paragraph by paragraph (a long article may give one
  topic a single paragraph); a paragraph needs a strong vote.
- Evidence is the sentences leaning furthest toward the topic's exemplars, so a reader
  sees which part of the article the tag came from.

A journalist teaches it a new paraphrase by adding a labeled item to data/exemplars.yaml;
the regressions are refitted when a process loads the file (well under a second).
`pipelines.tagging.tag_text` unions this layer with the rules.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from types import ModuleType

import numpy as np
import yaml

from pipelines import DATA, learned


def _import_wordllama() -> ModuleType:
    """Import wordllama without its side effect: its inference module calls
    logging.basicConfig(INFO) on import, which would print every library's INFO lines.

    Imported only when the model is loaded: a crawl's own process never needs it (its
    workers do, and the pool's fork server loads it once for them: pipelines.warm)."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    import wordllama

    root.setLevel(level)
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
    return wordllama


EXEMPLARS_PATH = DATA / "exemplars.yaml"
AI = "ai"  # the label column for AI relevance, next to the topic slugs

# Chosen on the development part only (data/exemplars.yaml), by nested k-fold
# cross-validation in bench/tagging_cv.py: the largest recall whose forbidden tags stay
# under 1.8% of the must-not labels there. The test part (tests/fixtures/tagging/) never
# informed them. A label's probability from the regression must reach its threshold.
K = 5
DOC_THRESHOLD = 0.5  # a label without its own threshold below
THRESHOLDS: dict[str, float] = {
    "regulation": 0.30,
    "litigation": 0.18,
    "labor": 0.30,
    "copyright": 0.22,
    "privacy": 0.36,
    "antitrust": 0.18,
    "safety": 0.24,
    AI: 0.48,  # is_ai from the regression (tagging.tag_text says for which texts)
}
# AI relevance of a text in which the rules found no AI term at all, not even a weak one
# ("software", "assistant"). Most exemplars are AI-policy news, where a paraphrase with
# no AI word is common (40% of such exemplars are about AI); on ordinary pages it is
# rare: before the exemplars had ordinary pages among them, the layer called a quarter
# of those AI. Chosen on ordinary web pages (bench/general_pages.py, development half):
# the lowest threshold at which at most 1% of them are called AI.
NO_TERM_AI_THRESHOLD = 0.72
AI_TERM_FEATURE = 2  # the column of `tagging.rule_features` that says some AI term was found
# A long article's whole-text probability, for a topic: its mean vector is far from the
# short items most exemplars are, and the regression's probability there less sure. The
# demo site's labeled pages are our only long ones: no expected topic there needs this
# path (the rules or a paragraph's vote find them all), while its AI-hiring pages got
# labor at 0.41 and 0.43 (at 0.44 and 0.51 after issue 15's third round of exemplars).
LONG_THRESHOLD = 0.6
PARAGRAPH_THRESHOLD = 0.8  # a topic's vote over one paragraph of a longer text, where
# the rules found some term of the topic in that paragraph (see tagging.tag_text)
EVIDENCE_SENTENCES = 2
MAX_WORDS_PER_TEXT = 20_000  # a very long page is embedded up to here

# Words and runs of punctuation apart, so "court." is the known word "court" and ".".
WORDS = re.compile(r"\w+|[^\w\s]+")
SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9])")


class ExemplarError(ValueError):
    """data/exemplars.yaml is malformed; the message names the item and field."""


@dataclass(frozen=True)
class Exemplar:
    id: str
    title: str
    body: str
    is_ai: bool
    topics: frozenset[str]
    not_topics: frozenset[str] = frozenset()


def load_exemplars(path: str | Path = EXEMPLARS_PATH) -> list[Exemplar]:
    # libyaml's loader where PyYAML has it: the pure-Python one took most of a worker's
    # start (0.4 s for 429 items, while the crawl waits for its first pages).
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    doc = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=loader)
    if not isinstance(doc, list):
        raise ExemplarError(f"{path}: expected a list of labeled items")
    exemplars = []
    for n, item in enumerate(doc):
        where = f"{path}: item {n + 1} ({item.get('id') if isinstance(item, dict) else '?'})"
        if not isinstance(item, dict) or not item.get("id") or not item.get("title"):
            raise ExemplarError(f"{where}: needs 'id', 'title', 'body', 'is_ai' and 'topics'")
        topics = item.get("topics") or []
        if not isinstance(topics, list):
            raise ExemplarError(f"{where}: 'topics' must be a list of topic slugs")
        exemplars.append(
            Exemplar(
                id=str(item["id"]),
                title=str(item["title"]),
                body=str(item.get("body") or ""),
                is_ai=bool(item.get("is_ai")),
                topics=frozenset(topics),
                not_topics=frozenset(item.get("not_topics") or []),
            )
        )
    return exemplars


# -- the embedding ------------------------------------------------------------------------


class Encoder:
    """wordllama's token vectors and tokenizer, read from the installed package.

    Pooling is done here rather than by `WordLlamaInference.embed`, so that a document is
    read once and any span of it (a sentence, a paragraph, the whole) is the mean of its
    tokens' vectors. Each word's tokens are summed once and remembered: the tokenizer
    gives a word the same tokens alone as in a sentence (it cuts at spaces), and running
    it over every page cost more than all the rest of tagging."""

    MAX_WORDS = 60_000  # remembered words (60 MB); past this, back to the vocabulary's

    def __init__(self) -> None:
        wordllama = _import_wordllama()
        # The wheel ships its weights and tokenizer; pointing cache_dir at the package
        # (whose own lookup wants a `tokenizer/` folder it lacks) keeps this offline.
        model = wordllama.WordLlama.load(
            cache_dir=Path(wordllama.__file__).parent, disable_download=True
        )
        self.table: np.ndarray = np.ascontiguousarray(model.embedding, dtype=np.float32)
        self.tokenizer = model.tokenizer
        self.tokenizer.no_padding()  # wordllama pads batches; words are tokenized unpadded
        self._forget()

    def _forget(self) -> None:
        """Know only the words that are one token of the vocabulary ("▁court"): most words
        of a page, without running the tokenizer (4 µs a word)."""
        whole = {
            token[1:]: i
            for token, i in self.tokenizer.get_vocab().items()
            if token.startswith("▁") and token[1:].isalpha()
        }
        self._rows: dict[str, int] = {word: n for n, word in enumerate(whole)}
        # Per word, its tokens' vectors summed, then how many tokens: a text's totals are
        # the sums of its words' rows.
        self._totals = np.hstack(
            [self.table[list(whole.values())], np.ones((len(whole), 1), dtype=np.float32)]
        )

    def _learn(self, words: list[str]) -> None:
        """Tokenize the words not known yet, in one call."""
        new = list(dict.fromkeys(w for w in words if w not in self._rows))
        if not new:
            return
        if len(self._rows) + len(new) > self.MAX_WORDS:
            self._forget()
        top = len(self.table) - 1
        # One call for all of them, joined by spaces: the tokens never straddle a space, so
        # each goes to the word its last character is in. (encode_batch would hand the
        # words to a thread pool whose waking up cost more than the tokenizing.)
        joined = " ".join(new)
        starts = np.cumsum([0] + [len(w) + 1 for w in new[:-1]])
        encoding = self.tokenizer.encode(joined, add_special_tokens=False)
        ends = np.asarray([end for _, end in encoding.offsets], dtype=np.int64)
        # A token belongs to the word its last character is in; a lone "▁" (the space
        # before a word with no piece of its own, "▁" "6" "4" "0") to the word after it,
        # which for the first word is the "▁" the tokenizer prepends (offsets 0, 0). A
        # word's tokens must never depend on the words it was tokenized with.
        lone = np.asarray([token == "▁" for token in encoding.tokens], dtype=bool)
        position = np.where(lone, ends, np.maximum(ends - 1, 0))
        word = np.minimum(np.searchsorted(starts, position, side="right") - 1, len(new) - 1)
        totals = np.zeros((len(new), self.table.shape[1] + 1), dtype=np.float32)
        if len(word):  # tokens come in the words' order: sum each word's run of them
            first = np.flatnonzero(np.diff(word, prepend=-1))
            vectors = self.table[np.minimum(encoding.ids, top)]
            totals[word[first], :-1] = np.add.reduceat(vectors, first, axis=0)
            totals[word[first], -1] = np.diff(np.append(first, len(word)))
        base = len(self._rows)
        if base + len(new) > len(self._totals):  # grow by doubling: copying is rare
            grown = np.zeros(
                (max(2 * len(self._totals), base + len(new)), totals.shape[1]), dtype=np.float32
            )
            grown[:base] = self._totals[:base]
            self._totals = grown
        self._totals[base : base + len(new)] = totals
        self._rows.update((word, base + n) for n, word in enumerate(new))

    def totals(self, texts: list[str]) -> np.ndarray:
        """Per text, the sum of its tokens' vectors and, in the last column, their count:
        a passage's totals add up from its sentences' (see `mean`)."""
        per_text = [WORDS.findall(text)[:MAX_WORDS_PER_TEXT] for text in texts]
        self._learn(sorted({w for words in per_text for w in words}))
        rows = [self._rows[w] for words in per_text for w in words]
        sizes = np.asarray([len(words) for words in per_text])
        out = np.zeros((len(texts), self.table.shape[1] + 1), dtype=np.float32)
        full = sizes > 0
        if full.any():
            starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])[full]
            out[full] = np.add.reduceat(self._totals[rows], starts, axis=0)
        return out

    def texts(self, texts: list[str]) -> np.ndarray:
        return mean(self.totals(texts))


def mean(totals: np.ndarray) -> np.ndarray:
    """Unit vectors from totals (sums of token vectors, then their count)."""
    return _unit(totals[:, :-1] / np.maximum(totals[:, -1:], 1))


def _product(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a @ b, a few rows at a time. OpenBLAS runs a larger product on all its threads,
    which sleep between pages: waking them cost 20 ms a page, a product this size 0.3 ms
    on one thread (its threading starts above m*n*k = 262,144)."""
    out = np.empty((a.shape[0], b.shape[1]), dtype=np.float32)
    rows = max(1, 262_144 // max(1, b.shape[0] * b.shape[1]))
    for start in range(0, a.shape[0], rows):
        np.matmul(a[start : start + rows], b, out=out[start : start + rows])
    return out


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)


@lru_cache(maxsize=1)
def encoder() -> Encoder:
    """The embedding, loaded once per process (a worker warms it at start)."""
    return Encoder()


# -- the classifier -----------------------------------------------------------------------


@dataclass
class Passages:
    """A document cut for the classifier: its sentences, and for each the paragraph it is
    in (0 is the title)."""

    sentences: list[str]
    paragraph: list[int]


def cut(paragraphs: list[str]) -> Passages:
    """The sentences of the title and body paragraphs (as `tagging.split_paragraphs`
    gives them), each exactly as it stands in its paragraph."""
    sentences, where = [], []
    for n, para in enumerate(paragraphs):
        start = 0
        for match in [*SENTENCE_END.finditer(para), None]:
            end = match.start() if match else len(para)
            sentence = para[start:end].strip()
            if sentence:
                sentences.append(sentence)
                where.append(n)
            start = match.end() if match else end
    return Passages(sentences, where)


@dataclass
class Proposal:
    """What the layer proposes for one label (a topic slug or "ai")."""

    label: str
    vote: float  # the strongest vote that carried it, 0 to 1
    evidence: list[str] = field(default_factory=list)  # sentences, most similar first
    # For a long text (three or more body paragraphs), the paragraphs (0 is the title)
    # that carried the vote: all of them when the whole text's vote did, else those whose
    # own vote did. `tag_text` then asks the rules to have seen some term of the topic
    # there. Empty for a short text, whose paraphrase need share no word with the rules.
    paragraphs: list[int] = field(default_factory=list)


@dataclass
class Classifier:
    """The exemplars' vectors and labels, the vote over them, and per label a logistic
    regression (pipelines.learned) over a text's vector, the vote and the rules' partial
    scores (`features`, one row per exemplar, from `tagging.rule_features`)."""

    ids: list[str]
    labels: list[str]  # the topic slugs, then "ai"
    vectors: np.ndarray  # one unit vector per exemplar
    targets: np.ndarray  # exemplars x labels, 1.0 where the exemplar has the label
    known: np.ndarray  # exemplars x labels, 1.0 where the label is given or forbidden
    features: np.ndarray  # exemplars x rule features

    def __post_init__(self) -> None:
        # float32 and laid out for the product: a float64 or strided product cost ten
        # times as much, more than all the rest of tagging.
        self.vectors = np.ascontiguousarray(self.vectors, dtype=np.float32)
        self.columns = np.ascontiguousarray(self.vectors.T)
        self._fit()

    @classmethod
    def build(
        cls, exemplars: list[Exemplar], slugs: list[str], features: np.ndarray | None = None
    ) -> Classifier:
        labels = [*slugs, AI]
        texts = [f"{e.title}\n{e.body}".strip() for e in exemplars]
        targets = np.asarray(
            [[float(s in e.topics) for s in slugs] + [float(e.is_ai)] for e in exemplars],
            dtype=np.float32,
        ).reshape(len(exemplars), len(labels))
        # A topic the item neither has nor forbids is one it brushes against: the
        # regression learns nothing from it either way (the vote still counts it out).
        known = np.asarray(
            [[float(s in e.topics or s in e.not_topics) for s in slugs] + [1.0] for e in exemplars],
            dtype=np.float32,
        ).reshape(len(exemplars), len(labels))
        vectors = encoder().texts(texts) if texts else np.zeros((0, encoder().table.shape[1]))
        if features is None:
            features = np.zeros((len(exemplars), 0), dtype=np.float32)
        return cls([e.id for e in exemplars], labels, vectors, targets, known, features)

    def without(self, ids: set[str]) -> Classifier:
        """The same classifier minus some exemplars, refitted (cross-validation)."""
        keep = [n for n, i in enumerate(self.ids) if i not in ids]
        return Classifier(
            [self.ids[n] for n in keep],
            self.labels,
            self.vectors[keep],
            self.targets[keep],
            self.known[keep],
            self.features[keep],
        )

    def _fit(self) -> None:
        """One regression per label over the exemplars where that label is known. An
        exemplar's own vote is taken without itself, as a new text's would be."""
        self.weights = np.zeros((0, len(self.labels)))
        if len(self.ids) < 2 * K:
            return
        own_votes = self._votes(self.vectors, self_excluded=True)
        rows = self._design(self.vectors, own_votes, self.features)
        self.scaler = learned.Scaler.fit(rows)
        rows = self.scaler(rows)
        columns = []
        for col in range(len(self.labels)):
            known = self.known[:, col] > 0
            columns.append(learned.fit(rows[known], self.targets[known, col]))
        self.weights = np.stack(columns, axis=1)

    @staticmethod
    def _design(vectors: np.ndarray, votes: np.ndarray, features: np.ndarray) -> np.ndarray:
        return np.hstack([vectors, votes, np.log1p(np.maximum(features, 0))]).astype(np.float64)

    def _votes(self, vectors: np.ndarray, self_excluded: bool = False) -> np.ndarray:
        return self.vote(vectors, self_excluded)[0]

    def vote(
        self, vectors: np.ndarray, self_excluded: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per query vector, each label's share of the k nearest exemplars' similarity;
        and the similarity matrix itself (queries x exemplars). With `self_excluded`, the
        queries are the exemplars themselves and none votes for itself."""
        similarity = _product(np.asarray(vectors, dtype=np.float32), self.columns)
        if self_excluded:
            np.fill_diagonal(similarity, -np.inf)
        k = min(K, similarity.shape[1] - int(self_excluded))
        if k <= 0:
            return np.zeros((len(vectors), len(self.labels))), similarity
        nearest = np.argpartition(-similarity, k - 1, axis=1)[:, :k]
        weights = np.maximum(np.take_along_axis(similarity, nearest, axis=1), 0)
        votes = np.einsum("qk,qkl->ql", weights, self.targets[nearest])
        return votes / np.maximum(weights.sum(axis=1, keepdims=True), 1e-9), similarity

    def scores(self, vectors: np.ndarray, features: np.ndarray) -> np.ndarray:
        """Per text (its vector and its rule features), each label's probability."""
        if not len(self.weights):
            return np.zeros((len(vectors), len(self.labels)))
        rows = self._design(vectors, self._votes(vectors), np.atleast_2d(features))
        return learned.predict(self.scaler(rows), self.weights)

    def propose(
        self, paragraphs: list[str], features: np.ndarray | None = None
    ) -> dict[str, Proposal]:
        """The labels this layer gives a document, each with its score and evidence.
        `features` are the document's rule features (`tagging.rule_features`)."""
        cuts = cut(paragraphs)
        if not cuts.sentences or not self.ids:
            return {}
        if features is None:
            features = np.zeros(self.features.shape[1])
        sentences = encoder().totals(cuts.sentences)
        where = np.asarray(cuts.paragraph)
        # The whole, then (for a longer text) each body paragraph, from their sentences.
        whole = mean(sentences.sum(axis=0, keepdims=True))
        doc_score = self.scores(whole, features)[0]
        body = sorted(set(cuts.paragraph) - {0})
        par_votes = np.zeros((0, len(self.labels)))
        if len(body) >= 3:
            par_votes, _ = self.vote(
                mean(np.vstack([sentences[where == n].sum(axis=0) for n in body]))
            )
        proposals = {}
        for col, label in enumerate(self.labels):
            score = float(doc_score[col])
            threshold = THRESHOLDS.get(label, DOC_THRESHOLD)
            if label == AI and len(features) > AI_TERM_FEATURE and not features[AI_TERM_FEATURE]:
                threshold = max(threshold, NO_TERM_AI_THRESHOLD)
            if len(par_votes) and label != AI:
                threshold = max(threshold, LONG_THRESHOLD)
            if score >= threshold:
                # A long text's whole score is checked against all of its paragraphs.
                whole_paragraphs = [0, *body] if len(par_votes) and label != AI else []
                proposals[label] = Proposal(label, round(score, 3), paragraphs=whole_paragraphs)
            elif label != AI and len(par_votes):
                strong = np.flatnonzero(par_votes[:, col] >= PARAGRAPH_THRESHOLD)
                if len(strong):
                    best = float(par_votes[:, col].max())
                    carried = [body[n] for n in strong]
                    proposals[label] = Proposal(label, round(best, 3), paragraphs=carried)
        if proposals:
            self._evidence(cuts, mean(sentences), proposals)
        return proposals

    def _evidence(
        self, cuts: Passages, sentences: np.ndarray, proposals: dict[str, Proposal]
    ) -> None:
        """For each proposal, the sentences that lean furthest toward the exemplars with
        its label and away from the rest: what sets the topic apart, not what every AI
        story shares."""
        leaning = sentences @ self.directions.T
        for col, label in enumerate(self.labels):
            if label in proposals:
                order = np.argsort(-leaning[:, col])[:EVIDENCE_SENTENCES]
                proposals[label].evidence = [cuts.sentences[n] for n in order]

    @cached_property
    def directions(self) -> np.ndarray:
        """Per label, the mean exemplar with it minus the mean exemplar without it."""
        out = np.zeros((len(self.labels), self.vectors.shape[1]), dtype=np.float32)
        for col in range(len(self.labels)):
            has = self.targets[:, col] > 0
            if has.any() and (~has).any():
                out[col] = self.vectors[has].mean(axis=0) - self.vectors[~has].mean(axis=0)
        return out
