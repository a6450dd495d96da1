"""Load and validate a sources catalogue (data/sources.yaml).

Sources are data, not code: each entry names a kind of spider and what that spider needs.
Every mistake is reported with the file, the entry and the field, before anything is
fetched, because a cron job that silently skips a misspelt source is worse than one that
refuses to start.
"""

from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from parsel.csstranslator import HTMLTranslator

from pipelines.model import PLACEHOLDER_RE, Api, Listing, Rewrite, Source
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
    "delay_seconds",
    "rewrite",
)
VERIFIED_KEYS = {"level": True, "on": False, "how": False}
# A rewrite's replacement names groups of its pattern as {1}, {name} or {1|upper}
# (PLACEHOLDER_RE): the European Commission's documents API wants "IP/26/1166" for the
# page ip_26_1166.
REWRITE_KEYS = {"pattern": True, "replace": True, "html_field": False}
LISTING_KEYS = {"links": True, "next_page": False, "max_index_pages": False}
API_KEYS = {"items": True, "fields": True, "next_page": False, "follow": False}
API_FIELDS = {"url", "title", "published", "updated", "summary", "author", "kind"}
# Text fields for records that are the article (follow: false), composed into its text
# by crawlers/spiders/api.py; `extra` maps a label to a path ({"Comments close": ...}).
API_TEXT_FIELDS = {"abstract", "agency", "docket", "extra"}


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
    verified, verified_on, verified_how = _parse_verified(entry.get("verified"), fail)

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
    delay = entry.get("delay_seconds")
    if delay is not None and (
        isinstance(delay, bool) or not isinstance(delay, int | float) or not 0 <= delay < 3600
    ):
        raise fail("delay_seconds", f"must be a number of seconds from 0 to 3600, got {delay!r}")
    rewrite = _parse_rewrite(entry["rewrite"], fail) if entry.get("rewrite") is not None else None

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
        verified_on=verified_on,
        verified_how=verified_how,
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
        delay_seconds=float(delay) if delay is not None else None,
        rewrite=rewrite,
    )


def _parse_verified(value: Any, fail) -> tuple[str | None, str | None, str | None]:
    """`verified: {level, on, how}`, or the older bare level (`verified: medium`)."""
    if value is None:
        return None, None, None
    if not isinstance(value, dict):
        value = {"level": value}
    if True in value:  # YAML 1.1 reads a bare `on:` key as the boolean true
        value = {("on" if k is True else k): v for k, v in value.items()}
    block = _check_keys(value, VERIFIED_KEYS, "verified", fail)
    level = block["level"]
    if level not in CONFIDENCE:
        raise fail("verified.level", f"must be one of {', '.join(CONFIDENCE)}; got {level!r}")
    on = block.get("on")
    if on is not None:
        # YAML reads 2026-11-29 as a date; a string must be one too.
        try:
            on = on.isoformat() if isinstance(on, date) else date.fromisoformat(str(on)).isoformat()
        except ValueError:
            raise fail("verified.on", f"must be a date (YYYY-MM-DD), got {on!r}") from None
    how = block.get("how")
    if how is not None and not isinstance(how, str):
        raise fail("verified.how", "must be a string saying what was checked")
    return level, on, how


def _parse_rewrite(block: Any, fail) -> Rewrite:
    block = _check_keys(block, REWRITE_KEYS, "rewrite", fail)
    try:
        pattern = re.compile(block["pattern"])
    except (re.error, TypeError) as exc:
        raise fail("rewrite.pattern", f"not a valid regular expression: {exc}") from None
    replace = block["replace"]
    if not isinstance(replace, str):
        raise fail("rewrite.replace", "must be a URL template string")
    for placeholder in PLACEHOLDER_RE.finditer(replace):
        name = placeholder.group(1)
        known = int(name) <= pattern.groups if name.isdigit() else name in pattern.groupindex
        if not known:
            raise fail("rewrite.replace", f"{{{name}}} is not a group of rewrite.pattern")
    if not re.match(r"^https?://[^/\s{]+", replace):
        raise fail("rewrite.replace", f"must make an http(s) URL, got {replace!r}")
    html_field = block.get("html_field")
    if html_field is not None and (not isinstance(html_field, str) or not html_field):
        raise fail("rewrite.html_field", "must be a dotted path string")
    return Rewrite(pattern=pattern, replace=replace, html_field=html_field)


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
    fields = dict(fields)
    extra = fields.pop("extra", None) or {}
    if not isinstance(extra, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v for k, v in extra.items()
    ):
        raise fail("api.fields.extra", "must map labels to dotted paths")
    known = API_FIELDS | API_TEXT_FIELDS
    for key, value in fields.items():
        if key not in known:
            raise fail(f"api.fields.{key}", f"unknown field; use {', '.join(sorted(known))}")
        if not isinstance(value, str) or not value:
            raise fail(f"api.fields.{key}", "must be a dotted path string")
    if "url" not in fields:
        raise fail("api.fields.url", "missing (required)")
    follow = block.get("follow", True)
    if not isinstance(follow, bool):
        raise fail("api.follow", "must be true or false")
    return Api(
        items=block["items"],
        fields=fields,
        next_page=block.get("next_page"),
        follow=follow,
        extra=tuple(extra.items()),
    )
