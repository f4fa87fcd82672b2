"""Store each article as one post file under the output folder, then record it in the index."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC
from functools import partial
from pathlib import Path
from typing import NoReturn

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.settings import BaseSettings
from scrapy.signalmanager import SignalManager
from scrapy.statscollectors import StatsCollector
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IDelayedCall
from twisted.internet.threads import deferToThread, deferToThreadPool
from twisted.python.failure import Failure
from twisted.python.threadpool import ThreadPool

from newsbot.identity import post_name
from newsbot.index import Entry, Index
from newsbot.index.backends import INDEX_ERRORS, claims_of, open_index
from newsbot.ledger import FailureLedger, PostgresFailureLedger, RetryLater, open_ledger
from newsbot.pipelines.claims import CrawlClaims, InFlight
from newsbot.post import Post, render
from newsbot.revisits import Note, write_notes
from newsbot.settings import (
    NEWSBOT_INDEX_BATCH_DELAY,
    NEWSBOT_INDEX_BATCH_SIZE,
    NEWSBOT_NEAR_DUPLICATE_DISTANCE,
)
from newsbot.signals import item_stored
from newsbot.storage import post_relpath, remove_stale_temporaries, write_post

logger = logging.getLogger(__name__)

INDEX_THREAD = "newsbot-index"


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


@dataclass(frozen=True, slots=True)
class Written:
    """A post written to disk and not yet indexed: ``write_post``'s outcome, its item, its path in the archive."""

    outcome: str
    item: object
    relpath: str


