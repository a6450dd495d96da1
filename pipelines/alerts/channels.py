"""The three channels: e-mail over SMTP, a signed webhook, an Atom feed file.

SMTP settings and webhook secrets are read from the environment when a digest is sent
and go nowhere else: not into the database, the log, an error message or the payload. A
failure raises DeliveryError with a one-line reason naming no secret and no webhook
path (webhook URLs often carry a token), only its host.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import smtplib
import ssl
import urllib.error
import urllib.request
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from urllib.parse import urlsplit

from pipelines.alerts.config import Subscription
from pipelines.atom import Entry, feed_document

SIGNATURE_HEADER = "X-Aitrack-Signature"  # "sha256=" + hex HMAC-SHA256 of the raw body
DELIVERY_HEADER = "X-Aitrack-Delivery"  # the same id when a failed delivery is retried
TIMEOUT = 30.0
TLS_MODES = ("starttls", "ssl", "none")
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}


class DeliveryError(Exception):
    """A digest could not be delivered; the next run sends it again."""


def send_email(
    sub: Subscription, subject: str, text: str, env: Mapping[str, str] | None = None
) -> None:
    """Send the digest to the subscription's recipients through AITRACK_SMTP_HOST."""
    env = os.environ if env is None else env
    host = env.get("AITRACK_SMTP_HOST", "")
    if not host:
        raise DeliveryError("AITRACK_SMTP_HOST is not set")
    tls = (env.get("AITRACK_SMTP_TLS") or "starttls").lower()
    if tls not in TLS_MODES:
        raise DeliveryError(f"AITRACK_SMTP_TLS must be one of {', '.join(TLS_MODES)}")
    try:
        port = int(env.get("AITRACK_SMTP_PORT") or DEFAULT_PORTS[tls])
    except ValueError:
        raise DeliveryError("AITRACK_SMTP_PORT is not a number") from None
    user, password = env.get("AITRACK_SMTP_USER", ""), env.get("AITRACK_SMTP_PASSWORD", "")
    message = EmailMessage()
    message["From"] = env.get("AITRACK_SMTP_FROM") or user or "aitrack@localhost"
    message["To"] = ", ".join(sub.recipients)
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="aitrack")
    message.set_content(text)
    try:
        if tls == "ssl":
            client = smtplib.SMTP_SSL(
                host, port, timeout=TIMEOUT, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(host, port, timeout=TIMEOUT)
        with client:
            if tls == "starttls":
                client.starttls(context=ssl.create_default_context())
            if user:
                client.login(user, password)
            client.send_message(message)
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryError(f"SMTP {host}:{port} refused the login ({exc.smtp_code})") from None
    except smtplib.SMTPException as exc:
        raise DeliveryError(f"SMTP {host}:{port}: {_one_line(exc)}") from None
    except OSError as exc:
        raise DeliveryError(f"SMTP {host}:{port}: {exc.strerror or exc}") from None


def sign(secret: str, body: bytes) -> str:
    """The signature header's value: receivers compute the same and compare."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def send_webhook(
    sub: Subscription, body: bytes, delivery: str, env: Mapping[str, str] | None = None
) -> None:
    """POST the JSON digest, signed with the secret in the subscription's variable."""
    env = os.environ if env is None else env
    secret = env.get(sub.secret_env, "")
    if not secret:
        raise DeliveryError(f"{sub.secret_env} is not set: webhooks are always signed")
    host = urlsplit(sub.url).netloc.rsplit("@", 1)[-1]
    request = urllib.request.Request(
        sub.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "aitrack alerts",
            SIGNATURE_HEADER: sign(secret, body),
            DELIVERY_HEADER: delivery,
        },
    )
    try:
        with _OPENER.open(request, timeout=TIMEOUT) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"webhook at {host} answered HTTP {exc.code}") from None
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise DeliveryError(f"webhook at {host}: {_one_line(reason)}") from None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirected POST would arrive as a bodiless GET, and look delivered: a 3xx is a
    failure to deliver instead (the receiver's address is to be fixed in the file)."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect())


def write_atom(sub: Subscription, title: str, entries: list[Entry]) -> None:
    """Write the subscription's feed file whole (a reader never sees half of it)."""
    path = Path(sub.path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        partial.write_text(
            feed_document(title, f"tag:aitrack,2026:alerts/{sub.name}", entries),
            encoding="utf-8",
        )
        partial.replace(path)
    except OSError as exc:
        raise DeliveryError(f"cannot write {path}: {exc.strerror or exc}") from None


def _one_line(value: object) -> str:
    return " ".join(str(value).split())[:200]
