"""newsbot's ``LOG_FORMATTER``: Scrapy's messages, but an item the store archived before a later pipeline raised on
it is Scrapy's "Error processing" line (and its traceback) at DEBUG, since newsbot's own ERROR line names it, its
post and the error, and counts it (``newsbot/failed_after_store``)."""

from __future__ import annotations

import logging
from typing import Any, Self

from itemadapter import ItemAdapter
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.logformatter import LogFormatter, LogFormatterResult
from twisted.python.failure import Failure

from newsbot.signals import item_stored


class NewsbotLogFormatter(LogFormatter):
    """Scrapy's ``LogFormatter`` that keeps the keys of items stored (``item_stored``) and not yet done, and logs
    ``item_error`` of one of them at DEBUG."""

    def __init__(self) -> None:
        self.stored: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        formatter = cls()
        crawler.signals.connect(formatter.item_stored, signal=item_stored)
        crawler.signals.connect(formatter.item_done, signal=signals.item_scraped)
        crawler.signals.connect(formatter.item_done, signal=signals.item_dropped)
        crawler.signals.connect(formatter.item_done, signal=signals.item_error)
        return formatter

    def item_stored(self, item: Any) -> None:
        self.stored.add(ItemAdapter(item).get("key"))

    def item_done(self, item: Any) -> None:
        self.stored.discard(ItemAdapter(item).get("key"))

    def item_error(
        self, item: Any, exception: BaseException, response: Response | Failure | None, spider: Spider
    ) -> LogFormatterResult:
        logged = super().item_error(item, exception, response, spider)
        if ItemAdapter(item).get("key") in self.stored:
            logged["level"] = logging.DEBUG
        return logged
