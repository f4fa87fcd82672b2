"""newsbot's spiders, and what the discovering ones share: asking the archive before requesting an article."""

from __future__ import annotations

from pathlib import Path

from scrapy import signals
from scrapy.crawler import Crawler

from newsbot.identity import article_key
from newsbot.index.backends import open_index


class UnseenArticles:
    """The article keys a crawl still has to request: neither asked for in this run nor in the archive.

    Known articles are counted as ``newsbot/skipped_known``; the index closes with the spider.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats
        self.requested: set[str] = set()
        self.index = open_index(Path(crawler.settings.get("NEWSBOT_OUTPUT_DIR", "output")), crawler.settings)
        crawler.signals.connect(self.index.close, signal=signals.spider_closed)

    def new_key(self, url: str) -> str | None:
        """The key of ``url``'s article when it is to be requested, else ``None``."""
        key = article_key(url)
        if key in self.requested:
            return None
        self.requested.add(key)
        if self.index.knows(key):
            self.stats.inc_value("newsbot/skipped_known")
            return None
        return key
