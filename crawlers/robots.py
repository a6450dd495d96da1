"""robots.txt: one policy for `aitrack sources check` and for the crawl.

Both read a host's robots.txt with Protego (Scrapy's default parser) as aitrack's user
agent, and both decide by the answer's status as RFC 9309 (section 2.3.1) says:

- 2xx: the file is parsed (at most its first 500 KiB, the least the RFC asks for);
- 4xx other than 429: there is no policy, everything is allowed;
- 5xx, 429, or no answer at all: the file is "unreachable", which the RFC says means
  complete disallow. We keep that for the rest of the run and ask again next run.

A refusal is one line naming the rule that refused (`Disallow: /rss/search`), so an
operator can see why a source yields nothing. A host's `Crawl-delay` for our user agent
is handed to the crawl's per-host limiter through `crawler.aitrack_on_crawl_delay`
(when a run installs one) and applied to this crawler's download slot for the host.
"""

from __future__ import annotations

import logging
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from protego import Protego
from scrapy import signals
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

MAX_ROBOTS_BYTES = 500 * 1024
PARSED, ALLOW_ALL, DISALLOW_ALL = "parsed", "allow-all", "disallow-all"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RobotsPolicy:
    """What one host's robots.txt allows. Also a Scrapy RobotParser (allowed,
    crawl_delay), so Scrapy's `robots_parsed` signal carries it as it carries Protego."""

    url: str  # the robots.txt address
    outcome: str  # parsed | allow-all | disallow-all
    why: str  # what came back, in a few words ("HTTP 403", "connection refused")
    parser: Protego | None = None
    # The exception when robots.txt got no answer at all: the host itself is down.
    cause: BaseException | None = None

    def refusal(self, url: str, user_agent: str) -> str | None:
        """None when `user_agent` may fetch `url`; otherwise why not, in one line."""
        if self.outcome == ALLOW_ALL:
            return None
        if self.outcome == DISALLOW_ALL:
            return (
                f"refused by robots.txt: {self.url} is unreachable ({self.why}), which "
                "RFC 9309 treats as disallowing everything; asked again next run"
            )
        assert self.parser is not None
        if self.parser.can_fetch(url, user_agent):
            return None
        return f"refused by robots.txt: {matching_rule(self.parser, url, user_agent)}"

    def allowed(self, url: str | bytes, user_agent: str | bytes) -> bool:
        return self.refusal(_text(url), _text(user_agent)) is None

    def crawl_delay(self, user_agent: str | bytes) -> float | None:
        if self.parser is None:
            return None
        delay = self.parser.crawl_delay(_text(user_agent))
        return float(delay) if delay is not None else None


