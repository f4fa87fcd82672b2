"""The shared frontier: with ``REDIS_URL`` set, every ``newsbot crawl`` takes its requests from one Redis queue.

``SharedFrontier`` is a Scrapy add-on (``ADDONS``). With ``REDIS_URL`` (setting or environment variable) it
switches the crawl to scrapy-redis's scheduler and request dupe filter, the queue kept in Redis
(``SCHEDULER_PERSIST``), spaces each site's requests from all workers by ``DOWNLOAD_DELAY``
(``newsbot.politeness``) and shares each site's concurrency among ``NEWSBOT_WORKERS`` workers. Without it the
crawl is unchanged.

``LeasingScheduler`` is scrapy-redis's scheduler with two additions that several processes need:

- a request taken from the queue stays in the worker's lease (a Redis hash) until its item is stored or dropped,
  or the worker is idle; a worker that dies (its heartbeat key expires after ``NEWSBOT_WORKER_TIMEOUT`` s)
  has its leased requests put back in the queue by the next worker that looks;
- a worker that finds no other live worker and an empty queue starts a new run (the dupe filter of the last run
  cleared) and queues the spider's start requests (the listings, the ledger's due articles); otherwise it joins
  the run under way and leaves its start requests to the worker that started it (``newsbot/frontier/joined``),
  so a run lists each page once. An idle worker waits while another worker is not idle, since that one may
  still queue requests; the run ends when the queue is empty and every live worker is idle.

``SharedArticleRequests`` (a spider middleware the add-on enables) sends every article request through the shared
dupe filter, so an article two workers list in one run is fetched once.

A lost Redis server stops the crawl with the finish reason ``frontier_lost`` (exit status 1); a lost index
server, with ``index_lost``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import socket
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import psycopg
import redis
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.spidermiddlewares.base import BaseSpiderMiddleware
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.misc import load_object
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.scheduler import Scheduler
from twisted.internet.task import LoopingCall
from twisted.python.failure import Failure

from newsbot.index.backends import first_line, index_url, postgres_url, without_password

logger = logging.getLogger(__name__)

FRONTIER_SETTINGS = {
    "SCHEDULER": "newsbot.distributed.LeasingScheduler",
    "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
    "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
    "SCHEDULER_PERSIST": True,
}
SERVER_WATCH = "newsbot.distributed.ServerWatch"
SHARED_ARTICLE_REQUESTS = "newsbot.distributed.SharedArticleRequests"
SHARED_DELAY_HANDLER = "newsbot.politeness.SharedDelayHandler"
JOINED_STAT = "newsbot/frontier/joined"
LEASE = "newsbot_lease"
DEFAULT_WORKER_TIMEOUT = 60.0
# Take the request with the best score from the queue and lease it to this worker, in one step.
POP_AND_LEASE = """
local found = redis.call('ZRANGE', KEYS[1], 0, 0)
if #found == 0 then return false end
redis.call('ZREM', KEYS[1], found[1])
redis.call('HSET', KEYS[2], ARGV[1], found[1])
return found[1]
"""


def redis_url(settings: BaseSettings) -> str | None:
    """``REDIS_URL`` from the settings, else from the environment; ``None`` when neither sets it."""
    return settings.get("REDIS_URL") or os.environ.get("REDIS_URL") or None


def shared_politeness(settings: BaseSettings, workers: int) -> dict[str, float | int]:
    """Per-worker values that keep ``workers`` workers together within one crawl's concurrency:
    ``CONCURRENT_REQUESTS`` (how many requests a worker takes from the queue at once, so the others get theirs),
    ``CONCURRENT_REQUESTS_PER_DOMAIN`` and AutoThrottle's target divided (at least 1). ``DOWNLOAD_DELAY`` is
    kept: ``SharedDelayHandler`` spaces all workers' requests to a site by it in Redis."""
    return {
        "CONCURRENT_REQUESTS": max(1, settings.getint("CONCURRENT_REQUESTS") // workers),
        "CONCURRENT_REQUESTS_PER_DOMAIN": max(
            1, settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") // workers
        ),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": settings.getfloat("AUTOTHROTTLE_TARGET_CONCURRENCY") / workers,
    }


class SharedFrontier:
    """Add-on: with ``REDIS_URL`` set, the crawl shares its frontier in Redis and its politeness with
    ``NEWSBOT_WORKERS`` workers; with ``REDIS_URL`` or ``NEWSBOT_INDEX_URL``, a lost server stops the crawl."""

    def update_settings(self, settings: BaseSettings) -> None:
        if settings.get("NEWSBOT_INDEX_URL") or os.environ.get("NEWSBOT_INDEX_URL"):
            settings["EXTENSIONS"][SERVER_WATCH] = 0
        url = redis_url(settings)
        if url is None:
            return
        settings["EXTENSIONS"][SERVER_WATCH] = 0
        settings.set("REDIS_URL", url, priority="addon")
        settings["SPIDER_MIDDLEWARES"][SHARED_ARTICLE_REQUESTS] = 50
        for scheme in ("http", "https"):
            settings["DOWNLOAD_HANDLERS"][scheme] = SHARED_DELAY_HANDLER
        for name, value in FRONTIER_SETTINGS.items():
            settings.set(name, value, priority="addon")
        workers = settings.getint("NEWSBOT_WORKERS", 1)
        if workers < 1:
            raise ValueError(f"NEWSBOT_WORKERS must be at least 1, not {workers}")
        for name, value in shared_politeness(settings, workers).items():
            settings.set(name, value, priority=max(settings.getpriority(name) or 0, 15))


REDIS_SCHEMES = ("redis", "rediss", "unix")


def shared_settings_problem(settings: BaseSettings) -> str | None:
    """One line saying what is wrong with the server URLs of a shared crawl (``REDIS_URL``, ``NEWSBOT_INDEX_URL``),
    else ``None``; its number settings are in ``newsbot.command.NUMBER_SETTINGS``."""
    for name, url in (("NEWSBOT_INDEX_URL", index_url(settings)), ("REDIS_URL", redis_url(settings))):
        try:
            port = urlsplit(url).port if url else None
        except ValueError as error:
            return f"{name}: {error} in {without_password(url)!r}"
        if port == 0:
            return f"{name}: port 0 in {without_password(url)!r}"
    try:
        postgres_url(settings)
    except ValueError as error:
        return str(error)
    url = redis_url(settings)
    if url and urlsplit(url).scheme not in REDIS_SCHEMES:
        return f"REDIS_URL must be a redis://, rediss:// or unix:// URL, not {without_password(url)!r}"
    if url and (problem := redis_url_problem(url)):
        return f"REDIS_URL: {problem} in {without_password(url)!r}"
    return None


def redis_url_problem(url: str) -> str | None:
    """What redis-py's ``ConnectionPool.from_url`` would make of ``url`` that is not what it says, else ``None``:
    a query value or name redis-py refuses (``parse_url``, the connection's keyword arguments), or a database
    that is not a whole number from 0 (redis-py reads ``/abc`` as database 0 and lets ``?db=-1`` reach the
    server). A database above the server's ``databases`` is the server's to refuse (``unreachable_server``)."""
    parts = urlsplit(url)
    try:
        options = redis.connection.parse_url(url)
        redis.ConnectionPool.from_url(url).make_connection()
    except TypeError as error:
        unknown = re.search(r"keyword argument '(\w+)'", str(error))
        return f"redis-py takes no option {unknown[1]!r}" if unknown else first_line(error)
    except ValueError as error:
        return first_line(error).rstrip(".").replace(" in connection URL", "")
    path = unquote(parts.path).strip("/")
    if parts.scheme != "unix" and not parse_qs(parts.query).get("db") and path and not path.isdecimal():
        return f"database {path!r} is not a whole number from 0"
    if options.get("db", 0) < 0:
        return f"database {options['db']} is not a whole number from 0"
    return None


def unreachable_server(settings: BaseSettings, timeout: float = 10.0) -> str | None:
    """One line naming the shared server (``REDIS_URL``, ``NEWSBOT_INDEX_URL``) a crawl cannot use now and why,
    or ``None`` when every one set answers within ``timeout`` seconds (or none is set). The URLs are the ones
    ``shared_settings_problem`` passed."""
    if url := redis_url(settings):
        try:
            redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout).ping()
        except (redis.RedisError, ValueError) as error:
            return f"cannot reach the frontier at REDIS_URL {without_password(url)}: {first_line(error)}"
    if url := index_url(settings):
        try:
            psycopg.connect(url, connect_timeout=max(1, round(timeout))).close()
        except psycopg.Error as error:
            return f"cannot reach the index at NEWSBOT_INDEX_URL {without_password(url)}: {first_line(error)}"
    return None


