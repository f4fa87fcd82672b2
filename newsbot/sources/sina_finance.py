"""Sina Finance channels (the roll API's ``pageid``/``lid`` pairs, list pages) and parsers of their listings.

The channel ids and names are the ones RSSHub reads every day: ``lib/routes/sina/finance/china.ts``
(pageid 155) and ``rollnews.ts`` (pageid 384) in DIYgod/RSSHub; the request's host, ``k=``, ``r=<random>``,
``_=<ms>`` and the news-site Referer are from its ``lib/routes/sina/utils.ts``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import lxml.html

from newsbot.dates import BEIJING

SITE_NAME = "新浪财经"
GROUP = "金融"
ROLL_API = "https://feed.mix.sina.com.cn/api/roll/get"
ROLL_REFERER = "https://news.sina.com.cn/"
SITE_URL = "https://finance.sina.com.cn/"
FINANCE_HOSTS = ("finance.sina.com.cn", "finance.sina.cn")
ARTICLE_URL = re.compile(
    r"^https?://[a-z0-9.]*sina\.(?:com\.)?cn/.*/(?:doc-|detail-)i?[a-z0-9]+\.(?:s?html|d\.html)"
)
# The folder holding a Sina article page is the day it was filed, Beijing time: ``/china/2024-01-15/doc-i….shtml``.
_URL_DAY = re.compile(r"/(\d{4})-(\d{2})-(\d{2})/[^/]+$")
# The JSONP wrapper the roll API puts around its JSON when asked with ``callback=NAME``.
_JSONP = re.compile(
    r"^(?:try\s*\{)?\s*[\w$.]+\s*\((?P<json>.*)\)\s*;?\s*(?:\}\s*catch\s*\(\w*\)\s*\{\s*\}\s*;?)?$", re.S
)
# Unix times above this are milliseconds (10^11 s is the year 5138; 10^11 ms is 1973).
_MILLISECONDS_FROM = 10**11
_LATEST = datetime(9999, 12, 31, tzinfo=UTC).timestamp()


@dataclass(frozen=True, slots=True)
class Channel:
    """One Sina Finance channel: key, display name, roll-API ids or list page, finance URL paths it owns."""

    key: str
    name: str
    pageid: int | None = None
    lid: int | None = None
    list_url: str | None = None
    paths: tuple[str, ...] = ()

    def roll_url(self, page: int, num: int = 50) -> str | None:
        """The roll-API URL of one page, without the per-request ``r``/``_`` (see ``cache_busted``);
        ``None`` where the channel has no feed."""
        if self.pageid is None or self.lid is None:
            return None
        query = urlencode({"pageid": self.pageid, "lid": self.lid, "k": "", "num": num, "page": page})
        return f"{ROLL_API}?{query}"

    @property
    def listing(self) -> str:
        """What ``newsbot sources sina-finance`` shows: page 1 of its roll API, else its list page."""
        return self.roll_url(1) or self.list_url or ""


def _named(name: str) -> str:
    return f"{SITE_NAME}－{name}"


CHANNELS: tuple[Channel, ...] = (
    # pageid 155: china.ts. 国内 keeps the seed archive's spelling 国內 (RSSHub's old /sina/finance feed title).
    Channel("china", _named("国內"), 155, 1686, paths=("/china/",)),
    Channel("macro", _named("宏观经济"), 155, 1687),
    Channel("local", _named("地方经济"), 155, 1688),
    Channel("ministries", _named("部委动态"), 155, 1689),
    Channel("banking", _named("金融新闻"), 155, 1690),
    Channel("top10", _named("今日财经 TOP10"), 155, 3231),
    # pageid 384: rollnews.ts.
    Channel("finance", _named("财经"), 384, 2519, paths=("/",)),
    Channel("stock", _named("股市"), 384, 2671, paths=("/stock/",)),
    Channel("usstock", _named("美股"), 384, 2672, paths=("/stock/usstock/",)),
    Channel("chinese-stocks", _named("中国概念股"), 384, 2673),
    Channel("hkstock", _named("港股"), 384, 2674, paths=("/stock/hkstock/", "/hkstock/")),
    Channel("research", _named("研究报告"), 384, 2675, paths=("/stock/marketresearch/",)),
    Channel("world", _named("全球市场"), 384, 2676, paths=("/world/",)),
    Channel("forex", _named("外汇"), 384, 2487, paths=("/forex/", "/money/forex/")),
    # No roll-API lid is known for futures: its list page.
    Channel(
        "futures",
        _named("期货"),
        list_url="https://finance.sina.com.cn/futuremarket/",
        paths=("/futuremarket/",),
    ),
)

DEFAULT_CHANNEL = next(channel for channel in CHANNELS if channel.key == "finance")
TABLE_ORDER = {channel.key: number for number, channel in enumerate(CHANNELS)}


def channel_for_path(path: str) -> Channel:
    """The channel owning a finance.sina.com.cn (or finance.sina.cn) URL path: the longest matching prefix
    wins; ``/`` belongs to 财经 (2519, the whole finance roll)."""
    matches = [
        (len(prefix), channel) for channel in CHANNELS for prefix in channel.paths if path.startswith(prefix)
    ]
    return max(matches, key=lambda match: match[0])[1] if matches else DEFAULT_CHANNEL


def channel_of_url(url: str) -> Channel | None:
    """The channel a finance-host article URL belongs to by its path; ``None`` for other hosts."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if not any(host == finance or host.endswith("." + finance) for finance in FINANCE_HOSTS):
        return None
    return channel_for_path(parts.path or "/")