def robots_url(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/robots.txt"


def known_refusal(url: str, user_agent: str, path: Any = None) -> str | None:
    """Why a host's robots.txt, as cited in data/robots_forbidden.yaml, refuses `url` to
    `user_agent`; None when the host is not listed there or allows it. For clients that
    do not go through the crawl's middleware (the legal resolvers), read offline."""
    import yaml

    from crawlers import DATA

    hosts = yaml.safe_load(Path(path or DATA / "robots_forbidden.yaml").read_text("utf-8"))
    host = urlsplit(url).hostname or ""
    for entry in (hosts or {}).get("hosts") or []:
        if entry.get("host") == host:
            robots = f"https://{host}/robots.txt"
            return policy_from_answer(robots, 200, entry["rules"].encode()).refusal(url, user_agent)
    return None


def policy_from_answer(url: str, status: int, body: bytes) -> RobotsPolicy:
    """The policy a robots.txt answer with this status and body sets (RFC 9309 2.3.1)."""
    if 200 <= status < 300:
        text = body[:MAX_ROBOTS_BYTES].decode("utf-8", errors="ignore")
        return RobotsPolicy(url, PARSED, f"HTTP {status}", Protego.parse(text))
    if 400 <= status < 500 and status != 429:
        return RobotsPolicy(url, ALLOW_ALL, f"HTTP {status}, so no rules apply")
    if status == 429 or status >= 500:
        return RobotsPolicy(url, DISALLOW_ALL, f"HTTP {status}")
    # A 3xx still standing after the redirects were followed: "unavailable", like a 4xx.
    return RobotsPolicy(url, ALLOW_ALL, f"HTTP {status} after redirects, so no rules apply")


def policy_unreachable(url: str, why: str, cause: BaseException | None = None) -> RobotsPolicy:
    """No answer at all (refused, timed out, no DNS): complete disallow for this run."""
    return RobotsPolicy(url, DISALLOW_ALL, why, cause=cause)


def matching_rule(parser: Protego, url: str, user_agent: str) -> str:
    """The rule that decides `url` for `user_agent`, as written in robots.txt terms.

    Protego only answers yes or no. This walks its rules the way its `can_fetch` does
    (longest pattern first, Allow winning a tie); those are private attributes, so a
    Protego upgrade that renames them gives a generic answer, never a crash, and
    tests/test_robots.py notices.
    """
    try:
        from protego._utils import _quote_path

        rule_set = parser._get_matching_rule_set(user_agent)
        quoted = _quote_path(url)
        for rule in rule_set._rules:
            if rule.value.match(quoted):
                return f"{rule.field.capitalize()}: {rule.value._pattern}"
    except (AttributeError, ImportError, TypeError):
        pass
    return "Disallow (the rule could not be identified)"


def fetch_policy(url: str, user_agent: str, timeout: float = 15.0) -> RobotsPolicy:
    """Fetch and read the robots.txt of `url`'s host with urllib (for `sources check`)."""
    address = robots_url(url)
    request = urllib.request.Request(address, headers={"User-Agent": user_agent})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return policy_from_answer(address, response.status, response.read(MAX_ROBOTS_BYTES))
    except urllib.error.HTTPError as exc:
        return policy_from_answer(address, exc.code, b"")
    except (TimeoutError, urllib.error.URLError, OSError) as exc:
        return policy_unreachable(address, str(getattr(exc, "reason", exc)), exc)


def _text(value: str | bytes) -> str:
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else value


class RobotsRefusal(IgnoreRequest):
    """A request robots.txt does not allow. `cause` is set when robots.txt got no answer
    at all, so the spider can report the host as down rather than as forbidding."""

    def __init__(self, message: str, cause: BaseException | None = None) -> None:
        super().__init__(message)
        self.cause = cause


class RobotsPolicyMiddleware(RobotsTxtMiddleware):
    """Scrapy's RobotsTxtMiddleware with the RFC 9309 status policy, refusals that name
    their rule, no traceback when robots.txt cannot be fetched, and Crawl-delay.

    Scrapy 2.19's own middleware treats a robots.txt it could not download as allowing
    everything and parses whatever body a 403 or 500 came with; see the module docstring
    for what we do instead. Registered at 100 in settings.py in place of Scrapy's.
    """

    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        self._crawl_delays: dict[str, float] = {}  # netloc -> seconds

    async def robot_parser(self, request: Request) -> RobotsPolicy:  # type: ignore[override]
        url = urlparse_cached(request)
        netloc = url.netloc
        if netloc not in self._parsers:
            self._parsers[netloc] = Deferred()
            address = f"{url.scheme}://{netloc}/robots.txt"
            robots_request = Request(
                address,
                priority=self.DOWNLOAD_PRIORITY,
                meta={"dont_obey_robotstxt": True, "aitrack_role": "robots"},
                callback=NO_CALLBACK,
            )
            try:
                response = await self.crawler.engine.download_async(robots_request)
                policy = policy_from_answer(address, response.status, response.body)
                self._stats.inc_value("robotstxt/response_count")
                self._stats.inc_value(f"robotstxt/response_status_count/{response.status}")
            except IgnoreRequest as exc:  # e.g. too many redirects: "unavailable" (RFC 9309)
                policy = RobotsPolicy(address, ALLOW_ALL, f"not fetched: {exc}")
            except Exception as exc:  # no answer at all; the spider reports it per request
                policy = policy_unreachable(address, _describe(exc), exc)
                self._stats.inc_value(f"robotstxt/exception_count/{type(exc).__name__}")
            self._stats.inc_value("robotstxt/request_count")
            self._settle(netloc, policy, request)
        parser = self._parsers[netloc]
        if isinstance(parser, Deferred):
            return await maybe_deferred_to_future(parser)
        return parser  # type: ignore[return-value]

    def _settle(self, netloc: str, policy: RobotsPolicy, request: Request) -> None:
        waiting = self._parsers[netloc]
        self._parsers[netloc] = policy  # type: ignore[assignment]
        if policy.outcome == DISALLOW_ALL:
            log.warning(
                "%s: no usable answer (%s); nothing else is fetched from %s in this run",
                policy.url,
                policy.why,
                netloc,
            )
        delay = policy.crawl_delay(self._user_agent(request))
        if delay:
            self._crawl_delays[netloc] = delay
            self._stats.set_value(f"aitrack/crawl_delay/{netloc}", delay)
            log.info("%s asks for a Crawl-delay of %gs", policy.url, delay)
        assert isinstance(waiting, Deferred)
        waiting.callback(policy)  # before the hook: a failing hook must not stall the host
        self.crawler.signals.send_catch_log(
            signal=signals.robots_parsed, robotparser=policy, request=request
        )
        hook = getattr(self.crawler, "aitrack_on_crawl_delay", None)
        if delay and hook is not None:
            try:
                hook(netloc, delay)
            except Exception:
                log.exception("the Crawl-delay hook failed for %s", netloc)

    def process_request_2(self, rp: Any, request: Request) -> None:
        if rp is None:
            return
        refusal = rp.refusal(request.url, self._user_agent(request))
        if refusal:
            self._stats.inc_value("robotstxt/forbidden")
            raise RobotsRefusal(refusal, rp.cause)
        self._keep_crawl_delay(request)

    def _user_agent(self, request: Request) -> str:
        agent = self._robotstxt_useragent or request.headers.get(
            b"User-Agent", self._default_useragent
        )
        return _text(agent)

    def _keep_crawl_delay(self, request: Request) -> None:
        """This crawler's download slot for the host waits Crawl-delay between requests,
        without jitter, and AutoThrottle may not shorten it. Works with or without the
        run-wide limiter behind the hook."""
        delay = self._crawl_delays.get(urlparse_cached(request).netloc)
        if not delay:
            return
        downloader = self.crawler.engine.downloader
        key = downloader.get_slot_key(request)
        slot_settings = downloader.per_slot_settings.setdefault(key, {})
        if slot_settings.get("delay", 0) < delay:
            slot_settings.update(delay=delay, jitter=0.0)  # for a slot created later
        slot = downloader.slots.get(key)
        if slot is not None and slot.delay < delay:
            slot.delay, slot.jitter = delay, 0.0
        request.meta["autothrottle_dont_adjust_delay"] = True


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
