"""Tagging: AI relevance, topics with evidence, other senses of words, entities, retag."""

from __future__ import annotations

from pathlib import Path

import yaml

from crawlers import DATA
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
    assert compile_term("lawsuit").search("two lawsuits")


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
    assert "litigation" in slugs(tag_text(*LAWSUIT))
    assert "litigation" not in slugs(tag_text(*LAWSUIT, taxonomy=load_taxonomy(edited)))


def test_every_design_topic_exists() -> None:
    assert {t.slug for t in load_taxonomy().topics} == set(DESIGN_TOPICS)


def test_labeled_set_is_large_valid_and_has_hard_negatives() -> None:
    """The set bench/tagging.py measures on: shape only; the figures live in bench/."""
    items = []
    for path in sorted((Path(__file__).parent / "fixtures" / "tagging").glob("*.yaml")):
        items.extend(yaml.safe_load(path.read_text(encoding="utf-8")))
    slugs = {t.slug for t in load_taxonomy().topics}
    assert len(items) >= 120
    assert len({i["id"] for i in items}) == len(items)
    for item in items:
        assert set(item["topics"]) <= slugs and set(item["not_topics"]) <= slugs, item["id"]
        assert not set(item["topics"]) & set(item["not_topics"]), item["id"]
        assert item["is_ai"] or not item["topics"], item["id"]
    assert sum(not i["is_ai"] for i in items) >= 40
    assert sum(i["is_ai"] and not i["topics"] for i in items) >= 5  # AI, no policy angle


def test_retag_command_reports_changes(tmp_path, demo_db) -> None:
    from tests.conftest import run_aitrack

    copy = tmp_path / "retag.db"
    copy.write_bytes(demo_db.read_bytes())
    result = run_aitrack("retag", "--db", str(copy))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("retagged ")
