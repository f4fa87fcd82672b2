"""Crawl progress: a live line on a terminal, periodic log lines otherwise, and a closing summary."""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path
from typing import TextIO

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector
from twisted.internet import task

logger = logging.getLogger(__name__)

COUNTS = (
    ("new", "newsbot/new"),
    ("updated", "newsbot/updated"),
    ("unchanged", "newsbot/unchanged"),
    ("skipped", "newsbot/skipped_known"),
    ("duplicates", ("newsbot/duplicates/exact", "newsbot/duplicates/near")),
    ("failed", "newsbot/failed"),
    ("asked again", "newsbot/ledger/retried"),
    ("given up", "newsbot/ledger/given_up"),
    ("listings failed", "newsbot/failed/listing"),
    ("robots forbidden", "robotstxt/forbidden"),
    ("retries", "retry/count"),
    ("pages", "response_received_count"),
    ("articles requested", "newsbot/article_requests"),
)


def summary_counts(stats: dict) -> dict[str, int]:
    """The run's counts by summary name, from Scrapy's stats."""
    counts = {}
    for name, keys in COUNTS:
        keys = (keys,) if isinstance(keys, str) else keys
        counts[name] = sum(int(stats.get(key, 0)) for key in keys)
    return counts


def summary_table(counts: dict[str, int], seconds: float) -> str:
    """A small two-column table of the run's counts and rate."""
    rows = [*counts.items(), ("seconds", f"{seconds:.1f}")]
    width = max(len(name) for name, _ in rows)
    lines = [f"{name:<{width}}  {value:>8}" for name, value in rows]
    rule = "-" * len(lines[0])
    return "\n".join([rule, *lines, rule])


def summary_line(counts: dict[str, int]) -> str:
    """One line for logs and schedulers: ``new=3 updated=0 skipped=12 failed=1 ...``."""
    return " ".join(f"{name.replace(' ', '_')}={value}" for name, value in counts.items())


class Progress:
    """Report progress while a crawl runs and a summary when it closes."""

    def __init__(self, stats: StatsCollector, interval: float, summary_file: str, stream: TextIO) -> None:
        self.stats = stats
        self.interval = interval
        self.summary_file = summary_file
        self.stream = stream
        self.live = stream.isatty()
        self.started = time.monotonic()
        self.loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Progress:
        settings = crawler.settings
        extension = cls(
            crawler.stats,
            settings.getfloat("NEWSBOT_PROGRESS_INTERVAL", 1.0 if sys.stderr.isatty() else 30.0),
            settings.get("NEWSBOT_SUMMARY_FILE", ""),
            sys.stderr,
        )
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider: Spider) -> None:
        self.started = time.monotonic()
        self.loop = task.LoopingCall(self.report)
        self.loop.start(self.interval, now=False)

    def report(self) -> None:
        counts = summary_counts(self.stats.get_stats())
        elapsed = max(time.monotonic() - self.started, 1e-9)
        rate = (counts["new"] + counts["updated"]) / elapsed
        line = (
            f"pages {counts['pages']}  new {counts['new']}  updated {counts['updated']}  "
            f"known {counts['skipped'] + counts['unchanged']}  failed {counts['failed']}  {rate:.1f} articles/s"
        )
        if self.live:
            self.stream.write("\r\x1b[K" + line)
            self.stream.flush()
        else:
            logger.info(line)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        if self.live:
            self.stream.write("\r\x1b[K")
        counts = summary_counts(self.stats.get_stats())
        seconds = time.monotonic() - self.started
        nothing = counts["new"] == counts["updated"] == 0
        headline = f"{spider.name}: {'nothing new' if nothing else 'archive updated'} ({reason})"
        self.stream.write(f"{headline}\n{summary_table(counts, seconds)}\n")
        self.stream.flush()
        logger.info("summary %s", summary_line(counts))
        if self.summary_file:
            stats = {name: value for name, value in self.stats.get_stats().items() if isinstance(value, int)}
            record = {
                "spider": spider.name,
                "reason": reason,
                "seconds": round(seconds, 3),
                **counts,
                "stats": stats,
            }
            Path(self.summary_file).write_text(json.dumps(record), encoding="utf-8")
