"""Record every response of a run, with its request, to a WARC file (``--record FILE.warc.gz``)."""

from __future__ import annotations

import json
from importlib.metadata import version

import scrapy
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Headers, Response

from newsbot import __version__
from newsbot.warc import ARGUMENTS_FIELD, SPIDER_FIELD, WarcFile

WARC_1_1 = "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"


def header_pairs(headers: Headers) -> list[tuple[str, str]]:
    """Scrapy's headers as ``(name, value)`` text pairs, one per value."""
    return [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, values in headers.items()
        for value in values
    ]


class WarcRecorderMiddleware:
    """Write a request and a response record per response, under the URL the spider asked for.

    Sits just below the snapshot rewrite (950), so it sees original URLs and bodies as transferred.
    """

    def __init__(self, crawler: Crawler, path: str) -> None:
        self.crawler = crawler
        self.path = path
        self.warc: WarcFile | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcRecorderMiddleware:
        path = crawler.settings.get("NEWSBOT_RECORD_FILE")
        if not path:
            raise NotConfigured
        middleware = cls(crawler, path)
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def warcinfo(self, spider: Spider) -> dict[str, str]:
        """The warcinfo fields of this run: software, robots policy, and how to run the spider again."""
        settings = self.crawler.settings
        return {
            "software": f"newsbot/{__version__} Scrapy/{scrapy.__version__} warcio/{version('warcio')}",
            "format": "WARC File Format 1.1",
            "conformsTo": WARC_1_1,
            "robots": "classic" if settings.getbool("ROBOTSTXT_OBEY") else "ignore",
            "http-header-user-agent": settings.get("USER_AGENT", ""),
            SPIDER_FIELD: spider.name,
            ARGUMENTS_FIELD: json.dumps(settings.getdict("NEWSBOT_SPIDER_ARGUMENTS"), ensure_ascii=False),
        }

    def spider_opened(self, spider: Spider) -> None:
        self.warc = WarcFile(self.path)
        self.warc.write_warcinfo(self.warcinfo(spider))

    def spider_closed(self, spider: Spider) -> None:
        if self.warc is not None:
            self.warc.close()
            self.warc = None

    def process_response(self, request: Request, response: Response) -> Response:
        self.warc.write_exchange(
            response.url,
            request.method,
            header_pairs(request.headers),
            request.body,
            response.status,
            header_pairs(response.headers),
            response.body,
            response.ip_address and str(response.ip_address),
        )
        self.crawler.stats.inc_value("newsbot/record/responses")
        return response
