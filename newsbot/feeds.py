"""Feeds and list pages to entries: RSS 2.0, RSS 1.0 and Atom through feedparser, dates in the forms feeds use.

The document is decoded as pages are (``newsbot.charset.decode_html``): the HTTP charset first (RFC 7303),
then the XML declaration, then UTF-8 and GB18030, so a GBK feed without a declaration, or one declaring UTF-8,
reads right. Each item is read on its own: one whose date lies outside what a feed can mean is refused
(``Feed.refused``) and the others kept; a document that is not RSS or Atom at all raises ``NotAFeed``.

Relative links in an entry's HTML are left for the post's normaliser to resolve against the entry's link
(the page the HTML comes from), except under an explicit ``xml:base``, which resolves them here.

An entry's content counts as the full article (``FeedEntry.html``) when it holds at least
``FULL_HTML_BLOCKS`` block-level elements (``<br>`` included) and at least ``FULL_HTML_CHARS`` characters
of visible text; anything shorter or plain text is a summary, and the article page is fetched instead.
"""

from __future__ import annotations

import html
import io
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_tz
from urllib.parse import urljoin

import feedparser
import lxml.html
from lxml import etree

from newsbot.body import inner_html
from newsbot.charset import decode_html

BEIJING = timezone(timedelta(hours=8))
FULL_HTML_BLOCKS = 2
FULL_HTML_CHARS = 200
BLOCK_TAGS = frozenset(
    {"p", "div", "section", "article", "blockquote", "figure", "table", "ul", "ol", "pre", "br"}
    | {f"h{level}" for level in range(1, 7)}
)
DATE_FIELDS = ("published", "updated", "created")
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
EARLIEST_YEAR = 1990
LATEST_YEAR = 2100
# The document handed to feedparser, decoded by newsbot and encoded again.
XML_TYPE = "application/xml; charset=utf-8"

_EPOCH = re.compile(r"\d{10}(?:\d{3})?")
_LOCAL = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[T\s]*(\d{1,2})\s*[:时]\s*(\d{1,2})(?:\s*[:分]\s*(\d{1,2})(?:\.\d+)?\s*秒?)?)?"
)
_CHINA_ZONE = re.compile(r"\bCST\b")
_ENDS_WITH_TIME = re.compile(r"\d{1,2}:\d{2}(?::\d{2})?$")
_CLOSING_ENTRY = re.compile(r"</(?:[\w-]+:)?(?:item|entry)\s*>")
_DECLARED_ENCODING = re.compile(r"""^(\s*<\?xml\b[^>]*?\bencoding\s*=\s*)(["'])[\w.:-]+\2""", re.IGNORECASE)


class NotAFeed(ValueError):
    """The document is not RSS or Atom (an HTML page, JSON, an empty body)."""


class RefusedItem(ValueError):
    """One feed item newsbot will not archive; ``reason`` is a stat-name word (``date_out_of_range``)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One item of a feed: ``html`` is the full article when the feed carries it, else ``None``."""

    url: str
    title: str = ""
    published: datetime | None = None
    html: str | None = None
    summary: str = ""


@dataclass(frozen=True, slots=True)
class Refusal:
    """An item of a feed that was refused: its link (or title, without one), the reason, what was wrong."""

    item: str
    reason: str
    detail: str


@dataclass(frozen=True, slots=True)
class Feed:
    """The entries of one feed, the items refused, and what was wrong with the document when it was malformed
    or cut off."""

    entries: list[FeedEntry]
    problem: str | None = None
    unlinked: int = 0
    refused: list[Refusal] = field(default_factory=list)


def _rfc822(text: str) -> datetime | None:
    fields = parsedate_tz(text)
    if fields is None:
        return None
    zone = BEIJING if _ENDS_WITH_TIME.search(text) else timezone(timedelta(seconds=fields[9] or 0))
    return datetime(*fields[:6], tzinfo=zone)


def _iso(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=BEIJING)


def parse_date(raw: str, parsed: time.struct_time | None = None) -> datetime | None:
    """A feed date as an aware UTC datetime, or ``None`` when it cannot be read.

    ``parsed`` is feedparser's reading (UTC). Forms without a zone (``2024-05-10 08:30:00``,
    ``2024年05月10日 08:30``, RFC 822 without one) and ``CST`` are Beijing time; ten or thirteen digits are a
    Unix timestamp. A date that reads but lies before ``EARLIEST_YEAR`` or after ``LATEST_YEAR`` (or past
    what a datetime holds, ``Fri, 31 Dec 9999 23:59:59 -0800``) raises ``RefusedItem``.
    """
    text = " ".join(raw.split())
    try:
        if _EPOCH.fullmatch(text):
            moment = datetime.fromtimestamp(int(text[:10]), UTC)
        elif match := _LOCAL.fullmatch(text):
            moment = datetime(*(int(part or 0) for part in match.groups()), tzinfo=BEIJING)
        elif (moment := _iso(text)) is not None:
            pass
        elif parsed is not None and not _CHINA_ZONE.search(text):
            moment = datetime(*parsed[:6], tzinfo=UTC)
        else:
            moment = _rfc822(_CHINA_ZONE.sub("+0800", text))
        if moment is None:
            return None
        moment = moment.astimezone(UTC)
    except OverflowError:
        raise RefusedItem("date_out_of_range", f"date {text!r} is out of range") from None
    except ValueError:
        return None
    if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
        raise RefusedItem("date_out_of_range", f"date {text!r} is out of range")
    return moment


