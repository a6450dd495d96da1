"""Keys from the environment: put into requests, kept out of everything else.

A source may write `${NAME}` in its URLs and headers (an api.data.gov key, a
CourtListener token). `Source` keeps those templates, and only the spider expands them,
when it builds a request. Everything a crawl stores, logs or archives goes through a
`Redactor`, which puts `${NAME}` back wherever a value shows up, as written or URL-encoded:
servers echo keys (api.data.gov's `next` links repeat `api_key=...`), and Scrapy logs the
URLs it fetches. The database is published, so a key in it is a key given away.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, quote_plus

ENV_RE = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)\}")
# What w3lib's safe_url_string (Scrapy's Request) leaves unescaped in a URL.
_URL_SAFE = "!#$%&'()*+,/:;=?@[]~"
_PERCENT_RE = re.compile(r"%[0-9A-F]{2}")


def expand(template: str, values: Mapping[str, str]) -> str:
    """`template` with each `${NAME}` in `values` replaced by its value."""
    return ENV_RE.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def referenced(templates: Iterable[str]) -> list[str]:
    """The names the templates refer to, in order of first use."""
    names: dict[str, None] = {}
    for template in templates:
        for match in ENV_RE.finditer(template):
            names.setdefault(match.group(1))
    return list(names)


def _forms(value: str) -> set[str]:
    """How a value can appear: as is, and URL-encoded the ways clients and servers do
    (with upper- or lower-case hex digits)."""
    forms = {value, quote(value, safe=""), quote_plus(value, safe=""), quote(value, safe=_URL_SAFE)}
    forms |= {_PERCENT_RE.sub(lambda m: m.group(0).lower(), f) for f in forms}
    return {f for f in forms if f}


class Redactor:
    """Replaces every secret value, in each of its forms, by its `${NAME}`.

    Every value is a secret, however short: one taken from the environment is replaced
    wherever it occurs, even if that makes a log line odd, rather than risk it.
    """

    def __init__(self, secrets: Mapping[str, str] | None = None) -> None:
        placeholders: dict[str, str] = {}
        for name, value in (secrets or {}).items():
            for form in _forms(value or ""):
                placeholders.setdefault(form, "${" + name + "}")
        # Longest first, so a value that contains another is replaced whole.
        ordered = sorted(placeholders, key=len, reverse=True)
        self._text = re.compile("|".join(map(re.escape, ordered))) if ordered else None
        self._bytes = (
            re.compile(b"|".join(re.escape(f.encode()) for f in ordered)) if ordered else None
        )
        self._placeholders = placeholders

    def __bool__(self) -> bool:
        return self._text is not None

    def __call__(self, text: str) -> str:
        if self._text is None or not text:
            return text
        return self._text.sub(lambda m: self._placeholders[m.group(0)], text)

    def redact_bytes(self, data: bytes) -> bytes:
        """The same for a body or a header as bytes (its UTF-8 or ASCII forms)."""
        if self._bytes is None or not data:
            return data
        return self._bytes.sub(lambda m: self._placeholders[m.group(0).decode()].encode(), data)


_FORMATTER = logging.Formatter()


def redact_logs(sources: Iterable[Any]) -> Redactor:
    """Redact the secrets of `sources` (each `Source.secrets`) from every log record of
    this process from now on, whatever handler prints it. Returns the redactor.

    A record factory rather than a handler filter: Scrapy replaces the root handler for
    each crawler it starts, and Twisted, warnings and Scrapy all log through the
    factory. Each record's message is formatted (`msg % args`) and redacted once, and
    its traceback is formatted and redacted into `exc_text`, which formatters print
    instead of formatting the exception again. Installing again replaces the redactor.
    """
    global _redactor
    secrets: dict[str, str] = {}
    for source in sources:
        secrets.update(getattr(source, "secrets", {}) or {})
    _redactor = Redactor(secrets)
    if getattr(logging.getLogRecordFactory(), "_aitrack_redacting", False):
        return _redactor
    make = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        if not _redactor:
            return record
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep what there is, redacted
            message = f"{record.msg!r} {record.args!r}"
        record.msg, record.args = _redactor(message), None
        if record.exc_info:
            if not record.exc_text:
                record.exc_text = _FORMATTER.formatException(record.exc_info)
            record.exc_info = None  # so that no handler formats the raw exception again
        if record.exc_text:
            record.exc_text = _redactor(record.exc_text)
        if record.stack_info:
            record.stack_info = _redactor(record.stack_info)
        return record

    factory._aitrack_redacting = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
    return _redactor


_redactor = Redactor()
