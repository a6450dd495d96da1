"""`aitrack crawl -s NAME=VALUE`: names and values checked before anything is fetched.

Scrapy takes any name (a typo is silently ignored) and converts a value only when a
component reads it, so `-s AITRACK_WORKERS=abc` failed deep inside the crawl as an
unhandled Deferred error. Here a name must be one of Scrapy's settings or ours, and a
value is converted to the type of the setting's default now, or refused in one line.
"""

from __future__ import annotations

import json
from typing import Any

from scrapy.settings import default_settings

from crawlers import settings as our_settings

# Scrapy defaults that are whole numbers but are read with getfloat(): 0.5 is fine.
FRACTIONAL = {"DNS_TIMEOUT", "DOWNLOAD_DELAY", "DOWNLOAD_TIMEOUT"}
# Set by the runner for each run; an override would point the run at the wrong file.
PER_RUN = {
    "AITRACK_DB": "use --db",
    "AITRACK_RUN_ID": "it is set for each run",
    "AITRACK_FRONTIER": "use --frontier",
}
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
TRUE, FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


class OverrideError(ValueError):
    """An override that names no setting, or whose value the setting cannot take."""


def known_settings() -> dict[str, Any]:
    """Every setting name we accept, with its default (ours over Scrapy's)."""
    names: dict[str, Any] = {}
    for module in (default_settings, our_settings):
        for name in dir(module):
            if name.isupper() and not name.startswith("_"):
                names[name] = getattr(module, name)
    return names


def parse_overrides(assignments: list[str]) -> dict[str, Any]:
    """Settings from NAME=VALUE strings, converted. Raises OverrideError naming the bad one."""
    known = known_settings()
    result: dict[str, Any] = {}
    for assignment in assignments:
        name, sep, raw = assignment.partition("=")
        name = name.strip()
        if not sep or not name:
            raise OverrideError(f"--set expects NAME=VALUE, got {assignment!r}")
        if name not in known:
            raise OverrideError(f"-s {name}: no such setting (a typo?)")
        if name in PER_RUN:
            raise OverrideError(f"-s {name}: cannot be overridden, {PER_RUN[name]}")
        try:
            result[name] = convert(name, raw, known[name])
        except ValueError as exc:
            raise OverrideError(f"-s {name}={raw}: {exc}") from None
    return result


def convert(name: str, raw: str, default: Any) -> Any:
    """`raw` as the setting needs it; ValueError says what was expected."""
    if name in AITRACK_CHECKS:
        return AITRACK_CHECKS[name](raw)
    if name == "LOG_LEVEL":
        if raw.strip().upper() not in LOG_LEVELS:
            raise ValueError(f"expected one of {', '.join(LOG_LEVELS)}")
        return raw.strip().upper()
    if isinstance(default, bool):  # before int: bool is an int
        return _bool(raw)
    if isinstance(default, int) and name not in FRACTIONAL:
        return _number(raw, int, "a whole number")
    if isinstance(default, int | float):
        return _number(raw, float, "a number")
    if isinstance(default, list | tuple):
        return _list(raw)
    if isinstance(default, dict):
        value = _json(raw, "a JSON object")
        if not isinstance(value, dict):
            raise ValueError('expected a JSON object, e.g. {"name": 100}')
        return value
    return raw  # strings, and settings with no default: taken as written


def _bool(raw: str) -> bool:
    text = raw.strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise ValueError("expected true or false (or 1/0, yes/no, on/off)")


def _number(raw: str, kind: type, what: str) -> Any:
    try:
        return kind(raw.strip())
    except ValueError:
        raise ValueError(f"expected {what}") from None


def _at_least(kind: type, minimum: float, what: str) -> Any:
    def check(raw: str) -> Any:
        value = _number(raw, kind, what)
        if value < minimum:
            raise ValueError(f"expected {what} of {minimum} or more")
        return value

    return check


def _list(raw: str) -> list[Any]:
    """A JSON list, or comma-separated values as Scrapy's getlist() reads them."""
    if raw.strip().startswith("["):
        value = _json(raw, "a JSON list")
        if not isinstance(value, list):
            raise ValueError("expected a JSON list")
        return value
    return [part.strip() for part in raw.split(",") if part.strip()]


def _json(raw: str, what: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        raise ValueError(f"expected {what} in JSON") from None


def _proxy(raw: str) -> str:
    if not raw.startswith(("http://", "https://")):
        raise ValueError("expected a proxy URL, e.g. http://127.0.0.1:3128")
    return raw


def _workers(raw: str) -> str | int:
    if raw.strip().lower() == "auto":
        return "auto"
    try:
        return _at_least(int, 0, "a whole number")(raw)
    except ValueError:
        raise ValueError("expected auto or a whole number of 0 or more") from None


AITRACK_CHECKS = {
    "AITRACK_WORKERS": _workers,
    "AITRACK_FLAG_EMPTY_RUNS": _at_least(int, 1, "a whole number"),
    "AITRACK_FLAG_FAILED_RUNS": _at_least(int, 1, "a whole number"),
    "AITRACK_RETRY_AFTER_MAX": _at_least(float, 0, "a number of seconds"),
    "AITRACK_DB_BUSY_TIMEOUT": _at_least(float, 0, "a number of seconds"),
    "AITRACK_DB_BATCH": _at_least(int, 1, "a whole number"),
    "AITRACK_DB_BATCH_SECONDS": _at_least(float, 0, "a number of seconds"),
    "AITRACK_ARCHIVE_DIR": str,
    "AITRACK_WRITER_QUEUE": _at_least(int, 1, "a whole number"),
    "AITRACK_STOP_GRACE": _at_least(float, 0, "a number of seconds"),
    "AITRACK_PROXY": _proxy,
    "AITRACK_LEASE_SECONDS": _at_least(float, 1, "a number of seconds"),
    "AITRACK_STREAM_BACKLOG": _at_least(int, 1, "a whole number"),
}
