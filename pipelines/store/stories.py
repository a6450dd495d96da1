"""Stories in the database: every article in exactly one, found incrementally.

The writer calls `place` inside the article's savepoint. Candidates come from indexed
tables only, so the cost of placing an article does not grow with the number stored:

- `story_bands` (band_key, article_id): the MinHash LSH bands, one range per key, each
  read up to BAND_CAP rows (a key shared by very many articles says little);
- `story_entities` (entity_id, day, article_id): each entity's articles by day, read
  within the time window, up to ENTITY_CAP rows per entity;
- `story_signatures`: the MinHash and the embedding that verify a candidate.

`stories` keeps, per story, its original (earliest publication, then the one another
member names as rel=canonical, then a wire credit), title, outlets and topics' union.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import sqlite_utils

from pipelines.dates import now_iso
from pipelines.model import Fingerprint
from pipelines.stories.match import (
    BROAD_KINDS,
    COPY_JACCARD,
    EVENT_WINDOW_DAYS,
    Candidate,
    Match,
    decide,
    is_wire,
)
from pipelines.stories.signature import cosine, jaccard

# One encoder, not a new one per json.dumps(..., ensure_ascii=False) call (same text).
dumps_unicode = json.JSONEncoder(ensure_ascii=False).encode

BAND_CAP = 50
ENTITY_CAP = 40
NAME_KIND, NAME_PREFIX = "name", "n:"


@dataclass
class Entity:
    id: str
    kind: str
    name: str


def place(
    db: sqlite_utils.Database,
    article_id: str,
    fingerprint: Fingerprint | None,
    day: str | None,
    entities: list[Entity],
    changed: bool = True,
) -> int:
    """Put a stored article in a story (its own, a copy's or a same-event one's) and
    index it for the articles to come. Returns the story's id.

    An unchanged article keeps its story; a changed one is taken out and placed again.
    Without a fingerprint (an article stored by a caller that made none) the article
    is a story of its own until `rebuild` fingerprints it."""
    current = db.execute("select story_id from articles where id = ?", [article_id]).fetchone()
    current_story = current[0] if current else None
    if current_story is not None and not changed:
        indexed = db.execute(
            "select 1 from story_signatures where article_id = ?", [article_id]
        ).fetchone()
        if fingerprint is not None and not indexed:  # stored before stories: findable now
            index(db, article_id, fingerprint, day, entities)
        refresh(db, current_story)  # its topics or outlet may have moved
        return current_story
    if current_story is not None:
        detach(db, article_id)
    match = None
    if fingerprint is not None:
        match = find_match(db, article_id, fingerprint, day, entities)
        index(db, article_id, fingerprint, day, entities)
    if match is None:
        story_id = db.execute(
            "insert into stories (title, updated_at) values ('', ?)", [now_iso()]
        ).lastrowid
        relation, score, why, other = "original", 1.0, "the first article of its story", None
    else:
        story_id, relation, score, why = match.story_id, match.relation, match.score, match.why
        other = match.article_id
    db.execute(
        "update articles set story_id = ?, story_relation = ?, story_score = ?, story_why = ?, "
        "story_with = ? where id = ?",
        [story_id, relation, score, why, other, article_id],
    )
    refresh(db, story_id)
    return story_id


def _window(day: str | None) -> tuple[str, str] | None:
    try:
        center = date.fromisoformat((day or "")[:10])
    except ValueError:
        return None
    span = timedelta(days=EVENT_WINDOW_DAYS)
    return (center - span).isoformat(), (center + span).isoformat()


def _keys(entities: list[Entity], fingerprint: Fingerprint) -> list[Entity]:
    """What finds same-event candidates: the gazetteer's entities but the broad kinds,
    and the lead's names and figures (kind `name`)."""
    narrow = [e for e in entities if e.kind not in BROAD_KINDS]
    return narrow + [Entity(f"{NAME_PREFIX}{n}", NAME_KIND, n) for n in fingerprint.names]


# One indexed range per key, each read up to its cap: the same statement per key as
# always, so the same rows; _ranges runs a batch of them as one statement.
BAND_RANGE = f"select article_id from story_bands where band_key = ? limit {BAND_CAP}"
ENTITY_RANGE = (
    "select article_id from story_entities where entity_id = ? and day between ? and ? "
    f"order by day desc limit {ENTITY_CAP}"
)
RANGES_PER_STATEMENT = 64  # SQLite allows at most 500 terms in a compound select


