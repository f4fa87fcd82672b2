"""Tencent (腾讯) finance: finance.qq.com and stock.qq.com articles, ``/a/<date>/<n>.htm`` and ``omn`` ids."""

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

NAME = "qq"
HOSTS = ("finance.qq.com", "stock.qq.com")
SITE = "腾讯财经"
CHANNELS = {"finance.qq.com": "财经", "stock.qq.com": "证券"}

_OLD_ID = re.compile(r"/a/(\d{8})/(\d+)\.html?$")
_NEW_ID = re.compile(r"/(\d{8}[A-Z]\w{7})(?:\.html?)?$")
_TITLES = ('//div[contains(@class, "hd")]/h1', '//div[contains(@class, "LEFT")]/h1', "//h1")
_TIMES = ('//span[@class="a_time"]', '//span[contains(@class, "article-time")]', '//span[@class="pubTime"]')
_OUTLETS = (
    '//span[@class="a_source"]',
    '//span[contains(@class, "color-a-1")]',
    '//span[@bosszone="jgname"]',
)
_BODIES = ('//div[@id="Cnt-Main-Article-QQ"]', '//div[contains(@class, "content-article")]')
# The 返回腾讯网首页 link, with Tencent's icon, ending the body.
_FURNITURE = ('.//a[@id="backqqcom"]',)
_PUBTIME = re.compile(r"""pubtime\s*[:=]\s*['"]([^'"]+)['"]""")


def categories(url: str) -> Categories:
    """金融 / 腾讯财经 / 腾讯财经－<channel of the host>."""
    return Categories(FINANCE, SITE, f"{SITE}－{CHANNELS.get(url_host(url), '财经')}")


def doc_id(url: str) -> str | None:
    """``20190923000843`` for ``/a/20190923/000843.htm``, ``20190928A0372F00`` for the newer ids."""
    path = url.split("?", 1)[0]
    if match := _OLD_ID.search(path):
        return match.group(1) + match.group(2)
    match = _NEW_ID.search(path)
    return match.group(1) if match else None


def extract(html: str, url: str) -> Extracted:
    """Title, body, time, outlet and editor of a Tencent finance article page."""
    doc = parse_page(html)
    title = first_text(doc, _TITLES) or title_before(first_text(doc, ["//title"]), "_腾讯", "_财经")
    pubtime = _PUBTIME.search(html)
    published = (
        meta_content(doc, "article:published_time")
        or first_text(doc, _TIMES)
        or (pubtime.group(1) if pubtime else None)
    )
    return Extracted(
        title=require_title(title),
        body_html=body_html(doc, _BODIES, _FURNITURE),
        published=parse_datetime(published) if published else None,
        outlet=first_text(doc, _OUTLETS),
        editor=after_label(
            first_text(doc, ['//div[@id="QQeditor"]', '//div[contains(@class, "qq_editor")]']), "责任编辑"
        ),
    )
