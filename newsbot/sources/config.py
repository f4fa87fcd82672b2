"""Sources as configuration: one ``[sources.NAME]`` table per feed or list page, plus the built-in spiders.

The file read is the one the ``NEWSBOT_SOURCES_FILE`` setting names, else the one the environment variable of
that name names, else ``sources.toml`` in the working folder, else the bundled ``newsbot/sources/sources.toml``
(read with ``importlib.resources``, so it is found inside a wheel's install or a zipped Scrapyd egg). Its format::

    builtins = true                                 # also list the built-in spiders (sina-finance)

    [sources.cls-telegraph]
    rsshub = "/cls/telegraph"                       # or feed = "https://..." or list = "https://..."
    categories = ["金融", "财联社", "财联社－电报"]     # group, site display name, channel display name
    author = "财联社"                                # default: the site display name
    fetch_article = false                           # true: always fetch the page; false: never; unset: decide
    title_xpath = "//h1"                            # optional page rules, applied when the page is fetched
    body_xpath = "//div[@class='content']"
    # links = "/detail/\\d+"                        # list pages only: a regex the article URLs match
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from lxml import etree
from scrapy.settings import BaseSettings

from newsbot.sites.base import Categories
from newsbot.sources import sina_finance

DEFAULT_RSSHUB_URL = "https://rsshub.app"
BUNDLED_FILE = resources.files("newsbot.sources") / "sources.toml"
LOCAL_FILE = "sources.toml"
FILE_VARIABLE = "NEWSBOT_SOURCES_FILE"
URL_FIELDS = ("feed", "rsshub", "list")
TEXT_FIELDS = ("author", "title_xpath", "body_xpath", "links")
SOURCE_FIELDS = frozenset({*URL_FIELDS, *TEXT_FIELDS, "categories", "fetch_article"})
TOP_LEVEL_FIELDS = frozenset({"builtins", "sources"})
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,79}")


class SourcesError(ValueError):
    """A sources file or source definition newsbot cannot use; the message names the file and field."""


@dataclass(frozen=True, slots=True)
class Source:
    """Where a crawl starts and how its posts are filed; a built-in spider's categories only describe it."""

    name: str
    kind: str
    url: str
    categories: Categories
    author: str
    spider: str = "feed"
    fetch_article: bool | None = None
    title_xpath: str | None = None
    body_xpath: str | None = None
    links: str | None = None

    def spider_args(self) -> dict[str, str]:
        """The arguments its spider takes to crawl it."""
        return {"source": self.name} if self.spider == "feed" else {}


BUILTIN_SOURCES = (
    Source(
        name="sina-finance",
        kind="spider",
        url=sina_finance.SITE_URL,
        categories=Categories(sina_finance.GROUP, sina_finance.SITE_NAME, "(one per channel)"),
        author=sina_finance.SITE_NAME,
        spider="sina-finance",
    ),
)


def _string(table: dict[str, Any], field: str, where: str) -> str:
    value = table[field]
    if not isinstance(value, str) or not value.strip():
        raise SourcesError(f"{where} {field}: expected a non-empty string, got {value!r}")
    return value.strip()


def _categories(table: dict[str, Any], where: str) -> Categories:
    value = table.get("categories")
    if (
        not isinstance(value, list)
        or len(value) != 3
        or not all(isinstance(part, str) and part.strip() for part in value)
    ):
        raise SourcesError(
            f"{where} categories: expected three non-empty strings (group, site name, channel name), "
            f"got {value!r}"
        )
    return Categories(*(part.strip() for part in value))


def _checked_xpath(expression: str, field: str, where: str) -> str:
    try:
        etree.XPath(expression)
    except etree.XPathSyntaxError as error:
        raise SourcesError(f"{where} {field}: not an XPath expression: {error}") from None
    return expression


def _checked_regex(pattern: str, where: str) -> str:
    try:
        re.compile(pattern)
    except re.error as error:
        raise SourcesError(f"{where} links: not a regular expression: {error}") from None
    return pattern


