"""Normalise an extracted article into the archive's form: sanitised body, the article's own first image, identity,
and the body's fingerprints."""

from __future__ import annotations

import hashlib
import logging
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from typing import NamedTuple

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.statscollectors import StatsCollector
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from newsbot import body
from newsbot.fingerprint import body_text, exact_fingerprint, simhash
from newsbot.identity import article_key
from newsbot.post import clean_line
from newsbot.settings import NEWSBOT_NORMALISE_PROCESSES
from newsbot.sites import kept_blocks

logger = logging.getLogger(__name__)


class NormalisedBody(NamedTuple):
    """The archived body HTML, its first image URL (or ``None``), its body hash (hex) and 64-bit SimHash."""

    html: str
    first_image: str | None
    body_hash: str
    simhash: int


def normalised_body(served_html: str, url: str) -> NormalisedBody | None:
    """The archived form of the body served at ``url`` with its fingerprints; ``None`` when it shows nothing."""
    html, first_image = body.normalise(served_html, url, kept_blocks(url))
    if not body.has_text(html):
        return None
    text = body_text(html)
    return NormalisedBody(html, first_image, exact_fingerprint(text), simhash(text))


def placeholder_image(template: str, key: str) -> str | None:
    """The placeholder image URL of an article without images, stable for its key; ``None`` if unset."""
    if not template:
        return None
    number = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big") % 10000
    return template.format(n=number)


def _deferred(future: Future) -> Deferred:
    """A ``Deferred`` fired in the reactor's thread with the result or exception of ``future``."""
    from twisted.internet import reactor

    result: Deferred = Deferred()

    def fire(done: Future) -> None:
        if (error := done.exception()) is not None:
            result.errback(Failure(error))
        else:
            result.callback(done.result())

    future.add_done_callback(lambda done: reactor.callFromThread(fire, done))
    return result


class NormalisePipeline:
    """Turn the served body into the archived one (SPEC.md, Body), fingerprint it, and fill ``key`` and ``image``.

    The body is normalised and fingerprinted in ``NEWSBOT_NORMALISE_PROCESSES`` worker processes (0: in the
    crawl's own thread) while the crawl goes on; articles leave this pipeline in the order they came.
    """

    def __init__(self, stats: StatsCollector, placeholder: str, processes: int = 0) -> None:
        self.stats = stats
        self.placeholder = placeholder
        self.processes = processes
        self.pool: ProcessPoolExecutor | None = None
        self.last: Deferred | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> NormalisePipeline:
        settings = crawler.settings
        return cls(
            crawler.stats,
            settings.get("NEWSBOT_PLACEHOLDER_IMAGE", ""),
            settings.getint("NEWSBOT_NORMALISE_PROCESSES", NEWSBOT_NORMALISE_PROCESSES),
        )

    def open_spider(self) -> None:
        if self.processes > 0:
            self.pool = ProcessPoolExecutor(self.processes, mp_context=get_context("spawn"))

    def close_spider(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=False)

    def _refuse(self, reason: str, url: str) -> DropItem:
        self.stats.inc_value(f"newsbot/failed/{reason.replace(' ', '_')}")
        self.stats.inc_value("newsbot/failed")
        logger.warning("refused %s: %s", url, reason)
        return DropItem(f"{reason}: {url}")

    def process_item(self, item: object) -> object:
        adapter = ItemAdapter(item)
        self._check(adapter)
        if self.pool is None:
            return self._fill(item, normalised_body(adapter.get("body_html") or "", adapter["url"]))
        return self._in_pool(item, adapter)

    def _check(self, adapter: ItemAdapter) -> None:
        title = clean_line(adapter.get("title") or "")
        if not title:
            raise self._refuse("no title", adapter["url"])
        if adapter.get("published") is None:
            raise self._refuse("no date", adapter["url"])
        adapter["title"] = title

    async def _in_pool(self, item: object, adapter: ItemAdapter) -> object:
        served, url = adapter.get("body_html") or "", adapter["url"]
        previous, self.last = self.last, Deferred()
        finished = self.last
        try:
            try:
                normalised = await maybe_deferred_to_future(
                    _deferred(self.pool.submit(normalised_body, served, url))
                )
            except BrokenProcessPool:
                logger.error("a normalising process died; normalising %s in the crawl's thread", url)
                self.pool = ProcessPoolExecutor(self.processes, mp_context=get_context("spawn"))
                normalised = normalised_body(served, url)
            if previous is not None:
                await maybe_deferred_to_future(previous)
        finally:
            finished.callback(None)
        return self._fill(item, normalised)

    def _fill(self, item: object, normalised: NormalisedBody | None) -> object:
        adapter = ItemAdapter(item)
        if normalised is None:
            raise self._refuse("no body", adapter["url"])
        adapter["body_html"] = normalised.html
        adapter["body_hash"] = normalised.body_hash
        adapter["simhash"] = normalised.simhash
        adapter["key"] = adapter.get("key") or article_key(adapter["url"], adapter.get("canonical_url"))
        adapter["image"] = normalised.first_image or placeholder_image(self.placeholder, adapter["key"])
        return item
