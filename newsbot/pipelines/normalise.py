"""Normalise an extracted article into the archive's form: sanitised body, the article's own first image, identity,
and the body's fingerprints."""

from __future__ import annotations

import hashlib
import logging

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.statscollectors import StatsCollector

from newsbot.identity import article_key
from newsbot.post import clean_line
from newsbot.reading import NormalisedBody, normalised_body, with_body
from newsbot.workers import PageWorkers

logger = logging.getLogger(__name__)


def placeholder_image(template: str, key: str) -> str | None:
    """The placeholder image URL of an article without images, stable for its key; ``None`` if unset."""
    if not template:
        return None
    number = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big") % 10000
    return template.format(n=number)


class NormalisePipeline:
    """Turn the served body into the archived one (SPEC.md, Body), fingerprint it, and fill ``key`` and ``image``.

    An article read by the page workers (``newsbot.workers``) comes normalised (its ``body_hash`` set); any other
    body is normalised and fingerprinted by them here, while the crawl goes on.
    """

    def __init__(self, stats: StatsCollector, placeholder: str, workers: PageWorkers | None = None) -> None:
        self.stats = stats
        self.placeholder = placeholder
        self.workers = workers or PageWorkers(0)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> NormalisePipeline:
        return cls(
            crawler.stats, crawler.settings.get("NEWSBOT_PLACEHOLDER_IMAGE", ""), PageWorkers.of(crawler)
        )

    def _refuse(self, reason: str, url: str) -> DropItem:
        self.stats.inc_value(f"newsbot/failed/{reason.replace(' ', '_')}")
        self.stats.inc_value("newsbot/failed")
        logger.warning("refused %s: %s", url, reason)
        return DropItem(f"{reason}: {url}")

    def process_item(self, item: object) -> object:
        adapter = ItemAdapter(item)
        self._check(adapter)
        if adapter.get("body_hash") is not None:
            return self._fill(adapter)
        if not self.workers.running:
            return self._normalised(item, normalised_body(adapter.get("body_html") or "", adapter["url"]))
        return self._in_workers(item, adapter)

    def _check(self, adapter: ItemAdapter) -> None:
        title = clean_line(adapter.get("title") or "")
        if not title:
            raise self._refuse("no title", adapter["url"])
        if adapter.get("published") is None:
            raise self._refuse("no date", adapter["url"])
        adapter["title"] = title

    async def _in_workers(self, item: object, adapter: ItemAdapter) -> object:
        normalised = await self.workers.run(normalised_body, adapter.get("body_html") or "", adapter["url"])
        return self._normalised(item, normalised)

    def _normalised(self, item: object, normalised: NormalisedBody | None) -> object:
        adapter = ItemAdapter(item)
        if normalised is None:
            raise self._refuse("no body", adapter["url"])
        with_body(adapter, normalised)
        return self._fill(adapter)

    def _fill(self, adapter: ItemAdapter) -> object:
        adapter["key"] = adapter.get("key") or article_key(adapter["url"], adapter.get("canonical_url"))
        adapter["image"] = adapter.get("image") or placeholder_image(self.placeholder, adapter["key"])
        return adapter.item
