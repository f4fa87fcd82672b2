"""Scrapy settings of newsbot; every one can be overridden with ``-s NAME=VALUE``."""

from newsbot import __version__

BOT_NAME = "newsbot"
SPIDER_MODULES = ["newsbot.spiders"]
NEWSPIDER_MODULE = "newsbot.spiders"
COMMANDS_MODULE = "newsbot.commands"

NEWSBOT_CONTACT_URL = "https://github.com/newsbot-archive/newsbot"
USER_AGENT = f"newsbot/{__version__} (+{NEWSBOT_CONTACT_URL})"

ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
# Scrapy (2.13+, asyncio reactor) starts CONCURRENT_ITEMS + 1 tasks for each response's callback output
# (scrapy.utils.asyncio._parallel_asyncio); newsbot's callbacks give one item or a listing's few dozen requests.
CONCURRENT_ITEMS = 8
DOWNLOAD_DELAY = 0.5
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024

AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0

RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]

COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
LOG_FORMATTER = "newsbot.logformatter.NewsbotLogFormatter"

DOWNLOADER_MIDDLEWARES = {
    "newsbot.middlewares.saved_page.SavedPageMiddleware": 50,
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "newsbot.middlewares.robots.RobotsTxtMiddleware": 100,
    "newsbot.middlewares.record.WarcRecorderMiddleware": 940,
    "newsbot.middlewares.snapshot.SnapshotMiddleware": 950,
    "newsbot.middlewares.replay.WarcReplayMiddleware": 960,
}

EXTENSIONS = {
    "spidermon.contrib.scrapy.extensions.Spidermon": 400,
    "newsbot.extensions.history.RunHistoryRecorder": 450,
    "newsbot.extensions.progress.Progress": 500,
}

ITEM_PIPELINES = {
    "newsbot.pipelines.archive.ArchiveWritablePipeline": 100,
    "newsbot.pipelines.normalise.NormalisePipeline": 300,
    "newsbot.pipelines.dedupe.DedupePipeline": 400,
    "newsbot.pipelines.store.StorePipeline": 500,
}

NEWSBOT_OUTPUT_DIR = "output"
# A run with failures above this share of the articles and listings it tried exits 1 (newsbot.outcome).
NEWSBOT_MAX_FAILURE_SHARE = 0.25
# Chosen by bench/near_duplicates.py: recall 0.93 at precision 1.0; different articles were 16+ bits apart.
NEWSBOT_NEAR_DUPLICATE_DISTANCE = 6
# The store indexes written posts this many to a transaction, each at most this many seconds after it was written.
NEWSBOT_INDEX_BATCH_SIZE = 32
NEWSBOT_INDEX_BATCH_DELAY = 0.1
# Processes normalising and fingerprinting article bodies beside the crawl's own thread (0: in that thread).
NEWSBOT_PAGE_PROCESSES = 1
NEWSBOT_PLACEHOLDER_IMAGE = "https://picsum.photos/400/300?random={n}"

# --- Monitoring (monitor engineer): spidermon judges every run at spider close; see README, "Running unattended".
SPIDERMON_ENABLED = True
SPIDERMON_SPIDER_CLOSE_MONITORS = ["newsbot.monitors.suite.RunMonitors"]
# Least share (0..1) of article pages a field is found on, per site; a site module's MIN_COVERAGE overrides.
NEWSBOT_MIN_COVERAGE = {"title": 0.9, "date": 0.9, "body": 0.9, "image": 0.0}
# Fewer article pages (or article requests) than this in a run are too few to judge shares on.
NEWSBOT_MONITOR_MIN_PAGES = 5
NEWSBOT_MAX_REFUSED_SHARE = 0.2
NEWSBOT_MAX_FAILED_LISTING_SHARE = 0.5
NEWSBOT_MAX_DOWNLOAD_FAILURE_SHARE = 0.2
# Alarm when this many runs in a row archive nothing new from a source that used to have some (0: never).
NEWSBOT_MAX_RUNS_WITHOUT_NEW = 5
# spidermon actions run when a monitor raises an alarm, e.g.
# ["spidermon.contrib.actions.slack.notifiers.SendSlackMessageSpiderFinished"] with SPIDERMON_SLACK_* settings.
NEWSBOT_ALARM_ACTIONS: list[str] = []

# With REDIS_URL set, crawls share one frontier in Redis (newsbot.distributed); without it nothing changes.
ADDONS = {"newsbot.distributed.SharedFrontier": 0}
NEWSBOT_WORKERS = 1
