"""Sina Finance channels: their categories, list page, path prefixes and roll-API feed."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode, urljoin

import lxml.html

SITE_NAME = "新浪财经"
GROUP = "金融"
ROLL_API = "https://feed.mix.sina.com.cn/api/roll/get"
ARTICLE_URL = re.compile(
    r"^https?://[a-z0-9.]*sina\.(?:com\.)?cn/.*/(?:doc-|detail-)i?[a-z0-9]+\.(?:s?html|d\.html)"
)


@dataclass(frozen=True, slots=True)
class Channel:
    """One Sina Finance channel: display name, list page, URL paths it owns, roll-API ids."""

    key: str
    name: str
    list_url: str
    paths: tuple[str, ...]
    pageid: int | None = None
    lid: int | None = None

    def roll_url(self, page: int, num: int = 50) -> str | None:
        """The roll-API URL of one page of this channel, or ``None`` where it has no feed."""
        if self.pageid is None or self.lid is None:
            return None
        query = urlencode({"pageid": self.pageid, "lid": self.lid, "num": num, "page": page})
        return f"{ROLL_API}?{query}"


CHANNELS: tuple[Channel, ...] = (
    Channel("china", "新浪财经－国內", "https://finance.sina.com.cn/china/", ("/china/",), 155, 1686),
    Channel("world", "新浪财经－国际", "https://finance.sina.com.cn/world/", ("/world/",), 155, 1688),
    Channel(
        "stock", "新浪财经－股票", "https://finance.sina.com.cn/stock/", ("/stock/", "/roll/"), 155, 1687
    ),
    Channel("usstock", "新浪财经－美股", "https://finance.sina.com.cn/stock/usstock/", ("/stock/usstock/",)),
    Channel("hkstock", "新浪财经－港股", "https://finance.sina.com.cn/stock/hkstock/", ("/stock/hkstock/",)),
    Channel(
        "fund", "新浪财经－基金", "https://finance.sina.com.cn/fund/", ("/fund/", "/money/fund/"), 155, 1690
    ),
    Channel("futures", "新浪财经－期货", "https://finance.sina.com.cn/futuremarket/", ("/futuremarket/",)),
)

DEFAULT_CHANNEL = Channel("finance", "新浪财经－财经", "https://finance.sina.com.cn/", ("/",))


def channel_for_path(path: str) -> Channel:
    """The channel owning a finance.sina.com.cn URL path: the longest matching prefix wins."""
    matches = [
        (len(prefix), channel) for channel in CHANNELS for prefix in channel.paths if path.startswith(prefix)
    ]
    return max(matches, key=lambda match: match[0])[1] if matches else DEFAULT_CHANNEL


def channel_by_key(key: str) -> Channel:
    """The channel named ``key`` (``china``, ``world``, ...)."""
    for channel in CHANNELS:
        if channel.key == key:
            return channel
    raise KeyError(f"no Sina Finance channel {key!r}; known: {', '.join(c.key for c in CHANNELS)}")


@dataclass(frozen=True, slots=True)
class Listed:
    """An article as a list page or the roll API names it, before its page is fetched."""

    url: str
    title: str = ""
    published: datetime | None = None


def parse_roll_page(text: str) -> list[Listed]:
    """The articles of one roll-API JSON page; ``ValueError`` when it is not the API's shape."""
    try:
        data = json.loads(text)["result"]["data"]
    except (KeyError, TypeError) as error:
        raise ValueError(f"roll API page without result.data: {error!r}") from error
    if not isinstance(data, list):
        raise ValueError("roll API result.data is not a list")
    listed = []
    for entry in data:
        url = entry.get("url") if isinstance(entry, dict) else None
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            continue
        stamp = str(entry.get("ctime") or entry.get("intime") or "")
        published = datetime.fromtimestamp(int(stamp), UTC) if stamp.isdigit() else None
        listed.append(Listed(url, str(entry.get("title") or ""), published))
    return listed


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