def run_name(spider: str, arguments: Mapping[str, Any]) -> str:
    """The name a shared run goes by in Redis: the spider's, and a digest of its arguments when it has any, so
    only workers crawling the same thing (same source, channels, URL, dates) join one run."""
    if not arguments:
        return spider
    digest = hashlib.sha1(json.dumps(arguments, sort_keys=True, default=str).encode()).hexdigest()[:12]
    return f"{spider}:{digest}"


def joined_run(crawler: Crawler) -> bool:
    """Whether this crawl joined a shared run another worker started, so its start requests are that one's."""
    return bool(crawler.stats.get_value(JOINED_STAT))


class SharedArticleRequests(BaseSpiderMiddleware):
    """Spider middleware: an article request (one whose ``cb_kwargs`` name its ``key``) goes through the shared
    dupe filter even where the spider set ``dont_filter`` (which keeps a single process's ``JOBDIR`` filter from
    refusing a retry in a later run), so one shared run fetches each article URL once whichever worker lists it."""

    def get_processed_request(self, request: Request, response: Response | None) -> Request:
        if request.dont_filter and request.cb_kwargs.get("key"):
            return request.replace(dont_filter=False)
        return request


def lost_server(error: BaseException | None) -> str | None:
    """``frontier_lost`` or ``index_lost`` when ``error`` (or what caused it) is a lost Redis or PostgreSQL."""
    while error is not None:
        if isinstance(error, redis.ConnectionError | redis.TimeoutError):
            return "frontier_lost"
        if isinstance(error, psycopg.OperationalError | psycopg.InterfaceError):
            return "index_lost"
        error = error.__cause__ or error.__context__
    return None


