"""The spidermon monitors run at every spider close (``SPIDERMON_SPIDER_CLOSE_MONITORS``).

Each monitor fails with its alarm lines (``newsbot.monitors.checks``). The suite then logs each line at
ERROR, counts them as ``newsbot/alarms`` (the run's exit status turns 1, ``newsbot.outcome``), keeps them
as ``newsbot/alarm_messages`` for the run history, and runs the notification actions the user listed in
``NEWSBOT_ALARM_ACTIONS`` (spidermon's e-mail, Slack, Telegram, Discord... actions; none by default).

Settings: ``NEWSBOT_MIN_COVERAGE`` (field -> 0..1), ``NEWSBOT_MONITOR_MIN_PAGES``,
``NEWSBOT_MAX_REFUSED_SHARE``, ``NEWSBOT_MAX_FAILED_LISTING_SHARE``, ``NEWSBOT_MAX_DOWNLOAD_FAILURE_SHARE``,
``NEWSBOT_MAX_RUNS_WITHOUT_NEW`` (0: never), ``NEWSBOT_ALARM_ACTIONS``.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import ScrapyDeprecationWarning
from scrapy.settings import Settings
from scrapy.statscollectors import StatsCollector
from scrapy.utils.misc import load_object
from spidermon import Monitor, MonitorSuite, monitors

from newsbot.history import ALARM_MESSAGES_STAT, open_history, source_name
from newsbot.index.backends import INDEX_ERRORS
from newsbot.monitors import checks
from newsbot.outcome import ALARMS_STAT

logger = logging.getLogger(__name__)
# unittest leaves this module's frames out of a failure's text: spidermon logs an alarm, not a traceback.
__unittest = True
# spidermon's log lines go through Spider.log, which Scrapy 2.13 deprecated: one warning a run, none of ours.
warnings.filterwarnings(
    "ignore",
    r"Spider\.log\(\) is deprecated",
    ScrapyDeprecationWarning,
    r"spidermon\.contrib\.scrapy\.runners",
)


def raise_alarm(stats: StatsCollector, message: str) -> None:
    """Log ``message`` at ERROR and count it: ``newsbot/alarms`` and the ``newsbot/alarm_messages`` list."""
    logger.error("%s", message)
    stats.inc_value(ALARMS_STAT)
    stats.set_value(ALARM_MESSAGES_STAT, [*(stats.get_value(ALARM_MESSAGES_STAT) or []), message])


class NewsbotMonitor(Monitor):
    """A monitor whose alarms come from one rule of ``newsbot.monitors.checks``."""

    longMessage = False

    @property
    def settings(self) -> Settings:
        """The crawler's settings."""
        return self.data.crawler.settings

    @property
    def source(self) -> str:
        """The source the closing spider crawled (``newsbot.history.source_name``)."""
        return source_name(self.data.spider)

    def raise_alarms(self, alarms: list[str]) -> None:
        """Fail with the alarm lines, one per line, when there are any."""
        if alarms:
            self.fail("\n".join(alarms))


@monitors.name("Field coverage")
class FieldCoverageMonitor(NewsbotMonitor):
    """Alarms from ``checks.coverage_alarms``."""

    @monitors.name("Title, date, body and image found on enough article pages, per site")
    def test_field_coverage(self) -> None:
        self.raise_alarms(self.alarms())

    def alarms(self) -> list[str]:
        return checks.coverage_alarms(
            self.source,
            self.data.stats,
            self.settings.getdict("NEWSBOT_MIN_COVERAGE"),
            self.settings.getint("NEWSBOT_MONITOR_MIN_PAGES"),
        )


@monitors.name("Refused pages")
class RefusalMonitor(NewsbotMonitor):
    """Alarms from ``checks.refusal_alarms``."""

    @monitors.name("Few article pages refused as not an article")
    def test_refused_share(self) -> None:
        self.raise_alarms(self.alarms())

    def alarms(self) -> list[str]:
        return checks.refusal_alarms(
            self.source,
            self.data.stats,
            self.settings.getfloat("NEWSBOT_MAX_REFUSED_SHARE"),
            self.settings.getint("NEWSBOT_MONITOR_MIN_PAGES"),
        )


