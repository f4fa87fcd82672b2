"""Answer a request from a saved file instead of the network (``newsbot fetch --html FILE``)."""

from __future__ import annotations

from pathlib import Path

from scrapy import Request
from scrapy.http import HtmlResponse, Response

SAVED_PAGE_META = "newsbot_saved_page"


class SavedPageMiddleware:
    """A request whose meta names a saved page gets that file's bytes as its response."""

    def process_request(self, request: Request) -> Response | None:
        saved = request.meta.get(SAVED_PAGE_META)
        if saved is None:
            return None
        return HtmlResponse(url=request.url, body=Path(saved).read_bytes(), request=request)