class StorePipeline:
    """Write the post atomically at ``<site>/<YYYY>/<MM>/<name>.md``, keeping a replaced version, then record it
    in the index and take it out of the failed-article ledger.

    In a crawl the file is written and synced in the reactor's thread pool (``REACTOR_THREADPOOL_MAXSIZE``
    threads) while downloads go on, and the written posts are indexed ``NEWSBOT_INDEX_BATCH_SIZE`` at a time in
    one transaction, at the latest ``NEWSBOT_INDEX_BATCH_DELAY`` seconds after the first of them was written; an
    article stays claimed (``InFlight``) until it is indexed. A post that cannot be written or indexed is counted
    (``newsbot/failed/write``, ``newsbot/failed/index``), logged in one line and dropped: ``RetryLater`` for an
    ``OSError`` or SQLite error, a plain ``DropItem`` for a path refused for leaving the archive.
    """

    def __init__(
        self,
        output_dir: Path,
        stats: StatsCollector,
        settings: BaseSettings | None = None,
        in_flight: InFlight | None = None,
        batch_size: int = NEWSBOT_INDEX_BATCH_SIZE,
        batch_delay: float = NEWSBOT_INDEX_BATCH_DELAY,
    ) -> None:
        self.output_dir = output_dir
        self.stats = stats
        self.settings = settings
        self.in_flight = in_flight or InFlight(NEWSBOT_NEAR_DUPLICATE_DISTANCE)
        self.batch_size = max(1, batch_size)
        self.batch_delay = batch_delay
        self.index: Index | None = None
        self.claims: CrawlClaims | None = None
        self.ledger: FailureLedger | PostgresFailureLedger | None = None
        self.written: list[tuple[Written, Deferred]] = []
        self.flush_call: IDelayedCall | None = None
        self.signals: SignalManager | None = None
        self.indexing: Deferred | None = None
        self.due = False
        self.index_thread: ThreadPool | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        settings = crawler.settings
        distance = settings.getint("NEWSBOT_NEAR_DUPLICATE_DISTANCE", NEWSBOT_NEAR_DUPLICATE_DISTANCE)
        pipeline = cls(
            Path(settings.get("NEWSBOT_OUTPUT_DIR", "output")),
            crawler.stats,
            settings,
            InFlight.of(crawler, distance),
            settings.getint("NEWSBOT_INDEX_BATCH_SIZE", NEWSBOT_INDEX_BATCH_SIZE),
            settings.getfloat("NEWSBOT_INDEX_BATCH_DELAY", NEWSBOT_INDEX_BATCH_DELAY),
        )
        pipeline.signals = crawler.signals
        return pipeline

    def open_spider(self) -> None:
        self.output_dir.mkdir(parents=True, exist_ok=True)
        for stale in remove_stale_temporaries(self.output_dir):
            logger.info("removed %s, left by an interrupted write", stale)
        self.index = open_index(self.output_dir, self.settings)
        self.claims = CrawlClaims(self.in_flight, claims_of(self.index))
        self.ledger = open_ledger(self.output_dir, self.settings)

    def close_spider(self) -> Deferred | None:
        """Index what is written (a ``Deferred`` while a batch is being indexed), then close the index and the
        ledger."""
        self.flush()
        if self.indexing is None:
            self._close()
            return None
        return deferred_from_coro(self._close_when_indexed())

    async def _close_when_indexed(self) -> None:
        while self.indexing is not None:
            await maybe_deferred_to_future(self.indexing)
            self.flush()
        self._close()

    def _close(self) -> None:
        self._stop_index_thread()
        for database in (self.index, self.ledger):
            if database is not None:
                database.close()

    def _index_thread(self) -> ThreadPool:
        """The one thread that writes the index, started at the first batch and stopped when the spider closes
        or, at the latest, when the reactor shuts down (its thread is not a daemon)."""
        if self.index_thread is None:
            from twisted.internet import reactor

            self.index_thread = ThreadPool(minthreads=1, maxthreads=1, name=INDEX_THREAD)
            self.index_thread.start()
            reactor.addSystemEventTrigger("during", "shutdown", self._stop_index_thread)
        return self.index_thread

    def _stop_index_thread(self) -> None:
        pool, self.index_thread = self.index_thread, None
        if pool is not None:
            pool.stop()

    def refuse(self, reason: str, message: str, error: Exception, retry: bool) -> DropItem:
        """Count and log one post that could not be stored; the exception to drop it with."""
        self.stats.inc_value(f"newsbot/failed/{reason}")
        self.stats.inc_value("newsbot/failed")
        logger.error("%s: %s", message, error)
        return (RetryLater if retry else DropItem)(f"{reason} failed: {error}", log_level="DEBUG")

    async def process_item(self, item: object) -> object:
        """Write the post in a pool thread, then wait for its batch to be indexed; the item."""
        adapter = ItemAdapter(item)
        try:
            relpath, text = self.post_file(adapter)
            try:
                outcome = await maybe_deferred_to_future(
                    deferToThread(write_post, self.output_dir, relpath, text)
                )
            except (OSError, ValueError) as error:
                self.not_written(adapter, relpath, error)
            indexed: Deferred = Deferred()
            self.written.append((Written(outcome, item, relpath), indexed))
            if len(self.written) >= self.batch_size:
                self.flush()
            elif self.flush_call is None:
                from twisted.internet import reactor

                self.flush_call = reactor.callLater(self.batch_delay, self.flush)
            return await maybe_deferred_to_future(indexed)
        finally:
            self.claims.release(adapter["key"], adapter["body_hash"], adapter["simhash"])

    def store(self, item: object) -> object:
        """``process_item`` in this thread and alone in its index transaction: the item."""
        adapter = ItemAdapter(item)
        try:
            relpath, text = self.post_file(adapter)
            try:
                outcome = write_post(self.output_dir, relpath, text)
            except (OSError, ValueError) as error:
                self.not_written(adapter, relpath, error)
            batch = [Written(outcome, item, relpath)]
            entries = entries_of(batch)
            error = None
            try:
                self.index_batch(entries, listing_notes(batch))
            except INDEX_ERRORS as refused:
                error = refused
            (result,) = self.indexed(batch, entries, error)
            if isinstance(result, DropItem):
                raise result
            return result
        finally:
            self.claims.release(adapter["key"], adapter["body_hash"], adapter["simhash"])

    def flush(self) -> None:
        """Index the posts written so far in one transaction in the index thread, then hand each its item or its
        refusal; while a batch is being indexed, the next waits for it (and grows)."""
        if self.flush_call is not None and self.flush_call.active():
            self.flush_call.cancel()
        self.flush_call = None
        if self.indexing is not None:
            self.due = bool(self.written)
            return
        if not self.written:
            return
        self.due = False
        from twisted.internet import reactor

        batch, self.written = self.written, []
        written = [one for one, _ in batch]
        entries = entries_of(written)
        self.indexing = deferToThreadPool(
            reactor, self._index_thread(), self.index_batch, entries, listing_notes(written)
        )
        self.indexing.addBoth(self._batch_indexed, batch, entries)

    @staticmethod
    def post_file(adapter: ItemAdapter) -> tuple[str, str]:
        """The post's path under the output folder and its text."""
        relpath = adapter.get("path") or post_relpath(
            adapter["site"], adapter["published"], post_name(adapter["key"])
        )
        return relpath, render(post_of(adapter))

    def not_written(self, adapter: ItemAdapter, relpath: str, error: Exception) -> NoReturn:
        """Refuse a post ``write_post`` failed on: an ``OSError`` may pass, a ``ValueError`` (a path leaving the
        archive) never does."""
        if isinstance(error, OSError):
            raise self.refuse(
                "write", f"could not write {relpath} for {adapter['url']}", error, True
            ) from error
        raise self.refuse(
            "write", f"refused to write {relpath} for {adapter['url']}", error, False
        ) from error

    def _batch_indexed(
        self, result: Failure | None, batch: list[tuple[Written, Deferred]], entries: list[Entry]
    ) -> None:
        self.indexing = None
        if isinstance(result, Failure) and not result.check(*INDEX_ERRORS):
            logger.error("indexing %d posts failed: %s", len(batch), result.getErrorMessage())
            for _, indexed in batch:
                indexed.errback(result)
        else:
            error = result.value if isinstance(result, Failure) else None
            for (_, indexed), outcome in zip(
                batch, self.indexed([one for one, _ in batch], entries, error), strict=True
            ):
                if isinstance(outcome, DropItem):
                    indexed.errback(Failure(outcome))
                else:
                    indexed.callback(outcome)
        if self.due or len(self.written) >= self.batch_size:
            self.flush()

    def index_batch(self, entries: list[Entry], notes: list[Note]) -> None:
        """Record ``entries`` in the index and the listing ``notes`` of their articles in the ``listed`` table in
        one transaction, then take them out of the failed-article ledger (in the index thread). Raises the index's
        error (nothing recorded); the ledger's is logged."""
        self.index.record_many(entries, partial(write_notes, notes=notes))
        try:
            self.ledger.remove_many(entry.key for entry in entries)
        except INDEX_ERRORS as error:
            logger.warning(
                "stored %s but could not take them out of the failed-article ledger: %s",
                ", ".join(entry.path for entry in entries),
                error,
            )

    def indexed(self, batch: list[Written], entries: list[Entry], error: Exception | None) -> list[object]:
        """Count and log a batch of written posts the index recorded (``error`` ``None``) or refused: each post's
        item, or the ``RetryLater`` to drop it with."""
        if error is not None:
            return [
                self.refuse(
                    "index",
                    f"wrote {written.relpath} but could not index it (newsbot reindex repairs this)",
                    error,
                    True,
                )
                for written in batch
            ]
        for written, entry in zip(batch, entries, strict=True):
            self.stats.inc_value(f"newsbot/{written.outcome}")
            logger.info("%s %s -> %s", written.outcome, entry.url, written.relpath)
            if self.signals is not None:
                self.signals.send_catch_log(item_stored, item=written.item)
        return [written.item for written in batch]


def listing_notes(batch: list[Written]) -> list[Note]:
    """What the listing said of each written article whose item carries it (``listed``), as ``listed`` rows."""
    notes = []
    for written in batch:
        adapter = ItemAdapter(written.item)
        if (seen := adapter.get("listed")) is not None:
            notes.append((adapter["key"], seen.modified, seen.title, seen.visited))
    return notes


def entries_of(batch: list[Written]) -> list[Entry]:
    """The index entries of written posts; each item's ``path`` and ``status`` set to what was written."""
    entries = []
    for written in batch:
        adapter = ItemAdapter(written.item)
        adapter["path"] = written.relpath
        adapter["status"] = written.outcome
        entries.append(
            Entry(
                key=adapter["key"],
                path=written.relpath,
                url=adapter["url"],
                body_hash=adapter["body_hash"],
                simhash=adapter["simhash"],
                published=adapter["published"].astimezone(UTC).isoformat(),
            )
        )
    return entries
