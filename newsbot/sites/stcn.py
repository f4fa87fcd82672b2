"""Securities Times (证券时报网, stcn.com): channel subdomains' ``/<year>/<mmdd>/<n>.shtml`` and ``/article/detail``."""

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

NAME = "stcn"
HOSTS = (".stcn.com",)
SITE = "证券时报网"
CHANNELS = {
    "kuaixun": "快讯",
    "news": "要闻",
    "company": "公司",
    "stock": "股市",
    "finance": "金融",
    "space": "专栏",
    "data": "数据",
}

_DOC_ID = re.compile(r"/(?:\d{4}/\d{4}|article/detail)/(\d+)\.s?html$")
_TITLES = ('//div[@class="intal_tit"]/h2', '//div[contains(@class, "detail-title")]', "//h1")
_INFOS = (
    '//div[@class="intal_tit"]/div[@class="info"]',
    '//div[contains(@class, "detail-info")]',
    '//div[@class="info"]',
)
_BODIES = ('//div[@id="ctrlfscont"]', '//div[contains(@class, "detail-content")]', '//div[@class="txt_con"]')


def categories(url: str) -> Categories:
    """金融 / 证券时报网 / 证券时报网－<channel of the subdomain>."""
    channel = CHANNELS.get(url_host(url).split(".", 1)[0], "要闻")
    return Categories(FINANCE, SITE, f"{SITE}－{channel}")


def doc_id(url: str) -> str | None:
    """The number naming the article (``15408927`` in ``/2019/0926/15408927.shtml``)."""
    match = _DOC_ID.search(url.split("?", 1)[0])
    return match.group(1) if match else None


def extract(html: str, url: str) -> Extracted:
    """Title, body, time, outlet and editor of a Securities Times article page."""
    doc = parse_page(html)
    title = first_text(doc, _TITLES) or title_before(first_text(doc, ["//title"]), "_证券时报")
    info = first_text(doc, _INFOS)
    published = meta_content(doc, "article:published_time") or info
    return Extracted(
        title=require_title(title),
        body_html=body_html(doc, _BODIES),
        published=parse_datetime(published) if published else None,
        outlet=after_label(info, "来源"),
        editor=after_label(first_text(doc, [EDITOR_LINE]), "责任编辑"),
    )
