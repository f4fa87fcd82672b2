"""Turn saved pages into posts without a crawl: the same functions the pipelines run."""

from __future__ import annotations

from pathlib import Path

from itemadapter import ItemAdapter
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from newsbot.extraction import article_from_response
from newsbot.fingerprint import body_text, exact_fingerprint, simhash
from newsbot.items import Article
from newsbot.pipelines.normalise import NormalisePipeline
from newsbot.pipelines.store import post_of
from newsbot.post import render


def article_from_file(path: Path, url: str) -> Article:
    """The extracted, normalised article of a saved page served at ``url``."""
    response = HtmlResponse(url=url, body=path.read_bytes())
    crawler = get_crawler(settings_dict={"NEWSBOT_PLACEHOLDER_IMAGE": "https://picsum.photos/400/300?random={n}"})
    item = NormalisePipeline.from_crawler(crawler).process_item(article_from_response(response))
    adapter = ItemAdapter(item)
    text = body_text(adapter["body_html"])
    adapter["body_hash"], adapter["simhash"] = exact_fingerprint(text), simhash(text)
    return item


def post_from_file(path: Path, url: str) -> str:
    """The post text of a saved page served at ``url``."""
    return render(post_of(ItemAdapter(article_from_file(path, url))))
