"""``newsbot sources [NAME]``: the configured sources, one line each: name, kind, URL, categories; with
``sina-finance``, its channels: key, display name, roll-API URL (``pageid=…&lid=…``) or list page."""

from __future__ import annotations

import argparse
import unicodedata

from scrapy.exceptions import UsageError

from newsbot.command import NewsbotCommand
from newsbot.sources import sina_finance
from newsbot.sources.config import Source, SourcesError, load_sources, sources_path

COLUMNS = ("name", "kind", "url", "categories")
CHANNEL_COLUMNS = ("key", "name", "listing")


def source_rows(sources: dict[str, Source]) -> list[tuple[str, str, str, str]]:
    """One row per source, in the order the table prints them."""
    return [
        (source.name, source.kind, source.url, " / ".join(source.categories.as_tuple()))
        for source in sources.values()
    ]


def channel_rows(
    channels: tuple[sina_finance.Channel, ...] = sina_finance.CHANNELS,
) -> list[tuple[str, str, str]]:
    """One row per Sina Finance channel, in table order: key, display name, page 1 of its roll API or its
    list page."""
    return [(channel.key, channel.name, channel.listing) for channel in channels]


def display_width(text: str) -> int:
    """Terminal columns ``text`` takes: two for wide and full-width characters (Unicode East Asian Width)."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def pad(text: str, width: int) -> str:
    """``text`` padded with spaces to ``width`` terminal columns."""
    return text + " " * (width - display_width(text))


def table(rows: list[tuple[str, ...]], columns: tuple[str, ...] = COLUMNS) -> str:
    """Left-aligned columns under a header; the last column is not padded."""
    lines = [columns, *rows]
    widths = [max(display_width(line[column]) for line in lines) for column in range(len(columns) - 1)]
    return "\n".join(
        "  ".join([*(pad(cell, width) for cell, width in zip(line, widths, strict=False)), line[-1]])
        for line in lines
    )


class Command(NewsbotCommand):
    requires_project = False
    requires_crawler_process = False

    def syntax(self) -> str:
        return "[sina-finance]"

    def short_desc(self) -> str:
        return (
            "List the configured sources (sources.toml, NEWSBOT_SOURCES_FILE) and built-in spiders,"
            " or the channels of sina-finance"
        )

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if args == ["sina-finance"]:
            print(table(channel_rows(), CHANNEL_COLUMNS))
            return None
        if args:
            raise UsageError("takes no arguments, or sina-finance (its channels)")
        try:
            sources = load_sources(self.settings)
        except SourcesError as error:
            return self.fail(str(error))
        print(table(source_rows(sources)))
        print(
            f"\n{len(sources)} sources from {sources_path(self.settings.get('NEWSBOT_SOURCES_FILE') or '')}"
        )
        return None
