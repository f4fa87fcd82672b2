"""The recording spider: every HTML page a WARC holds is an article candidate."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from newsbot.extraction import article_from_response
from newsbot.items import Article
from newsbot.sites.base import NotAnArticle
from newsbot.spiders.article import failure_reason
from newsbot.warc import replay_run

logger = logging.getLogger(__name__)


class WarcSpider(scrapy.Spider):
    """Request each URL recorded with a 200 HTML response (``NEWSBOT_REPLAY_FILES``) and extract its article."""

    name = "warc"

    async def start(self) -> AsyncIterator[scrapy.Request]:
        chosen = self.settings.get("NEWSBOT_REPLAY_RUN")
        run = replay_run(
            self.settings.getlist("NEWSBOT_REPLAY_FILES"), None if chosen is None else int(chosen)
        )
        for refs in run.responses.values():
            page = next((ref for ref in refs if ref.status == 200 and ref.is_html), None)
            if page is not None:
                yield scrapy.Request(page.url, callback=self.parse, errback=self.failed)

    def parse(self, response: Response) -> Iterator[Article]:
        try:
            yield article_from_response(response)
        except NotAnArticle as refusal:
            self.crawler.stats.inc_value("newsbot/replay/not_an_article")
            logger.info("not an article: %s (%s)", response.url, refusal)

    def failed(self, failure: Failure) -> None:
        self.crawler.stats.inc_value("newsbot/failed/download")
        self.crawler.stats.inc_value("newsbot/failed")
        logger.warning("recorded page failed: %s %s", failure_reason(failure), failure.request.url)
