"""Answer every request from WARC recordings, never from the network (``newsbot replay``)."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes
from scrapy.settings import BaseSettings
from scrapy.statscollectors import StatsCollector

from newsbot.warc import RecordRef, Run, read_response, replay_run, url_key

logger = logging.getLogger(__name__)

REPLAY_RECORD_META = "newsbot_replay_record"


def settings_run(settings: BaseSettings) -> Run:
    """The recording a replay crawl answers from: ``NEWSBOT_REPLAY_FILES``, ``_RUN`` and ``_URL_MAP``."""
    chosen = settings.get("NEWSBOT_REPLAY_RUN")
    return replay_run(
        settings.getlist("NEWSBOT_REPLAY_FILES"),
        None if chosen is None else int(chosen),
        settings.getdict("NEWSBOT_REPLAY_URL_MAP"),
    )


class RecordedOrder:
    """Hand out recorded responses in the order they were recorded, so items reach the pipelines as in the crawl.

    A response waits for the ones recorded before it; when nothing was handed out for ``QUIET`` ticks and
    ``stalled()`` says the crawl has nothing else to do, the earliest waiting goes next and the records before
    it, which no request asked for (yet), are passed over.
    """

    TICK = 0.002
    QUIET = 5

    def __init__(self, run: Run, stalled: Callable[[], bool]) -> None:
        refs = sorted(
            {ref for refs in run.responses.values() for ref in refs}, key=lambda r: (r.path, r.offset)
        )
        self.position = {ref: index for index, ref in enumerate(refs)}
        self.stalled = stalled
        self.cursor = 0
        self.done: set[int] = set()
        self.waiting: dict[int, asyncio.Future[None]] = {}
        self.progress = 0
        self.quiet = 0
        self.watching = False

    async def turn(self, ref: RecordRef) -> None:
        """Return when ``ref`` is the next record to hand out."""
        position = self.position[ref]
        if position < self.cursor or position in self.done:
            return
        if position != self.cursor:
            self.waiting[position] = asyncio.get_running_loop().create_future()
            self._watch()
            await self.waiting[position]
        self.done.add(position)
        self.progress += 1
        while self.cursor in self.done:
            self.cursor += 1
        if self.cursor in self.waiting:
            self._release(self.cursor)

    def _release(self, position: int) -> None:
        self.cursor = max(self.cursor, position)
        self.waiting.pop(position).set_result(None)

    def _watch(self, seen: int | None = None) -> None:
        if self.watching and seen is None:
            return
        self.watching = bool(self.waiting)
        if not self.watching:
            return
        self.quiet = self.quiet + 1 if seen == self.progress and self.stalled() else 0
        if self.quiet >= self.QUIET:
            self.quiet = 0
            self._release(min(self.waiting))
        asyncio.get_running_loop().call_later(self.TICK, self._watch, self.progress)


def engine_stalled(crawler: Crawler) -> Callable[[], bool]:
    """Whether the crawl has nothing to do but wait: no response in the spider or pipelines, and no
    scheduled request the engine could send."""

    def stalled() -> bool:
        engine = crawler.engine
        return engine.scraper.slot.is_idle() and (
            engine.needs_backout() or not engine.scheduler.has_pending_requests()
        )

    return stalled


class WarcReplayMiddleware:
    """Answer each request with the response recorded for its URL; a URL not recorded gets a 404.

    Responses recorded for one URL are served in recorded order, the last one repeating; a request whose
    ``newsbot_replay_record`` meta holds a ``RecordRef`` gets that record. Across URLs, responses are handed
    out in recorded order (``RecordedOrder``).
    ``NEWSBOT_REPLAY_FILES`` names the WARC files; ``NEWSBOT_REPLAY_RUN``, if set, picks one run of them;
    ``NEWSBOT_REPLAY_URL_MAP`` moves recorded URL prefixes to the URLs they stand for (see ``rebase_url``).
    """

    def __init__(self, run: Run, stats: StatsCollector, order: RecordedOrder) -> None:
        self.run = run
        self.stats = stats
        self.order = order
        self.served: Counter[str] = Counter()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcReplayMiddleware:
        if not crawler.settings.getlist("NEWSBOT_REPLAY_FILES"):
            raise NotConfigured
        run = settings_run(crawler.settings)
        return cls(run, crawler.stats, RecordedOrder(run, engine_stalled(crawler)))

    def next_record(self, request: Request) -> RecordRef | None:
        """The record that answers ``request`` now, ``None`` if its URL was not recorded."""
        if REPLAY_RECORD_META in request.meta:
            return request.meta[REPLAY_RECORD_META]
        key = url_key(request.url)
        refs = self.run.responses.get(key)
        if not refs:
            return None
        self.served[key] += 1
        return refs[min(self.served[key], len(refs)) - 1]

    async def process_request(self, request: Request) -> Response:
        ref = self.next_record(request)
        if ref is None:
            self.stats.inc_value("newsbot/replay/missing")
            logger.warning("not in the recording: %s", request.url)
            return Response(request.url, status=404, request=request, flags=["replay-missing"])
        await self.order.turn(ref)
        recorded = read_response(ref)
        headers = Headers()
        for name, value in recorded.headers:
            headers.appendlist(name, value)
        respcls = responsetypes.from_args(headers=headers, url=request.url, body=recorded.body)
        self.stats.inc_value("newsbot/replay/responses")
        return respcls(
            url=request.url,
            status=recorded.status,
            headers=headers,
            body=recorded.body,
            request=request,
            flags=["replay"],
            protocol="HTTP/1.1",
        )
