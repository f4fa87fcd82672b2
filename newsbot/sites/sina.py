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

from newsbot.body import inner_html
from newsbot.dates import parse_datetime
from newsbot.sites.base import FINANCE, Categories, Extracted, NotAnArticle
from newsbot.sources import sina_finance

NAME = "sina"
HOSTS = (".sina.com.cn", ".sina.cn")
NEWS = "新闻"
NEWS_SITE = "新浪新闻"
PORTAL_SITE = "新浪网"
DASH = "－"

FINANCE_HOSTS = ("finance.sina.com.cn", "finance.sina.cn", "cj.sina.com.cn", "cj.sina.cn")
# Finance hosts outside finance.sina.com.cn's path table, by host suffix.
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

TITLE_SELECTORS = ("h1.main-title", "h1#artibodyTitle", "h1.art_tit_h1")
BODY_XPATHS = (
    "//*[@id='artibody']",
    "//div[@id='article']",
    "//section[contains(concat(' ', normalize-space(@class), ' '), ' art_content ')]",
    "//td[@class='l17'][not(.//td[@class='l17'])]",
)
DATE_SELECTORS = ("span.date", "#pub_date", ".time-source", "time.weibo_time")
OUTLET_SELECTORS = ("meta[name='mediaid']", ".source", "#media_name", ".weibo_user")
EDITOR_SELECTORS = ("p.article-editor", "p.show_author")

