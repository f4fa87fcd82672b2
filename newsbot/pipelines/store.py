"""Store each article as one post file under the output folder, then record it in the index."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC
from functools import partial
from pathlib import Path

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.settings import BaseSettings
from scrapy.signalmanager import SignalManager
from scrapy.statscollectors import StatsCollector
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IDelayedCall
from twisted.internet.threads import deferToThreadPool
from twisted.python.failure import Failure
from twisted.python.threadpool import ThreadPool

from newsbot.failed_writes import count_failed_write
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
from newsbot.storage import post_relpath, remove_stale_temporaries, write_posts

logger = logging.getLogger(__name__)

STORE_THREAD = "newsbot-store"


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
class PostFile:
    """A post to store: its item, its path in the archive and its text."""

    item: object
    relpath: str
    text: str


@dataclass(frozen=True, slots=True)
class Written:
    """A post written to disk and not yet indexed, with ``write_post``'s outcome."""

    outcome: str
    post: PostFile


@dataclass(frozen=True, slots=True)
class StoredBatch:
    """What storing a batch of posts gave: each post's ``write_post`` outcome or the error that refused it, the
    posts written, their index entries, and the index's error (``None`` when it recorded them)."""

    outcomes: list[str | OSError | ValueError]
    written: list[Written]
    entries: list[Entry]
    error: Exception | None


