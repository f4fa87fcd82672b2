"""Store each article as one post file under the output folder, then record it in the index."""

from __future__ import annotations

import logging
from datetime import UTC
from pathlib import Path

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.settings import BaseSettings
from scrapy.statscollectors import StatsCollector

from newsbot.identity import post_name
from newsbot.index import Entry, Index
from newsbot.index.backends import INDEX_ERRORS, Claims, claims_of, open_index
from newsbot.ledger import FailureLedger, PostgresFailureLedger, RetryLater, open_ledger
from newsbot.post import Post, render
from newsbot.storage import post_relpath, remove_stale_temporaries, write_post

logger = logging.getLogger(__name__)


def post_of(adapter: ItemAdapter) -> Post:
    """The post an article item writes."""
    return Post(
        title=adapter["title"],
        categories=tuple(adapter["categories"]),
        author=adapter["author"],
        published=adapter["published"],
        body_html=adapter["body_html"],
        image=adapter.get("image"),
    )


class StorePipeline:
    """Write the post atomically at ``<site>/<YYYY>/<MM>/<name>.md``, keeping a replaced version, and take
    the stored article out of the failed-article ledger.

    A post that cannot be written or indexed is counted (``newsbot/failed/write``, ``newsbot/failed/index``),
    logged in one line and dropped: ``RetryLater`` for an ``OSError`` or SQLite error, a plain ``DropItem`` for
    a path refused for leaving the archive.
    """

    def __init__(self, output_dir: Path, stats: StatsCollector, settings: BaseSettings | None = None) -> None:
        self.output_dir = output_dir
        self.stats = stats
        self.settings = settings
        self.index: Index | None = None
        self.claims: Claims | None = None
        self.ledger: FailureLedger | PostgresFailureLedger | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        return cls(
            Path(crawler.settings.get("NEWSBOT_OUTPUT_DIR", "output")), crawler.stats, crawler.settings
        )

    def open_spider(self) -> None:
        self.output_dir.mkdir(parents=True, exist_ok=True)
        for stale in remove_stale_temporaries(self.output_dir):
            logger.info("removed %s, left by an interrupted write", stale)
        self.index = open_index(self.output_dir, self.settings)
        self.claims = claims_of(self.index)
        self.ledger = open_ledger(self.output_dir, self.settings)

    def close_spider(self) -> None:
        for database in (self.index, self.ledger):
            if database is not None:
                database.close()

    def refuse(self, reason: str, message: str, error: Exception, retry: bool) -> DropItem:
        """Count and log one post that could not be stored; the exception to drop it with."""
        self.stats.inc_value(f"newsbot/failed/{reason}")
        self.stats.inc_value("newsbot/failed")
        logger.error("%s: %s", message, error)
        return (RetryLater if retry else DropItem)(f"{reason} failed: {error}", log_level="DEBUG")

    def process_item(self, item: object) -> object:
        adapter = ItemAdapter(item)
        try:
            return self._store(item, adapter)
        finally:
            self.claims.release(adapter["key"], adapter["body_hash"], adapter["simhash"])

    def _store(self, item: object, adapter: ItemAdapter) -> object:
        relpath = adapter.get("path") or post_relpath(
            adapter["site"], adapter["published"], post_name(adapter["key"])
        )
        try:
            outcome = write_post(self.output_dir, relpath, render(post_of(adapter)))
        except OSError as error:
            raise self.refuse(
                "write", f"could not write {relpath} for {adapter['url']}", error, True
            ) from error
        except ValueError as error:
            raise self.refuse(
                "write", f"refused to write {relpath} for {adapter['url']}", error, False
            ) from error
        adapter["path"] = relpath
        adapter["status"] = outcome
        entry = Entry(
            key=adapter["key"],
            path=relpath,
            url=adapter["url"],
            body_hash=adapter["body_hash"],
            simhash=adapter["simhash"],
            published=adapter["published"].astimezone(UTC).isoformat(),
        )
        try:
            self.index.record(entry)
        except INDEX_ERRORS as error:
            message = f"wrote {relpath} but could not index it (newsbot reindex repairs this)"
            raise self.refuse("index", message, error, True) from error
        try:
            self.ledger.remove(entry.key)
        except INDEX_ERRORS as error:
            logger.warning(
                "stored %s but could not take it out of the failed-article ledger: %s", relpath, error
            )
        self.stats.inc_value(f"newsbot/{outcome}")
        logger.info("%s %s -> %s", outcome, adapter["url"], relpath)
        return item
