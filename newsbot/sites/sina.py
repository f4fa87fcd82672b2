"""Sina (新浪): URL rules, categories and extraction for every Sina article template seen since 2005.

Templates: 2018+ finance and k.sina/t.cj (``h1.main-title``, ``#artibody``), news.sina.com.cn (``div#article``),
2016 finance and 2009 portal (``h1#artibodyTitle``, ``#artibody``), mobile finance.sina.cn
(``h1.art_tit_h1``, ``section.art_content``) and 2005 portal pages (``td.l17``, title from ``<title>``).
"""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urlsplit

import lxml.html
from lxml import etree
from lxml.cssselect import CSSSelector

from newsbot.body import inner_html, shows_anything
from newsbot.dates import parse_datetime
from newsbot.sites import (
    drop_furniture,
    first_text,
    meta_content,
    parse_page,
    text_of,
    title_before,
    url_host,
)
from newsbot.sites.base import FINANCE, Categories, Extracted, NotAnArticle
from newsbot.sources import sina_finance
from newsbot.trees import xpath

NAME = "sina"
HOSTS = (".sina.com.cn", ".sina.cn")
NEWS = "新闻"
NEWS_SITE = "新浪新闻"
PORTAL_SITE = "新浪网"
DASH = "－"

FINANCE_HOSTS = ("finance.sina.com.cn", "finance.sina.cn")
# Finance hosts whose paths are not finance.sina.com.cn's channel paths.
FINANCE_HOST_CHANNELS = (
    ("cj.sina.com.cn", "财经头条"),
    ("cj.sina.cn", "财经头条"),
    ("chanye.finance.sina.com.cn", "产经"),
)
NEWS_HOSTS = ("news.sina.com.cn", "news.sina.cn")
NEWS_CHANNELS = (
    ("/c/gat/", "港澳台"),
    ("/c/", "国内"),
    ("/china/", "国内"),
    ("/w/", "国际"),
    ("/world/", "国际"),
    ("/s/", "社会"),
    ("/society/", "社会"),
    ("/o/", "综合"),
)
NEWS_DEFAULT_CHANNEL = "新闻"
# Portal subdomains (the first label of the host) and their channel names.
PORTAL_CHANNELS = {
    "k": "看点",
    "ent": "娱乐",
    "tech": "科技",
    "sports": "体育",
    "auto": "汽车",
    "edu": "教育",
    "mil": "军事",
    "games": "游戏",
    "travel": "旅游",
    "fashion": "时尚",
    "eladies": "女性",
    "book": "读书",
    "blog": "博客",
}
PORTAL_DEFAULT_CHANNEL = "综合"


def _xpaths(*selectors: str) -> tuple[str, ...]:
    return tuple(CSSSelector(selector).path for selector in selectors)


TITLE_XPATHS = _xpaths("h1.main-title", "h1#artibodyTitle", "h1.art_tit_h1")
BODY_XPATHS = (
    *_xpaths("#artibody", "div#article", "section.art_content"),
    "//td[@class='l17'][not(.//td[@class='l17'])]",
)
# The comments around the 画中画 block Sina's CMS sets into article text: a picture linking to a feature page.
MARKED = (("NEWSZW_HZH_BEGIN", "NEWSZW_HZH_END"),)
# Site blocks the body keeps (SPEC.md rule 4) whose images are never the article's picture: the app QR-code box.
KEPT_BLOCKS = (".appendQr_wrap",)
DATE_XPATHS = _xpaths("span.date", "#pub_date", ".time-source", "time.weibo_time")
OUTLET_XPATHS = _xpaths(".source", "#media_name", ".weibo_user")
EDITOR_XPATHS = _xpaths("p.article-editor", "p.show_author")

_DOC_ID = re.compile(r"/(?:doc|detail)-(i[a-z0-9]+)(?:\.d)?\.s?html?$")
_KANDIAN_ID = re.compile(r"/article_\d+_([0-9a-z]+)\.s?html?$")
_CJ_ID = re.compile(r"/articles/view/\d+/([0-9a-z]+)/?$")
_OLD_ID = re.compile(r"/(\d{5,})\.s?html?$")
_PUBLISHED_COMMENT = re.compile(r"published at (\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})")
_EDITOR_LABEL = re.compile(r"^\s*责任编辑\s*[:：]\s*")
_EDITOR_CODE = re.compile(r"\s+[A-Z]{1,4}\d{2,}$")


def _on(host: str, suffix: str) -> bool:
    return host == suffix or host.endswith("." + suffix)


def doc_id(url: str) -> str | None:
    """Sina's own article id: ``ikyamrmz6500542`` of ``doc-``/``detail-`` pages, the id of k.sina and t.cj
    pages, ``chanye-244339`` of old ``chanye.finance.sina.com.cn/…/244339.shtml`` pages (numbered per
    subsite); ``None`` for other URLs."""
    path = urlsplit(url).path
    for pattern in (_DOC_ID, _KANDIAN_ID, _CJ_ID):
        if match := pattern.search(path):
            return match.group(1)
    if match := _OLD_ID.search(path):
        return f"{url_host(url).split('.')[0]}-{match.group(1)}"
    return None


