"""Tagging: AI relevance, topics with evidence, other senses of words, entities, retag."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from crawlers import DATA
from pipelines.model import METHODS
from pipelines.semantic import encoder
from pipelines.tagging import compile_term, load_taxonomy, tag_text
from tests.conftest import DESIGN_TOPICS

LAWSUIT = (
    "The New York Times sues OpenAI and Microsoft over AI training",
    "The newspaper filed a copyright infringement lawsuit in federal district court, saying "
    "millions of its articles were used to train ChatGPT and other large language models "
    "without permission.\n\nA judge will decide whether the training was fair use, the "
    "question at the heart of every generative AI copyright case. The New York Times v. "
    "Microsoft Corp. was filed in Manhattan.",
)


def slugs(tagging) -> set[str]:
    return {t.slug for t in tagging.topics}


def test_ai_lawsuit_gets_litigation_and_copyright_with_evidence() -> None:
    tags = tag_text(*LAWSUIT)
    assert tags.is_ai and tags.relevance > 0.5
    assert {"litigation", "copyright"} <= slugs(tags)
    text = " ".join(" ".join(LAWSUIT).split())
    for topic in tags.topics:
        assert topic.evidence and all(phrase in text for phrase in topic.evidence)


def test_a_lawsuit_that_is_not_about_ai_gets_no_topic() -> None:
    tags = tag_text(
        "Bakery wins trademark suit over the name Sugar Hollow",
        "A state appeals court ruled on Tuesday that the older bakery owns the name. The "
        "lawsuit, filed in 2022, claimed customers were confused. The judge wore a grey suit "
        "and the jury was dismissed before trial.",
    )
    assert not tags.is_ai
    assert tags.topics == []


def test_other_senses_of_model_and_agent_do_not_make_ai() -> None:
    tags = tag_text(
        "Union honours a role model and a talent agent at its awards",
        "The model for the new scholarship is the agent who mentored young actors for "
        "decades. Members voted to ratify the plan. The fashion model and the travel agent "
        "spoke at the dinner.",
    )
    assert not tags.is_ai and tags.topics == []


def test_title_counts_more_than_the_tail() -> None:
    body = "Filler sentence about the weather and the harvest. " * 30
    early = tag_text("AI union strike vote", body + "Members will bargain on Friday.")
    late = tag_text("Weather report", body + "An AI union strike vote; members bargain.")
    assert early.relevance > late.relevance


def test_acronyms_match_case_sensitively() -> None:
    assert compile_term("AI").search("New AI rules")
    assert not compile_term("AI").search("the said remark")
    assert not compile_term("AI").search("Thai food")
    assert compile_term("regulat*").search("Regulators met")


def test_entities_fold_aliases_and_prefer_the_longest_name() -> None:
    tags = tag_text(*LAWSUIT)
    names = {(e.kind, e.name): e.mentions for e in tags.entities}
    # Once in the title; the body's mention is inside the case name, which is longer.
    assert names[("org", "The New York Times")] == 1
    assert names[("case", "The New York Times v. Microsoft Corp.")] == 1
    assert ("jurisdiction", "New York") not in names


def test_taxonomy_edit_changes_tags(tmp_path: Path) -> None:
    doc = yaml.safe_load((DATA / "taxonomy.yaml").read_text(encoding="utf-8"))
    doc["topics"]["litigation"]["threshold"] = 10_000
    edited = tmp_path / "taxonomy.yaml"
    edited.write_text(yaml.safe_dump(doc), encoding="utf-8")
    before = {t.slug: t for t in tag_text(*LAWSUIT).topics}
    assert before["litigation"].method in ("rules", "both") and before["litigation"].evidence
    after = tag_text(*LAWSUIT, taxonomy=load_taxonomy(edited), semantic=False)
    assert "litigation" not in slugs(after)
    # The semantic layer does not read the taxonomy's terms: it may still propose the
    # topic, but only as its own, with sentences and no rule phrases.
    hybrid = {t.slug: t for t in tag_text(*LAWSUIT, taxonomy=load_taxonomy(edited)).topics}
    if "litigation" in hybrid:
        assert hybrid["litigation"].method == "semantic" and not hybrid["litigation"].evidence


def test_every_design_topic_exists() -> None:
    assert {t.slug for t in load_taxonomy().topics} == set(DESIGN_TOPICS)


def labeled(part: str) -> list[dict]:
    """The development part (data/exemplars.yaml) or the held-out test part."""
    if part == "dev":
        return yaml.safe_load((DATA / "exemplars.yaml").read_text(encoding="utf-8"))
    items = []
    for path in sorted((Path(__file__).parent / "fixtures" / "tagging").glob("*.yaml")):
        items.extend(yaml.safe_load(path.read_text(encoding="utf-8")))
    return items


def test_labeled_set_is_large_valid_and_has_hard_negatives() -> None:
    """The set bench/tagging.py measures on: shape only; the figures live in bench/."""
    dev, test = labeled("dev"), labeled("test")
    items = dev + test
    slugs = {t.slug for t in load_taxonomy().topics}
    assert len(items) >= 400 and len(test) >= 150
    assert len({i["id"] for i in items}) == len(items)
    for item in items:
        assert set(item["topics"]) <= slugs and set(item["not_topics"]) <= slugs, item["id"]
        assert not set(item["topics"]) & set(item["not_topics"]), item["id"]
        assert item["is_ai"] or not item["topics"], item["id"]
        assert item["title"].strip(), item["id"]
    for part in (dev, test):
        assert sum(not i["is_ai"] for i in part) >= 25  # hard negatives on both sides
        assert sum(i["is_ai"] and not i["topics"] for i in part) >= 5  # AI, no policy angle
        # Short wire-style items (a title and one sentence), not only long articles.
        assert sum(len(i["body"].split()) <= 45 for i in part) >= len(part) // 3
        for slug in slugs:
            assert sum(slug in i["topics"] for i in part) >= 10, slug


def test_the_test_part_shares_no_item_with_the_exemplars() -> None:
    """The held-out part is never an exemplar: not by id, title or any sentence; and an
    item that reports an exemplar's event names exemplars that exist (bench/tagging.py
    leaves those items out of its first, out-of-sample figure)."""
    dev, test = labeled("dev"), labeled("test")
    dev_ids = {i["id"] for i in dev}
    for item in test:
        assert set(item.get("shares_event_with") or []) <= dev_ids, item["id"]
    dev_text = "\n".join(f"{i['title']}\n{i['body']}" for i in dev)
    for item in test:
        assert item["id"] not in dev_ids, item["id"]
        assert item["title"] not in dev_text, item["id"]
        for sentence in item["body"].split(". "):
            if len(sentence) > 40:
                assert sentence not in dev_text, item["id"]


def test_retag_command_reports_changes(tmp_path, demo_db) -> None:
    from tests.conftest import run_aitrack

    copy = tmp_path / "retag.db"
    copy.write_bytes(demo_db.read_bytes())
    result = run_aitrack("retag", "--db", str(copy))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("retagged ")


SEED_LIKE = Path(__file__).parent / "fixtures" / "seed-like" / "meta-public-posts.txt"


def test_seed_like_article_gets_its_labor_angle_from_the_semantic_layer() -> None:
    """Like the project's seed: a syndicated story on Meta training AI on public posts
    (privacy, a class-action settlement, copyright) that reaches Hollywood's deals over AI
    replicas in one paragraph, in words the rules do not list."""
    title, body = SEED_LIKE.read_text(encoding="utf-8").split("\n", 1)
    assert "labor" not in slugs(tag_text(title, body, semantic=False))
    tags = {t.slug: t for t in tag_text(title, body).topics}
    assert {"copyright", "litigation", "privacy", "labor"} <= set(tags)
    labor = tags["labor"]
    assert labor.method == "semantic" and labor.score == 0 and not labor.evidence
    assert labor.vote is not None and 0 < labor.vote <= 1
    # Its evidence is sentences of the article, led by the Hollywood paragraph's.
    assert labor.passages and all(p in body for p in labor.passages)
    hollywood = next(p for p in body.split("\n\n") if p.startswith("Hollywood"))
    assert labor.passages[0] in hollywood


@pytest.mark.parametrize(
    ("title", "body", "topic"),
    [
        (
            "Voice actors in Brazil walk off dubbing jobs over AI clones",
            "Their association wants studios to promise that recordings will not be used "
            "to make synthetic voices.",
            "labor",
        ),
        (
            "Regulator in Seoul tells chatbot firm to delete users' conversations",
            "The watchdog found the AI company kept chat logs without telling people how "
            "they would be used.",
            "privacy",
        ),
    ],
)
def test_semantic_layer_tags_paraphrases_with_sentences_as_evidence(
    title: str, body: str, topic: str
) -> None:
    tags = tag_text(title, body)
    assert topic not in slugs(tag_text(title, body, semantic=False))
    tag = {t.slug: t for t in tags.topics}[topic]
    assert tag.method == "semantic" and tag.passages
    assert all(p in f"{title}\n{body}" for p in tag.passages)
    assert tags.is_ai and tags.ai_method in ("rules", "both")


def test_every_tag_says_which_layer_made_it() -> None:
    for title, body in (LAWSUIT, SEED_LIKE.read_text(encoding="utf-8").split("\n", 1)):
        tags = tag_text(title, body)
        for t in tags.topics:
            assert t.method in METHODS
            assert bool(t.evidence) == (t.method != "semantic"), t
            assert (t.vote is not None) == (t.method != "rules"), t


def test_ai_takes_two_terms_or_a_defining_one() -> None:
    """A product name that is also a word or a place is not enough on its own."""
    town = tag_text("Sora restores its cathedral", "The town on the Liri reopened it.")
    assert not town.is_ai and town.ai_method is None
    assert tag_text("OpenAI shows Sora to film studios", "It makes video.").is_ai


def test_terms_take_plurals_not_other_forms() -> None:
    assert compile_term("lawsuit").search("two lawsuits")
    assert not compile_term("bill").search("the event was billed as historic")
    assert not compile_term("court").search("the start-up courted investors")
    assert not compile_term("rule").search("the judge ruled")


def test_pooled_vectors_agree_with_wordllama_own_embedding() -> None:
    """Our per-word pooling stays the model's sentence embedding (same tokens, mean)."""
    import wordllama

    model = wordllama.WordLlama.load(
        cache_dir=Path(wordllama.__file__).parent, disable_download=True
    )
    sentences = [LAWSUIT[0], "Workers voted to accept the deal after a two-week walkout."]
    ours = encoder().texts(sentences)
    theirs = model.embed(sentences, norm=True)
    assert ((ours * theirs).sum(axis=1) > 0.9).all()
    assert (ours[0] @ theirs[1]) < 0.9  # and different sentences stay apart