class StorePipeline:
    """Write the post atomically at ``<site>/<YYYY>/<MM>/<name>.md``, keeping a replaced version, then record it
    in the index and take it out of the failed-article ledger.

    In a crawl the posts are stored ``NEWSBOT_INDEX_BATCH_SIZE`` at a time, at the latest
    ``NEWSBOT_INDEX_BATCH_DELAY`` seconds after the first of them came, in the store's own thread while
    downloads go on: each file written and synced, each folder synced once (a group commit), then the written
    posts indexed in one transaction; an article stays claimed (``InFlight``) until it is indexed. A post that
    cannot be written or indexed is counted (``newsbot/failed/write``, ``newsbot/failed/index``), logged in one
    line and dropped: ``RetryLater`` for an ``OSError`` or SQLite error, a plain ``DropItem`` for a path refused
    for leaving the archive.
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
        self.pending: list[tuple[PostFile, Deferred]] = []
        self.flush_call: IDelayedCall | None = None
        self.signals: SignalManager | None = None
        self.storing: Deferred | None = None
        self.due = False
        self.store_thread: ThreadPool | None = None

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
        """Store what is pending (a ``Deferred`` while a batch is being stored), then close the index and the
        ledger."""
        self.flush()
        if self.storing is None:
            self._close()
            return None
        return deferred_from_coro(self._close_when_stored())

    async def _close_when_stored(self) -> None:
        while self.storing is not None:
            await maybe_deferred_to_future(self.storing)
            self.flush()
        self._close()

    def _close(self) -> None:
        self._stop_store_thread()
        for database in (self.index, self.ledger):
            if database is not None:
                database.close()

    def _store_thread(self) -> ThreadPool:
        """The one thread that writes posts and the index, started at the first batch and stopped when the
        spider closes or, at the latest, when the reactor shuts down (its thread is not a daemon)."""
        if self.store_thread is None:
            from twisted.internet import reactor

            self.store_thread = ThreadPool(minthreads=1, maxthreads=1, name=STORE_THREAD)
            self.store_thread.start()
            reactor.addSystemEventTrigger("during", "shutdown", self._stop_store_thread)
        return self.store_thread

    def _stop_store_thread(self) -> None:
        pool, self.store_thread = self.store_thread, None
        if pool is not None:
            pool.stop()

    def refuse(self, reason: str, message: str, error: Exception, retry: bool) -> DropItem:
        """Count and log one post that could not be stored; the exception to drop it with."""
        self.stats.inc_value(f"newsbot/failed/{reason}")
        self.stats.inc_value("newsbot/failed")
        if retry:
            count_failed_write(self.stats, "posts" if reason == "write" else reason, error)
        logger.error("%s: %s", message, error)
        return (RetryLater if retry else DropItem)(f"{reason} failed: {error}", log_level="DEBUG")

    async def process_item(self, item: object) -> object:
        """Store the post with its batch in the store's thread; the item."""
        adapter = ItemAdapter(item)
        try:
            relpath, text = self.post_file(adapter)
            stored: Deferred = Deferred()
            self.pending.append((PostFile(item, relpath, text), stored))
            if len(self.pending) >= self.batch_size:
                self.flush()
            elif self.flush_call is None:
                from twisted.internet import reactor

                self.flush_call = reactor.callLater(self.batch_delay, self.flush)
            return await maybe_deferred_to_future(stored)
        finally:
            self.claims.release(adapter["key"], adapter["body_hash"], adapter["simhash"])

    def store(self, item: object) -> object:
        """``process_item`` in this thread and alone in its batch: the item."""
        adapter = ItemAdapter(item)
        try:
            relpath, text = self.post_file(adapter)
            post = PostFile(item, relpath, text)
            (result,) = self.results([post], self.store_batch([post]))
            if isinstance(result, DropItem):
                raise result
            return result
        finally:
            self.claims.release(adapter["key"], adapter["body_hash"], adapter["simhash"])

    def flush(self) -> None:
        """Store the pending posts as one batch in the store's thread, then hand each its item or its refusal;
        while a batch is being stored, the next waits for it (and grows)."""
        if self.flush_call is not None and self.flush_call.active():
            self.flush_call.cancel()
        self.flush_call = None
        if self.storing is not None:
            self.due = bool(self.pending)
            return
        if not self.pending:
            return
        self.due = False
        from twisted.internet import reactor

        batch, self.pending = self.pending, []
        posts = [post for post, _ in batch]
        self.storing = deferToThreadPool(reactor, self._store_thread(), self.store_batch, posts)
        self.storing.addBoth(self._batch_stored, batch)

    def store_batch(self, posts: list[PostFile]) -> StoredBatch:
        """Write ``posts`` (``storage.write_posts``), then index those written in one transaction (in the
        store's thread); an index error is returned, not raised."""
        outcomes = write_posts(self.output_dir, [(post.relpath, post.text) for post in posts])
        written = [
            Written(outcome, post)
            for post, outcome in zip(posts, outcomes, strict=True)
            if isinstance(outcome, str)
        ]
        entries = entries_of(written)
        error = None
        if entries:
            try:
                self.index_batch(entries, listing_notes(written))
            except INDEX_ERRORS as refused:
                error = refused
        return StoredBatch(outcomes, written, entries, error)

    @staticmethod
    def post_file(adapter: ItemAdapter) -> tuple[str, str]:
        """The post's path under the output folder and its text."""
        relpath = adapter.get("path") or post_relpath(
            adapter["site"], adapter["published"], post_name(adapter["key"])
        )
        return relpath, render(post_of(adapter))

    def not_written(self, post: PostFile, error: OSError | ValueError) -> DropItem:
        """The refusal of a post ``write_post`` failed on: an ``OSError`` may pass, a ``ValueError`` (a path
        leaving the archive) never does."""
        url = ItemAdapter(post.item)["url"]
        if isinstance(error, OSError):
            return self.refuse("write", f"could not write {post.relpath} for {url}", error, True)
        return self.refuse("write", f"refused to write {post.relpath} for {url}", error, False)

    def _batch_stored(self, result: StoredBatch | Failure, batch: list[tuple[PostFile, Deferred]]) -> None:
        self.storing = None
        if isinstance(result, Failure):
            logger.error("storing %d posts failed: %s", len(batch), result.getErrorMessage())
            for _, stored in batch:
                stored.errback(result)
        else:
            for (_, stored), outcome in zip(
                batch, self.results([post for post, _ in batch], result), strict=True
            ):
                if isinstance(outcome, DropItem):
                    stored.errback(Failure(outcome))
                else:
                    stored.callback(outcome)
        if self.due or len(self.pending) >= self.batch_size:
            self.flush()

    def results(self, posts: list[PostFile], stored: StoredBatch) -> list[object]:
        """Each post's item, or the ``DropItem`` to drop it with, counted and logged (``indexed``)."""
        indexed = iter(self.indexed(stored.written, stored.entries, stored.error))
        return [
            self.not_written(post, outcome) if isinstance(outcome, Exception) else next(indexed)
            for post, outcome in zip(posts, stored.outcomes, strict=True)
        ]

    def index_batch(self, entries: list[Entry], notes: list[Note]) -> None:
        """Record ``entries`` in the index and the listing ``notes`` of their articles in the ``listed`` table in
        one transaction, then take them out of the failed-article ledger (in the store thread). Raises the index's
        error (nothing recorded); the ledger's is logged."""
        self.index.record_many(entries, partial(write_notes, notes=notes))
        try:
            self.ledger.remove_many(entry.key for entry in entries)
        except INDEX_ERRORS as error:
            count_failed_write(self.stats, "ledger", error)
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
                    f"wrote {written.post.relpath} but could not index it (newsbot reindex repairs this)",
                    error,
                    True,
                )
                for written in batch
            ]
        for written, entry in zip(batch, entries, strict=True):
            adapter = ItemAdapter(written.post.item)
            adapter["path"] = written.post.relpath
            adapter["status"] = written.outcome
            self.stats.inc_value(f"newsbot/{written.outcome}")
            logger.info("%s %s -> %s", written.outcome, entry.url, written.post.relpath)
            if self.signals is not None:
                self.signals.send_catch_log(item_stored, item=written.post.item)
        return [written.post.item for written in batch]


def listing_notes(batch: list[Written]) -> list[Note]:
    """What the listing said of each written article whose item carries it (``listed``), as ``listed`` rows."""
    notes = []
    for written in batch:
        adapter = ItemAdapter(written.post.item)
        if (seen := adapter.get("listed")) is not None:
            notes.append((adapter["key"], seen.modified, seen.title, seen.visited))
    return notes


def entries_of(batch: list[Written]) -> list[Entry]:
    """The index entries of written posts."""
    entries = []
    for written in batch:
        adapter = ItemAdapter(written.post.item)
        entries.append(
            Entry(
                key=adapter["key"],
                path=written.post.relpath,
                url=adapter["url"],
                body_hash=adapter["body_hash"],
                simhash=adapter["simhash"],
                published=adapter["published"].astimezone(UTC).isoformat(),
            )
        )
    return entries
