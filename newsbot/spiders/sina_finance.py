"""Sina Finance: channel roll-API pages and list pages, then the articles the archive lacks."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from newsbot.extraction import article_from_response
from newsbot.items import Article
from newsbot.ledger import LedgerEntry
from newsbot.sites import sina
from newsbot.sites.base import NotAnArticle
from newsbot.sources.sina_finance import (
    CHANNELS,
    GROUP,
    SITE_NAME,
    Channel,
    Listed,
    channel_by_key,
    channel_for_path,
    list_page_links,
    parse_roll_page,
)
from newsbot.spiders import UnseenArticles
from newsbot.spiders.article import failure_reason

logger = logging.getLogger(__name__)


ROBOTS_REFUSAL = "Forbidden by robots.txt"


def refused(failure: Failure) -> bool:
    """Whether robots.txt kept the request from being sent (Scrapy tells it only by the message)."""
    return bool(failure.check(IgnoreRequest)) and str(failure.value) == ROBOTS_REFUSAL


def ignored(failure: Failure) -> bool:
    """Whether a downloader middleware gave the request up, like Scrapy's redirect limit."""
    return bool(failure.check(IgnoreRequest)) and not failure.check(HttpError)


DOWNLOAD_ERRORS = {
    DownloadTimeoutError: "timeout",
    DownloadConnectionRefusedError: "connection_refused",
    CannotResolveHostError: "dns",
    ResponseDataLossError: "data_loss",
    DownloadCancelledError: "cancelled",
}


def failure_stat(failure: Failure) -> str:
    """The stat suffix of a failed download: ``http_404``, ``timeout``, ... or the error's type name."""
    if failure.check(HttpError):
        return f"http_{failure.value.response.status}"
    if ignored(failure):
        return "ignored"
    return next(
        (name for error, name in DOWNLOAD_ERRORS.items() if failure.check(error)),
        type(failure.value).__name__,
    )


class SinaFinanceSpider(scrapy.Spider):
    """Crawl Sina Finance channels; follow listing pages until one holds only archived articles."""

    name = "sina-finance"

    def __init__(self, channels: str = "", max_pages: int | str = 5, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.channels = [channel_by_key(key.strip()) for key in channels.split(",") if key.strip()] or list(
            CHANNELS
        )
        self.max_pages = int(max_pages)
        self.unseen: UnseenArticles | None = None

    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.unseen = UnseenArticles(self.crawler, folders=(sina.NAME,))
        for request in self.unseen.due(self.ledger_request):
            yield request
        for channel in self.channels:
            yield self.listing_request(channel, 1)

    def listing_request(self, channel: Channel, page: int) -> scrapy.Request:
        """The request of one listing page: the roll API where the channel has one, else its list page."""
        roll_url = channel.roll_url(page, self.settings.getint("NEWSBOT_ROLL_PAGE_SIZE", 50))
        return scrapy.Request(
            roll_url or channel.list_url,
            callback=self.parse_roll if roll_url else self.parse_list,
            errback=self.listing_failed,
            cb_kwargs={"channel": channel, "page": page},
        )

    def parse_roll(self, response: Response, channel: Channel, page: int) -> Iterator[scrapy.Request]:
        try:
            listed = parse_roll_page(response.text)
        except ValueError as error:
            self.crawler.stats.inc_value("newsbot/failed/listing")
            logger.warning("bad roll-API page %s: %s", response.url, error)
            return
        new = list(self.article_requests(listed, channel))
        yield from new
        if new and page < self.max_pages:
            yield self.listing_request(channel, page + 1)

    def parse_list(self, response: Response, channel: Channel, page: int) -> Iterator[scrapy.Request]:
        yield from self.article_requests(list_page_links(response.text, response.url), channel)

    def article_requests(self, listed: Iterable[Listed], channel: Channel) -> Iterator[scrapy.Request]:
        """Requests for the listed articles that neither the archive nor this run already has.

        Keys dedupe them, so Scrapy's dupe filter stays out: a redirect loop ends at the redirect limit, counted.
        """
        for entry in listed:
            published = entry.published.isoformat() if entry.published else None
            context = {"channel": channel.key, "title": entry.title, "published": published}
            key = self.unseen.new_key(entry.url, context)
            if key is not None:
                yield self.article_request(entry, channel, key)

    def article_request(self, entry: Listed, channel: Channel, key: str) -> scrapy.Request:
        """The request of one listed article."""
        self.crawler.stats.inc_value("newsbot/article_requests")
        return scrapy.Request(
            entry.url,
            callback=self.parse_article,
            errback=self.article_failed,
            cb_kwargs={"channel": channel, "listed": entry, "key": key},
            dont_filter=True,
        )

    def ledger_request(self, failed: LedgerEntry) -> scrapy.Request:
        """The request of an article the ledger asks for again, from the context ``article_requests`` gave it."""
        context = failed.context
        channel = (
            channel_by_key(context["channel"])
            if context.get("channel")
            else channel_for_path(urlsplit(failed.url).path)
        )
        published = datetime.fromisoformat(context["published"]) if context.get("published") else None
        return self.article_request(Listed(failed.url, context.get("title", ""), published), channel, failed.key)

    def parse_article(
        self, response: Response, channel: Channel, listed: Listed, key: str
    ) -> Iterator[Article]:
        try:
            article = article_from_response(response, listed.published)
        except NotAnArticle as refusal:
            self.crawler.stats.inc_value("newsbot/failed/not_an_article")
            self.crawler.stats.inc_value("newsbot/failed")
            logger.warning("not an article: %s (%s)", response.url, refusal)
            return
        article["key"] = key
        article["categories"] = (GROUP, SITE_NAME, channel.name)
        article["author"] = SITE_NAME
        yield article

    def listing_failed(self, failure: Failure) -> None:
        if refused(failure):
            logger.info("listing not fetched: %s %s", failure.value, failure.request.url)
            return
        self.crawler.stats.inc_value("newsbot/failed/listing")
        logger.warning("listing page failed: %s %s", failure_reason(failure), failure.request.url)

    def article_failed(self, failure: Failure) -> None:
        self.unseen.failed(failure)
        if refused(failure):
            logger.info("not fetched: %s %s", failure.value, failure.request.url)
            return
        self.crawler.stats.inc_value("newsbot/failed/download")
        self.crawler.stats.inc_value(f"newsbot/failed/download/{failure_stat(failure)}")
        self.crawler.stats.inc_value("newsbot/failed")
        reason = failure_reason(failure)
        if ignored(failure):
            reason = f"{reason} ({failure.value})"
        logger.warning("article page failed: %s %s", reason, failure.request.url)