_DOC_ID = re.compile(r"/(?:doc|detail)-(i[a-z0-9]+)(?:\.d)?\.s?html?$")
_KANDIAN_ID = re.compile(r"/article_\d+_([0-9a-z]+)\.s?html?$")
_CJ_ID = re.compile(r"/articles/view/\d+/([0-9a-z]+)/?$")
_OLD_ID = re.compile(r"/(\d{5,})\.s?html?$")
_TITLE_CUT = re.compile(r"[_|]")
_PUBLISHED_COMMENT = re.compile(r"published at (\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_EDITOR_LABEL = re.compile(r"^\s*责任编辑\s*[:：]\s*")
_EDITOR_CODE = re.compile(r"\s+[A-Z]{1,4}\d{2,}$")
_HIDDEN = re.compile(r"display\s*:\s*none", re.IGNORECASE)


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def _on(host: str, suffix: str) -> bool:
    return host == suffix or host.endswith("." + suffix)


def doc_id(url: str) -> str | None:
    """Sina's own article id: ``ikyamrmz6500542`` of ``doc-``/``detail-`` pages, the id of k.sina and t.cj
    pages, the number of old ``244339.shtml`` pages; ``None`` for other URLs."""
    path = urlsplit(url).path
    for pattern in (_DOC_ID, _KANDIAN_ID, _CJ_ID, _OLD_ID):
        if match := pattern.search(path):
            return match.group(1)
    return None


def _titled(site: str, channel: str) -> str:
    return f"{site}{DASH}{channel}"


def categories(url: str) -> Categories:
    """Group, site and channel of a Sina URL: 新浪财经 channels for finance hosts, 新浪新闻 for news, else 新浪网."""
    host, path = _host(url), urlsplit(url).path or "/"
    for suffix, channel in FINANCE_HOST_CHANNELS:
        if _on(host, suffix):
            return Categories(FINANCE, sina_finance.SITE_NAME, _titled(sina_finance.SITE_NAME, channel))
    if any(_on(host, suffix) for suffix in FINANCE_HOSTS):
        channel = sina_finance.channel_for_path(path)
        return Categories(FINANCE, sina_finance.SITE_NAME, channel.name)
    if any(_on(host, suffix) for suffix in NEWS_HOSTS):
        channel = next((name for prefix, name in NEWS_CHANNELS if path.startswith(prefix)), NEWS_DEFAULT_CHANNEL)
        return Categories(NEWS, NEWS_SITE, _titled(NEWS_SITE, channel))
    channel = PORTAL_CHANNELS.get(host.split(".")[0], PORTAL_DEFAULT_CHANNEL)
    return Categories(NEWS, PORTAL_SITE, _titled(PORTAL_SITE, channel))


def _text(element: etree._Element) -> str:
    if element.tag == "meta":
        return " ".join((element.get("content") or "").split())
    return " ".join(element.text_content().split())


def _first_text(root: lxml.html.HtmlElement, selectors: tuple[str, ...]) -> str | None:
    for selector in selectors:
        for element in root.cssselect(selector):
            if text := _text(element):
                return text
    return None


def _meta(root: lxml.html.HtmlElement, prop: str) -> str | None:
    for element in root.xpath("//meta[@property=$p or @name=$p]", p=prop):
        if content := (element.get("content") or "").strip():
            return content
    return None


def _title(root: lxml.html.HtmlElement) -> str | None:
    if title := _first_text(root, TITLE_SELECTORS) or _meta(root, "og:title"):
        return title
    page_title = root.find(".//title")
    if page_title is None:
        return None
    return _TITLE_CUT.split(_text(page_title), maxsplit=1)[0].strip() or None


def _published(root: lxml.html.HtmlElement) -> datetime | None:
    """``article:published_time``, else the page's shown date (Beijing time), else the CMS publish stamp."""
    if (stamp := _meta(root, "article:published_time")) and (moment := parse_datetime(stamp)):
        return moment
    for selector in DATE_SELECTORS:
        for element in root.cssselect(selector):
            if moment := parse_datetime(_text(element)):
                return moment
    for comment in root.xpath("//comment()[contains(., 'published at')]"):
        if match := _PUBLISHED_COMMENT.search(comment.text or ""):
            return parse_datetime(match.group(1))
    return None


def _editor(root: lxml.html.HtmlElement) -> str | None:
    line = _first_text(root, EDITOR_SELECTORS)
    if line is None:
        return None
    return _EDITOR_CODE.sub("", _EDITOR_LABEL.sub("", line)).strip() or None


def _canonical(root: lxml.html.HtmlElement) -> str | None:
    candidates = [_meta(root, "og:url"), *root.xpath("//link[@rel='canonical']/@href")]
    return next((url.strip() for url in candidates if url and url.strip().startswith(("http://", "https://"))), None)


def _body(root: lxml.html.HtmlElement) -> lxml.html.HtmlElement | None:
    for xpath in BODY_XPATHS:
        if found := root.xpath(xpath):
            return found[0]
    return None


def _drop_hidden(body: lxml.html.HtmlElement) -> None:
    """Remove elements the page never shows (``display:none``: share thumbnails, ad slots), keeping tails."""
    for element in body.xpath(".//*[@style]"):
        if _HIDDEN.search(element.get("style", "")) and element.getparent() is not None:
            element.drop_tree()


def _has_content(body: lxml.html.HtmlElement) -> bool:
    if body.xpath(".//img[@src]"):
        return True
    return bool("".join(body.xpath(".//text()[not(ancestor::script)][not(ancestor::style)]")).strip())


def extract(html: str, url: str) -> Extracted:
    """Title, body, time, outlet, editor and canonical link of a Sina article page; ``NotAnArticle`` without
    a title or a body."""
    html = _XML_DECLARATION.sub("", html, count=1)
    if not html.strip():
        raise NotAnArticle(f"empty page: {url}")
    try:
        root = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError) as error:
        raise NotAnArticle(f"unparsable page: {url}: {error}") from error
    title = _title(root)
    if not title:
        raise NotAnArticle(f"no title: {url}")
    body = _body(root)
    if body is None:
        raise NotAnArticle(f"no article body: {url}")
    _drop_hidden(body)
    if not _has_content(body):
        raise NotAnArticle(f"empty article body: {url}")
    return Extracted(
        title=title,
        body_html=inner_html(body),
        published=_published(root),
        outlet=_first_text(root, OUTLET_SELECTORS),
        editor=_editor(root),
        canonical_url=_canonical(root),
    )
