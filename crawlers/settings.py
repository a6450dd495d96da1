"""Scrapy settings for aitrack: polite by default, bounded, and explicit about failures."""

BOT_NAME = "aitrack"
SPIDER_MODULES = ["crawlers.spiders"]
NEWSPIDER_MODULE = "crawlers.spiders"

# An honest User-Agent that says who we are and where to complain.
USER_AGENT = "aitrack/0.1 (+https://github.com/aitrack/aitrack; AI policy news tracker)"
ROBOTSTXT_OBEY = True

# Politeness: few requests per site, paced by the server's own latency.
CONCURRENT_REQUESTS = 32
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0

# An article response yields one item. Scrapy starts CONCURRENT_ITEMS asyncio tasks for
# every response's output, so its default of 100 cost more than the item itself.
CONCURRENT_ITEMS = 8

# Bounded work: a stuck server or a huge page must not stall a cron job.
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
REDIRECT_MAX_TIMES = 10
DEPTH_LIMIT = 5

# Scrapy's default, stated because the pipelines await asyncio futures.
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"

COOKIES_ENABLED = False
# No listening port: Scrapy starts, per crawler (so per source), a telnet console and a
# remote-control HTTP server that runs any Python sent to it, and writes its token to a
# job file. A cron crawler needs neither; both are off here and removed from EXTENSIONS
# below, so an `-s ..._ENABLED=1` cannot bring them back. tests/test_ports.py checks.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False

DOWNLOADER_MIDDLEWARES = {
    # robots.txt as RFC 9309 says (a 5xx or no answer disallows; a 4xx allows), refusals
    # that name their rule, and Crawl-delay: crawlers/robots.py. Replaces Scrapy's own.
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawlers.robots.RobotsPolicyMiddleware": 100,
    # Runs before RetryMiddleware (550) sees the response: wait what the server asked.
    "crawlers.middlewares.RetryAfterMiddleware": 555,
    # Before the request leaves: a redirect to another site drops the key headers.
    "crawlers.middlewares.KeyedHeadersMiddleware": 540,
    "crawlers.middlewares.ConditionalGetMiddleware": 560,
    # Before HttpCompressionMiddleware (590) decodes the body: a cut stream is a failure.
    "crawlers.middlewares.TruncatedBodyMiddleware": 595,
    # After HttpCompressionMiddleware (590) on the way in: the archive keeps decoded bodies.
    "crawlers.middlewares.ArchiveMiddleware": 580,
    # Before HttpProxyMiddleware (750), which honours the proxy this sets.
    "crawlers.middlewares.ProxyMiddleware": 740,
}

# The HTTP(S) handler, entered with a slot per host shared by every source of the run
# (crawlers/politeness.py): at most CONCURRENT_REQUESTS_PER_DOMAIN in flight to a host,
# and its robots.txt Crawl-delay between the starts of its requests, across sources.
DOWNLOAD_HANDLERS = {
    "http": "crawlers.politeness.HostLimitedDownloadHandler",
    "https": "crawlers.politeness.HostLimitedDownloadHandler",
}

EXTENSIONS = {
    "crawlers.extensions.UnhandledErrorCounter": 500,
    "scrapy.extensions.telnet.TelnetConsole": None,
    "scrapy.extensions.remote_control.RemoteControl": None,
}

# Thin shells: processing (pipelines.process, in worker processes), then the writer.
ITEM_PIPELINES = {
    "crawlers.pipelines.ProcessPipeline": 200,
    "crawlers.pipelines.StorePipeline": 500,
}

# Set per run by crawlers.runner.
AITRACK_DB = "data/aitrack.db"
AITRACK_RUN_ID = None
AITRACK_PROXY = None  # e.g. http://127.0.0.1:PORT: every request goes through it
AITRACK_ARCHIVE_DIR = None  # set (e.g. data/archive) to write every response to WARC
# Worker processes for extraction and tagging (pipelines/offload.py): "auto" is one per
# core (none on a single core); 0 runs them on the reactor thread.
AITRACK_WORKERS = "auto"
# A source is flagged after this many runs in a row that listed nothing, or failed.
AITRACK_FLAG_EMPTY_RUNS = 5
AITRACK_FLAG_FAILED_RUNS = 3
AITRACK_RETRY_AFTER_MAX = 30.0  # seconds; a longer Retry-After fails the request now
AITRACK_DB_BUSY_TIMEOUT = 30.0  # seconds to wait for another writer, per attempt
# Articles are committed in batches (pipelines/writer.py), each in its own savepoint:
# a batch closes at this many articles or this many seconds. 1 = a commit per article.
AITRACK_DB_BATCH = 50
AITRACK_DB_BATCH_SECONDS = 1.0
# Articles waiting for the writer's thread; when full, the crawl waits (back-pressure).
AITRACK_WRITER_QUEUE = 2000
# After Ctrl-C or SIGTERM, seconds to finish the current pages and batch before giving
# up as a second signal would.
AITRACK_STOP_GRACE = 10.0

# A scaled-out crawl (docs/scale-out.md): the frontier's Redis URL, set by
# `aitrack crawl --frontier`; None is the single-machine crawl.
AITRACK_FRONTIER = None
# Seconds a worker's hold on a request lasts unless renewed (every third of it): a
# killed worker's requests go back to the queue this long after it died.
AITRACK_LEASE_SECONDS = 30.0
# Unstored articles the stream may hold before workers wait for ingest (back-pressure).
AITRACK_STREAM_BACKLOG = 20000

LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"
