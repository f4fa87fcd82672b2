"""Normalise an extracted article into the archive's form: sanitised body, the article's own first image, identity."""

from __future__ import annotations

import hashlib
import logging

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.statscollectors import StatsCollector

from newsbot import body
from newsbot.identity import article_key
from newsbot.post import clean_line
from newsbot.sites import kept_blocks

logger = logging.getLogger(__name__)


def placeholder_image(template: str, key: str) -> str | None:
    """The placeholder image URL of an article without images, stable for its key; ``None`` if unset."""
    if not template:
        return None
    number = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big") % 10000
    return template.format(n=number)


class NormalisePipeline:
    """Turn the served body into the archived one (SPEC.md, Body) and fill ``key`` and ``image``."""

    def __init__(self, stats: StatsCollector, placeholder: str) -> None:
        self.stats = stats
        self.placeholder = placeholder

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> NormalisePipeline:
        return cls(crawler.stats, crawler.settings.get("NEWSBOT_PLACEHOLDER_IMAGE", ""))

    def _refuse(self, reason: str, url: str) -> DropItem:
        self.stats.inc_value(f"newsbot/failed/{reason.replace(' ', '_')}")
        self.stats.inc_value("newsbot/failed")
        logger.warning("refused %s: %s", url, reason)
        return DropItem(f"{reason}: {url}")

    def process_item(self, item: object) -> object:
        adapter = ItemAdapter(item)
        url = adapter["url"]
        title = clean_line(adapter.get("title") or "")
        if not title:
            raise self._refuse("no title", url)
        if adapter.get("published") is None:
            raise self._refuse("no date", url)
        html, first_image = body.normalise(adapter.get("body_html") or "", url, kept_blocks(url))
        if not body.has_text(html):
            raise self._refuse("no body", url)
        adapter["title"] = title
        adapter["body_html"] = html
        adapter["key"] = adapter.get("key") or article_key(url, adapter.get("canonical_url"))
        adapter["image"] = first_image or placeholder_image(self.placeholder, adapter["key"])
        return item
