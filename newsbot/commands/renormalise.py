"""``newsbot renormalise FILE.warc.gz... --archive DIR [--workers N]``: derive every post again from recorded pages.

With ``--workers N`` (N > 1), N processes each crawl a stretch of the recorded pages (in recorded order) through
extraction, normalisation and fingerprinting into a JSON-lines feed, and this process meanwhile runs the derived
articles, stretch after stretch as they are written, through dedupe and store: the order the one-process run
judges them in, so the archive comes out the same.
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import time
import zlib
from collections.abc import AsyncIterator, Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from multiprocessing import get_context
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import frontmatter
import lxml.html
import scrapy
from itemadapter import ItemAdapter
from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.exceptions import UsageError
from scrapy.settings import SETTINGS_PRIORITIES
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.project import get_project_settings
from twisted.internet.task import deferLater

from newsbot.command import CrawlingCommand, spider_argument_problem
from newsbot.commands.replay import Command as ReplayCommand
from newsbot.extensions.progress import int_stats
from newsbot.items import Article
from newsbot.middlewares.replay import settings_run
from newsbot.pipelines.dedupe import UNCHANGED, UPDATED, Decision, DedupePipeline
from newsbot.spiders.warc import WarcSpider
from newsbot.warc import RecordRef, read_response

logger = logging.getLogger(__name__)

RUN_SOURCE = "renormalise"
DEDUPE = "newsbot.pipelines.dedupe.DedupePipeline"
NORMALISE = "newsbot.pipelines.normalise.NormalisePipeline"
# What a deriving worker runs (normalise, which fingerprints the body too, in the worker's own thread), and the
# extensions it leaves to this process's storing crawl (one run in the history, one spidermon verdict, one log).
DERIVING_PIPELINES = {NORMALISE: 300}
STORING_ONLY_EXTENSIONS = (
    "spidermon.contrib.scrapy.extensions.Spidermon",
    "newsbot.extensions.history.RunHistoryRecorder",
    "newsbot.extensions.progress.Progress",
)
# Stats the storing crawl counts again for the same articles.
RECOUNTED_STATS = ("item_scraped_count", "feedexport/")
# How often the storing crawl looks for what the deriving workers have written since.
FOLLOW_SECONDS = 0.05


def archived_filing(path: Path) -> tuple[tuple[str, ...], str] | None:
    """The categories and author of a stored post, ``None`` if it cannot be read."""
    try:
        meta = frontmatter.loads(path.read_text(encoding="utf-8")).metadata
    except (OSError, ValueError) as error:
        logger.warning("cannot read the filing of %s: %s", path, error)
        return None
    categories, author = meta.get("categories"), meta.get("author")
    if not (isinstance(categories, list) and len(categories) == 3 and isinstance(author, str)):
        logger.warning("no categories and author in %s", path)
        return None
    return tuple(str(name) for name in categories), author


class RederivePipeline(DedupePipeline):
    """Dedupe that lets an article stored under its own key through to the store, which rewrites its post
    only if it comes out different; duplicates of other articles are still dropped.

    The stored post keeps its path and filing (categories, author): the crawl that found the article filed it
    by the listing it came from, which the page alone does not tell.
    """

    def decision(self, key: str, body_hash: str, simhash_value: int) -> Decision:
        decision = super().decision(key, body_hash, simhash_value)
        if decision.outcome == UNCHANGED and decision.match.key == key:
            return Decision(UPDATED, decision.match)
        return decision

    def judge(self, item: object, adapter: ItemAdapter) -> object:
        item = super().judge(item, adapter)
        if adapter.get("status") == UPDATED and (
            filing := archived_filing(self.output_dir / adapter["path"])
        ):
            adapter["categories"], adapter["author"] = filing
        return item


class Command(ReplayCommand):
    """Replay the ``warc`` spider over all recordings as one: each URL's latest HTML page, by WARC-Date,
    through its site's extraction, normalise, dedupe and store; posts that come out the same stay untouched."""

    def syntax(self) -> str:
        return "[options] <file.warc.gz> [file.warc.gz ...]"

    def short_desc(self) -> str:
        return "Derive every post again from WARC recordings (after an extractor fix), without the network"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        CrawlingCommand.add_options(self, parser)
        self.add_replay_options(parser)
        parser.add_argument(
            "--workers",
            type=int,
            default=1,
            help="processes extracting, normalising and fingerprinting the pages; dedupe and store stay in "
            "this one (default: 1, all in this one)",
        )

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        if opts.workers < 1:
            raise UsageError("--workers must be at least 1")

    @property
    def name(self) -> str:
        return "renormalise"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        runs = self.load_runs(args)
        if runs is None:
            return None
        if problem := spider_argument_problem(RenormaliseSpider, opts.spargs, self.settings):
            raise UsageError(problem)
        started = time.perf_counter()
        pages = recorded_pages(settings_run(self.settings).responses)
        pipelines = dict(self.settings.getdict("ITEM_PIPELINES"))
        pipelines[f"{__name__}.{RederivePipeline.__name__}"] = pipelines.pop(DEDUPE, 400)
        self.settings.set("ROBOTSTXT_OBEY", False, priority="cmdline")
        if opts.workers > 1:
            return self.run_workers(pages, pipelines, opts, started)
        self.settings.set("ITEM_PIPELINES", pipelines, priority="cmdline")
        self.crawlers: list[Crawler] = [self._create_crawler(RenormaliseSpider)]
        self.crawler_process.crawl(self.crawlers[0], **opts.spargs)
        self.crawler_process.start()
        seconds = time.perf_counter() - started
        self.report(f"{len(pages)} recorded page(s)")
        self.print_rate(len(pages), 1, seconds, read_and_parse(pages))
        return None

    def run_workers(
        self, pages: list[RecordRef], pipelines: dict[str, int], opts: argparse.Namespace, started: float
    ) -> None:
        """Derive the articles in ``opts.workers`` processes while this one dedupes and stores them in recorded order;
        ``started`` is when the run began, by ``time.perf_counter``."""
        settings = {
            name: value
            for name, value in self.settings.copy_to_dict().items()
            if (self.settings.getpriority(name) or 0) > SETTINGS_PRIORITIES["project"]
        }
        pool = ProcessPoolExecutor(opts.workers, mp_context=get_context("spawn"), max_tasks_per_child=1)
        with TemporaryDirectory(prefix="newsbot-renormalise-") as scratch, pool:
            feeds = [Path(scratch) / f"{number}.jsonl" for number in range(opts.workers)]
            futures = [
                pool.submit(derive, settings, stretch, str(feed))
                for stretch, feed in zip(stretches(pages, opts.workers), feeds, strict=True)
            ]
            pipelines.pop(NORMALISE, None)
            self.settings.set("ITEM_PIPELINES", pipelines, priority="cmdline")
            self.crawlers = [self._create_crawler(DerivedSpider)]
            self.crawler_process.crawl(self.crawlers[0], derivations=tuple(zip(feeds, futures, strict=True)))
            self.crawler_process.start()
            if failed := next((future.exception() for future in futures if future.exception()), None):
                self.report(f"{len(pages)} recorded page(s)")
                return self.fail(f"a renormalise worker failed: {type(failed).__name__}: {failed}")
            done = [future.result() for future in futures]
        seconds = time.perf_counter() - started
        self.report(f"{len(pages)} recorded page(s)")
        if stopped := [derived.finish_reason for derived in done if derived.finish_reason != "finished"]:
            self.fail(f"{len(stopped)} renormalise worker(s) stopped early ({stopped[0]})")
        self.print_rate(len(pages), opts.workers, seconds, sum(d.floor_seconds for d in done))
        return None

    @staticmethod
    def print_rate(pages: int, workers: int, seconds: float, floor_seconds: float) -> None:
        """Pages per second beside the floor: ``workers`` processes reading and parsing the pages alone."""
        if pages and seconds and floor_seconds:
            print(
                f"{pages / seconds:,.0f} pages/s on {workers} process(es) in {seconds:.1f} s;"
                f" floor (reading and parsing the recorded pages alone): {pages * workers / floor_seconds:,.0f}"
                " pages/s"
            )


