"""Politeness shared by the workers of one crawl: requests to a site from all of them ``DOWNLOAD_DELAY`` apart.

Scrapy's per-site slots (``DOWNLOAD_DELAY``, ``CONCURRENT_REQUESTS_PER_DOMAIN``, AutoThrottle) live in one
process. With ``REDIS_URL`` set, the ``SharedFrontier`` add-on makes ``SharedDelayHandler`` Scrapy's HTTP(S)
download handler: when a request leaves its worker's slot to be sent, the handler takes the site's next turn
from one Redis key (``SiteTurns``, on the Redis server's clock, so the machines' clocks do not matter) and
sends it then, so the workers together never start two requests to a site less than ``DOWNLOAD_DELAY`` apart,
however many run or stop. Requests the snapshot or replay middlewares answer never reach a handler.
"""

from __future__ import annotations

import redis
from scrapy import Request
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.task import deferLater

# The wait in microseconds until a site's next turn, that turn taken, in one step on the server's clock.
TAKE_TURN = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local start = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'))
local delay = tonumber(ARGV[1])
redis.call('SET', KEYS[1], string.format('%d', start + delay), 'PX', math.ceil(delay / 1000) + 60000)
return start - now
"""
TURNS_KEY = "newsbot:turns:{site}"


class SiteTurns:
    """Turns at each site (a Scrapy download slot: the host, or ``download_slot`` in ``meta``), ``delay`` seconds
    apart among every process sharing the Redis ``server``."""

    def __init__(self, server: redis.Redis, delay: float) -> None:
        self.delay = delay
        self.take_turn = server.register_script(TAKE_TURN)

    def wait(self, site: str) -> float:
        """Take ``site``'s next turn; the seconds until it comes (0 when it is now). ``redis.RedisError`` when the
        server cannot be reached."""
        waited = self.take_turn(keys=[TURNS_KEY.format(site=site)], args=[round(self.delay * 1_000_000)])
        return int(waited) / 1_000_000


class SharedDelayHandler(HTTP11DownloadHandler):
    """Scrapy's HTTP/1.1 download handler, each request sent at its site's shared turn (``SiteTurns``)."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        from newsbot.distributed import redis_url

        self.crawler = crawler
        url = redis_url(crawler.settings)
        delay = crawler.settings.getfloat("DOWNLOAD_DELAY")
        self.turns = SiteTurns(redis.Redis.from_url(url), delay) if url and delay > 0 else None

    async def download_request(self, request: Request) -> Response:
        if self.turns is None:
            return await super().download_request(request)
        seconds = self.turns.wait(self.crawler.engine.downloader.get_slot_key(request))
        if seconds > 0:
            from twisted.internet import reactor

            self.crawler.stats.inc_value("newsbot/politeness/waited")
            await maybe_deferred_to_future(deferLater(reactor, seconds))
        return await super().download_request(request)