def source_from_table(name: str, table: object, rsshub_url: str, origin: str) -> Source:
    """One source from its table; ``SourcesError`` names the field that is wrong."""
    where = f"{origin}: [sources.{name}]"
    if not _NAME.fullmatch(name):
        raise SourcesError(
            f"{where}: a source name is 1-80 of a-z, 0-9, '-' and '_', starting with a-z or 0-9"
        )
    if not isinstance(table, dict):
        raise SourcesError(f"{where}: expected a table of fields")
    for field in table:
        if field not in SOURCE_FIELDS:
            raise SourcesError(f"{where} {field}: unknown field; known: {', '.join(sorted(SOURCE_FIELDS))}")
    given = [field for field in URL_FIELDS if field in table]
    if len(given) != 1:
        raise SourcesError(f"{where} feed: give exactly one of feed, rsshub or list")
    kind = given[0]
    url = _string(table, kind, where)
    if kind == "rsshub":
        url = f"{rsshub_url.rstrip('/')}/{url.lstrip('/')}"
    if not re.match(r"https?://[^/\s]+", url):
        raise SourcesError(f"{where} {kind}: not an http(s) URL: {url!r}")
    text = {field: _string(table, field, where) for field in TEXT_FIELDS if field in table}
    fetch_article = table.get("fetch_article")
    if fetch_article is not None and not isinstance(fetch_article, bool):
        raise SourcesError(f"{where} fetch_article: expected true or false, got {fetch_article!r}")
    if kind == "list" and "links" not in text:
        raise SourcesError(f"{where} links: a list source needs a regex its article URLs match")
    if kind != "list" and "links" in text:
        raise SourcesError(f"{where} links: only list sources take links")
    if kind == "list" and fetch_article is not None:
        raise SourcesError(f"{where} fetch_article: list sources always fetch the article page")
    categories = _categories(table, where)
    return Source(
        name=name,
        kind="list" if kind == "list" else "feed",
        url=url,
        categories=categories,
        author=text.get("author", categories.site),
        fetch_article=fetch_article,
        title_xpath=_checked_xpath(text["title_xpath"], "title_xpath", where)
        if "title_xpath" in text
        else None,
        body_xpath=_checked_xpath(text["body_xpath"], "body_xpath", where) if "body_xpath" in text else None,
        links=_checked_regex(text["links"], where) if "links" in text else None,
    )


def parse_sources(text: str, origin: str, rsshub_url: str = DEFAULT_RSSHUB_URL) -> dict[str, Source]:
    """The sources a TOML text defines, after the built-in ones unless it says ``builtins = false``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SourcesError(f"{origin}: not valid TOML: {error}") from None
    for field in data:
        if field not in TOP_LEVEL_FIELDS:
            raise SourcesError(f"{origin}: {field}: unknown top-level field; known: builtins, sources")
    builtins = data.get("builtins", True)
    if not isinstance(builtins, bool):
        raise SourcesError(f"{origin}: builtins: expected true or false, got {builtins!r}")
    tables = data.get("sources", {})
    if not isinstance(tables, dict):
        raise SourcesError(f"{origin}: sources: expected [sources.NAME] tables")
    sources = {source.name: source for source in BUILTIN_SOURCES} if builtins else {}
    for name, table in tables.items():
        if name in sources:
            raise SourcesError(f"{origin}: [sources.{name}]: the name of a built-in spider")
        sources[name] = source_from_table(name, table, rsshub_url, origin)
    return sources


def sources_path(named: str = "") -> Path | Traversable:
    """The sources file in effect: the one named (the setting), else the one the environment variable
    ``NEWSBOT_SOURCES_FILE`` names, else ``./sources.toml``, else the bundled one."""
    named = named or os.environ.get(FILE_VARIABLE, "")
    if named:
        return Path(named)
    return Path(LOCAL_FILE) if Path(LOCAL_FILE).is_file() else BUNDLED_FILE


def load_sources(settings: BaseSettings) -> dict[str, Source]:
    """The configured sources, by name, for a crawl with these settings; ``SourcesError`` names the file."""
    path = sources_path(settings.get(FILE_VARIABLE) or "")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SourcesError(f"{path}: cannot read the sources file: {error}") from None
    return parse_sources(text, str(path), settings.get("NEWSBOT_RSSHUB_URL") or DEFAULT_RSSHUB_URL)
