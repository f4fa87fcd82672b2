"""The one-off spider: one article URL (or a saved copy of its page) to one post."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response
from scrapy.settings.default_settings import URLLENGTH_LIMIT
from twisted.python.failure import Failure

from newsbot.extraction import article_from_response
from newsbot.items import Article
from newsbot.middlewares.saved_page import SAVED_PAGE_META
from newsbot.sites.base import NotAnArticle
from newsbot.spiders import UnseenArticles, boolean_argument, check_argument_names, failure_reason

logger = logging.getLogger(__name__)


def url_problem(url: str, length_limit: int = URLLENGTH_LIMIT) -> str | None:
    """Why ``url`` cannot be fetched (not http(s), credentials in it, longer than ``length_limit``), else ``None``."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - reads the port, refusing one that is not a number
    except ValueError as error:
        return f"not a URL ({error}): {url[:200]}"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"not an http(s) URL: {url[:200]}"
    if parts.username is not None or parts.password is not None:
        return "the URL holds credentials (user:password@); newsbot fetches public pages only"
    if length_limit and len(url) > length_limit:
        return f"the URL is {len(url)} characters long, over Scrapy's URLLENGTH_LIMIT ({length_limit})"
    return None


class ArticleSpider(scrapy.Spider):
    """Fetch one article page; ``html_file`` answers it from a saved page, the URL still naming it.

    A crawl of the network (no ``html_file``) keeps its article in the failed-article ledger under the source
    ``article`` as the discovering spiders do (``newsbot.spiders.UnseenArticles``), and first asks again for the
    article crawls' due entries; ``ledger=False`` (``newsbot fetch``) keeps the ledger out of it.
    """

    name = "article"
    # One page: starting a page worker process would cost more than reading it here.
    custom_settings: ClassVar[dict[str, Any]] = {"NEWSBOT_PAGE_PROCESSES": 0}

    def __init__(self, url: str, html_file: str | None = None, ledger: bool | str = True, **kwargs: Any) -> None:
        check_argument_names(type(self), kwargs)
        super().__init__(**kwargs)
        if problem := url_problem(url):
            raise ValueError(problem)
        if html_file and not Path(html_file).is_file():
            raise ValueError(f"-a html_file={html_file}: no such file")
        self.url = url
        self.html_file = html_file
        self.ledger = boolean_argument("ledger", ledger) and not html_file
        self.unseen: UnseenArticles | None = None
        self.error: str | None = None

    async def start(self) -> Any:
        if not self.ledger:
            meta = {SAVED_PAGE_META: self.html_file} if self.html_file else {}
            self.crawler.stats.inc_value("newsbot/article_requests")
            yield scrapy.Request(self.url, meta=meta, callback=self.parse, errback=self.failed, dont_filter=True)
            return
        self.unseen = UnseenArticles(self.crawler)
        key = self.unseen.asked_for(self.url)
        yield self.request(self.url, key)
        for request in self.unseen.due(lambda entry: self.request(entry.url, entry.key)):
            yield request

    def request(self, url: str, key: str) -> scrapy.Request:
        """The request of the article ``key`` at ``url``, its outcome kept in the ledger; counted as
        ``newsbot/article_requests``."""
        self.crawler.stats.inc_value("newsbot/article_requests")
        return scrapy.Request(
            url, callback=self.parse, errback=self.failed, cb_kwargs={"key": key}, dont_filter=True
        )

    def parse(self, response: Response, key: str | None = None) -> Iterator[Article]:
        try:
            article = article_from_response(response, stats=self.crawler.stats)
        except NotAnArticle as refusal:
            self.error = str(refusal)
            self.crawler.stats.inc_value("newsbot/failed/not_an_article")
            self.crawler.stats.inc_value("newsbot/failed")
            logger.warning("not an article: %s (%s)", response.url, refusal)
            if self.unseen is not None and key is not None:
                self.unseen.refused(key, f"not an article: {refusal}")
            return
        if self.unseen is not None and key is not None:
            article["key"] = self.unseen.answered(key, article["url"], article.get("canonical_url"))
        yield article

    def failed(self, failure: Failure) -> None:
        if self.unseen is not None:
            self.unseen.failed(failure)
        self.error = f"{failure_reason(failure)} for {failure.request.url}"
        self.crawler.stats.inc_value("newsbot/failed/download")
        self.crawler.stats.inc_value("newsbot/failed")
        logger.warning("download failed: %s", self.error)
