"""Answer every request from WARC recordings, never from the network (``newsbot replay``)."""

from __future__ import annotations

import logging
from collections import Counter

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


class WarcReplayMiddleware:
    """Answer each request with the response recorded for its URL; a URL not recorded gets a 404.

    Responses recorded for one URL are served in recorded order, the last one repeating; a request whose
    ``newsbot_replay_record`` meta holds a ``RecordRef`` gets that record.
    ``NEWSBOT_REPLAY_FILES`` names the WARC files; ``NEWSBOT_REPLAY_RUN``, if set, picks one run of them;
    ``NEWSBOT_REPLAY_URL_MAP`` moves recorded URL prefixes to the URLs they stand for (see ``rebase_url``).
    """

    def __init__(self, run: Run, stats: StatsCollector) -> None:
        self.run = run
        self.stats = stats
        self.served: Counter[str] = Counter()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcReplayMiddleware:
        if not crawler.settings.getlist("NEWSBOT_REPLAY_FILES"):
            raise NotConfigured
        return cls(settings_run(crawler.settings), crawler.stats)

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

    def process_request(self, request: Request) -> Response:
        ref = self.next_record(request)
        if ref is None:
            self.stats.inc_value("newsbot/replay/missing")
            logger.warning("not in the recording: %s", request.url)
            return Response(request.url, status=404, request=request, flags=["replay-missing"])
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
