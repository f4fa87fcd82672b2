"""Xinhua (新华网): news.cn and xinhuanet.com ``c_<n>.htm`` and ``/<yyyymmdd>/<hex>/c.html`` article pages."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from lxml import etree

from newsbot.dates import parse_datetime
from newsbot.sites import (
    after_label,
    body_html,
    first_text,
    meta_content,
    parse_page,
    require_title,
    title_before,
)
from newsbot.sites.base import FINANCE, Categories, Extracted

NAME = "xinhua"
HOSTS = ("news.cn", ".news.cn", "xinhuanet.com", ".xinhuanet.com")
SITE = "新华网"
CHANNELS = {
    "fortune": "财经",
    "finance": "财经",
    "money": "金融",
    "energy": "能源",
    "auto": "汽车",
    "house": "房产",
}

_OLD_ID = re.compile(r"/(c_\d+)\.html?$")
_NEW_ID = re.compile(r"/\d{8}/([0-9a-f]{32})/c\.html$")
_TITLES = ('//div[contains(@class, "head-line")]//span[@class="title"]', '//h1//span[@class="title"]', "//h1")
_INFOS = ('//div[contains(@class, "mheader")]/div[@class="info"]', '//div[@class="info"]')
_SOURCES = ('//div[contains(@class, "header-cont")]/div[@class="source"]', '//div[@class="info"]/span')
_BODIES = ('//div[@id="detail"]', '//div[@id="p-detail"]', '//span[@id="content"]')
# The 【纠错】 link and the error-report box it opens, at the foot of the body.
_FURNITURE = ('.//*[contains(concat(" ", @class, " "), " tiyi1 ")]',)


def categories(url: str) -> Categories:
    """金融 / 新华网 / 新华网－<channel of the first path segment>."""
    segment = urlsplit(url).path.strip("/").split("/", 1)[0]
    return Categories(FINANCE, SITE, f"{SITE}－{CHANNELS.get(segment, '财经')}")


def doc_id(url: str) -> str | None:
    """``c_1129981476`` for ``c_<n>.htm`` pages, the 32-hex id for the ``/<date>/<id>/c.html`` ones."""
    path = url.split("?", 1)[0]
    match = _OLD_ID.search(path) or _NEW_ID.search(path)
    return match.group(1) if match else None


def _header_time(doc: etree._Element) -> str | None:
    """The PC header's split date (``<span class="year">2023</span><span class="day">11/17</span>...``)."""
    parts = [
        first_text(doc, [f'//div[contains(@class, "header-time")]/span[@class="{name}"]'])
        for name in ("year", "day", "time")
    ]
    return f"{parts[0]}/{''.join(parts[1].split())} {parts[2]}" if all(parts) else None


def extract(html: str, url: str) -> Extracted:
    """Title, body, time, outlet and editor of a Xinhua article page."""
    doc = parse_page(html)
    title = first_text(doc, _TITLES) or title_before(first_text(doc, ["//title"]), "-新华网")
    published = meta_content(doc, "article:published_time") or first_text(doc, _INFOS) or _header_time(doc)
    return Extracted(
        title=require_title(title),
        body_html=body_html(doc, _BODIES, _FURNITURE),
        published=parse_datetime(published) if published else None,
        outlet=after_label(first_text(doc, _SOURCES), "来源"),
        editor=after_label(first_text(doc, ['//span[@class="editor"]']), "责任编辑"),
    )
