"""``SharedDomainDelay``: requests to one site from every worker of a shared crawl at least ``DOWNLOAD_DELAY`` apart.

Scrapy's per-site slots (``DOWNLOAD_DELAY``, ``CONCURRENT_REQUESTS_PER_DOMAIN``, AutoThrottle) live in one
process. With ``REDIS_URL`` set, this downloader middleware (the ``SharedFrontier`` add-on enables it) reserves
each request's start time from one Redis key per download slot, on the Redis server's clock (``TIME``), so the
workers together never start two requests to a site less than ``DOWNLOAD_DELAY`` apart, however many run or
stop. It sits after the snapshot and replay middlewares, so requests they answer are never held back.
"""

from __future__ import annotations

import redis
from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.task import deferLater

# The wait in microseconds before the next request of a slot may start, and that start reserved, in one step.
RESERVE = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local start = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'))
redis.call('SET', KEYS[1], string.format('%d', start + tonumber(ARGV[1])), 'PX', math.ceil(tonumber(ARGV[1]) / 1000) + 60000)
return start - now
"""


class SharedDomainDelay:
    """Hold each request until its site's shared turn: one start per ``delay`` seconds per download slot (a
    site's host, or ``download_slot`` in ``meta``) among all workers sharing ``REDIS_URL``."""

    def __init__(self, crawler: Crawler, server: redis.Redis, delay: float) -> None:
        self.crawler = crawler
        self.delay = delay
        self.reserve = server.register_script(RESERVE)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedDomainDelay:
        from newsbot.distributed import redis_url

        url = redis_url(crawler.settings)
        delay = crawler.settings.getfloat("DOWNLOAD_DELAY")
        if url is None or delay <= 0:
            raise NotConfigured
        return cls(crawler, redis.Redis.from_url(url), delay)

    def wait(self, slot: str) -> float:
        """Reserve the next start of ``slot`` and return the seconds to wait for it (0 when it is free now)."""
        key = f"{self.crawler.spider.name}:politeness:{slot}"
        return int(self.reserve(keys=[key], args=[round(self.delay * 1_000_000)])) / 1_000_000

    async def process_request(self, request: Request) -> None:
        seconds = self.wait(self.crawler.engine.downloader.get_slot_key(request))
        if seconds > 0:
            from twisted.internet import reactor

            self.crawler.stats.inc_value("newsbot/politeness/waited")
            await maybe_deferred_to_future(deferLater(reactor, seconds))
