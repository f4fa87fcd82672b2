"""Hexun (和讯网): channel subdomains' ``/<yyyy-mm-dd>/<n>.html`` article pages."""

from __future__ import annotations

import re

from newsbot.dates import parse_datetime
from newsbot.sites import (
    EDITOR_LINE,
    after_label,
    body_html,
    first_text,
    meta_content,
    parse_page,
    require_title,
    title_before,
    url_host,
)
from newsbot.sites.base import FINANCE, Categories, Extracted

NAME = "hexun"
HOSTS = (".hexun.com",)
SITE = "和讯网"
CHANNELS = {
    "stock": "股票",
    "news": "新闻",
    "funds": "基金",
    "bank": "银行",
    "insurance": "保险",
    "futures": "期货",
    "forex": "外汇",
    "bond": "债券",
    "money": "理财",
    "gold": "黄金",
    "tech": "科技",
    "opinion": "评论",
}

_DOC_ID = re.compile(r"/\d{4}-\d{2}-\d{2}/(\d+)\.html$")
_TITLES = ('//div[contains(@class, "articleName")]/h1', "//h1")
_TIMES = ('//div[contains(@class, "tip")]/span[contains(@class, "pr20")]', '//span[@id="pubtime_baidu"]')
_OUTLETS = ('//div[contains(@class, "tip")]/a', '//span[@id="source_baidu"]')
_BODIES = ('//div[contains(@class, "art_contextBox")]', '//div[contains(@class, "art_context")]')


def categories(url: str) -> Categories:
    """金融 / 和讯网 / 和讯网－<channel of the subdomain>."""
    channel = CHANNELS.get(url_host(url).split(".", 1)[0], "新闻")
    return Categories(FINANCE, SITE, f"{SITE}－{channel}")


def doc_id(url: str) -> str | None:
    """The number naming the article (``198678130`` in ``/2019-09-26/198678130.html``)."""
    match = _DOC_ID.search(url.split("?", 1)[0])
    return match.group(1) if match else None


def extract(html: str, url: str) -> Extracted:
    """Title, body, time, outlet and editor of a Hexun article page."""
    doc = parse_page(html)
    title = first_text(doc, _TITLES) or title_before(first_text(doc, ["//title"]), "-")
    published = meta_content(doc, "article:published_time") or first_text(doc, _TIMES)
    editor = first_text(doc, [EDITOR_LINE])
    return Extracted(
        title=require_title(title),
        body_html=body_html(doc, _BODIES),
        published=parse_datetime(published) if published else None,
        outlet=first_text(doc, _OUTLETS),
        editor=after_label(editor, "责任编辑"),
    )