def filing(url: str, orders: Iterable[int]) -> tuple[tuple[str, str, str], str]:
    """The categories and author the crawl files a listed article under: ``(GROUP, SITE_NAME, channel name)``
    and ``SITE_NAME``, the channel the finance URL path of ``url`` belongs to, else the first in the table
    (``orders``: ``TABLE_ORDER`` values) of the channels that listed it, so two crawls of the site file it alike."""
    channel = channel_of_url(url) or CHANNELS[min(orders, default=TABLE_ORDER[DEFAULT_CHANNEL.key])]
    return (GROUP, SITE_NAME, channel.name), SITE_NAME


def channel_of_listing(url: str) -> Channel | None:
    """The channel whose roll-API page (any page and size, cache-busted or not) or list page ``url`` is."""
    if url.startswith(f"{ROLL_API}?"):
        query = parse_qs(urlsplit(url).query)
        ids = (query.get("pageid", [""])[0], query.get("lid", [""])[0])
        return next((one for one in CHANNELS if (str(one.pageid), str(one.lid)) == ids), None)
    return next((one for one in CHANNELS if one.list_url and one.list_url == url), None)


def channel_by_key(key: str) -> Channel:
    """The channel named ``key`` (``china``, ``usstock``, ...); ``KeyError`` naming the known keys."""
    for channel in CHANNELS:
        if channel.key == key:
            return channel
    raise KeyError(f"no Sina Finance channel {key!r}; known: {', '.join(c.key for c in CHANNELS)}")


def cache_busted(url: str, random: float, milliseconds: int) -> str:
    """``url`` with the ``r=<random>&_=<ms>`` the site's own pages (and RSSHub) add to each roll-API request."""
    return f"{url}&{urlencode({'r': repr(random), '_': milliseconds})}"


@dataclass(frozen=True, slots=True)
class Listed:
    """An article as a listing names it, before its page is fetched: URL, title, ``intime`` and ``mtime``
    (UTC, to the second; ``None`` where the listing gives none)."""

    url: str
    title: str = ""
    published: datetime | None = None
    modified: datetime | None = None


