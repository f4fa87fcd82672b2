"""People's Daily Online (人民网) finance: finance.people.com.cn ``/n1/<yyyy>/<mmdd>/c<channel>-<n>.html``."""

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

NAME = "people"
HOSTS = ("finance.people.com.cn", "money.people.com.cn", "stock.people.com.cn")
SITE = "人民网"
CHANNELS = {"finance.people.com.cn": "财经", "money.people.com.cn": "理财", "stock.people.com.cn": "股票"}

_DOC_ID = re.compile(r"/(c\d+-\d+)\.html$")
_TITLES = ('//div[contains(@class, "rm_txt")]//h1', '//div[contains(@class, "text_title")]/h1', "//h1")
_INFOS = (
    '//div[contains(@class, "channel")]/div[contains(@class, "col-1-1")]',
    '//div[@class="box01"]/div[@class="fl"]',
)
_BODIES = (
    '//div[contains(@class, "rm_txt_con")]',
    '//div[@id="rwb_zw"]',
    '//div[contains(@class, "box_con")]',
)


# The 关注公众号 QR code and the 分享让更多人看到 share button at the foot of the body.
_FURNITURE = (
    './/div[contains(concat(" ", @class, " "), " tjewm ")]',
    './/*[contains(@class, "section-common-share-wrap")]',
)


def categories(url: str) -> Categories:
    """金融 / 人民网 / 人民网－<channel of the host>."""
    return Categories(FINANCE, SITE, f"{SITE}－{CHANNELS.get(url_host(url), '财经')}")


def doc_id(url: str) -> str | None:
    """The channel and content number naming the article (``c1004-40232587``)."""
    match = _DOC_ID.search(url.split("?", 1)[0])
    return match.group(1) if match else None


def extract(html: str, url: str) -> Extracted:
    """Title, body, time, outlet and editor of a People's Daily Online article page."""
    doc = parse_page(html)
    title = first_text(doc, _TITLES) or title_before(first_text(doc, ["//title"]), "--")
    info = first_text(doc, _INFOS)
    published = meta_content(doc, "article:published_time") or info or meta_content(doc, "publishdate")
    editor = first_text(doc, ['//div[contains(@class, "edit")][contains(., "责编")]'])
    return Extracted(
        title=require_title(title),
        body_html=body_html(doc, _BODIES, _FURNITURE),
        published=parse_datetime(published) if published else None,
        outlet=after_label(info, "来源") or after_label(meta_content(doc, "source"), "来源"),
        editor=after_label(editor, "责编", "责任编辑"),
    )