@monitors.name("Listings")
class ListingMonitor(NewsbotMonitor):
    """Alarms from ``checks.listing_alarms``."""

    @monitors.name("Few listings failed")
    def test_failed_listings(self) -> None:
        self.raise_alarms(self.alarms())

    def alarms(self) -> list[str]:
        return checks.listing_alarms(
            self.source, self.data.stats, self.settings.getfloat("NEWSBOT_MAX_FAILED_LISTING_SHARE")
        )


@monitors.name("Downloads")
class DownloadMonitor(NewsbotMonitor):
    """Alarms from ``checks.download_alarms``."""

    @monitors.name("Few article downloads failed")
    def test_failed_downloads(self) -> None:
        self.raise_alarms(self.alarms())

    def alarms(self) -> list[str]:
        return checks.download_alarms(
            self.source,
            self.data.stats,
            self.settings.getfloat("NEWSBOT_MAX_DOWNLOAD_FAILURE_SHARE"),
            self.settings.getint("NEWSBOT_MONITOR_MIN_PAGES"),
        )


@monitors.name("New articles")
class NewArticlesMonitor(NewsbotMonitor):
    """Alarms from ``checks.streak_alarms``, for spiders that discover their articles (they hold ``unseen``),
    not one-off fetches."""

    @monitors.name("Something new within NEWSBOT_MAX_RUNS_WITHOUT_NEW runs")
    def test_new_articles(self) -> None:
        self.raise_alarms(self.alarms())

    def alarms(self) -> list[str]:
        runs = self.settings.getint("NEWSBOT_MAX_RUNS_WITHOUT_NEW")
        if runs < 1 or getattr(self.data.spider, "unseen", None) is None:
            return []
        output_dir = Path(self.settings.get("NEWSBOT_OUTPUT_DIR", "output"))
        try:
            with open_history(output_dir, self.settings, create=False) as history:
                earlier = history.last_runs(self.source, runs - 1)
                archived_before = history.ever_archived(self.source)
        except INDEX_ERRORS as error:
            logger.warning("run history of %s not read, streak not judged: %s", output_dir, error)
            return []
        return checks.streak_alarms(
            self.source, int(self.data.stats.get("newsbot/new") or 0), earlier, archived_before, runs
        )


class RunMonitors(MonitorSuite):
    """Every newsbot monitor; alarms are logged, counted and sent with the ``NEWSBOT_ALARM_ACTIONS``."""

    monitors = [  # noqa: RUF012 (spidermon reads the class attribute)
        FieldCoverageMonitor,
        RefusalMonitor,
        ListingMonitor,
        DownloadMonitor,
        NewArticlesMonitor,
    ]

    def __init__(self, crawler: Crawler | None = None, **kwargs: Any) -> None:
        paths = crawler.settings.getlist("NEWSBOT_ALARM_ACTIONS") if crawler is not None else []
        actions = []
        for path in paths:
            try:
                actions.append(load_object(path))
            except (ImportError, NameError, ValueError) as error:
                raise_alarm(
                    crawler.stats, f"NEWSBOT_ALARM_ACTIONS: cannot load {path!r} ({error}); not notified"
                )
        kwargs["monitors_failed_actions"] = [*kwargs.get("monitors_failed_actions", ()), *actions]
        super().__init__(crawler=crawler, **kwargs)

    def on_monitors_failed(self, result: Any) -> None:
        messages = []
        for item in result.monitors_failed_results:
            if item.reason:
                messages += str(item.reason).splitlines()
            else:
                last_line = (str(item.error or "").strip().splitlines() or ["no error text"])[-1]
                messages.append(f"monitor {item.item.name} could not judge the run: {last_line}")
        for message in messages:
            raise_alarm(self._crawler.stats, message)