class BadItem(ValueError):
    """One roll-API item that names no article; ``reason`` is its stat suffix (``no_url``, ``bad_time``...)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


def unix_time(value: object) -> datetime | None:
    """A roll-API time: Unix seconds or milliseconds (told by magnitude), as a string or a number; ``None``
    when absent or zero; ``BadItem`` for anything else, or a time outside years 1970-9999."""
    if value in (None, "", 0, "0"):
        return None
    try:
        number = (
            float(value) if isinstance(value, (str, int, float)) and not isinstance(value, bool) else None
        )
    except ValueError:
        number = None
    if number is None or number != number:
        raise BadItem("bad_time", f"not a Unix time: {value!r}")
    seconds = number / 1000 if abs(number) >= _MILLISECONDS_FROM else number
    if not 0 < seconds <= _LATEST:
        raise BadItem("bad_time", f"time out of range: {value!r}")
    return datetime.fromtimestamp(int(seconds), UTC)


def article_url(value: object) -> str:
    """An item's ``url`` (or ``wapurl``), ``http://`` taken as ``https://`` as RSSHub does; ``BadItem``
    when it is not an http(s) URL."""
    if not isinstance(value, str) or not value.strip().startswith(("http://", "https://")):
        raise BadItem("no_url", f"not an article URL: {value!r}")
    url = value.strip()
    return "https://" + url[len("http://") :] if url.startswith("http://") else url


def listed_item(entry: object) -> Listed:
    """One ``result.data`` item: ``url`` (else ``wapurl``), ``title``, ``intime`` (else ``ctime``), ``mtime``;
    ``BadItem`` for an item that names no article or holds an unreadable time."""
    if not isinstance(entry, dict):
        raise BadItem("not_an_object", f"item is {type(entry).__name__}")
    url = article_url(entry.get("url") or entry.get("wapurl"))
    title = entry.get("title")
    return Listed(
        url=url,
        title=" ".join(title.split()) if isinstance(title, str) else "",
        published=unix_time(entry.get("intime")) or unix_time(entry.get("ctime")),
        modified=unix_time(entry.get("mtime")),
    )


def unwrap_jsonp(text: str) -> str:
    """The JSON inside a JSONP answer (``try{cb({…});}catch(e){};`` or ``cb({…})``); plain JSON unchanged."""
    stripped = text.strip()
    if stripped.startswith(("{", "[")):
        return stripped
    match = _JSONP.match(stripped)
    return match.group("json") if match else stripped


def roll_items(text: str) -> list[object]:
    """The raw items of one roll-API page (JSON or JSONP); ``ValueError`` when it is not the API's shape."""
    try:
        data = json.loads(unwrap_jsonp(text))["result"]["data"]
    except (ValueError, KeyError, TypeError) as error:
        raise ValueError(f"roll API page without result.data: {error!r}") from error
    if not isinstance(data, list):
        raise ValueError("roll API result.data is not a list")
    return data


def parse_roll_page(text: str) -> Iterator[Listed | BadItem]:
    """Each item of one roll-API page as ``Listed``, or the ``BadItem`` it is; ``ValueError`` (raised before
    anything is yielded) when the page is not the API's shape."""
    items = roll_items(text)

    def each() -> Iterator[Listed | BadItem]:
        for entry in items:
            try:
                yield listed_item(entry)
            except BadItem as bad:
                yield bad

    return each()


def url_day(url: str) -> date | None:
    """The day (Beijing time) the folder of a Sina article URL shows (``…/2024-01-15/doc-i….shtml``), else
    ``None``: no such folder, or a day the calendar lacks."""
    match = _URL_DAY.search(urlsplit(url).path)
    if match is None:
        return None
    try:
        return date(*map(int, match.groups()))
    except ValueError:
        return None


def listed_before(entry: Listed, since: datetime) -> bool:
    """Whether a listed article is older than ``since`` (aware): by the time its listing gives (the roll API's),
    else by the day its URL shows, once all of that day (Beijing time) is before ``since``; one with neither
    is not."""
    if entry.published is not None:
        return entry.published < since
    day = url_day(entry.url)
    return day is not None and datetime.combine(day + timedelta(days=1), time(), BEIJING) <= since


def listing_entries(url: str, text: str) -> list[Listed]:
    """The articles a channel's listing page ``url`` names (a roll-API page or a list page), bad items and a page
    that is not the API's shape left out; none for a URL that is no listing."""
    channel = channel_of_listing(url)
    if channel is None:
        return []
    try:
        if channel.list_url == url:
            return list_page_links(text, url)
        return [entry for entry in parse_roll_page(text) if isinstance(entry, Listed)]
    except (ValueError, lxml.etree.LxmlError):
        return []


def list_page_links(html: str, base_url: str) -> list[Listed]:
    """The article links of a channel's HTML list page, in page order, each once."""
    if not html.strip():
        return []
    root = lxml.html.document_fromstring(html)
    seen: dict[str, Listed] = {}
    for anchor in root.iter("a"):
        url = urljoin(base_url, (anchor.get("href") or "").strip())
        if ARTICLE_URL.search(url) and url not in seen:
            seen[url] = Listed(url, " ".join(anchor.text_content().split()))
    return list(seen.values())
