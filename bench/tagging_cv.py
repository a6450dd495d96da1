#!/usr/bin/env python3
"""Choose the semantic layer's thresholds by cross-validation on the development part.

Only data/exemplars.yaml is read: the held-out test part is never looked at here.

- Out-of-fold probabilities: the items are cut into 10 folds (by a hash of their id, as
  in bench/tagging.py); each fold is scored by the layer fitted on the other nine.
- A tag is what tag_text would give: the rules' tag, or the probability at its label's
  threshold; topics only for a text about AI; a long page reaches the layer only with
  some AI term. Long articles' paragraph votes are not simulated.
- Thresholds: one penalty per forbidden tag is raised until the forbidden tags fall
  under --target of all must-not labels; each topic then takes the threshold that
  finds the most expected tags minus the penalty per forbidden one. AI relevance takes
  the threshold of best accuracy.
- The honest figure (nested): the same choice made inside each outer fold's nine
  tenths, with their own inner folds, then applied to the outer fold.

    .venv/bin/python bench/tagging_cv.py [--target 0.018] [--penalty 30]

It prints the thresholds to put in pipelines/semantic.py (THRESHOLDS) and both figures.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.tagging import FOLDS, fold_of  # noqa: E402
from pipelines import learned  # noqa: E402
from pipelines.semantic import AI, AI_TERM_FEATURE, encoder, load_exemplars  # noqa: E402
from pipelines.tagging import (  # noqa: E402
    LONG_PARAGRAPHS,
    load_classifier,
    load_taxonomy,
    rule_features,
    split_paragraphs,
)

GRID = np.round(np.arange(0.96, 0.04, -0.02), 2)
GENERAL_TARGET = 0.01  # at most this share of ordinary pages called AI (bench/general_pages.py)


def no_term_threshold(classifier, taxonomy) -> tuple[float, float, int]:
    """The lowest threshold at which at most GENERAL_TARGET of the ordinary pages of the
    development half (those naming no AI term) are called AI; with that share and how
    many pages. (1.0, nan, 0) without the data set."""
    from bench.general_pages import leads

    pages = leads("dev")
    if not pages:
        return 1.0, float("nan"), 0
    features = np.array([rule_features(t, lead, taxonomy) for t, lead in pages])
    plain = features[:, AI_TERM_FEATURE] == 0
    vectors = encoder().texts([f"{t}\n{lead}" for t, lead in pages])
    p = classifier.scores(vectors[plain], features[plain])[:, -1]
    for t in GRID[::-1]:  # lowest first
        if (p >= t).mean() <= GENERAL_TARGET:
            return float(t), float((p >= t).mean()), int(plain.sum())
    return 1.0, 0.0, int(plain.sum())


PENALTIES = [0.5, 0.75, 1, 1.5, 2, 3, 4, 6, 8, 12, 16, 25, 50, 100, 1000]


def out_of_fold(classifier, idx: np.ndarray, folds: np.ndarray, vectors, features) -> np.ndarray:
    """Probabilities for the items in idx, each from a layer fitted without its fold
    (and without any item outside idx)."""
    out = np.zeros((len(classifier.ids), len(classifier.labels)))
    outside = {classifier.ids[n] for n in np.setdiff1d(np.arange(len(classifier.ids)), idx)}
    for fold in np.unique(folds[idx]):
        members = idx[folds[idx] == fold]
        fitted = classifier.without(outside | {classifier.ids[n] for n in members})
        out[members] = fitted.scores(vectors[members], features[members])
    return out


def tags_for(
    p: np.ndarray,
    thresholds: np.ndarray,
    rules: np.ndarray,
    gate: np.ndarray,
    bar: np.ndarray | float = 0.0,
):
    """Tags as tag_text gives them (rules OR threshold; `gate`: texts the layer sees;
    `bar`: per text, the least probability the layer's AI needs besides its threshold,
    NO_TERM_AI_THRESHOLD where the text names no AI term)."""
    tags = rules | (p >= thresholds)
    tags[:, -1] = rules[:, -1] | ((p[:, -1] >= np.maximum(thresholds[-1], bar)) & gate)
    tags[:, :-1] &= tags[:, -1:]
    return tags


def choose(p, idx, rules, gate, expected, forbidden, target, bar=None) -> np.ndarray:
    """Per label, its threshold (see the module's docstring); `bar` as in tags_for, one
    value per text (all of p's rows), none by default."""
    n_labels = p.shape[1]
    thresholds = np.ones(n_labels)
    truth = expected[idx, -1]
    bar = 0.0 if bar is None else bar[idx]
    accuracy = [
        (((p[idx, -1] >= np.maximum(t, bar)) & gate[idx] | rules[idx, -1]) == truth).mean()
        for t in GRID
    ]
    thresholds[-1] = GRID[int(np.argmax(accuracy))]
    ai = rules[idx, -1] | ((p[idx, -1] >= np.maximum(thresholds[-1], bar)) & gate[idx])
    found = np.zeros((n_labels - 1, len(GRID)))
    wrong = np.zeros((n_labels - 1, len(GRID)))
    for col in range(n_labels - 1):
        for j, t in enumerate(GRID):
            tags = (rules[idx, col] | (p[idx, col] >= t)) & ai
            found[col, j] = (tags & expected[idx, col]).sum()
            wrong[col, j] = (tags & forbidden[idx, col]).sum()
    allowed = target * forbidden[idx].sum()
    for penalty in PENALTIES:
        # Ties go to the higher threshold (earlier in GRID): fewer tags for the same gain.
        picks = [
            int(np.argmax(found[c] - penalty * wrong[c] - 1e-6 * np.arange(len(GRID))))
            for c in range(n_labels - 1)
        ]
        if sum(wrong[c, j] for c, j in enumerate(picks)) <= allowed:
            break
    for col, j in enumerate(picks):
        thresholds[col] = GRID[j]
    return thresholds


def figures(tags, idx, expected, forbidden) -> tuple[float, float, float, list[float]]:
    t, e, f = tags[idx], expected[idx], forbidden[idx]
    recall = (t[:, :-1] & e[:, :-1]).sum() / e[:, :-1].sum()
    wrong = (t[:, :-1] & f).sum() / f.sum()
    ai = (t[:, -1] == e[:, -1]).mean()
    per_topic = [(t[:, c] & e[:, c]).sum() / max(1, e[:, c].sum()) for c in range(f.shape[1])]
    return recall, wrong, ai, per_topic


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", type=float, default=0.018)
    parser.add_argument("--penalty", type=float, default=learned.PENALTY)
    parser.add_argument("--class-weight", type=float, default=learned.CLASS_WEIGHT)
    parser.add_argument(
        "--gate-all",
        action="store_true",
        help="ask every text for some AI term before the semantic layer sees it (the"
        " alternative to tag_text's rule: every short text, a long one the rules call AI)",
    )
    args = parser.parse_args()
    learned.PENALTY = args.penalty
    learned.CLASS_WEIGHT = args.class_weight
    taxonomy = load_taxonomy()
    slugs = [t.slug for t in taxonomy.topics]
    exemplars = load_exemplars()
    classifier = load_classifier()
    n = len(exemplars)
    expected = np.array([[s in e.topics for s in slugs] + [e.is_ai] for e in exemplars])
    forbidden = np.array([[s in e.not_topics for s in slugs] for e in exemplars])
    vectors = encoder().texts([f"{e.title}\n{e.body}".strip() for e in exemplars])
    features = np.array([rule_features(e.title, e.body, taxonomy) for e in exemplars])
    rules = np.zeros((n, len(slugs) + 1), dtype=bool)
    rules[:, -1] = features[:, 1] > 0  # the rules' own AI decision
    for col in range(len(slugs)):
        rules[:, col] = features[:, 4 + 3 * col + 1] > 0
    # As tag_text: a short item always reaches the layer, a long page only when the rules
    # say it is about AI.
    short = np.array([len(split_paragraphs(e.title, e.body)) <= LONG_PARAGRAPHS for e in exemplars])
    gate = features[:, AI_TERM_FEATURE] > 0 if args.gate_all else rules[:, -1] | short
    folds = np.array([fold_of(e.id) for e in exemplars])
    everything = np.arange(n)
    no_term, share, pages = no_term_threshold(classifier, taxonomy)
    bar = np.where(features[:, AI_TERM_FEATURE] == 0, no_term, 0.0)

    p = out_of_fold(classifier, everything, folds, vectors, features)
    chosen = choose(p, everything, rules, gate, expected, forbidden, args.target, bar)
    flat = figures(tags_for(p, chosen, rules, gate, bar), everything, expected, forbidden)

    nested = np.zeros((n, len(slugs) + 1), dtype=bool)
    for fold in range(FOLDS):
        inner = everything[folds != fold]
        outer = everything[folds == fold]
        inner_folds = (folds + 1) % FOLDS  # a different cut of the nine tenths
        p_inner = out_of_fold(classifier, inner, inner_folds, vectors, features)
        thresholds = choose(p_inner, inner, rules, gate, expected, forbidden, args.target, bar)
        nested[outer] = tags_for(p[outer], thresholds, rules[outer], gate[outer], bar[outer])
    honest = figures(nested, everything, expected, forbidden)

    print(f"development part: {n} items, {FOLDS} folds, target forbidden {args.target}")
    for name, (recall, wrong, ai, per) in (("nested (honest)", honest), ("chosen on all", flat)):
        topics = " ".join(f"{s} {r:.3f}" for s, r in zip(slugs, per, strict=True))
        print(f"{name}: recall {recall:.3f} forbidden {wrong:.3f} AI {ai:.3f}\n  {topics}")
    print(
        f"NO_TERM_AI_THRESHOLD = {no_term:.2f}  # {share:.3f} of {pages} ordinary pages"
        " (development half) with no AI term called AI"
    )
    print("THRESHOLDS = {")
    for label, t in zip([*slugs, AI], chosen, strict=True):
        print(f"    {label!r}: {t:.2f},")
    print("}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
