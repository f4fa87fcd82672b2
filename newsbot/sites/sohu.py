"""Sohu (搜狐) finance: business.sohu.com and its stock and money channels, 2004 table layout and later."""

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

NAME = "sohu"
HOSTS = ("business.sohu.com", "stock.sohu.com", "money.sohu.com")
SITE = "搜狐财经"
CHANNELS = {"business.sohu.com": "财经", "stock.sohu.com": "股票", "money.sohu.com": "理财"}

_DOC_ID = re.compile(r"/(n\d+)\.shtml$")
_TITLES = ("//h1", "//fltitle", '//td[contains(@class, "c_title")]', '//meta[@property="og:title"]/@content')
_INFO = (
    '//div[contains(@class, "article-info")]',
    '//td[@bgcolor="CC3300" or @bgcolor="#CC3300"][contains(., "来源")]',
    '//td[contains(@class, "c_tj2")][contains(., "时间")]',
)
_OUTLETS = ('//span[@id="media_span"]', '//span[@id="source"]')
_BODIES = (
    '//article[@id="mp-editor"]',
    '//div[@itemprop="articleBody"]',
    '//*[@id="contentText"]',
    '//*[@id="fontzoom"][not(.//*[@id="fontzoom"])]',
)


def categories(url: str) -> Categories:
    """金融 / 搜狐财经 / 搜狐财经－<channel of the host>."""
    return Categories(FINANCE, SITE, f"{SITE}－{CHANNELS.get(url_host(url), '财经')}")


def doc_id(url: str) -> str | None:
    """The ``n``-number naming the article (``n221031086``)."""
    match = _DOC_ID.search(url.split("?", 1)[0])
    return match.group(1) if match else None


def extract(html: str, url: str) -> Extracted:
    """Title, body, time, outlet and editor of a Sohu finance article page."""
    doc = parse_page(html)
    title = first_text(doc, _TITLES) or title_before(first_text(doc, ["//title"]), "-搜狐")
    info = first_text(doc, _INFO)
    published = meta_content(doc, "article:published_time", "og:release_date") or info
    return Extracted(
        title=require_title(title),
        body_html=body_html(doc, _BODIES),
        published=parse_datetime(published) if published else None,
        outlet=first_text(doc, _OUTLETS) or after_label(info, "来源"),
        editor=after_label(first_text(doc, [EDITOR_LINE]), "责任编辑"),
    )