def recorded_pages(refs: dict[str, list[RecordRef]]) -> list[RecordRef]:
    """The response the ``warc`` spider asks for of each URL (its latest 200 HTML one), in recorded order."""
    pages = [
        page[-1]
        for page in ([r for r in rs if r.status == 200 and r.is_html] for rs in refs.values())
        if page
    ]
    return sorted(pages, key=lambda ref: (ref.path, ref.offset))


def stretches(pages: list[RecordRef], count: int) -> list[list[RecordRef]]:
    """``pages`` cut into ``count`` consecutive stretches whose lengths differ by at most one."""
    size, extra = divmod(len(pages), count)
    bounds = [index * size + min(index, extra) for index in range(count + 1)]
    return [pages[start:end] for start, end in pairwise(bounds)]


def read_and_parse(pages: list[RecordRef]) -> float:
    """Seconds spent reading ``pages`` from their WARC files and parsing them with ``lxml.html`` alone."""
    started = time.perf_counter()
    for ref in pages:
        recorded = read_response(ref)
        body = recorded.body
        codings = ",".join(value for name, value in recorded.headers if name.lower() == "content-encoding")
        for coding in reversed([part.strip().lower() for part in codings.split(",")]):
            if coding in ("gzip", "x-gzip"):
                body = gzip.decompress(body)
            elif coding == "deflate":
                body = zlib.decompress(body)
        if body.strip():
            lxml.html.fromstring(body)
    return time.perf_counter() - started


