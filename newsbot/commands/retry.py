"""``newsbot retry [DIR]``: put the articles the failed-article ledger gave up back in line for the next crawl."""

from __future__ import annotations

import argparse

from scrapy.exceptions import UsageError
from scrapy.spiderloader import get_spider_loader

from newsbot.command import NewsbotCommand
from newsbot.index.backends import INDEX_ERRORS, first_line, index_name
from newsbot.ledger import open_ledger, utc_now
from newsbot.sources.config import SourcesError, load_sources


class Command(NewsbotCommand):
    requires_project = False
    requires_crawler_process = False

    def syntax(self) -> str:
        return "[options] [<dir> | --archive DIR]"

    def short_desc(self) -> str:
        return "Make the articles the failed-article ledger gave up due again (the next crawl asks for them)"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        self.add_archive_option(parser)
        parser.add_argument(
            "--source",
            metavar="NAME",
            help="only the given-up articles of this source (a configured one, or as the ledger and status name it)",
        )

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        if len(args) > 1:
            raise UsageError("give one archive folder")
        self.check_index_url()
        self.folder = self.archive_folder(opts, args)
        if not self.folder.is_dir():
            raise UsageError(f"no such folder: {self.folder}")
        if opts.source is not None:
            try:
                known = [*load_sources(self.settings), *get_spider_loader(self.settings).list()]
            except SourcesError as error:
                raise UsageError(str(error)) from None
            try:
                with open_ledger(self.folder, self.settings, create=False) as ledger:
                    in_ledger = sorted(ledger.counts())
            except (*INDEX_ERRORS, ValueError):
                in_ledger = []
            if opts.source not in (*known, *in_ledger):
                raise UsageError(
                    f"no source {opts.source!r}; configured: {', '.join(sorted(set(known)))}; in the ledger:"
                    f" {', '.join(in_ledger) or 'none'}"
                )

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        try:
            with open_ledger(self.folder, self.settings, create=False) as ledger:
                given_up = any(e.given_up and opts.source in (None, e.source) for e in ledger.entries())
            entries = []
            if given_up:
                with open_ledger(self.folder, self.settings) as ledger:
                    entries = ledger.retry_given_up(utc_now(), opts.source)
        except (*INDEX_ERRORS, ValueError) as error:
            return self.fail(f"cannot update the ledger in {index_name(self.folder, self.settings)}: {first_line(error)}")
        for entry in entries:
            print(f"{entry.source}: {entry.url} (gave up after {entry.attempts} attempts: {entry.last_error})")
        which = f" of {opts.source}" if opts.source else ""
        print(f"{len(entries)} given-up articles{which} are due again; the next crawl of their source asks for them")
        return None
