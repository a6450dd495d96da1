"""The subscriptions file (data/alerts.yaml): read and checked before anything is sent.

Only the file says who receives what; SMTP credentials and webhook secrets come from the
environment at send time (channels.py) and are never read from here, stored or logged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

FOLLOW_KINDS = ("search", "topic", "entity", "story", "legal_object")
CHANNELS = ("email", "webhook", "atom")
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
EMAIL = re.compile(r"^[^@\s,<>]+@[^@\s,<>]+\.[^@\s,<>]+$")
ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")


class AlertsConfigError(Exception):
    """A bad subscriptions file: the message names the file, the entry and the field."""


@dataclass(frozen=True)
class Subscription:
    name: str
    kind: str  # one of FOLLOW_KINDS
    value: str  # the search text, topic slug, entity name, story id or legal object id
    channel: str  # one of CHANNELS
    recipients: tuple[str, ...] = ()  # email
    url: str = ""  # webhook
    secret_env: str = "AITRACK_WEBHOOK_SECRET"  # webhook: the variable holding the key
    path: str = ""  # atom: the feed file written

    @property
    def follow(self) -> str:
        return f"{self.kind}:{self.value}"


@dataclass
class AlertsConfig:
    site: str  # the site's address, for links to our article pages
    subscriptions: list[Subscription] = field(default_factory=list)


def load_alerts(path: str | Path) -> AlertsConfig:
    """Read and check the file; raise AlertsConfigError with one clear line."""
    path = Path(path)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise AlertsConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise AlertsConfigError(f"{path}: not YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(doc, dict):
        raise AlertsConfigError(f"{path}: expected a mapping with `subscriptions:`")
    site = str(doc.get("site") or "http://127.0.0.1:8001").rstrip("/")
    if not site.startswith(("http://", "https://")):
        raise AlertsConfigError(f"{path}: site: must be an http(s) address, not {site!r}")
    entries = doc.get("subscriptions") or []
    if not isinstance(entries, list):
        raise AlertsConfigError(f"{path}: subscriptions: must be a list")
    subs, seen = [], set()
    for index, entry in enumerate(entries, 1):
        sub = _subscription(entry, f"{path}: subscription {index}")
        if sub.name in seen:
            raise AlertsConfigError(f"{path}: subscription {index}: name {sub.name!r} repeated")
        seen.add(sub.name)
        subs.append(sub)
    return AlertsConfig(site=site, subscriptions=subs)


def _subscription(entry: Any, where: str) -> Subscription:
    if not isinstance(entry, dict):
        raise AlertsConfigError(f"{where}: expected a mapping")
    name = str(entry.get("name") or "")
    if not NAME.match(name):
        raise AlertsConfigError(f"{where}: name: lower-case letters, digits, - and _ only")
    where = f"{where} ({name})"
    follow = entry.get("follow")
    if not isinstance(follow, dict) or len(follow) != 1:
        raise AlertsConfigError(
            f"{where}: follow: one of {', '.join(FOLLOW_KINDS)}, e.g. follow: {{topic: labor}}"
        )
    kind, value = next(iter(follow.items()))
    if kind not in FOLLOW_KINDS:
        kinds = ", ".join(FOLLOW_KINDS)
        raise AlertsConfigError(f"{where}: follow: {kind!r} is not one of {kinds}")
    value = " ".join(str(value or "").split())
    if not value:
        raise AlertsConfigError(f"{where}: follow: {kind} needs a value")
    channel = entry.get("channel")
    if channel not in CHANNELS:
        raise AlertsConfigError(f"{where}: channel: one of {', '.join(CHANNELS)}")
    fields: dict[str, Any] = {}
    if channel == "email":
        recipients = entry.get("recipients")
        recipients = [recipients] if isinstance(recipients, str) else recipients
        if not recipients or not all(isinstance(r, str) and EMAIL.match(r) for r in recipients):
            raise AlertsConfigError(f"{where}: recipients: a list of e-mail addresses")
        fields["recipients"] = tuple(recipients)
    elif channel == "webhook":
        url = str(entry.get("url") or "")
        if not url.startswith(("http://", "https://")):
            raise AlertsConfigError(f"{where}: url: an http(s) address for the webhook")
        secret_env = str(entry.get("secret_env") or "AITRACK_WEBHOOK_SECRET")
        if not ENV_NAME.match(secret_env):
            raise AlertsConfigError(f"{where}: secret_env: the NAME of an environment variable")
        fields.update(url=url, secret_env=secret_env)
    else:
        fields["path"] = str(entry.get("path") or f"data/alerts/{name}.atom")
    return Subscription(name=name, kind=kind, value=str(value), channel=channel, **fields)
