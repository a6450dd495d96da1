"""Canonical URLs: one article, one row, whatever tracking junk its links carried."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Parameters that identify a campaign or a click, never the document.
TRACKING_PARAMS = re.compile(
    r"^(utm_\w+|fbclid|gclid|dclid|gbraid|wbraid|msclkid|yclid|mc_cid|mc_eid|_hsenc|_hsmi"
    r"|hsctatracking|igshid|si|ocid|cmpid|cmp|ito|smid|smtyp|ref|ref_src|ref_url|referrer"
    r"|share|taid|guccounter|guce_referrer\w*|mkt_tok|oly_\w+|vero_\w+"
    r"|wt\.\w+|_ga|_gl|ns_\w+|spm|trk|trkCampaign|sr_share|at_\w+|rss_id|feed_id)$",
    re.IGNORECASE,
)
DEFAULT_PORTS = {"http": 80, "https": 443}


def canonicalize_url(url: str) -> str:
    """Normalise a URL so that links to the same article compare equal.

    Lower-cases scheme and host, drops default ports, fragments and tracking
    parameters, and sorts what is left of the query. The path keeps its case: servers
    treat it as case-sensitive.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    netloc = host if port in (None, DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    path = re.sub(r"/{2,}", "/", parts.path) or "/"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not TRACKING_PARAMS.match(k)
    ]
    return urlunsplit((scheme, netloc, path, urlencode(sorted(query)), ""))


def article_id(canonical_url: str) -> str:
    """The stable row id of an article: 16 hex digits of the SHA-256 of its canonical URL."""
    return hashlib.sha256(canonical_url.encode("utf-8")).hexdigest()[:16]
