"""Deadlines from the curated file (data/legal_deadlines.yaml): laws that apply in stages."""

from __future__ import annotations

import json
from pathlib import Path

import sqlite_utils
import yaml

from pipelines.dates import now_iso
from pipelines.legal.deadlines import DEADLINE_KINDS, Deadline
from pipelines.legal.mentions import KINDS
from pipelines.store.legal import ensure_object, record_deadline, update_object

ZONES = {"EU": "Europe/Brussels", "GB": "Europe/London", "US": "America/New_York"}


def load_curated(path: str | Path) -> list[dict]:
    """The file's objects, checked; ValueError naming the file, entry and field."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"{path}: cannot read: {exc}") from None
    objects = data.get("objects") or []
    for n, entry in enumerate(objects, 1):
        where = f"{path}: object {n}"
        if entry.get("kind") not in KINDS or not entry.get("id"):
            raise ValueError(f"{where}: needs a known kind and an id")
        for m, d in enumerate(entry.get("deadlines") or [], 1):
            if d.get("kind") not in DEADLINE_KINDS or not d.get("citation"):
                raise ValueError(f"{where}, deadline {m}: needs a known kind and a citation")
            if len(str(d.get("date", ""))) != 10:
                raise ValueError(f"{where}, deadline {m}: date must be YYYY-MM-DD")
    return objects


def apply_curated(db: sqlite_utils.Database, path: str | Path) -> dict[str, int]:
    """Store the curated objects and deadlines; outcome -> count (re-running: all "same")."""
    now, outcomes = now_iso(), {}
    source = f"curated:{Path(path).name}"
    for entry in load_curated(path):
        with db.conn:
            key = ensure_object(db, entry["kind"], str(entry["id"]), entry.get("jurisdiction"))
            fields = {k: entry[k] for k in ("title", "official_url") if entry.get(k)}
            if entry.get("same_as"):
                fields["same_as"] = json.dumps(entry["same_as"])
                for other in entry["same_as"]:
                    kind, _, id = str(other).partition(":")
                    ensure_object(db, kind, id, entry.get("jurisdiction"))
            update_object(db, key, fields)
            zone = ZONES.get(str(entry.get("jurisdiction") or "")[:2])
            for d in entry.get("deadlines") or []:
                deadline = Deadline(
                    entry["kind"],
                    str(entry["id"]),
                    d["kind"],
                    str(d["date"]),
                    zone,
                    source,
                    d["citation"],
                    None,
                    d.get("label") or "",
                )
                outcome = record_deadline(db, deadline, now)
                outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes
