"""newsbot's ``LOG_FORMATTER``: Scrapy's messages, but an item the store archived before a later pipeline raised on
it is Scrapy's "Error processing" line (and its traceback) at DEBUG, since newsbot's own ERROR line names it, its
post and the error, and counts it (``newsbot/failed_after_store``)."""

from __future__ import annotations

import logging
from typing import Any, Self

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.logformatter import LogFormatter, LogFormatterResult
from twisted.python.failure import Failure

from newsbot.signals import StoredItems


class NewsbotLogFormatter(LogFormatter):
    """Scrapy's ``LogFormatter`` that logs ``item_error`` of an item the store archived (``StoredItems``) at
    DEBUG."""

    def __init__(self, stored: StoredItems | None = None) -> None:
        self.stored = stored

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(StoredItems(crawler.signals))

    def item_error(
        self, item: Any, exception: BaseException, response: Response | Failure | None, spider: Spider
    ) -> LogFormatterResult:
        logged = super().item_error(item, exception, response, spider)
        if self.stored is not None and item in self.stored:
            self.stored.discard(item)
            logged["level"] = logging.DEBUG
        return logged
