"""Feeds and list pages: each new entry becomes an article, from the feed's HTML or from its fetched page."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import datetime
from typing import Any, Self
from urllib.parse import urlsplit

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response, TextResponse
from scrapy.selector import Selector
from scrapy.settings import BaseSettings
from twisted.python.failure import Failure
from w3lib.encoding import http_content_type_encoding

from newsbot.body import inner_html
from newsbot.feeds import FeedEntry, NotAFeed, list_entries, parse_feed
from newsbot.items import Article
from newsbot.ledger import LedgerEntry
from newsbot.sites.base import NotAnArticle
from newsbot.sources.config import DEFAULT_RSSHUB_URL, Source, SourcesError, load_sources, source_from_table
from newsbot.spiders import UnseenArticles, boolean_argument, check_argument_names
from newsbot.spiders.article import failure_reason, url_problem
from newsbot.storage import safe_component
from newsbot.workers import PageWorkers

logger = logging.getLogger(__name__)


def _text(selector: Selector) -> str:
    return selector.root if isinstance(selector.root, str) else selector.xpath("string()").get("")


def adhoc_source(url: str, categories: str, author: str = "", site: str = "", fetch_article: str = "") -> Source:
    """The source of a feed given by spider arguments (``-a url=... -a categories=group,site,channel``); the
    posts' folder is ``site``, else the URL's host. ``ValueError`` names the argument that is wrong."""
    if url_problem(url, length_limit=0):
        raise ValueError(f"-a url={url[:200]}: not an http(s) URL")
    names = [part.strip() for part in categories.split(",")]
    if len(names) != 3 or not all(names):
        raise ValueError(
            f"-a categories={categories}: expected three comma-separated names, group,site,channel "
            "(e.g. 金融,财联社,财联社－电报)"
        )
    folder = site or safe_component(urlsplit(url).hostname or "", "feed").lower()
    table: dict[str, Any] = {"feed": url, "categories": names}
    if author.strip():
        table["author"] = author
    if fetch_article:
        table["fetch_article"] = boolean_argument("fetch_article", fetch_article)
    try:
        return source_from_table(folder, table, DEFAULT_RSSHUB_URL, "feed spider arguments")
    except SourcesError as error:
        raise ValueError(f"-a site={folder}: {str(error).rpartition(': ')[2]}") from None


class FeedSpider(scrapy.Spider):
    """Crawl one configured source (``-a source=NAME``) or an ad-hoc feed (``-a url=... -a categories=...``).

    Ad-hoc arguments: ``categories`` is ``group,site name,channel name``; ``author``, ``site`` (the posts'
    folder, default from the host) and ``fetch_article`` (``true``/``false``) are optional.
    """

    name = "feed"

    def __init__(
        self,
        source: str = "",
        url: str = "",
        categories: str = "",
        author: str = "",
        site: str = "",
        fetch_article: str = "",
        **kwargs: Any,
    ) -> None:
        check_argument_names(type(self), kwargs)
        super().__init__(**kwargs)
        if bool(source) == bool(url):
            raise ValueError("give the feed spider either source=NAME or url=URL with categories=A,B,C")
        adhoc = {"categories": categories, "author": author, "site": site, "fetch_article": fetch_article}
        if source and (given := [name for name, value in adhoc.items() if value]):
            raise ValueError(f"-a {given[0]} is for a feed given by -a url=URL; -a source={source} has its own")
        self.source_name = source
        self.adhoc_source = adhoc_source(url, **adhoc) if url else None
        self.source: Source | None = None
        self.unseen: UnseenArticles | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.source = spider.check_settings(crawler.settings)
        spider.page_workers = PageWorkers.of(crawler)
        return spider

    def check_settings(self, settings: BaseSettings) -> Source:
        """The source this spider crawls: its ad-hoc feed, else ``source`` from the sources file the settings
        name; ``ValueError`` for a name that is no feed or list source there."""
        if self.adhoc_source is not None:
            return self.adhoc_source
        sources = load_sources(settings)
        source = sources.get(self.source_name)
        if source is None or source.spider != self.name:
            feeds = ", ".join(name for name, known in sources.items() if known.spider == self.name)
            raise ValueError(f"no feed or list source {self.source_name!r}; configured: {feeds or 'none'}")
        return source

    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.unseen = UnseenArticles(self.crawler, self.source.name, folders=(self.source.name,))
        for output in self.unseen.due(self.ledger_output):
            yield output
        self.crawler.stats.inc_value("newsbot/listings")
        yield scrapy.Request(self.source.url, callback=self.parse, errback=self.listing_failed)

    def parse(self, response: Response) -> Iterator[scrapy.Request | Article]:
        if self.source.kind == "list":
            if not isinstance(response, TextResponse):
                self.crawler.stats.inc_value("newsbot/failed/listing")
                logger.warning("list page is not text: %s", response.url)
                return
            yield from self.entries_output(list_entries(response.text, response.url, self.source.links))
            return
        content_type = response.headers.get("Content-Type", b"").decode("latin-1")
        try:
            feed = parse_feed(response.body, response.url, http_content_type_encoding(content_type))
        except NotAFeed as error:
            self.crawler.stats.inc_value("newsbot/failed/listing")
            logger.warning("feed failed: %s %s", error, response.url)
            return
        if feed.problem:
            self.crawler.stats.inc_value("newsbot/feed/bozo")
            logger.warning(
                "malformed feed %s (%s); using the %d entries recovered",
                response.url,
                feed.problem,
                len(feed.entries),
            )
        if feed.unlinked:
            self.crawler.stats.inc_value("newsbot/feed/no_link", feed.unlinked)
            logger.warning("%d entries without an http(s) link in %s", feed.unlinked, response.url)
        for refusal in feed.refused:
            self.refuse_item(refusal.reason, refusal.item, refusal.detail)
        self.crawler.stats.inc_value("newsbot/feed/entries", len(feed.entries))
        yield from self.entries_output(feed.entries)

    def entries_output(self, entries: Iterable[FeedEntry]) -> Iterator[scrapy.Request | Article]:
        """Articles straight from the feed, or requests for their pages, for entries the archive lacks."""
        for entry in entries:
            published = entry.published.isoformat() if entry.published else None
            context = {"title": entry.title, "published": published, "html": entry.html, "summary": entry.summary}
            key = self.unseen.new_key(entry.url, context)
            if key is not None:
                yield self.entry_output(entry, key)

    def entry_output(self, entry: FeedEntry, key: str) -> scrapy.Request | Article:
        """The article of one entry straight from the feed, or the request for its page."""
        if not self.needs_page(entry):
            return self.article(entry, key, entry.url, entry.html or entry.summary)
        self.crawler.stats.inc_value("newsbot/article_requests")
        return scrapy.Request(
            entry.url,
            callback=self.parse_article,
            errback=self.article_failed,
            cb_kwargs={"entry": entry, "key": key},
        )

    def ledger_output(self, failed: LedgerEntry) -> scrapy.Request | Article:
        """The article or request of an entry the ledger asks for again, from the context it was listed with."""
        context = failed.context
        published = datetime.fromisoformat(context["published"]) if context.get("published") else None
        entry = FeedEntry(
            failed.url, context.get("title", ""), published, context.get("html"), context.get("summary", "")
        )
        return self.entry_output(entry, failed.key)

    def body_from_page(self, entry: FeedEntry) -> bool:
        """Whether the entry's body comes from its page: asked for, or the feed holds only a summary."""
        if self.source.fetch_article is None:
            return entry.html is None
        return self.source.fetch_article

    def needs_page(self, entry: FeedEntry) -> bool:
        """Whether the entry's page is fetched: for its body, or for the title or date the feed lacks."""
        return entry.published is None or not entry.title or self.body_from_page(entry)

    def article(
        self, entry: FeedEntry, key: str, url: str, body_html: str, page: Article | None = None
    ) -> Article:
        """The article of an entry, filed under the source; ``page`` fills what the feed lacks."""
        page = page or Article()
        return Article(
            url=url,
            canonical_url=page.get("canonical_url"),
            key=key,
            site=self.source.name,
            categories=self.source.categories.as_tuple(),
            author=self.source.author,
            title=(self.source.title_xpath and page.get("title")) or entry.title or page.get("title", ""),
            published=entry.published or page.get("published"),
            body_html=body_html,
            outlet=page.get("outlet"),
            editor=page.get("editor"),
        )

    async def page_article(self, response: Response) -> Article:
        """What the page says, read by its site adapter or the generic extractor in a page worker, then the
        source's rules."""
        if not isinstance(response, TextResponse):
            raise NotAnArticle(f"not an HTML page ({response.headers.get('Content-Type', b'').decode()})")
        try:
            page = await self.page_workers.article(response, normalise=False)
        except NotAnArticle:
            if not self.source.body_xpath:
                raise
            page = Article(url=response.url)
        if self.source.title_xpath:
            page["title"] = " ".join(_text(node) for node in response.xpath(self.source.title_xpath)).strip()
        if self.source.body_xpath:
            nodes = response.xpath(self.source.body_xpath)
            if not nodes or isinstance(nodes[0].root, str):
                raise NotAnArticle(f"body_xpath {self.source.body_xpath!r} matches no element")
            page["body_html"] = inner_html(nodes[0].root)
        return page

    async def parse_article(self, response: Response, entry: FeedEntry, key: str) -> list[Article]:
        from_page = self.body_from_page(entry)
        try:
            page = await self.page_article(response)
        except NotAnArticle as refusal:
            if from_page:
                self.refuse("not_an_article", response.url, str(refusal))
                return []
            page = Article()
        article = (
            self.article(entry, key, response.url, page.get("body_html", ""), page)
            if from_page
            else self.article(entry, key, entry.url, entry.html or entry.summary, page)
        )
        if article["published"] is None:
            self.refuse("no_date", entry.url, "no date in the feed or on the page")
            return []
        return [article]

    def refuse(self, reason: str, url: str, detail: str) -> None:
        self.crawler.stats.inc_value(f"newsbot/failed/{reason}")
        self.crawler.stats.inc_value("newsbot/failed")
        logger.warning("skipped %s: %s (%s)", url, reason.replace("_", " "), detail)

    def refuse_item(self, reason: str, item: str, detail: str) -> None:
        """Count one feed item refused (``newsbot/failed/item/<reason>``) and say why in one line."""
        for stat in ("newsbot/failed/item", f"newsbot/failed/item/{reason}", "newsbot/failed"):
            self.crawler.stats.inc_value(stat)
        logger.warning("skipped feed item %s: %s (%s)", item, reason.replace("_", " "), detail)

    def listing_failed(self, failure: Failure) -> None:
        self.crawler.stats.inc_value("newsbot/failed/listing")
        logger.warning("feed failed: %s %s", failure_reason(failure), failure.request.url)

    def article_failed(self, failure: Failure) -> None:
        self.unseen.failed(failure)
        self.crawler.stats.inc_value("newsbot/failed/download")
        self.crawler.stats.inc_value("newsbot/failed")
        logger.warning("article page failed: %s %s", failure_reason(failure), failure.request.url)
