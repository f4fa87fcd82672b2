"""Record every run in the run history (``newsbot.history``) when its engine stops: after the monitors and
after every component wrote what it writes at the close, so the exit status recorded is the run's."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.crawler import Crawler

from newsbot.failed_writes import count_failed_write, write_error_text
from newsbot.history import open_history, run_from_stats, source_name, utc_text
from newsbot.index.backends import INDEX_ERRORS
from newsbot.outcome import DEFAULT_MAX_FAILURE_SHARE

logger = logging.getLogger(__name__)


class RunHistoryRecorder:
    """Write one ``runs`` row per crawl at ``engine_stopped`` (before the summary); a database that cannot be
    written is one ERROR line, counted as ``newsbot/failed/history`` and ``newsbot/failed_writes/history/<reason>``,
    and makes the run fail (``newsbot.outcome``).

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
        crawler.signals.connect(extension.engine_stopped, signal=signals.engine_stopped)
        return extension

    def item_scraped(self, item: object) -> None:
        published = ItemAdapter(item).get("published")
        if isinstance(published, datetime) and (
            self.newest is None or utc_text(published) > utc_text(self.newest)
        ):
            self.newest = published

    def engine_stopped(self) -> None:
        spider = self.crawler.spider
        if spider is None:
            return
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
            count_failed_write(stats, "history", error)
            logger.error("run history not written to %s: %s", self.output_dir, write_error_text(error))
