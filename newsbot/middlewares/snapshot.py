"""Send every request to a snapshot server on 127.0.0.1 instead of the site (``crawl --snapshot``, or
``-s NEWSBOT_SNAPSHOT_ADDRESS=127.0.0.1:N`` for a server ``newsbot serve-snapshot`` runs)."""

from __future__ import annotations

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from newsbot.snapshot_server import ORIGINAL_URL_HEADER


class SnapshotMiddleware:
    """Fetch each request from ``http://NEWSBOT_SNAPSHOT_ADDRESS/``, its URL in a header, with Scrapy's own
    download handler; the response comes back under the original URL.

    Everything above it (robots.txt, redirects, retries, timeouts, the WARC recorder at 940, spiders and
    pipelines) only ever sees original URLs. It answers in ``process_request``, before the downloader puts a
    request in its per-site slot, so ``DOWNLOAD_DELAY``, AutoThrottle and ``CONCURRENT_REQUESTS_PER_DOMAIN``
    never hold a snapshot request back; ``CONCURRENT_REQUESTS`` still bounds them.
    """

    def __init__(self, crawler: Crawler, address: str) -> None:
        self.crawler = crawler
        self.server_url = f"http://{address}/"

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SnapshotMiddleware:
        address = crawler.settings.get("NEWSBOT_SNAPSHOT_ADDRESS")
        if not address:
            raise NotConfigured
        return cls(crawler, address)

    def rewrite(self, request: Request) -> Request:
        """The request the snapshot server answers in place of ``request``."""
        headers = request.headers.copy()
        headers[ORIGINAL_URL_HEADER] = request.url
        return request.replace(url=self.server_url, headers=headers)

    async def process_request(self, request: Request) -> Response:
        handlers = self.crawler.engine.downloader.handlers
        response = await handlers.download_request_async(self.rewrite(request))
        self.crawler.stats.inc_value("newsbot/snapshot/responses")
        return response.replace(url=request.url, request=request, flags=[*response.flags, "snapshot"])
