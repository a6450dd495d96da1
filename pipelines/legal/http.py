"""JSON over HTTP for the resolvers: plain urllib, a timeout, one clear reason on failure.

Keys travel in headers only, never in a URL, so a URL in a message or a row is safe."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

USER_AGENT = "aitrack/0.1 (legal object resolver; +https://github.com/aitrack)"
Fetch = Callable[[str, Mapping[str, str]], Any]


class ApiError(Exception):
    """An API did not answer usefully; `status` is the HTTP status when there was one."""

    def __init__(self, reason: str, status: int | None = None) -> None:
        super().__init__(reason)
        self.status = status


def get_json(url: str, headers: Mapping[str, str], timeout: float = 20.0) -> Any:
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, **headers})
    # A local server (the demo's fixtures, the tests') is reached directly, whatever proxy
    # the environment names.
    local = urllib.parse.urlsplit(url).hostname in ("127.0.0.1", "localhost", "::1")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({})) if local else None
    try:
        with (opener.open if opener else urllib.request.urlopen)(
            request, timeout=timeout
        ) as response:
            body = response.read()
    except urllib.error.HTTPError as exc:
        raise ApiError(f"HTTP {exc.code}", exc.code) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ApiError(f"unreachable ({reason})") from None
    try:
        return json.loads(body)
    except ValueError:
        raise ApiError("the answer is not JSON") from None
