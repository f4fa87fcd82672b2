"""``newsbot sources``: the configured sources, one line each: name, kind, URL, categories."""

from __future__ import annotations

import argparse

from scrapy.exceptions import UsageError

from newsbot.command import NewsbotCommand
from newsbot.sources.config import Source, SourcesError, load_sources, sources_path

COLUMNS = ("name", "kind", "url", "categories")


def source_rows(sources: dict[str, Source]) -> list[tuple[str, str, str, str]]:
    """One row per source, in the order the table prints them."""
    return [
        (source.name, source.kind, source.url, " / ".join(source.categories.as_tuple()))
        for source in sources.values()
    ]


def table(rows: list[tuple[str, ...]]) -> str:
    """Left-aligned columns under a header; the last column is not padded."""
    lines = [COLUMNS, *rows]
    widths = [max(len(line[column]) for line in lines) for column in range(len(COLUMNS) - 1)]
    return "\n".join(
        "  ".join([*(cell.ljust(width) for cell, width in zip(line, widths, strict=False)), line[-1]])
        for line in lines
    )


class Command(NewsbotCommand):
    requires_project = False
    requires_crawler_process = False

    def syntax(self) -> str:
        return ""

    def short_desc(self) -> str:
        return "List the configured sources (sources.toml, NEWSBOT_SOURCES_FILE) and built-in spiders"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if args:
            raise UsageError("takes no arguments")
        try:
            sources = load_sources(self.settings)
        except SourcesError as error:
            return self.fail(str(error))
        print(table(source_rows(sources)))
        print(
            f"\n{len(sources)} sources from {sources_path(self.settings.get('NEWSBOT_SOURCES_FILE') or '')}"
        )
        return None
