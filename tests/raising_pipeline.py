"""A test-only item pipeline that raises on chosen articles, so a real crawl meets a pipeline error."""

from __future__ import annotations

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler

RAISE_FOR_SETTING = "NEWSBOT_TEST_RAISE_FOR"


class PipelineFault(RuntimeError):
    """What ``RaisingPipeline`` raises."""


class RaisingPipeline:
    """Raise ``PipelineFault`` on each article whose URL is in the ``NEWSBOT_TEST_RAISE_FOR`` list setting;
    pass the others on."""

    def __init__(self, urls: frozenset[str]) -> None:
        self.urls = urls

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RaisingPipeline:
        return cls(frozenset(crawler.settings.getlist(RAISE_FOR_SETTING)))

    def process_item(self, item: object) -> object:
        url = ItemAdapter(item).get("url")
        if url in self.urls:
            raise PipelineFault(f"test fault on {url}")
        return item
