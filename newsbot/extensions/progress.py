"""Crawl progress and the closing summary, through logging (``--logfile``, ``--nolog`` and Scrapyd's job log).

While a crawl runs, a live line on a terminal (erased before any log record reaches the terminal, redrawn on the
next tick, so the two never share a line), else a log line every ``NEWSBOT_PROGRESS_INTERVAL`` seconds. When the
engine has stopped, after Scrapy's stats dump, the summary: its first line ``Outcome.headline(source)``, then a
table of counts; logged at INFO, at ERROR when the run failed. ``NEWSBOT_SUMMARY_FILE`` gets every summary of the
process as JSON: the total's fields at the top level, and ``sources``, the list of per-source summaries.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TextIO

from itemadapter import ItemAdapter
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector
from twisted.internet import task

from newsbot.outcome import (
    AFTER_STORE_STAT,
    DEFAULT_MAX_FAILURE_SHARE,
    EXIT_FAILED,
    RESTORED_STAT,
    Outcome,
    run_outcome,
)
from newsbot.signals import StoredItems

logger = logging.getLogger(__name__)

ERASE_LINE = "\r\x1b[K"
TOTAL = "total"
COUNTS: tuple[tuple[str, str | tuple[str, ...]], ...] = (
    ("new", "newsbot/new"),
    ("restored", RESTORED_STAT),
    ("updated", "newsbot/updated"),
    ("unchanged", "newsbot/unchanged"),
    ("skipped", "newsbot/skipped_known"),
    ("revisited", "newsbot/revisited"),
    ("duplicates", ("newsbot/duplicates/exact", "newsbot/duplicates/near")),
    ("failed", "newsbot/failed"),
    ("failed after store", "newsbot/failed_after_store"),
    ("refused items", "newsbot/failed/item"),
    ("asked again", "newsbot/ledger/retried"),
    ("given up", "newsbot/ledger/given_up"),
    ("listings", "newsbot/listings"),
    ("listings failed", "newsbot/failed/listing"),
    ("alarms", "newsbot/alarms"),
    ("robots forbidden", "robotstxt/forbidden"),
    ("retries", "retry/count"),
    ("pages", "response_received_count"),
    ("articles requested", "newsbot/article_requests"),
)

_written: dict[str, list[dict[str, Any]]] = {}


def summary_counts(stats: Mapping[str, Any]) -> dict[str, int]:
    """The run's counts by summary name (``new``, ``given up``, ...), from Scrapy's stats; ``new`` leaves out the
    posts deleted by hand that the run wrote again, counted as ``restored`` (``newsbot/restored``)."""
    counts = {}
    for name, keys in COUNTS:
        keys = (keys,) if isinstance(keys, str) else keys
        counts[name] = sum(int(stats.get(key) or 0) for key in keys)
    counts["new"] -= counts["restored"]
    return counts


def summary_table(counts: Mapping[str, int], seconds: float) -> str:
    """A two-column table of the run's counts and its duration in seconds, between rules."""
    rows = [*counts.items(), ("seconds", f"{seconds:.1f}")]
    width = max(len(name) for name, _ in rows)
    lines = [f"{name:<{width}}  {value:>8}" for name, value in rows]
    rule = "-" * len(lines[0])
    return "\n".join([rule, *lines, rule])


def int_stats(stats: Mapping[str, Any]) -> dict[str, int]:
    """The counting stats of a run (the ones that add up across runs)."""
    return {name: value for name, value in stats.items() if isinstance(value, int) and not isinstance(value, bool)}


def source_name(spider: Spider) -> str:
    """The configured source a spider crawls (``-a source=NAME``), else the spider's name."""
    return getattr(spider, "source_name", "") or spider.name


def crawler_outcome(crawler: Crawler, max_failure_share: float) -> Outcome:
    """The outcome of one crawler's run; a crawler whose spider never started failed."""
    if crawler.spider is None:
        return Outcome(EXIT_FAILED, "the crawl did not start")
    return run_outcome(crawler.stats.get_stats(), max_failure_share)


def summary(
    source: str, spider: str, stats: Mapping[str, Any], outcome: Outcome, started: float, finished: float
) -> dict[str, Any]:
    """One run's summary as the summary file holds it; ``started``/``finished`` in seconds since the epoch."""
    return {
        "source": source,
        "spider": spider,
        "exit_status": outcome.exit_status,
        "headline": outcome.headline(source),
        "outcome": outcome.reason,
        "reason": stats.get("finish_reason", ""),
        "started": round(started, 3),
        "finished": round(finished, 3),
        "seconds": round(finished - started, 3),
        **summary_counts(stats),
        "stats": int_stats(stats),
    }


