"""The recording spider: every HTML page a WARC holds is an article candidate."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from newsbot.extraction import article_from_response
from newsbot.items import Article
from newsbot.middlewares.replay import REPLAY_RECORD_META, settings_run
from newsbot.sites.base import NotAnArticle
from newsbot.spiders.article import failure_reason

logger = logging.getLogger(__name__)


class WarcSpider(scrapy.Spider):
    """Extract an article from each URL's last 200 HTML response in the replayed recording."""

    name = "warc"

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for refs in settings_run(self.settings).responses.values():
            pages = [ref for ref in refs if ref.status == 200 and ref.is_html]
            if pages:
                yield scrapy.Request(
                    pages[-1].url,
                    meta={REPLAY_RECORD_META: pages[-1]},
                    callback=self.parse,
                    errback=self.failed,
                )

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
