"""Stop a crawl cleanly, before anything is fetched, when its archive cannot be written (a full disk)."""

from __future__ import annotations

import logging
from pathlib import Path

from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider
from scrapy.statscollectors import StatsCollector

from newsbot.failed_writes import count_failed_write, open_archive_tables, write_error_text
from newsbot.index.backends import INDEX_ERRORS

logger = logging.getLogger(__name__)

ARCHIVE_UNWRITABLE = "archive_unwritable"


class ArchiveWritablePipeline:
    """The first item pipeline to open: it opens the archive's index and tables (``open_archive_tables``); where
    they cannot be written, one ERROR line, ``newsbot/failed_writes/index/<reason>``, and the spider closed as
    ``archive_unwritable`` (Scrapy's ``CloseSpider`` from a component that fails to start) before the other
    pipelines open or anything is fetched, instead of a traceback from each. It leaves items alone.

    Settings: ``NEWSBOT_OUTPUT_DIR``, ``NEWSBOT_INDEX_URL``."""

    def __init__(self, crawler: Crawler) -> None:
        self.settings = crawler.settings
        self.stats: StatsCollector = crawler.stats
        self.output_dir = Path(crawler.settings.get("NEWSBOT_OUTPUT_DIR", "output"))

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchiveWritablePipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        try:
            open_archive_tables(self.output_dir, self.settings)
        except (*INDEX_ERRORS, OSError) as error:
            count_failed_write(self.stats, "index", error)
            logger.error(
                "cannot write the archive %s: %s; nothing fetched", self.output_dir, write_error_text(error)
            )
            raise CloseSpider(ARCHIVE_UNWRITABLE) from None