def _ranges(
    db: sqlite_utils.Database, one: str, params: list[list[object]]
) -> list[tuple[int, str]]:
    """(key's position, article id) of each key's range, keys in order and each range in
    its own order: the statement `one` per key, run as one UNION ALL of them (a
    statement per key cost more in Python than in SQLite: 33 per article)."""
    rows: list[tuple[int, str]] = []
    for start in range(0, len(params), RANGES_PER_STATEMENT):
        chunk = params[start : start + RANGES_PER_STATEMENT]
        sql = " union all ".join(f"select {start + n}, * from ({one})" for n in range(len(chunk)))
        rows += db.conn.execute(sql, [p for key in chunk for p in key]).fetchall()
    return rows


def find_match(
    db: sqlite_utils.Database,
    article_id: str,
    fingerprint: Fingerprint,
    day: str | None,
    entities: list[Entity],
) -> Match | None:
    """The story this article joins, verified, or None. Reads only indexed ranges."""
    found: dict[str, Candidate] = {}
    for _, other in _ranges(db, BAND_RANGE, [[key] for key in fingerprint.bands]):
        if other != article_id:
            found.setdefault(other, Candidate(other, 0))
    window = _window(day)
    if window is not None:
        keys = _keys(entities, fingerprint)
        for n, other in _ranges(db, ENTITY_RANGE, [[e.id, *window] for e in keys]):
            if other != article_id:
                entity = keys[n]
                candidate = found.setdefault(other, Candidate(other, 0))
                named = candidate.names if entity.kind == NAME_KIND else candidate.shared
                named.append(entity.name)
    if not found:
        return None
    ids = list(found)
    marks = ",".join("?" * len(ids))
    rows = db.execute(
        f"select s.article_id, s.minhash, s.vector, a.story_id from story_signatures s "
        f"join articles a on a.id = s.article_id where s.article_id in ({marks})",
        ids,
    ).fetchall()
    candidates = []
    for other, other_minhash, other_vector, story_id in rows:
        if story_id is None:
            continue
        candidate = found[other]
        candidate.story_id = story_id
        candidate.jaccard = jaccard(fingerprint.minhash, other_minhash)
        if candidate.shared or candidate.names:
            candidate.cosine = cosine(fingerprint.vector, other_vector)
        candidates.append(candidate)
    return decide(candidates)


def index(
    db: sqlite_utils.Database,
    article_id: str,
    fingerprint: Fingerprint,
    day: str | None,
    entities: list[Entity],
) -> None:
    """Make the article findable by the articles to come."""
    narrow = sorted({e.id for e in _keys(entities, fingerprint)})
    db.execute(
        "insert or replace into story_signatures (article_id, day, minhash, vector, bands, "
        "entities) values (?, ?, ?, ?, ?, ?)",
        [
            article_id,
            (day or "")[:10] or None,
            fingerprint.minhash,
            fingerprint.vector,
            np.asarray(fingerprint.bands, dtype="<i8").tobytes(),
            json.dumps(narrow),
        ],
    )
    db.conn.executemany(
        "insert or ignore into story_bands (band_key, article_id) values (?, ?)",
        [(key, article_id) for key in fingerprint.bands],
    )
    if day:
        db.conn.executemany(
            "insert or ignore into story_entities (entity_id, day, article_id) values (?, ?, ?)",
            [(entity, day[:10], article_id) for entity in narrow],
        )


def unindex(db: sqlite_utils.Database, article_id: str) -> None:
    """Remove the article's index rows (through the keys its signature row kept)."""
    row = db.execute(
        "select day, bands, entities from story_signatures where article_id = ?", [article_id]
    ).fetchone()
    if row is None:
        return
    day, bands, entities = row
    db.conn.executemany(
        "delete from story_bands where band_key = ? and article_id = ?",
        [(int(key), article_id) for key in np.frombuffer(bands or b"", dtype="<i8")],
    )
    db.conn.executemany(
        "delete from story_entities where entity_id = ? and day = ? and article_id = ?",
        [(entity, day, article_id) for entity in json.loads(entities or "[]")],
    )
    db.execute("delete from story_signatures where article_id = ?", [article_id])