def total_summary(summaries: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The sum of several runs' summaries, which failed when any of them failed; one run's summary itself."""
    summaries = list(summaries)
    if len(summaries) == 1:
        return dict(summaries[0])
    stats: Counter[str] = Counter()
    for one in summaries:
        stats.update(one["stats"])
    failed = [one["source"] for one in summaries if one["exit_status"]]
    if failed:
        outcome = Outcome(
            max(one["exit_status"] for one in summaries),
            f"{len(failed)} of {len(summaries)} sources failed ({', '.join(failed)})",
        )
    else:
        outcome = run_outcome({**stats, "finish_reason": "finished"}, max_failure_share=1.0)
    started = min((one["started"] for one in summaries), default=0.0)
    finished = max((one["finished"] for one in summaries), default=0.0)
    return summary(TOTAL, "", {**stats, "finish_reason": "finished"}, outcome, started, finished)


def log_summary(one: Mapping[str, Any]) -> None:
    """Log a summary: its headline, then its table; INFO, or ERROR when its run failed."""
    counts = {name: one[name] for name, _ in COUNTS}
    level = logging.ERROR if one["exit_status"] else logging.INFO
    logger.log(level, "%s\n%s", one["headline"], summary_table(counts, one["seconds"]))


def write_summary_file(path: str, one: dict[str, Any]) -> None:
    """Add ``one`` to the summaries this process wrote to ``path`` and rewrite the file atomically."""
    written = _written.setdefault(os.path.abspath(path), [])
    written.append(one)
    record = {**total_summary(written), "sources": written}
    target = Path(path)
    scratch = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    scratch.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    scratch.replace(target)


class EraseLiveLine(logging.Filter):
    """A filter for a terminal's log handler: erases the live progress line before a record is written."""

    def __init__(self, progress: Progress) -> None:
        super().__init__()
        self.progress = progress

    def filter(self, record: logging.LogRecord) -> bool:
        self.progress.erase()
        return True


class Progress:
    """Report progress while a crawl runs and its summary when the engine stops.

    Settings: ``NEWSBOT_PROGRESS_INTERVAL`` (seconds), ``NEWSBOT_SUMMARY_FILE``, ``NEWSBOT_MAX_FAILURE_SHARE``.
    """

    def __init__(
        self,
        crawler: Crawler,
        interval: float,
        summary_file: str,
        max_failure_share: float,
        stream: TextIO,
        live: bool,
    ) -> None:
        self.crawler = crawler
        self.stats: StatsCollector = crawler.stats
        self.interval = interval
        self.summary_file = summary_file
        self.max_failure_share = max_failure_share
        self.stream = stream
        self.live = live
        self.drawn = False
        self.started = time.time()
        self.loop: task.LoopingCall | None = None
        self.filter = EraseLiveLine(self)
        self.summary: dict[str, Any] | None = None
        self.stored = StoredItems(crawler.signals)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Progress:
        settings = crawler.settings
        live = sys.stderr.isatty() and settings.getbool("LOG_ENABLED")
        extension = cls(
            crawler,
            settings.getfloat("NEWSBOT_PROGRESS_INTERVAL", 1.0 if live else 30.0),
            settings.get("NEWSBOT_SUMMARY_FILE") or "",
            settings.getfloat("NEWSBOT_MAX_FAILURE_SHARE", DEFAULT_MAX_FAILURE_SHARE),
            sys.stderr,
            live,
        )
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(extension.engine_stopped, signal=signals.engine_stopped)
        crawler.signals.connect(extension.item_error, signal=signals.item_error)
        return extension

    def item_error(self, item: Any, failure: Any) -> None:
        """Count an item a pipeline raised on (not a refusal: an error Scrapy logs as "Error processing") as a
        failed article, so the run's outcome shows it; one the store had archived (the error is a later
        pipeline's) as ``newsbot/failed_after_store`` instead, with one ERROR line."""
        adapter = ItemAdapter(item)
        if item in self.stored:
            self.stored.discard(item)
            self.crawler.stats.inc_value(AFTER_STORE_STAT)
            logger.error(
                "%s was stored as %s, then a pipeline after the store raised on it: %r",
                adapter.get("url"),
                adapter.get("path"),
                failure.value,
            )
            return
        self.crawler.stats.inc_value("newsbot/failed")
        self.crawler.stats.inc_value("newsbot/failed/item_error")

    def terminal_handlers(self) -> list[logging.Handler]:
        """The root log handlers that write to this extension's terminal."""
        return [handler for handler in logging.root.handlers if getattr(handler, "stream", None) is self.stream]

    def spider_opened(self, spider: Spider) -> None:
        self.started = time.time()
        if self.live:
            for handler in self.terminal_handlers():
                handler.addFilter(self.filter)
        self.loop = task.LoopingCall(self.report)
        self.loop.start(self.interval, now=False)

    def report(self) -> None:
        counts = summary_counts(self.stats.get_stats())
        elapsed = max(time.time() - self.started, 1e-9)
        rate = (counts["new"] + counts["updated"]) / elapsed
        line = (
            f"{source_name(self.crawler.spider)}: pages {counts['pages']}  new {counts['new']}  "
            f"updated {counts['updated']}  known {counts['skipped'] + counts['unchanged']}  "
            f"failed {counts['failed']}  {rate:.1f} articles/s"
        )
        if self.live:
            self.stream.write(ERASE_LINE + line)
            self.stream.flush()
            self.drawn = True
        else:
            logger.info(line)

    def erase(self) -> None:
        """Erase the live line, if one is drawn."""
        if self.drawn:
            self.stream.write(ERASE_LINE)
            self.stream.flush()
            self.drawn = False

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        self.erase()
        for handler in self.terminal_handlers():
            handler.removeFilter(self.filter)

    def engine_stopped(self) -> None:
        spider = self.crawler.spider
        if spider is None:
            return
        stats = self.stats.get_stats()
        outcome = run_outcome(stats, self.max_failure_share)
        self.summary = summary(source_name(spider), spider.name, stats, outcome, self.started, time.time())
        log_summary(self.summary)
        if self.summary_file:
            write_summary_file(self.summary_file, self.summary)