def test_the_model_loads_offline_from_the_installed_wheel(tmp_path: Path) -> None:
    """No download, no cache outside the package: a fresh process with an empty home and
    an unreachable hub loads it and tags."""
    code = (
        "from pipelines.tagging import tag_text\n"
        "t = tag_text('Illustrators take an image maker to court', 'They say the AI tool "
        "copied their drawings.')\n"
        "print(sorted((x.slug, x.method) for x in t.topics))\n"
    )
    env = {
        **os.environ,
        "HOME": str(tmp_path),
        "HF_HUB_OFFLINE": "1",
        "HF_ENDPOINT": "http://127.0.0.1:9",
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).parent.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "litigation" in result.stdout
    assert not any(tmp_path.rglob("*.safetensors"))


def test_a_worker_loads_the_model_once(monkeypatch) -> None:
    """The classifier is cached per process: a second page costs no loading."""
    from pipelines import semantic

    tag_text(*LAWSUIT)
    builds = []
    monkeypatch.setattr(semantic.Classifier, "build", classmethod(lambda cls, *a: builds.append(a)))
    monkeypatch.setattr(semantic, "Encoder", lambda: builds.append("encoder"))
    tag_text(*LAWSUIT)
    tag_text("Another page about AI rules", "Lawmakers passed the AI Act.")
    assert builds == []


