"""Resolve stored legal objects against the official APIs of data/legal_apis.yaml.

For each API, the objects of the kinds it resolves that were never fetched, or not for
`refresh_days`, are looked up once each (the stored answer is the cache: nothing is
polled). A missing key skips the API with that reason, written on each object it would
have resolved; a 429 stops that API for the run. Each object's answer is committed on its
own, so an interrupted run keeps what it did and a re-run adds nothing twice."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlite_utils

from pipelines.dates import now_iso
from pipelines.legal import congress_gov, courtlistener, federal_register, regulations_gov
from pipelines.legal.apis import LegalApi
from pipelines.legal.curated import apply_curated
from pipelines.legal.deadlines import Deadline
from pipelines.legal.http import ApiError, Fetch, get_json
from pipelines.store.legal import ensure_object, record_deadline, update_object

KEY_ENV = "API_DATA_GOV_KEY"
TOKEN_ENV = "COURTLISTENER_TOKEN"


class NotFound(Exception):
    pass


@dataclass
class ResolveReport:
    resolved: int = 0
    not_found: int = 0
    deadlines: dict[str, int] = field(default_factory=dict)  # outcome -> count
    skipped: list[str] = field(default_factory=list)  # one line per skipped API
    failures: list[str] = field(default_factory=list)  # one line per failed lookup

    def lines(self) -> list[str]:
        counts = ", ".join(f"{n} {k}" for k, n in sorted(self.deadlines.items())) or "none"
        return [
            *self.skipped,
            *self.failures,
            f"legal objects: {self.resolved} resolved, {self.not_found} not found; "
            f"deadlines: {counts}",
        ]


def resolve_objects(
    db: sqlite_utils.Database,
    apis: list[LegalApi],
    env: Mapping[str, str],
    fetch: Fetch = get_json,
    refresh_days: float = 7,
    limit: int = 200,
) -> ResolveReport:
    report = ResolveReport()
    for api in apis:
        missing = [name for name in api.requires_env if not env.get(name)]
        due = _due(db, api.resolves, refresh_days, limit)
        if api.slug == "courtlistener-v4":  # only a docket whose court is known
            due = [d for d in due if d[1] != "docket" or courtlistener.split_docket(d[2])]
        if missing:
            note = f"skipped: {api.slug} needs {', '.join(missing)} in the environment"
            report.skipped.append(f"{note} ({len(due)} objects waiting)")
            with db.conn:
                for key, _, _ in due:
                    db.execute(
                        "update legal_objects set resolve_note = ? where key = ? "
                        "and fetched_at is null",
                        [note, key],
                    )
            continue
        headers = {"X-Api-Key": env[KEY_ENV]} if KEY_ENV in api.requires_env else {}
        if TOKEN_ENV in api.requires_env:
            headers = {"Authorization": f"Token {env[TOKEN_ENV]}"}
        if api.per_run is not None and len(due) > api.per_run:
            report.skipped.append(
                f"{api.slug}: {len(due) - api.per_run} objects wait for the next run "
                f"(at most {api.per_run} lookups a run)"
            )
            due = due[: api.per_run]
        for key, kind, canonical_id in due:
            try:
                _resolve_one(db, api, headers, fetch, key, kind, canonical_id, report)
            except ApiError as exc:
                report.failures.append(f"{api.slug}: {kind} {canonical_id}: {exc}")
                if exc.status == 429:  # throttled: stop asking, try again next run
                    report.failures.append(f"{api.slug}: throttled (HTTP 429), stopped")
                    break
                if exc.status is None:  # unreachable: the next object would wait as long
                    report.failures.append(f"{api.slug}: unreachable, stopped")
                    break
    return report


def _due(
    db: sqlite_utils.Database, kinds: tuple[str, ...], refresh_days: float, limit: int
) -> list[tuple[str, str, str]]:
    stale = (datetime.now(UTC) - timedelta(days=refresh_days)).isoformat(timespec="seconds")
    marks = ", ".join("?" for _ in kinds)
    return [
        tuple(row)
        for row in db.execute(
            f"select key, kind, canonical_id from legal_objects where kind in ({marks}) "
            "and (fetched_at is null or fetched_at <= ?) order by first_seen_at limit ?",
            [*kinds, stale, limit],
        ).fetchall()
    ]


def _resolve_one(
    db: sqlite_utils.Database,
    api: LegalApi,
    headers: Mapping[str, str],
    fetch: Fetch,
    key: str,
    kind: str,
    canonical_id: str,
    report: ResolveReport,
) -> None:
    now = now_iso()
    try:
        fields, deadlines, aliases = _lookup(api, headers, fetch, kind, canonical_id, now)
    except NotFound as exc:
        report.not_found += 1
        with db.conn:
            update_object(db, key, {"fetched_at": now, "resolve_note": f"{api.slug}: {exc}"})
        return
    with db.conn:
        if aliases:
            keys = [ensure_object(db, k, i, now=now) for k, i in aliases]
            fields["same_as"] = json.dumps(keys)
        update_object(db, key, fields)
        for deadline in deadlines:
            outcome = record_deadline(db, deadline, now)
            report.deadlines[outcome] = report.deadlines.get(outcome, 0) + 1
    report.resolved += 1


def _lookup(
    api: LegalApi,
    headers: Mapping[str, str],
    fetch: Fetch,
    kind: str,
    canonical_id: str,
    now: str,
) -> tuple[dict[str, Any], list[Deadline], list[tuple[str, str]]]:
    if api.slug == "federal-register-v1":
        if kind == "executive_order":
            number = canonical_id.split()[-1]
            answer = _get(fetch, federal_register.executive_order_url(api.base, number), headers)
            doc = federal_register.pick_executive_order(answer, number)
            if doc is None:
                raise NotFound(f"no executive order {number}")
        else:
            doc = _get(fetch, federal_register.document_url(api.base, canonical_id), headers)
        return federal_register.record(doc, kind, canonical_id, api.slug, now)
    if api.slug == "regulations-gov-v4":
        docket = _get(fetch, regulations_gov.docket_url(api.base, canonical_id), headers)
        documents = _get(fetch, regulations_gov.documents_url(api.base, canonical_id), headers)
        fields, deadlines = regulations_gov.record(docket, documents, canonical_id, api.slug, now)
        return fields, deadlines, []
    if api.slug == "congress-gov-v3":
        parts = congress_gov.split_bill(canonical_id)
        if parts is None:
            raise NotFound("the article gave no date, so the bill's Congress is unknown")
        answer = _get(fetch, congress_gov.bill_url(api.base, *parts), headers)
        fields, aliases = congress_gov.record(answer, *parts, now)
        return fields, [], aliases
    if api.slug == "courtlistener-v4":
        parts = courtlistener.split_docket(canonical_id)
        if parts is None:
            raise NotFound("the article named no court for this docket")
        answer = _get(fetch, courtlistener.docket_url(api.base, *parts), headers)
        try:
            fields, aliases = courtlistener.record(answer, now)
        except LookupError as exc:
            raise NotFound(str(exc)) from None
        return fields, [], aliases
    raise NotFound(f"{api.slug} cannot resolve {kind}")


def _get(fetch: Fetch, url: str, headers: Mapping[str, str]) -> Any:
    try:
        answer = fetch(url, headers)
    except ApiError as exc:
        if exc.status == 404:
            raise NotFound("not found (HTTP 404)") from None
        raise
    if not isinstance(answer, dict):
        raise ApiError("the answer is not a JSON object")
    return answer


def resolve_all(
    db: sqlite_utils.Database,
    apis: list[LegalApi],
    curated: str | Path | None,
    env: Mapping[str, str],
    fetch: Fetch = get_json,
    refresh_days: float = 7,
) -> list[str]:
    """The curated deadlines, then every API: what `aitrack legal-resolve` runs. Returns
    the report's lines (never a key: none is ever in a URL or a message)."""
    lines = []
    if curated:
        outcomes = apply_curated(db, curated)
        counts = ", ".join(f"{n} {k}" for k, n in sorted(outcomes.items())) or "none"
        lines.append(f"curated deadlines ({Path(curated).name}): {counts}")
    report = resolve_objects(db, apis, env, fetch, refresh_days)
    return lines + report.lines()
