"""The catalogue of resolving APIs (data/legal_apis.yaml), validated on load."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from pipelines.legal.mentions import KINDS

HANDLED = {"federal-register-v1", "regulations-gov-v4", "congress-gov-v3", "courtlistener-v4"}


@dataclass(frozen=True)
class LegalApi:
    slug: str
    name: str
    base: str
    resolves: tuple[str, ...]
    requires_env: tuple[str, ...] = ()
    per_run: int | None = None  # at most this many lookups a run (a throttled API)


def load_apis(path: str | Path) -> list[LegalApi]:
    """The APIs of a catalogue file; ValueError naming the file, entry and field."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"{path}: cannot read: {exc}") from None
    apis = []
    for n, entry in enumerate(data.get("apis") or [], 1):
        where = f"{path}: entry {n}"
        if not isinstance(entry, dict):
            raise ValueError(f"{where}: not a mapping")
        slug = entry.get("slug")
        if slug not in HANDLED:
            raise ValueError(f"{where}: slug {slug!r} is not one aitrack can resolve with")
        if entry.get("kind") != "api":
            raise ValueError(f"{where} ({slug}): kind must be api")
        urls = entry.get("urls") or []
        if not urls or not str(urls[0]).startswith(("http://", "https://")):
            raise ValueError(f"{where} ({slug}): urls[0] must be the API's http(s) base")
        resolves = tuple(entry.get("resolves") or ())
        unknown = [k for k in resolves if k not in KINDS]
        if not resolves or unknown:
            raise ValueError(f"{where} ({slug}): resolves: unknown kinds {unknown}")
        apis.append(
            LegalApi(
                slug,
                str(entry.get("name") or slug),
                str(urls[0]),
                resolves,
                tuple(entry.get("requires_env") or ()),
                int(entry["per_run"]) if entry.get("per_run") else None,
            )
        )
    return apis
