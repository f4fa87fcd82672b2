"""Caijing (财经网, caijing.com.cn): channel subdomains' ``/<yyyymmdd>/<n>.shtml`` article pages."""

from __future__ import annotations

import re

from newsbot.dates import parse_datetime
from newsbot.sites import (
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

NAME = "caijing"
HOSTS = (".caijing.com.cn",)
SITE = "财经网"
CHANNELS = {
    "economy": "宏观",
    "finance": "金融",
    "stock": "证券",
    "industry": "产业",
    "tech": "科技",
    "estate": "地产",
    "auto": "汽车",
    "politics": "政经",
    "international": "国际",
    "comments": "评论",
}

_DOC_ID = re.compile(r"/\d{8}/(\d+)\.shtml$")
_TITLES = ('//h2[@id="cont_title"]', '//div[contains(@class, "article")]/h2', "//h1")
_BODIES = ('//div[@id="the_content"]', '//div[contains(@class, "article-content")]')


def categories(url: str) -> Categories:
    """金融 / 财经网 / 财经网－<channel of the subdomain>."""
    channel = CHANNELS.get(url_host(url).split(".", 1)[0], "要闻")
    return Categories(FINANCE, SITE, f"{SITE}－{channel}")


def doc_id(url: str) -> str | None:
    """The number naming the article (``5010608`` in ``/20240511/5010608.shtml``)."""
    match = _DOC_ID.search(url.split("?", 1)[0])
    return match.group(1) if match else None


def extract(html: str, url: str) -> Extracted:
    """Title, body, time, outlet and editor of a Caijing article page."""
    doc = parse_page(html)
    title = first_text(doc, _TITLES) or title_before(first_text(doc, ["//title"]), "_")
    published = meta_content(doc, "article:published_time") or first_text(
        doc, ['//span[@id="pubtime_baidu"]']
    )
    editor = first_text(doc, ['//span[@id="editor_baidu"]', '//div[contains(@class, "ar_writer")]'])
    return Extracted(
        title=require_title(title),
        body_html=body_html(doc, _BODIES),
        published=parse_datetime(published) if published else None,
        outlet=first_text(doc, ['//span[@id="source_baidu"]']),
        editor=after_label(editor, "责任编辑", "编辑"),
        canonical_url=meta_content(doc, "og:url"),
    )