def test_importing_the_model_leaves_logging_alone() -> None:
    """wordllama calls logging.basicConfig(INFO) on import: every library's INFO lines
    would reach a crawl's stderr."""
    code = (
        "import logging\n"
        "import pipelines.semantic\n"
        "pipelines.semantic.encoder()\n"
        "root = logging.getLogger()\n"
        "print(len(root.handlers), root.level)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).parent.parent,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["0", str(logging.WARNING)]


def test_a_text_vector_does_not_depend_on_what_the_process_read_before() -> None:
    """Workers and an inline crawl read pages in different orders: a word's tokens,
    learned once per process, must not depend on the words learned with it."""
    from pipelines.semantic import Encoder

    first, second = Encoder(), Encoder()
    # New words are tokenized together: "640" (no piece of its own for the space before
    # it) first in one batch, last in the other.
    first._learn(["640", "Qwertzuiop", "“"])
    second._learn(["“", "Qwertzuiop", "640"])
    probe = ["Rule 640 applies to 2,000 “naïve” Qwertzuiop drafts"]
    assert np.array_equal(first.texts(probe), second.texts(probe))


def test_rule_features_carry_what_the_rules_found_below_a_tag() -> None:
    """The regression sees the rules' partial scores: one term, too weak for a tag."""
    from pipelines.tagging import rule_features

    topics = [t.slug for t in load_taxonomy().topics]
    weak = rule_features("Chatbot maker faces a lawsuit", "")
    none = rule_features("Chatbot maker opens an office", "")
    assert len(weak) == 4 + 3 * len(topics)
    col = 4 + 3 * topics.index("litigation")
    assert weak[col] > 0 and none[col] == 0  # a litigation score, below the tag's
    assert "litigation" not in slugs(tag_text("Chatbot maker faces a lawsuit", "", semantic=False))


def test_brushed_topics_teach_the_regression_nothing(tmp_path: Path) -> None:
    """A topic an exemplar neither has nor forbids is left out of that label's fit."""
    from pipelines.semantic import Classifier, load_exemplars

    path = tmp_path / "exemplars.yaml"
    path.write_text(
        yaml.safe_dump(
            [
                {
                    "id": "a",
                    "title": "Court fines lawyers over invented cases",
                    "body": "A chatbot wrote the brief.",
                    "is_ai": True,
                    "topics": ["litigation"],
                    "not_topics": ["labor"],
                }
            ]
        ),
        encoding="utf-8",
    )
    classifier = Classifier.build(load_exemplars(path), ["litigation", "labor", "safety"])
    assert classifier.known.tolist() == [[1.0, 1.0, 0.0, 1.0]]
    assert classifier.targets.tolist() == [[1.0, 0.0, 0.0, 1.0]]


def test_short_items_always_reach_the_semantic_layer_long_pages_need_an_ai_term(
    monkeypatch,
) -> None:
    """A wire brief may name no AI term ("the answer engine's maker"); a long page that
    names none is not looked at (the layer costs most there)."""
    from pipelines.semantic import Classifier

    seen = []
    propose = Classifier.propose

    def counting(self, paragraphs, features=None):
        seen.append(paragraphs[0])
        return propose(self, paragraphs, features)

    monkeypatch.setattr(Classifier, "propose", counting)
    tag_text("Newspapers take a question-answering start-up to court", "They want payment.")
    long_body = "\n\n".join(["The harvest came early this year in the valley."] * 4)
    tag_text("Farmers count the harvest", long_body)
    assert seen == ["Newspapers take a question-answering start-up to court"]


def test_the_regression_scores_every_label_between_zero_and_one() -> None:
    from pipelines.semantic import encoder
    from pipelines.tagging import load_classifier, rule_features

    classifier = load_classifier()
    title, body = LAWSUIT
    p = classifier.scores(encoder().texts([f"{title}\n{body}"]), rule_features(title, body))
    assert p.shape == (1, len(classifier.labels))
    assert ((p > 0) & (p < 1)).all()
    # The lawsuit is litigation and copyright, and not antitrust, for the regression too.
    from pipelines.semantic import THRESHOLDS

    by_label = dict(zip(classifier.labels, p[0], strict=True))
    assert by_label["litigation"] >= THRESHOLDS["litigation"]
    assert by_label["copyright"] >= THRESHOLDS["copyright"]
    assert by_label["antitrust"] < THRESHOLDS["antitrust"]


def test_a_text_naming_no_ai_term_needs_the_higher_ai_threshold(monkeypatch) -> None:
    """Where the rules found no AI term at all, the layer's AI needs
    NO_TERM_AI_THRESHOLD; one AI term, even a weak one, and its AI threshold will do."""
    from pipelines import semantic
    from pipelines.semantic import AI
    from pipelines.tagging import load_classifier, rule_features, split_paragraphs

    title = "Newspaper group settles with a summarising service"
    body = "The company agreed to pay outlets whose stories its service condensed for readers."
    classifier = load_classifier()
    features = rule_features(title, body)
    assert features[semantic.AI_TERM_FEATURE] == 0  # no AI term, as the case needs
    paragraphs = split_paragraphs(title, body)
    p = float(classifier.scores(encoder().texts([f"{title}\n{body}"]), features)[0, -1])
    monkeypatch.setitem(semantic.THRESHOLDS, AI, p / 2)
    monkeypatch.setattr(semantic, "NO_TERM_AI_THRESHOLD", min(1.0, p + 0.01))
    assert AI not in classifier.propose(paragraphs, features)
    with_term = features.copy()
    with_term[semantic.AI_TERM_FEATURE] = 1.0
    p_term = float(classifier.scores(encoder().texts([f"{title}\n{body}"]), with_term)[0, -1])
    monkeypatch.setitem(semantic.THRESHOLDS, AI, p_term / 2)
    assert AI in classifier.propose(paragraphs, with_term)
    monkeypatch.setattr(semantic, "NO_TERM_AI_THRESHOLD", p / 2)
    monkeypatch.setitem(semantic.THRESHOLDS, AI, p / 2)
    assert AI in classifier.propose(paragraphs, features)