def _titled(site: str, channel: str) -> str:
    return f"{site}{DASH}{channel}"


def categories(url: str) -> Categories:
    """Group, site and channel of a Sina URL: 新浪财经 channels for finance hosts, 新浪新闻 for news, else 新浪网."""
    host, path = url_host(url), urlsplit(url).path or "/"
    for suffix, channel in FINANCE_HOST_CHANNELS:
        if _on(host, suffix):
            return Categories(FINANCE, sina_finance.SITE_NAME, _titled(sina_finance.SITE_NAME, channel))
    if any(_on(host, suffix) for suffix in FINANCE_HOSTS):
        channel = sina_finance.channel_for_path(path)
        return Categories(FINANCE, sina_finance.SITE_NAME, channel.name)
    if any(_on(host, suffix) for suffix in NEWS_HOSTS):
        channel = next(
            (name for prefix, name in NEWS_CHANNELS if path.startswith(prefix)), NEWS_DEFAULT_CHANNEL
        )
        return Categories(NEWS, NEWS_SITE, _titled(NEWS_SITE, channel))
    channel = PORTAL_CHANNELS.get(host.split(".")[0], PORTAL_DEFAULT_CHANNEL)
    return Categories(NEWS, PORTAL_SITE, _titled(PORTAL_SITE, channel))


def _title(root: lxml.html.HtmlElement) -> str | None:
    return (
        first_text(root, TITLE_XPATHS)
        or meta_content(root, "og:title")
        or title_before(first_text(root, ["//title"]), "_", "|")
    )


def _shown(root: lxml.html.HtmlElement) -> datetime | None:
    """The date the page shows by its headline (Beijing time), else the CMS publish stamp."""
    for expression in DATE_XPATHS:
        for element in xpath(root, expression):
            if moment := parse_datetime(text_of(element)):
                return moment
    for comment in xpath(root, "//comment()[contains(., 'published at')]"):
        if match := _PUBLISHED_COMMENT.search(comment.text or ""):
            return parse_datetime(match.group(1))
    return None


def _published(root: lxml.html.HtmlElement) -> datetime | None:
    """The shown date, to the second where ``article:published_time`` agrees with it to the minute.

    Sina moves ``article:published_time`` when an article is edited, so the date shown is the one kept.
    """
    stamp = meta_content(root, "article:published_time")
    meta = parse_datetime(stamp) if stamp else None
    shown = _shown(root)
    if shown is None or (meta is not None and abs((meta - shown).total_seconds()) < 60):
        return meta or shown
    return shown


def _editor(root: lxml.html.HtmlElement) -> str | None:
    line = first_text(root, EDITOR_XPATHS)
    if line is None:
        return None
    return _EDITOR_CODE.sub("", _EDITOR_LABEL.sub("", line)).strip() or None


def _canonical(root: lxml.html.HtmlElement) -> str | None:
    candidates = [meta_content(root, "og:url"), *xpath(root, "//link[@rel='canonical']/@href")]
    return next(
        (url.strip() for url in candidates if url and url.strip().startswith(("http://", "https://"))), None
    )


def _https_relative(body: lxml.html.HtmlElement) -> None:
    """Write protocol-relative links and images (``//n.sinaimg.cn/…``) as ``https:``, the scheme Sina serves
    them with, so a page fetched over ``http://`` gives the same post as over ``https://``."""
    for element in body.iter(etree.Element):
        for name in ("src", "href"):
            value = (element.get(name) or "").strip()
            if value.startswith("//"):
                element.set(name, "https:" + value)


def _body(root: lxml.html.HtmlElement) -> lxml.html.HtmlElement | None:
    for expression in BODY_XPATHS:
        if found := xpath(root, expression):
            return found[0]
    return None


def extract(html: str, url: str) -> Extracted:
    """Title, body, time, outlet, editor and canonical link of a Sina article page; ``NotAnArticle`` without
    a title or a body."""
    try:
        root = parse_page(html)
    except (etree.ParserError, ValueError) as error:
        raise NotAnArticle(f"unparsable page: {url}: {error}") from error
    title = _title(root)
    if not title:
        raise NotAnArticle(f"no title: {url}")
    body = _body(root)
    if body is None:
        raise NotAnArticle(f"no article body: {url}")
    drop_furniture(body, marked=MARKED)
    _https_relative(body)
    if not shows_anything(body):
        raise NotAnArticle(f"empty article body: {url}")
    body_html = inner_html(body)
    return Extracted(
        title=title,
        body_html=body_html,
        published=_published(root),
        outlet=meta_content(root, "mediaid") or first_text(root, OUTLET_XPATHS),
        editor=_editor(root),
        canonical_url=_canonical(root),
    )