class RenormaliseSpider(WarcSpider):
    """The ``warc`` spider as ``renormalise`` runs it: its runs go by ``renormalise`` in the run history (what
    ``newsbot status`` lists) and the summary, apart from ``replay``'s."""

    source_name = RUN_SOURCE


class StretchSpider(RenormaliseSpider):
    """The ``warc`` spider over the pages at ``urls`` only (a deriving worker's stretch)."""

    def __init__(self, urls: Iterable[str] = (), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.urls = frozenset(urls)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        async for request in super().start():
            if request.url in self.urls:
                yield request


@dataclass(frozen=True, slots=True)
class Derived:
    """What one deriving worker did: its crawl's counting stats and the seconds of its floor pass."""

    stats: dict[str, int]
    finish_reason: str
    floor_seconds: float


def derive(settings: dict[str, Any], pages: list[RecordRef], feed: str) -> Derived:
    """Crawl ``pages`` of the recording through extraction, normalise and fingerprinting into the JSON-lines
    ``feed`` (run in a worker process, ``settings`` those set above the project's), then time reading and parsing
    them alone."""
    worker = get_project_settings()
    worker.setdict(settings, priority="cmdline")
    worker.setdict(
        {
            "ITEM_PIPELINES": DERIVING_PIPELINES,
            "EXTENSIONS": {**worker.getdict("EXTENSIONS"), **dict.fromkeys(STORING_ONLY_EXTENSIONS)},
            "SPIDERMON_ENABLED": False,
            "NEWSBOT_PAGE_PROCESSES": 0,
            "FEEDS": {Path(feed).as_uri(): {"format": "jsonlines", "encoding": "utf-8"}},
        },
        priority="cmdline",
    )
    process = CrawlerProcess(worker)
    crawler = process.create_crawler(StretchSpider)
    process.crawl(crawler, urls=frozenset(ref.url for ref in pages))
    process.start()
    stats = crawler.stats.get_stats()
    return Derived(int_stats(stats), str(stats.get("finish_reason", "")), read_and_parse(pages))


def followed(
    feed: Path, future: Future, position: int, pending: bytes
) -> tuple[list[Article], int, bytes, bool]:
    """The articles a deriving worker has appended to its JSON-lines ``feed`` past ``position`` (``pending``: the
    unfinished line read before), the new position and unfinished line, and whether the worker is done and all of
    its feed read."""
    finished = future.done()
    data = b""
    if feed.exists():
        with feed.open("rb") as stream:
            stream.seek(position)
            data = stream.read()
    *lines, pending = (pending + data).split(b"\n")
    articles = [article_of(json.loads(line)) for line in lines if line.strip()]
    return articles, position + len(data), pending, finished and not data


def article_of(fields: dict[str, Any]) -> Article:
    """An article as a deriving worker exported it, fields as they left its pipelines."""
    fields["published"] = datetime.fromisoformat(fields["published"])
    fields["simhash"] = int(fields["simhash"], 16)
    return Article(fields)


class DerivedSpider(scrapy.Spider):
    """Hand the deriving workers' articles to dedupe and store as the workers write them, stretch after stretch,
    and count the workers' stats here; stops at a worker that failed."""

    name = "warc"
    source_name = RUN_SOURCE
    derivations: tuple[tuple[Path, Future], ...] = ()

    async def start(self) -> AsyncIterator[Article]:
        from twisted.internet import reactor

        for feed, future in self.derivations:
            position, pending, done = 0, b"", False
            while not done:
                articles, position, pending, done = followed(feed, future, position, pending)
                for article in articles:
                    yield article
                if not articles and not done:
                    await maybe_deferred_to_future(deferLater(reactor, FOLLOW_SECONDS))
            if future.exception() is not None:
                return
            for name, value in future.result().stats.items():
                if not name.startswith(RECOUNTED_STATS):
                    self.crawler.stats.inc_value(name, value)
