"""Scrapy's robots.txt middleware, with every request that waited for a host's robots.txt obeying it, and a
robots.txt that cannot be downloaded logged in one line."""

from __future__ import annotations

import logging

from scrapy import Request
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as ScrapyRobotsTxtMiddleware
from scrapy.robotstxt import RobotParser
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred


class OneLineDownloadErrors(logging.Filter):
    """Drop the traceback Scrapy logs with a robots.txt download error (a host down, a refused connection): the
    message names the request and the error, and the requests behind it fail and are counted by the spider."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR and str(record.msg).startswith("Error downloading"):
            record.exc_info = None
            record.exc_text = None
        return True


logging.getLogger(ScrapyRobotsTxtMiddleware.__module__).addFilter(OneLineDownloadErrors())


class RobotsTxtMiddleware(ScrapyRobotsTxtMiddleware):
    """Scrapy 2.19 hands ``None`` (allow all) to the second and later requests waiting on one robots.txt
    download, since the first waiter's future takes the Deferred's result; those requests read the stored parser.
    """

    async def robot_parser(self, request: Request) -> RobotParser | None:
        parser = await super().robot_parser(request)
        if parser is None:
            stored = self._parsers.get(urlparse_cached(request).netloc)
            if not isinstance(stored, Deferred):
                return stored
        return parser