def reindex_entities(db: sqlite_utils.Database, article_id: str, entities: list[Entity]) -> None:
    """After re-tagging: the article's entity rows follow its new entities."""
    row = db.execute(
        "select day, minhash, vector, bands, entities from story_signatures where article_id = ?",
        [article_id],
    ).fetchone()
    if row is None:
        return
    day, minhash, vector, bands, old = row
    unindex(db, article_id)
    keys = [int(k) for k in np.frombuffer(bands or b"", dtype="<i8")]
    names = [k[len(NAME_PREFIX) :] for k in json.loads(old or "[]") if k.startswith(NAME_PREFIX)]
    index(db, article_id, Fingerprint(minhash, keys, vector, names), day, entities)


def detach(db: sqlite_utils.Database, article_id: str) -> None:
    """Take an article out of its story (which is refreshed, or deleted once empty)."""
    row = db.execute("select story_id from articles where id = ?", [article_id]).fetchone()
    unindex(db, article_id)
    db.execute("update articles set story_id = null where id = ?", [article_id])
    if row and row[0] is not None:
        refresh(db, row[0])


def article_entities(db: sqlite_utils.Database, article_id: str) -> list[Entity]:
    return [
        Entity(*row)
        for row in db.execute(
            "select e.id, e.kind, e.name from article_entities ae join entities e "
            "on e.id = ae.entity_id where ae.article_id = ?",
            [article_id],
        )
    ]


def refresh(db: sqlite_utils.Database, story_id: int) -> None:
    """Recompute a story's row from its members: original, title, outlets, topics."""
    members = db.execute(
        "select a.id, a.title, a.url, a.canonical_url, a.author, substr(a.body, 1, 200), "
        "coalesce(a.published_at, a.first_seen_at), a.first_seen_at, "
        "a.topics, coalesce(s.name, a.source), a.story_relation, a.published_day "
        "from articles a left join sources s on s.slug = a.source where a.story_id = ?",
        [story_id],
    ).fetchall()
    if not members:
        db.execute("delete from stories where id = ?", [story_id])
        return
    named = {m[3] for m in members if m[3] and m[3] != m[2]}  # rel=canonical to another

    def rank(m: tuple) -> tuple:
        # The instant, not the day: a wire copy is often republished hours later.
        return (m[6] or "9999", m[2] not in named, not is_wire(m[4], m[5]), m[7] or "", m[0])

    ordered = sorted(members, key=rank)
    original = ordered[0]
    if original[10] != "original":
        _demote_others(db, story_id, original[0])
    outlets = list(dict.fromkeys(m[9] for m in ordered))
    topics = sorted({t for m in members for t in json.loads(m[8] or "[]")})
    days = [m[11] for m in members if m[11]]
    db.execute(
        "update stories set title = ?, first_published = ?, articles = ?, outlets = ?, "
        "outlet_count = ?, topics = ?, original_id = ?, updated_at = ? where id = ?",
        [
            original[1] or "",
            min(days) if days else None,
            len(members),
            dumps_unicode(outlets),
            len(outlets),
            json.dumps(topics),
            original[0],
            now_iso(),
            story_id,
        ],
    )


def _demote_others(db: sqlite_utils.Database, story_id: int, original_id: str) -> None:
    """A new original: it becomes `original`, and a former original is related to it
    by its own signature (copy if their texts overlap enough, else same_event)."""
    new = db.execute(
        "select minhash, vector from story_signatures where article_id = ?", [original_id]
    ).fetchone()
    for (former,) in db.execute(
        "select id from articles where story_id = ? and story_relation = 'original' and id != ?",
        [story_id, original_id],
    ).fetchall():
        old = db.execute(
            "select minhash, vector from story_signatures where article_id = ?", [former]
        ).fetchone()
        if new is None or old is None:  # no fingerprint: the migration's exact duplicates
            relation, score = "copy", 1.0
            why = f"the same text as article {original_id}, the story's original"
        else:
            j, c = round(jaccard(new[0], old[0]), 3), round(cosine(new[1], old[1]), 3)
            relation, score = ("copy", j) if j >= COPY_JACCARD else ("same_event", c)
            why = (
                f"shares about {j:.0%} of its word sequences with article {original_id}"
                if relation == "copy"
                else f"title and lead similar (cosine {c:.2f}) to article {original_id}"
            ) + ", the story's original, published earlier"
        db.execute(
            "update articles set story_relation = ?, story_score = ?, story_why = ?, "
            "story_with = ? where id = ?",
            [relation, score, why, original_id, former],
        )
    db.execute(
        "update articles set story_relation = 'original', story_score = 1.0, "
        "story_why = 'the earliest of its story (then rel=canonical, then a wire credit)', "
        "story_with = null where id = ?",
        [original_id],
    )
