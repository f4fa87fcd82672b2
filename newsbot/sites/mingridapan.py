"""Mingridapan (明日大盘网): stock-market news pages ``/<channel>/news/<n>.html``."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from newsbot.dates import parse_datetime
from newsbot.sites import body_html, first_text, meta_content, parse_page, require_title
from newsbot.sites.base import FINANCE, Categories, Extracted

NAME = "mingridapan"
HOSTS = ("mingridapan.com", "www.mingridapan.com")
SITE = "明日大盘网"
CHANNELS = {"shishi": "实时播报", "gushihangqing": "股市行情"}

_DOC_ID = re.compile(r"/(\d+)\.html$")


def categories(url: str) -> Categories:
    """金融 / 明日大盘网 / 明日大盘网－<channel of the first path segment>."""
    segment = urlsplit(url).path.strip("/").split("/", 1)[0]
    return Categories(FINANCE, SITE, f"{SITE}－{CHANNELS.get(segment, '股市资讯')}")


def doc_id(url: str) -> str | None:
    """The number naming the article (``637863`` in ``/shishi/news/637863.html``)."""
    match = _DOC_ID.search(url.split("?", 1)[0])
    return match.group(1) if match else None


def extract(html: str, url: str) -> Extracted:
    """Title, body and time of a Mingridapan article page (the site names no outlet or editor)."""
    doc = parse_page(html)
    title = first_text(doc, ['//div[@class="page_art_title"]/div[@class="title-text"]'])
    published = meta_content(doc, "article:published_time") or first_text(
        doc, ['//div[@class="title-meta-time"]']
    )
    return Extracted(
        title=require_title(title),
        body_html=body_html(doc, ['//div[@class="page_art_content"]']),
        published=parse_datetime(published) if published else None,
    )
