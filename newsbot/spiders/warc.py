"""The recording spider: every HTML page a WARC holds is an article candidate, and a Sina Finance article its
recorded listings name is filed as the ``sina-finance`` crawl files it."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import scrapy
from itemadapter import ItemAdapter
from scrapy.http import Response
from scrapy.settings import BaseSettings
from twisted.python.failure import Failure
from w3lib.encoding import http_content_type_encoding

from newsbot.charset import decode_html
from newsbot.extraction import article_from_response
from newsbot.identity import article_key
from newsbot.items import Article
from newsbot.middlewares.replay import REPLAY_RECORD_META, settings_run
from newsbot.sites.base import NotAnArticle
from newsbot.sources.sina_finance import TABLE_ORDER, Listed, channel_of_listing, filing, listing_entries
from newsbot.spiders import check_argument_names
from newsbot.spiders.article import failure_reason
from newsbot.warc import Run, decoded_body, read_response

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class Listing:
    """What a recording's Sina Finance listings say of one article: the first entry naming it, and the
    ``TABLE_ORDER`` of each channel that listed it."""

    entry: Listed
    orders: list[int] = field(default_factory=list)


def recorded_listings(run: Run) -> dict[str, Listing]:
    """By article key, what the 200 responses of Sina Finance listing pages in ``run`` name, in recorded order;
    a listing whose body cannot be decoded is logged and passed over."""
    refs = sorted((ref for refs in run.responses.values() for ref in refs), key=lambda ref: (ref.path, ref.offset))
    listings: dict[str, Listing] = {}
    for ref in refs:
        channel = channel_of_listing(ref.url)
        if ref.status != 200 or channel is None:
            continue
        recorded = read_response(ref)
        try:
            body = decoded_body(recorded)
        except ValueError as error:
            logger.warning("recorded listing not read: %s", error)
            continue
        content_type = next((value for name, value in recorded.headers if name.lower() == "content-type"), "")
        text = decode_html(body, http_content_type_encoding(content_type))
        for entry in listing_entries(ref.url, text):
            listing = listings.setdefault(article_key(entry.url), Listing(entry))
            listing.orders.append(TABLE_ORDER[channel.key])
    return listings


class WarcSpider(scrapy.Spider):
    """Extract an article from each URL's last 200 HTML response in the replayed recording; one the recorded
    Sina Finance listings name gets the crawl's filing (``filing``) and its listing's date, where it gives one."""

    name = "warc"

    def __init__(self, **kwargs: Any) -> None:
        check_argument_names(type(self), kwargs)
        super().__init__(**kwargs)

    def check_settings(self, settings: BaseSettings) -> None:
        """Refuse (``ValueError``) a crawl without recordings to answer from (``NEWSBOT_REPLAY_FILES``, set by
        ``newsbot replay`` and ``newsbot renormalise``)."""
        if not settings.getlist("NEWSBOT_REPLAY_FILES"):
            raise ValueError(
                "the warc spider reads recorded crawls: run it as newsbot replay F.warc.gz or newsbot renormalise"
            )

    async def start(self) -> AsyncIterator[scrapy.Request]:
        run = settings_run(self.settings)
        self.listings = recorded_listings(run)
        for refs in run.responses.values():
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
            article = article_from_response(response)
        except NotAnArticle as refusal:
            self.crawler.stats.inc_value("newsbot/replay/not_an_article")
            logger.info("not an article: %s (%s)", response.url, refusal)
            return
        adapter = ItemAdapter(article)
        listing = self.listings.get(article_key(adapter["url"], adapter.get("canonical_url")))
        if listing is not None:
            article["published"] = listing.entry.published or article["published"]
            article["categories"], article["author"] = filing(listing.entry.url, listing.orders)
        yield article

    def failed(self, failure: Failure) -> None:
        self.crawler.stats.inc_value("newsbot/failed/download")
        self.crawler.stats.inc_value("newsbot/failed")
        logger.warning("recorded page failed: %s %s", failure_reason(failure), failure.request.url)
