"""Load and validate a sources catalogue (data/sources.yaml).

Sources are data, not code: each entry names a kind of spider and what that spider needs.
Every mistake is reported with the file, the entry and the field, before anything is
fetched, because a cron job that silently skips a misspelt source is worse than one that
refuses to start.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import yaml
from parsel.csstranslator import HTMLTranslator

from pipelines.model import Api, Listing, Source
from pipelines.redaction import expand, referenced

KINDS = ("feed", "sitemap", "listing", "api")
CATEGORIES = ("news", "government", "court", "union", "aggregator")
CONFIDENCE = ("high", "medium", "low")
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")

REQUIRED = ("slug", "name", "kind", "urls", "publisher", "category", "jurisdiction")
OPTIONAL = (
    "language",
    "verified",
    "notes",
    "refresh_hours",
    "max_pages",
    "requires_env",
    "headers",
    "allow",
    "enabled",
    "listing",
    "api",
)
LISTING_KEYS = {"links": True, "next_page": False, "max_index_pages": False}
API_KEYS = {"items": True, "fields": True, "next_page": False, "follow": False}
API_FIELDS = {"url", "title", "published", "updated", "summary", "author", "kind"}


__all__ = ["Api", "Listing", "Source", "SourcesError", "load_sources", "select_sources"]


class SourcesError(ValueError):
    """A sources file that cannot be used; the message names file, entry and field."""


def load_sources(path: str | Path, env: dict[str, str] | None = None) -> list[Source]:
    """Read and validate a sources file. Raises SourcesError naming file, entry and field.

    `${NAME}` in URLs and headers must be set in the environment; the source keeps the
    templates and the values apart (see `Source`), and no error message shows a value.
    A source whose `requires_env` variables are unset is returned disabled rather than
    failing, so that keyed APIs stay in the catalogue for those who have a key.
    """
    path = Path(path)
    env = dict(os.environ) if env is None else env
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SourcesError(f"{path}: cannot read the sources file ({exc.strerror})") from None
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise SourcesError(f"{path}: not valid YAML{where}: {problem}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("sources"), list):
        raise SourcesError(f"{path}: expected a top-level 'sources:' list of entries")
    sources: list[Source] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(doc["sources"], start=1):
        source = _parse_entry(path, index, entry, env)
        if source.slug in seen:
            raise _error(
                path,
                index,
                source.slug,
                "slug",
                f"duplicate slug, already used by entry {seen[source.slug]}",
            )
        seen[source.slug] = index
        sources.append(source)
    if not sources:
        raise SourcesError(f"{path}: the 'sources:' list is empty")
    return sources


def select_sources(sources: list[Source], slugs: list[str] | None) -> list[Source]:
    """The sources named by `slugs` (all of them when None); an unknown slug is an error."""
    if not slugs:
        return sources
    by_slug = {s.slug: s for s in sources}
    unknown = [s for s in slugs if s not in by_slug]
    if unknown:
        raise SourcesError(f"unknown source slug(s): {', '.join(unknown)}")
    return [by_slug[s] for s in slugs]


def _error(path: Path, index: int, slug: str | None, field_name: str, msg: str) -> SourcesError:
    who = f"entry {index}" + (f" ({slug})" if slug else "")
    return SourcesError(f"{path}: {who}, field '{field_name}': {msg}")


def _parse_entry(path: Path, index: int, entry: Any, env: dict[str, str]) -> Source:
    if not isinstance(entry, dict):
        raise SourcesError(f"{path}: entry {index}: expected a mapping of fields")
    slug = entry.get("slug") if isinstance(entry.get("slug"), str) else None

    def fail(field_name: str, msg: str) -> SourcesError:
        return _error(path, index, slug, field_name, msg)

    for key in entry:
        if key not in REQUIRED and key not in OPTIONAL and key != "url":
            raise fail(str(key), "unknown field")
    if "url" in entry and "urls" not in entry:
        entry = {**entry, "urls": [entry["url"]]}
        del entry["url"]
    for key in REQUIRED:
        if entry.get(key) in (None, "", []):
            raise fail(key, "missing (required)")
    for key in ("slug", "name", "kind", "publisher", "category", "jurisdiction"):
        if not isinstance(entry[key], str):
            raise fail(key, f"must be a string, got {type(entry[key]).__name__}")
    if not SLUG_RE.match(slug or ""):
        raise fail("slug", f"must be lowercase letters, digits and hyphens, got {slug!r}")
    if entry["kind"] not in KINDS:
        raise fail("kind", f"must be one of {', '.join(KINDS)}; got {entry['kind']!r}")
    if entry["category"] not in CATEGORIES:
        raise fail("category", f"must be one of {', '.join(CATEGORIES)}; got {entry['category']!r}")
    verified = entry.get("verified")
    if verified is not None and verified not in CONFIDENCE:
        raise fail("verified", f"must be one of {', '.join(CONFIDENCE)}; got {verified!r}")

    requires_env = entry.get("requires_env") or []
    if not isinstance(requires_env, list) or not all(isinstance(v, str) for v in requires_env):
        raise fail("requires_env", "must be a list of environment variable names")
    missing_env = [name for name in requires_env if not env.get(name)]
    disabled_reason = f"needs {', '.join(missing_env)} set" if missing_env else None

    urls = entry["urls"]
    if isinstance(urls, str):
        urls = [urls]
    if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
        raise fail("urls", "must be a URL or a list of URLs")
    headers = entry.get("headers") or {}
    if not isinstance(headers, dict):
        raise fail("headers", "must be a mapping of header names to values")
    headers = {str(k): str(v) for k, v in headers.items()}

    secrets: dict[str, str] = {}
    for field_name, templates in (("urls", urls), ("headers", list(headers.values()))):
        for name in referenced(templates):
            if env.get(name):
                secrets[name] = env[name]
            elif name not in requires_env:  # a required one disables the source instead
                raise fail(field_name, f"environment variable {name} is not set")
    for url in urls:
        # Checked as it will be requested; reported as written, never with a value.
        if not re.match(r"^https?://[^/\s]+", expand(url, secrets)):
            raise fail("urls", f"not an http(s) URL: {url!r}")

    allow = entry.get("allow")
    if allow is not None:
        try:
            re.compile(allow)
        except (re.error, TypeError) as exc:
            raise fail("allow", f"not a valid regular expression: {exc}") from None

    for key, kind_needing in (("listing", "listing"), ("api", "api")):
        if entry["kind"] == kind_needing and not entry.get(key):
            raise fail(key, f"required for kind '{kind_needing}'")
        if entry.get(key) and entry["kind"] != kind_needing:
            raise fail(key, f"only allowed for kind '{kind_needing}'")

    listing = _parse_listing(entry["listing"], fail) if entry.get("listing") else None
    api = _parse_api(entry["api"], fail) if entry.get("api") else None

    numbers = {}
    for key, default in (("refresh_hours", 24.0), ("max_pages", 500)):
        value = entry.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise fail(key, f"must be a positive number, got {value!r}")
        numbers[key] = value
    enabled = entry.get("enabled", True)
    if not isinstance(enabled, bool):
        raise fail("enabled", "must be true or false")

    return Source(
        slug=slug or "",
        name=entry["name"],
        kind=entry["kind"],
        urls=tuple(urls),
        publisher=entry["publisher"],
        category=entry["category"],
        jurisdiction=entry["jurisdiction"],
        language=str(entry.get("language") or "en"),
        verified=verified,
        notes=entry.get("notes"),
        refresh_hours=float(numbers["refresh_hours"]),
        max_pages=int(numbers["max_pages"]),
        requires_env=tuple(requires_env),
        headers=headers,
        allow=allow,
        enabled=enabled,
        disabled_reason=disabled_reason,
        listing=listing,
        api=api,
        secrets=secrets,
    )


def _check_keys(block: Any, known: dict[str, bool], prefix: str, fail) -> dict:
    if not isinstance(block, dict):
        raise fail(prefix, "must be a mapping")
    for key in block:
        if key not in known:
            raise fail(f"{prefix}.{key}", "unknown field")
    for key, required in known.items():
        if required and not block.get(key):
            raise fail(f"{prefix}.{key}", "missing (required)")
    return block


def _check_selector(selector: Any, field_name: str, fail) -> str:
    if not isinstance(selector, str):
        raise fail(field_name, "must be a CSS selector string")
    try:
        HTMLTranslator().css_to_xpath(selector)
    except Exception as exc:  # cssselect raises several types; all mean "bad selector"
        raise fail(field_name, f"not a valid CSS selector: {exc}") from None
    return selector


def _parse_listing(block: Any, fail) -> Listing:
    block = _check_keys(block, LISTING_KEYS, "listing", fail)
    links = _check_selector(block["links"], "listing.links", fail)
    next_page = block.get("next_page")
    if next_page is not None:
        _check_selector(next_page, "listing.next_page", fail)
    pages = block.get("max_index_pages", 5)
    if isinstance(pages, bool) or not isinstance(pages, int) or pages < 1:
        raise fail("listing.max_index_pages", f"must be a positive integer, got {pages!r}")
    return Listing(links=links, next_page=next_page, max_index_pages=pages)


def _parse_api(block: Any, fail) -> Api:
    block = _check_keys(block, API_KEYS, "api", fail)
    fields = block["fields"]
    if not isinstance(fields, dict):
        raise fail("api.fields", "must map our field names to dotted paths")
    for key, value in fields.items():
        if key not in API_FIELDS:
            raise fail(f"api.fields.{key}", f"unknown field; use {', '.join(sorted(API_FIELDS))}")
        if not isinstance(value, str) or not value:
            raise fail(f"api.fields.{key}", "must be a dotted path string")
    if "url" not in fields:
        raise fail("api.fields.url", "missing (required)")
    follow = block.get("follow", True)
    if not isinstance(follow, bool):
        raise fail("api.follow", "must be true or false")
    return Api(
        items=block["items"], fields=dict(fields), next_page=block.get("next_page"), follow=follow
    )
