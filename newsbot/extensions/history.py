"""Record every run in the run history (``newsbot.history``) when its spider closes, after the monitors."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

from itemadapter import ItemAdapter
from scrapy import Spider, signals
from scrapy.crawler import Crawler

from newsbot.history import open_history, run_from_stats, source_name, utc_text
from newsbot.index.backends import INDEX_ERRORS
from newsbot.outcome import DEFAULT_MAX_FAILURE_SHARE

logger = logging.getLogger(__name__)


class RunHistoryRecorder:
    """Write one ``runs`` row per crawl at ``spider_closed``; a database that cannot be written is logged and
    counted as ``newsbot/failed/history``, the crawl's own result unchanged.

    Settings: ``NEWSBOT_OUTPUT_DIR``, ``NEWSBOT_MAX_FAILURE_SHARE`` (for the exit status recorded)."""

    def __init__(self, crawler: Crawler, output_dir: Path, max_failure_share: float) -> None:
        self.crawler = crawler
        self.output_dir = output_dir
        self.max_failure_share = max_failure_share
        self.newest: datetime | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunHistoryRecorder:
        settings = crawler.settings
        extension = cls(
            crawler,
            Path(settings.get("NEWSBOT_OUTPUT_DIR", "output")),
            settings.getfloat("NEWSBOT_MAX_FAILURE_SHARE", DEFAULT_MAX_FAILURE_SHARE),
        )
        crawler.signals.connect(extension.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def item_scraped(self, item: object) -> None:
        published = ItemAdapter(item).get("published")
        if isinstance(published, datetime) and (
            self.newest is None or utc_text(published) > utc_text(self.newest)
        ):
            self.newest = published

    def spider_closed(self, spider: Spider) -> None:
        stats = self.crawler.stats
        run = run_from_stats(
            source_name(spider),
            stats.get_stats(),
            self.max_failure_share,
            utc_text(self.newest) if self.newest else None,
        )
        try:
            with open_history(self.output_dir, self.crawler.settings) as history:
                history.record(run)
        except (*INDEX_ERRORS, OSError) as error:
            stats.inc_value("newsbot/failed/history")
            logger.error("run history not written to %s: %s", self.output_dir, error)
