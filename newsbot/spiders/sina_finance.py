"""Sina Finance: channel roll-API pages and list pages, then the articles the archive lacks or the site corrected."""

from __future__ import annotations

import logging
import random
import shutil
import time
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import scrapy
from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import (
    CannotResolveHostError,
    CloseSpider,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.job import job_dir
from twisted.python.failure import Failure

from newsbot.distributed import joined_run
from newsbot.failed_writes import count_failed_write, write_error_text
from newsbot.identity import article_key
from newsbot.index.backends import INDEX_ERRORS
from newsbot.items import Article
from newsbot.ledger import LedgerEntry
from newsbot.pipelines.archive import ARCHIVE_UNWRITABLE
from newsbot.revisits import ListedTable, Note, PostgresListedTable, Seen, needs_revisit, open_listed
from newsbot.sites import sina
from newsbot.sites.base import NotAnArticle
from newsbot.sources.sina_finance import (
    CHANNELS,
    ROLL_REFERER,
    TABLE_ORDER,
    BadItem,
    Channel,
    Listed,
    cache_busted,
    channel_by_key,
    channel_of_url,
    filing,
    list_page_links,
    listed_before,
    parse_roll_page,
)
from newsbot.spiders import UnseenArticles, check_argument_names, retryable
from newsbot.spiders.article import failure_reason
from newsbot.workers import PageWorkers

logger = logging.getLogger(__name__)

NOTES_BATCH_SIZE = 64


ROBOTS_REFUSAL = "Forbidden by robots.txt"


def refused(failure: Failure) -> bool:
    """Whether robots.txt kept the request from being sent (Scrapy tells it only by the message)."""
    return bool(failure.check(IgnoreRequest)) and str(failure.value) == ROBOTS_REFUSAL


def ignored(failure: Failure) -> bool:
    """Whether a downloader middleware gave the request up, like Scrapy's redirect limit."""
    return bool(failure.check(IgnoreRequest)) and not failure.check(HttpError)


DOWNLOAD_ERRORS = {
    DownloadTimeoutError: "timeout",
    DownloadConnectionRefusedError: "connection_refused",
    CannotResolveHostError: "dns",
    ResponseDataLossError: "data_loss",
    DownloadCancelledError: "cancelled",
}


def failure_stat(failure: Failure) -> str:
    """The stat suffix of a failed download: ``http_404``, ``timeout``, ... or the error's type name."""
    if failure.check(HttpError):
        return f"http_{failure.value.response.status}"
    if ignored(failure):
        return "ignored"
    return next(
        (name for error, name in DOWNLOAD_ERRORS.items() if failure.check(error)),
        type(failure.value).__name__,
    )


def parse_since(value: str) -> datetime:
    """A ``--since`` date: ``YYYY-MM-DD`` (midnight UTC) or an ISO 8601 time; ``ValueError`` otherwise."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"since: not a date (YYYY-MM-DD): {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_max_pages(value: int | str) -> int:
    """A ``max_pages`` argument: a whole number from 1 to ``MAX_PAGES``; ``ValueError`` otherwise."""
    try:
        pages = int(value)
    except ValueError:
        pages = 0
    if not 1 <= pages <= MAX_PAGES:
        raise ValueError(f"-a max_pages={value}: expected a whole number from 1 to {MAX_PAGES:,}")
    return pages


# The key of spider.state (saved in JOBDIR on close) that says a stopped walk left its requests queued there.
QUEUE_SAVED = "newsbot_queue_saved"
# A file in JOBDIR while a run is under way: found at start, it says the last run was killed.
RUNNING_MARKER = "newsbot-running"


def discard_killed_job(jobdir: Path) -> bool:
    """Drop the request queue and spider state a killed run left in ``jobdir`` (Scrapy saves both only on a
    clean close; a kill leaves the disk queue torn); return whether there was such a run."""
    if not (jobdir / RUNNING_MARKER).exists():
        return False
    shutil.rmtree(jobdir / "requests.queue", ignore_errors=True)
    (jobdir / "spider.state").unlink(missing_ok=True)
    return True


DEFAULT_MAX_PAGES = 5
# Far past any listing's depth; the walk tables keep a page as a SQLite INTEGER.
MAX_PAGES = 1_000_000
DEFAULT_REVISIT_RECENT_DAYS = 2.0
DEFAULT_REVISIT_INTERVAL_HOURS = 6.0


class SinaFinanceSpider(scrapy.Spider):
    """Crawl Sina Finance channels: follow a channel's listing pages until one holds only archived articles
    (with ``since``, until its items are older than that date), request what the archive lacks and what the
    site corrected since it was archived.

    Before it fetches anything it notes every channel's walk as open to the depth this run may reach
    (``ListedTable.walk_at_least``; a run that cannot is closed as ``archive_unwritable``); when it closes it
    settles them (``settle_walks``) only if it finished and every article it asked for is accounted for (stored,
    a known duplicate, or in the failed-article ledger). A run killed, or one whose writes failed, thus leaves
    its walks open and the next run walks that deep, so no article behind a page of archived ones is lost."""

    name = "sina-finance"

    def __init__(
        self,
        channels: str | None = None,
        max_pages: int | str | None = None,
        since: str | datetime | None = None,
        **kwargs: Any,
    ) -> None:
        check_argument_names(type(self), kwargs)
        super().__init__(**kwargs)
        keys = [key.strip() for key in (channels or "").split(",") if key.strip()]
        if channels is not None and not keys:
            raise ValueError(f"-a channels={channels}: give one or more channel keys, comma-separated")
        self.channels = [channel_by_key(key) for key in keys] or list(CHANNELS)
        self.since = parse_since(since) if isinstance(since, str) and since.strip() else since or None
        self.max_pages = parse_max_pages(max_pages) if max_pages not in (None, "") else None
        if self.max_pages is None and self.since is None:
            self.max_pages = DEFAULT_MAX_PAGES
        self.unseen: UnseenArticles | None = None
        self.listed: ListedTable | PostgresListedTable | None = None
        self.listed_by: dict[str, int] = {}
        self.fresh_keys: set[str] = set()
        self.walked: dict[str, set[str]] = {}
        self.unfinished: dict[str, int] = {}
        self.walk_depth: dict[str, int] = {}
        self.walk_ends: dict[str, int | None] = {}
        self.notes: list[Note] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> SinaFinanceSpider:
        jobdir = job_dir(crawler.settings)
        if jobdir:
            if discard_killed_job(Path(jobdir)):
                logger.warning(
                    "the last run with JOBDIR %s was killed: its queue is dropped, the listings are walked again"
                    " and what it archived is skipped",
                    jobdir,
                )
            try:
                (Path(jobdir) / RUNNING_MARKER).touch()
            except OSError as error:
                count_failed_write(crawler.stats, "jobdir", error)
                logger.error("could not mark the run as under way in JOBDIR %s: %s", jobdir, error)
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.page_workers = PageWorkers.of(crawler)
        return spider

    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.unseen = UnseenArticles(self.crawler, folders=(sina.NAME,))
        self.listed = open_listed(self.settings.get("NEWSBOT_OUTPUT_DIR", "output"), self.settings)
        self.crawler.signals.connect(self.close_listed, signal=signals.spider_closed)
        self.crawler.signals.connect(self.note_dropped, signal=signals.item_dropped)
        try:
            self.unfinished = self.listed.open_walks()
        except INDEX_ERRORS as error:
            logger.warning("could not read which channel walks the last run left unfinished: %s", error)
        if self.unseen.unknown_missing:
            depth = self.max_pages or DEFAULT_MAX_PAGES
            self.unfinished = {channel.key: depth for channel in self.channels}
            logger.warning("walking every channel to page %d to list the missing posts again", depth)
        elif self.unfinished:
            logger.info("walking on where the last run stopped: %s", self.unfinished)
        self.open_walks()
        if getattr(self, "state", {}).get(QUEUE_SAVED):
            logger.info(
                "resuming the walk that stopped: its requests, the ledger's among them, are in JOBDIR's queue"
            )
            return
        for request in self.unseen.due(self.ledger_request):
            yield request
        for channel in self.channels:
            yield self.listing_request(channel, 1)

    def closed(self, reason: str) -> None:
        """With a ``JOBDIR``, note whether Scrapy saved the walk's pending requests (a stop before its end),
        so the next run takes them up instead of walking the listings from page 1 again."""
        if hasattr(self, "state"):
            self.state[QUEUE_SAVED] = reason != "finished"
        if jobdir := job_dir(self.settings):
            (Path(jobdir) / RUNNING_MARKER).unlink(missing_ok=True)

    def listing_request(self, channel: Channel, page: int) -> scrapy.Request:
        """The request of one listing page: the roll API (fresh cache busters, the news-site Referer) where
        the channel has one, else its list page. Listings go before articles."""
        self.crawler.stats.inc_value("newsbot/listings")
        roll_url = channel.roll_url(page, self.settings.getint("NEWSBOT_ROLL_PAGE_SIZE", 50))
        if roll_url is None:
            return scrapy.Request(
                channel.list_url,
                callback=self.parse_list,
                errback=self.listing_failed,
                cb_kwargs={"channel_key": channel.key, "page": page},
                priority=1,
                dont_filter=True,
            )
        return scrapy.Request(
            cache_busted(roll_url, random.random(), time.time_ns() // 1_000_000),
            callback=self.parse_roll,
            errback=self.listing_failed,
            headers={"Referer": ROLL_REFERER},
            cb_kwargs={"channel_key": channel.key, "page": page},
            priority=1,
            dont_filter=True,
        )

    def parse_roll(self, response: Response, channel_key: str, page: int) -> Iterator[scrapy.Request]:
        channel = channel_by_key(channel_key)
        try:
            items = parse_roll_page(response.text)
        except (ValueError, AttributeError) as error:
            self.crawler.stats.inc_value("newsbot/failed/listing")
            logger.warning("bad roll-API page %s: %s", response.url, error)
            self.keep_walk(channel_key, page)
            return
        listed = []
        refused_items = 0
        for item in items:
            if isinstance(item, BadItem):
                self.refuse_item(item, response.url)
                refused_items += 1
            else:
                listed.append(item)
        current = [entry for entry in listed if not self.older_than_since(entry)]
        yield from self.article_requests(current, channel, from_roll=True)
        more = self.holds_unwalked(channel, current) if self.since is not None else self.holds_fresh(current)
        # A page listing nothing is past the channel's end: an open walk stops there.
        more = more or (bool(listed or refused_items) and page < self.unfinished.get(channel.key, 0))
        if more and (self.max_pages is None or page < self.max_pages):
            self.keep_walk(channel.key, page + 1)
            yield self.listing_request(channel, page + 1)
        else:
            self.keep_walk(channel.key, None)

    def open_walks(self) -> None:
        """Note, before anything is fetched, every channel's walk as open to the deepest page this run may reach
        (``max_pages``, or the page a last walk left to reach if deeper), so a run killed or unable to write
        what it needs leaves the next run walking that deep. Raises ``CloseSpider`` when it cannot be noted (a
        full disk): one ERROR line, ``newsbot/failed_writes/walks/<reason>``, and nothing fetched."""
        if joined_run(self.crawler):
            return
        depth = self.max_pages or DEFAULT_MAX_PAGES
        self.walk_depth = {
            channel.key: max(depth, self.unfinished.get(channel.key, 0))
            for channel in self.channels
            if channel.roll_url(1) is not None
        }
        try:
            self.listed.walk_at_least(self.walk_depth)
        except INDEX_ERRORS as error:
            count_failed_write(self.crawler.stats, "walks", error)
            logger.error(
                "cannot write the archive %s: %s; nothing fetched",
                self.settings.get("NEWSBOT_OUTPUT_DIR", "output"),
                write_error_text(error),
            )
            raise CloseSpider(ARCHIVE_UNWRITABLE) from None

    def keep_walk(self, channel_key: str, page: int | None) -> None:
        """Keep how far the walk of a channel still has to go (``page``), or that it finished (``None``), for
        ``settle_walks`` at the close; a page that is gone (4xx) ends the walk, one that failed for a reason a
        retry may change (5xx, a timeout) leaves it to the next run. A walk going deeper than its note
        (``since``) raises the note at once, so a kill leaves it open that far."""
        self.walk_ends[channel_key] = page
        if page is not None and page > self.walk_depth.get(channel_key, 0):
            try:
                self.listed.walk_at_least({channel_key: page})
            except INDEX_ERRORS as error:
                count_failed_write(self.crawler.stats, "walks", error)
                logger.error("could not note the walk of channel %s to page %d: %s", channel_key, page, error)
            else:
                self.walk_depth[channel_key] = page

    def settle_walks(self, reason: str) -> None:
        """Write how this run's walks ended (``ListedTable.settle_walks``), only when the run finished and every
        article it asked for is accounted for; otherwise the walks stay open to their full depth."""
        if reason != "finished" or not self.walk_ends:
            return
        if unaccounted := self.unseen.unaccounted:
            logger.error(
                "%d articles asked for are neither archived nor in the failed-article ledger; every walk stays"
                " open to page %d for the next run",
                len(unaccounted),
                max(self.walk_depth.values(), default=0),
            )
            return
        try:
            self.listed.settle_walks(self.walk_ends)
        except INDEX_ERRORS as error:
            count_failed_write(self.crawler.stats, "walks", error)
            logger.error("could not note how the channel walks ended (they stay open): %s", error)

    def parse_list(self, response: Response, channel_key: str, page: int) -> Iterator[scrapy.Request]:
        channel = channel_by_key(channel_key)
        listed = list_page_links(response.text, response.url)
        if self.since is not None:
            listed = [entry for entry in listed if not listed_before(entry, self.since)]
        yield from self.article_requests(listed, channel, from_roll=False)

    def holds_fresh(self, listed: Iterable[Listed]) -> bool:
        """Whether a listing names an article the archive lacked when this run started (requested as new
        in this run, by whichever channel listed it first), so the next page is worth asking for."""
        return any(article_key(entry.url) in self.fresh_keys for entry in listed)

    def holds_unwalked(self, channel: Channel, listed: Iterable[Listed]) -> bool:
        """Whether a backfill's listing names an article its channel's walk has not listed yet this run (a
        feed that served the same page past its end would otherwise be walked for ever)."""
        keys = {article_key(entry.url) for entry in listed}
        walked = self.walked.setdefault(channel.key, set())
        unwalked = bool(keys - walked)
        walked |= keys
        return unwalked

    def older_than_since(self, entry: Listed) -> bool:
        """Whether ``since`` is set and the item's listed time is before it."""
        return self.since is not None and entry.published is not None and entry.published < self.since

    def refuse_item(self, bad: BadItem, url: str) -> None:
        """Count one listing item that names no article; the rest of its page goes on."""
        stats = self.crawler.stats
        stats.inc_value("newsbot/failed/item")
        stats.inc_value(f"newsbot/failed/item/{bad.reason}")
        stats.inc_value("newsbot/failed")
        logger.warning("refused a roll-API item of %s: %s", url, bad)

    def article_requests(
        self, listed: Iterable[Listed], channel: Channel, from_roll: bool
    ) -> Iterator[scrapy.Request]:
        """Requests for the listed articles that neither the archive nor this run already has, and for
        archived ones a roll-API listing shows corrected (``newsbot/revisited``).

        Keys dedupe them, so Scrapy's dupe filter stays out: a redirect loop ends at the redirect limit, counted.
        """
        asked: list[tuple[Listed, dict[str, Any]]] = []
        for entry in listed:
            key = article_key(entry.url)
            order = TABLE_ORDER[channel.key]
            self.listed_by[key] = min(order, self.listed_by.get(key, order))
            if (
                from_roll
                and key not in self.unseen.requested
                and self.unseen.index.knows(key)
                and self.corrected(key, entry)
            ):
                self.unseen.requested.add(key)
                self.crawler.stats.inc_value("newsbot/revisited")
                logger.info("revisiting %s: its listing shows a correction", entry.url)
                yield self.article_request(entry, channel, key)
                continue
            published = entry.published.isoformat() if entry.published else None
            asked.append((entry, {"channel": channel.key, "title": entry.title, "published": published}))
        keys = self.unseen.new_keys((entry.url, context) for entry, context in asked)
        for (entry, _), key in zip(asked, keys, strict=True):
            if key is not None:
                self.fresh_keys.add(key)
                yield self.article_request(entry, channel, key)

    def article_request(self, entry: Listed, channel: Channel, key: str) -> scrapy.Request:
        """The request of one listed article page (``newsbot/article_requests``)."""
        self.crawler.stats.inc_value("newsbot/article_requests")
        return scrapy.Request(
            entry.url,
            callback=self.parse_article,
            errback=self.article_failed,
            cb_kwargs={"channel_key": channel.key, "listed": entry, "key": key},
            dont_filter=True,
        )

    def corrected(self, key: str, entry: Listed) -> bool:
        """Whether an archived article is to be requested again (``needs_revisit``); an article archived
        before the table knew it is noted as listed now, not requested. An unreadable table revisits nothing."""
        now = datetime.now(UTC)
        try:
            seen = self.listed.get(key)
        except INDEX_ERRORS as error:
            logger.warning("could not read what listings said of %s: %s", key, error)
            return False
        if seen is None:
            self.note(key, entry, now)
            return False
        settings = self.settings
        recent = timedelta(days=settings.getfloat("NEWSBOT_REVISIT_RECENT_DAYS", DEFAULT_REVISIT_RECENT_DAYS))
        interval = timedelta(
            hours=settings.getfloat("NEWSBOT_REVISIT_INTERVAL_HOURS", DEFAULT_REVISIT_INTERVAL_HOURS)
        )
        return needs_revisit(entry.modified, entry.title, entry.published, seen, now, recent, interval)

    def note(self, key: str, entry: Listed | Seen, visited: datetime) -> None:
        """Keep what the listing said of an article the store does not index (``ListedTable.note_many``),
        ``NOTES_BATCH_SIZE`` notes a transaction. A note lost (a failed write, logged; a killed run) costs little:
        an article archived before it was requested is noted at its next listing, as now; one a revisit found
        unchanged keeps its older note and is asked for once more; only a duplicate (an alias of another article)
        is noted at its next listing without being asked for."""
        self.notes.append((key, entry.modified, entry.title, visited))
        if len(self.notes) >= NOTES_BATCH_SIZE:
            self.write_notes()

    def note_dropped(self, item: object) -> None:
        """Note the listing of an article a pipeline dropped (a revisit found it unchanged, a duplicate): the
        store writes the notes of the articles it indexes, with their index entries."""
        adapter = ItemAdapter(item)
        if (seen := adapter.get("listed")) is not None and adapter.get("key"):
            self.note(adapter["key"], seen, seen.visited)

    def write_notes(self) -> None:
        """Write the notes kept (``note``); a failure is logged and counted as ``newsbot/failed_writes/listed``."""
        notes, self.notes = self.notes, []
        if not notes:
            return
        try:
            self.listed.note_many(notes)
        except INDEX_ERRORS as error:
            count_failed_write(self.crawler.stats, "listed", error)
            logger.error("could not note the listings of %d articles: %s", len(notes), error)

    def close_listed(self, reason: str) -> None:
        self.write_notes()
        self.settle_walks(reason)
        self.listed.close()

    def ledger_request(self, failed: LedgerEntry) -> scrapy.Request:
        """The request of an article the ledger asks for again, from the context ``article_requests`` gave it."""
        context = failed.context
        channel = channel_by_key(context["channel"]) if context.get("channel") else channel_of_url(failed.url)
        published = datetime.fromisoformat(context["published"]) if context.get("published") else None
        listed = Listed(failed.url, context.get("title", ""), published)
        return self.article_request(listed, channel or CHANNELS[0], failed.key)

    async def parse_article(
        self, response: Response, channel_key: str, listed: Listed, key: str
    ) -> list[Article]:
        try:
            article = await self.page_workers.article(response, listed.published)
        except NotAnArticle as refusal:
            self.crawler.stats.inc_value("newsbot/failed/not_an_article")
            self.crawler.stats.inc_value("newsbot/failed")
            logger.warning("not an article: %s (%s)", response.url, refusal)
            return []
        article["key"] = key
        article["listed"] = Seen(listed.modified, listed.title, datetime.now(UTC))
        article["published"] = listed.published or article["published"]
        order = TABLE_ORDER[channel_key]
        article["categories"], article["author"] = filing(listed.url, [self.listed_by.get(key, order)])
        return [article]

    def listing_failed(self, failure: Failure) -> None:
        channel_key, page = failure.request.cb_kwargs["channel_key"], failure.request.cb_kwargs["page"]
        walks = failure.request.callback == self.parse_roll
        if refused(failure):
            logger.info("listing not fetched: %s %s", failure.value, failure.request.url)
            if walks:
                self.keep_walk(channel_key, None)
            return
        self.crawler.stats.inc_value("newsbot/failed/listing")
        logger.warning("listing page failed: %s %s", failure_reason(failure), failure.request.url)
        if walks:
            self.keep_walk(channel_key, page if retryable(failure) else None)

    def article_failed(self, failure: Failure) -> None:
        self.unseen.failed(failure)
        if refused(failure):
            logger.info("not fetched: %s %s", failure.value, failure.request.url)
            return
        self.crawler.stats.inc_value("newsbot/failed/download")
        self.crawler.stats.inc_value(f"newsbot/failed/download/{failure_stat(failure)}")
        self.crawler.stats.inc_value("newsbot/failed")
        reason = failure_reason(failure)
        if ignored(failure):
            reason = f"{reason} ({failure.value})"
        logger.warning("article page failed: %s %s", reason, failure.request.url)
