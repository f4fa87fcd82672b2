"""NetEase (网易) finance: money.163.com, the old biz.163.com business channel and www.163.com/money pages."""

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

NAME = "netease"
HOSTS = ("money.163.com", "biz.163.com", "www.163.com")
SITE = "网易财经"
CHANNELS = {"money.163.com": "财经", "biz.163.com": "商业", "www.163.com": "财经"}

_DOC_ID = re.compile(r"/([0-9A-Z]{16})\.html$")
_TITLES = ('//h1[@id="h1title"]', '//div[contains(@class, "post_main")]//h1', "//h1")
_TIME_SOURCE = (
    '//div[contains(@class, "post_time_source")]',
    '//div[contains(@class, "ep-time-soure")]',
    '//div[contains(@class, "post_info")]',
    '//td[contains(@class, "graysl")][contains(., "来源")]',
)
_OUTLETS = ('//a[@id="ne_article_source"]', '//td[contains(@class, "graysl")][contains(., "来源")]/font')
_EDITORS = ('//span[contains(@class, "ep-editor")]', '//div[contains(@class, "post_editor")]')
_BODIES = ('//div[@id="endText"]', '//div[contains(@class, "post_body")]', '//span[@class="grayb"]')
# The site's icon by 本文来源 at the foot of the body.
_FURNITURE = ('.//*[contains(@class, "ep-source")]//a[img]',)
# The comments around the 重点推荐 promotion (app and tool adverts, links to other articles) in 2015 bodies.
_MARKED = (("biaoqian开始", "biaoqian结束"),)


def categories(url: str) -> Categories:
    """金融 / 网易财经 / 网易财经－<channel of the host>."""
    return Categories(FINANCE, SITE, f"{SITE}－{CHANNELS.get(url_host(url), '财经')}")


def doc_id(url: str) -> str | None:
    """The 16-character article id ending the URL (``17867KR700020QBK``)."""
    match = _DOC_ID.search(url.split("?", 1)[0])
    return match.group(1) if match else None


def extract(html: str, url: str) -> Extracted:
    """Title, body, time, outlet and editor of a NetEase article page, 2004 table layout to 2019 ``post_*``."""
    doc = parse_page(html)
    title = first_text(doc, _TITLES) or title_before(first_text(doc, ["//title"]), "_网易", "_商业频道")
    time_source = first_text(doc, _TIME_SOURCE)
    published = meta_content(doc, "article:published_time") or time_source
    editor = first_text(doc, _EDITORS)
    return Extracted(
        title=require_title(title),
        body_html=body_html(doc, _BODIES, _FURNITURE, _MARKED),
        published=parse_datetime(published) if published else None,
        outlet=first_text(doc, _OUTLETS) or after_label(time_source, "来源"),
        editor=after_label(editor, "责任编辑") if editor else None,
    )