class ServerWatch:
    """Close the crawl (finish reason ``frontier_lost`` or ``index_lost``, so exit status 1) at the first error
    that is a lost Redis or PostgreSQL server, from a callback, a pipeline or the scheduler."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.reason: str | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ServerWatch:
        watch = cls(crawler)
        crawler.signals.connect(watch.spider_error, signal=signals.spider_error)
        crawler.signals.connect(watch.item_error, signal=signals.item_error)
        crawler.signals.connect(watch.item_dropped, signal=signals.item_dropped)
        return watch

    def stop(self, error: BaseException | None) -> None:
        reason = lost_server(error)
        if reason is None or self.reason is not None:
            return
        self.reason = reason
        logger.error("%s: %s; stopping the crawl", reason.replace("_", " "), error)
        self.crawler.stats.inc_value(f"newsbot/{reason}")
        deferred_from_coro(self.crawler.engine.close_spider_async(reason=reason))

    def spider_error(self, failure: Failure, **kwargs: Any) -> None:
        self.stop(failure.value)

    def item_error(self, failure: Failure, **kwargs: Any) -> None:
        self.stop(failure.value)

    def item_dropped(self, exception: BaseException, **kwargs: Any) -> None:
        self.stop(exception)


class LeasingScheduler(Scheduler):
    """scrapy-redis's scheduler whose workers lease the requests they take, so none is lost with its worker."""

    worker_timeout = DEFAULT_WORKER_TIMEOUT

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LeasingScheduler:
        try:
            scheduler = super().from_crawler(crawler)
        except redis.RedisError as error:
            raise RuntimeError(f"cannot reach the frontier at REDIS_URL: {error}") from error
        scheduler.crawler = crawler
        scheduler.worker_timeout = crawler.settings.getfloat("NEWSBOT_WORKER_TIMEOUT", DEFAULT_WORKER_TIMEOUT)
        for handler, signal in (
            (scheduler.done, signals.item_scraped),
            (scheduler.done, signals.item_dropped),
            (scheduler.done, signals.item_error),
            (scheduler.idle, signals.spider_idle),
        ):
            crawler.signals.connect(handler, signal=signal)
        return scheduler

    def _key(self, what: str, worker: str | None = None) -> str:
        return f"{self.run}:{what}" + (f":{worker}" if worker else "")

    def open(self, spider: Spider) -> None:
        self.spider = spider
        self.run = run_name(spider.name, self.crawler.settings.getdict("NEWSBOT_SPIDER_ARGUMENTS"))
        self.queue = load_object(self.queue_cls)(
            server=self.server, spider=spider, key=self._key("requests"), serializer=self.serializer
        )
        self.df = RFPDupeFilter(
            self.server, key=self._key("dupefilter"), debug=self.crawler.settings.getbool("DUPEFILTER_DEBUG")
        )
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.leases = 0
        self.pop_and_lease = self.server.register_script(POP_AND_LEASE)
        with self._lock():
            others = self._live_workers()
            recovered = self._recover_dead()
            self.joined = bool(others or len(self.queue))
            if not self.joined:
                self.df.clear()
                self.server.delete(self._key("idle"))
                logger.info("frontier: no other worker and nothing queued; starting a new run")
            else:
                self.stats.set_value(JOINED_STAT, 1)
                logger.info(
                    "frontier: joining the run under way (%d other workers, %d requests queued, %d recovered)",
                    len(others),
                    len(self.queue),
                    recovered,
                )
            self.server.sadd(self._key("workers"), self.worker)
            self.beat()
        self.heartbeat = LoopingCall(self._guarded, self.beat)
        self.heartbeat.start(self.worker_timeout / 3, now=False)

    def _lock(self) -> redis.lock.Lock:
        return self.server.lock(self._key("frontier-lock"), timeout=30, blocking_timeout=60)

    def beat(self) -> None:
        """Tell the other workers this one is alive for ``worker_timeout`` seconds more."""
        self.server.set(self._key("worker", self.worker), 1, px=int(self.worker_timeout * 1000))

    def _members(self, what: str) -> set[str]:
        """The members of this run's Redis set ``what``, as text."""
        return {m.decode() if isinstance(m, bytes) else m for m in self.server.smembers(self._key(what))}

    def _live_workers(self) -> list[str]:
        return [
            w for w in self._members("workers") if w != self.worker and self.server.exists(self._key("worker", w))
        ]

    def _recover_dead(self) -> int:
        """Put the leased requests of dead workers back in the queue; return how many (under the lock)."""
        recovered = 0
        for worker in self._members("workers"):
            if worker == self.worker or self.server.exists(self._key("worker", worker)):
                continue
            recovered += self._requeue(self._key("leased", worker))
            self.server.srem(self._key("workers"), worker)
            self.server.srem(self._key("idle"), worker)
        if recovered:
            logger.warning("frontier: %d requests of dead workers put back in the queue", recovered)
            self.stats.inc_value("newsbot/frontier/recovered", recovered)
        return recovered

    def _requeue(self, leased_key: str) -> int:
        encoded = self.server.hvals(leased_key)
        for raw in encoded:
            self.queue.push(self.queue._decode_request(raw))
        self.server.delete(leased_key)
        return len(encoded)

    def _guarded(self, action: Any, *args: Any) -> Any:
        """Run ``action``; a lost Redis closes the crawl (``frontier_lost``, logged once) instead of ending it
        silently."""
        try:
            return action(*args)
        except redis.RedisError as error:
            if self.stats.get_value("newsbot/frontier_lost"):
                return None
            self.stats.inc_value("newsbot/frontier_lost")
            logger.error("frontier lost: %s; stopping the crawl", error)
            if self.heartbeat.running:
                self.heartbeat.stop()
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="frontier_lost"))
            return None

    def enqueue_request(self, request: Request) -> bool:
        if self.joined and request.meta.get("is_start_request"):
            self.stats.inc_value("newsbot/frontier/start_requests_left")
            return False
        result = self._guarded(super().enqueue_request, request)
        if result is None:
            self.stats.inc_value("newsbot/failed")
            self.stats.inc_value("newsbot/failed/frontier")
            return False
        return result

    def next_request(self) -> Request | None:
        return self._guarded(self._next_request)

    def _next_request(self) -> Request | None:
        self.leases += 1
        lease = str(self.leases)
        encoded = self.pop_and_lease(keys=[self.queue.key, self._key("leased", self.worker)], args=[lease])
        if encoded is None:
            return None
        self.server.srem(self._key("idle"), self.worker)
        request = self.queue._decode_request(encoded)
        request.meta[LEASE] = lease
        self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def has_pending_requests(self) -> bool:
        return bool(self._guarded(super().has_pending_requests))

    def done(self, response: Response | None = None, **kwargs: Any) -> None:
        """The item of a leased request is stored or dropped: its lease ends."""
        lease = (
            response.request.meta.get(LEASE)
            if response is not None and response.request is not None
            else None
        )
        if lease is not None:
            self._guarded(self.server.hdel, self._key("leased", self.worker), lease)

    def idle(self) -> None:
        """Nothing is in flight here, so every lease ends; wait while requests are queued or another live worker
        is not idle (it may still queue requests: the one that started the run is busy from its first moment)."""
        self._guarded(self._idle)

    def _idle(self) -> None:
        self.server.delete(self._key("leased", self.worker))
        with self._lock():
            self.server.sadd(self._key("idle"), self.worker)
            self._recover_dead()
            idle = self._members("idle")
            busy = [w for w in self._live_workers() if w not in idle or self.server.exists(self._key("leased", w))]
        if len(self.queue) or busy:
            raise DontCloseSpider

    def close(self, reason: str) -> None:
        if self.heartbeat.running:
            self.heartbeat.stop()
        try:
            with self._lock():
                put_back = self._requeue(self._key("leased", self.worker))
                self.server.srem(self._key("workers"), self.worker)
                self.server.srem(self._key("idle"), self.worker)
                self.server.delete(self._key("worker", self.worker))
        except redis.RedisError as error:
            logger.error("frontier lost at closing: %s", error)
            return
        if put_back:
            logger.info("frontier: %d requests not done put back in the queue (%s)", put_back, reason)
        super().close(reason)