def is_full_html(content: str) -> bool:
    """Whether feed content is a whole article rather than a summary (the rule in this module's docstring)."""
    if not content.strip():
        return False
    try:
        root = lxml.html.fragment_fromstring(content, create_parent="div")
    except etree.ParserError:
        return False
    blocks = sum(1 for element in root.iterdescendants(etree.Element) if element.tag in BLOCK_TAGS)
    text = "".join(root.text_content().split())
    return blocks >= FULL_HTML_BLOCKS and len(text) >= FULL_HTML_CHARS


def _as_html(detail: dict) -> str:
    value = detail.get("value") or ""
    if detail.get("type", "text/html") in HTML_TYPES:
        return value
    paragraphs = [line.strip() for line in value.splitlines() if line.strip()]
    return "".join(f"<p>{html.escape(line, quote=False)}</p>" for line in paragraphs)


def _absolute(fragment: str, base: str) -> str:
    """HTML with its links made absolute against ``base``."""
    root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    root.make_links_absolute(base, resolve_base_href=False)
    return inner_html(root)


def _content(detail: dict, feed_url: str) -> str:
    """An entry's content as HTML, links resolved against an ``xml:base`` the feed gives."""
    value = _as_html(detail)
    base = detail.get("base")
    if base and base != feed_url and value.strip():
        return _absolute(value, base)
    return value


def _published(entry: dict) -> datetime | None:
    for name in DATE_FIELDS:
        raw = entry.get(name)
        if raw and (moment := parse_date(raw, entry.get(f"{name}_parsed"))) is not None:
            return moment
    return None


def _link(entry: dict, base_url: str) -> str | None:
    for candidate in (entry.get("link"), entry.get("id")):
        url = urljoin(base_url, (candidate or "").strip())
        if candidate and url.startswith(("http://", "https://")):
            return url
    return None


def _entry(entry: dict, url: str, feed_url: str) -> FeedEntry:
    contents = [_content(detail, feed_url) for detail in entry.get("content", [])]
    summary = _content(entry["summary_detail"], feed_url) if entry.get("summary_detail") else ""
    full = next((content for content in [*contents, summary] if is_full_html(content)), None)
    return FeedEntry(
        url=url,
        title=" ".join((entry.get("title") or "").split()),
        published=_published(entry),
        html=full,
        summary=summary or next((content for content in contents if content.strip()), ""),
    )


def feed_bytes(body: bytes, http_charset: str | None = None) -> bytes:
    """The document as UTF-8, its XML declaration saying so: decoded as ``decode_html`` decodes pages, with
    the charset of the HTTP ``Content-Type`` first (RFC 7303), then the declaration, UTF-8, GB18030."""
    text = decode_html(body, http_charset)
    return _DECLARED_ENCODING.sub(r"\1\2utf-8\2", text, count=1).encode("utf-8")


def _start(document: bytes) -> str:
    return " ".join(document[:40].decode("utf-8", errors="replace").split())


def parse_feed(body: bytes, url: str, http_charset: str | None = None) -> Feed:
    """The entries of an RSS 2.0, RSS 1.0 or Atom document; a malformed one gives what could be recovered.

    ``http_charset`` is the charset of the response's ``Content-Type``, if any (see ``feed_bytes``). In a
    document cut off mid-entry, entries after the last complete one are dropped: their content may be cut
    too, and the next poll of the feed brings them whole. An item that cannot be archived is refused alone
    (``Feed.refused``); a document that is not RSS or Atom raises ``NotAFeed``.
    """
    if not body.strip():
        raise NotAFeed("empty document")
    document = feed_bytes(body, http_charset)
    parsed = feedparser.parse(
        io.BytesIO(document),
        response_headers={"content-location": url, "content-type": XML_TYPE},
        resolve_relative_uris=False,
        sanitize_html=False,
    )
    found = parsed.entries
    if not parsed.version and not found:
        raise NotAFeed(f"not an RSS or Atom document ({_start(document)!r}...)")
    problem = None
    if parsed.bozo:
        problem = f"{type(parsed.bozo_exception).__name__}: {parsed.bozo_exception}"
        complete = len(_CLOSING_ENTRY.findall(document.decode("utf-8")))
        if complete < len(found):
            problem += f"; {len(found) - complete} incomplete entries dropped"
            found = found[:complete]
    elif not parsed.version:
        problem = "not an RSS or Atom document"
    entries, refused, unlinked = [], [], 0
    for entry in found:
        link = _link(entry, url)
        if link is None:
            unlinked += 1
            continue
        try:
            entries.append(_entry(entry, link, url))
        except RefusedItem as refusal:
            refused.append(Refusal(link, refusal.reason, str(refusal)))
        except (ValueError, TypeError, etree.LxmlError) as error:
            refused.append(Refusal(link, "unreadable", f"{type(error).__name__}: {error}"))
    return Feed(entries, problem, unlinked, refused)


def list_entries(page: str, url: str, pattern: str) -> list[FeedEntry]:
    """The links of a list page whose absolute URL matches ``pattern``, in page order, each once."""
    if not page.strip():
        return []
    links = re.compile(pattern)
    seen: dict[str, FeedEntry] = {}
    for anchor in lxml.html.document_fromstring(page).iter("a"):
        link = urljoin(url, (anchor.get("href") or "").strip())
        if link.startswith(("http://", "https://")) and links.search(link) and link not in seen:
            seen[link] = FeedEntry(link, " ".join(anchor.text_content().split()))
    return list(seen.values())
