"""``newsbot schedule NAME --every 15m``: keep an archive current from one long-lived process.

Each run is a child ``newsbot crawl``; its output goes to this command's log (``run N | ...``), a failed run is
logged at ERROR with its reason and last error lines, and with ``--runs N`` the exit status is 1 when the last
run failed.
"""

from __future__ import annotations

import argparse
import logging
from functools import partial

from scrapy.exceptions import UsageError
from scrapy.spiderloader import get_spider_loader
from scrapy.utils.log import configure_logging

from newsbot.command import (
    NewsbotCommand,
    crawl_settings_problem,
    jobdir_problem,
    positive_int,
    spider_argument_problem,
    unwritable,
)
from newsbot.outcome import EXIT_FAILED
from newsbot.schedule import exclusive, parse_duration, run_crawl, schedule
from newsbot.snapshot_server import BUNDLED_SNAPSHOT, SnapshotError, SnapshotServer
from newsbot.sources.config import SourcesError, load_sources

logger = logging.getLogger("newsbot.schedule")


def jitter_fraction(text: str) -> float:
    """An argparse type: a fraction from 0 to 1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be from 0 to 1, not {value}")
    return value


class Command(NewsbotCommand):
    requires_project = False
    requires_crawler_process = False

    def syntax(self) -> str:
        return "[options] <source> --every INTERVAL"

    def short_desc(self) -> str:
        return "Crawl a source at an interval, one run at a time, with a summary line per run"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        self.add_archive_option(parser)
        parser.add_argument("--every", metavar="INTERVAL", required=True, help="e.g. 15m, 1h, 90s")
        parser.add_argument(
            "--jitter",
            type=jitter_fraction,
            default=0.1,
            metavar="FRACTION",
            help="vary each interval by up to this fraction of it (default 0.1)",
        )
        parser.add_argument(
            "--runs", type=positive_int, default=None, metavar="N", help="stop after N runs (default: never)"
        )
        parser.add_argument(
            "--snapshot",
            nargs="?",
            const=str(BUNDLED_SNAPSHOT),
            metavar="DIR",
            help="crawl a snapshot served on 127.0.0.1 (default: the bundled one)",
        )

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        if len(args) != 1:
            raise UsageError("give one source name, e.g. sina-finance")
        try:
            sources = load_sources(self.settings)
        except SourcesError as error:
            raise UsageError(str(error)) from None
        loader = get_spider_loader(self.settings)
        if args[0] not in sources and args[0] not in loader.list():
            raise UsageError(f"no source {args[0]!r}; configured: {', '.join(sources)}")
        if args[0] not in sources and (
            problem := spider_argument_problem(loader.load(args[0]), {}, self.settings)
        ):
            raise UsageError(f"{problem}; schedule takes a configured source (newsbot sources)")
        try:
            self.interval = parse_duration(opts.every)
        except ValueError as error:
            raise UsageError(str(error)) from None
        if opts.snapshot:
            try:
                SnapshotServer(opts.snapshot)
            except SnapshotError as error:
                raise UsageError(str(error)) from None
        self.output_dir = self.archive_folder(opts)
        if problem := (
            unwritable(self.output_dir) or crawl_settings_problem(self.settings) or jobdir_problem(self.settings)
        ):
            raise UsageError(problem)
        self.check_index_url()

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        crawl_args = [
            args[0],
            "--archive",
            str(self.output_dir),
            *(["--snapshot", opts.snapshot] if opts.snapshot else []),
        ]
        for setting in opts.set:
            crawl_args += ["-s", setting]
        configure_logging(self.settings)
        logger.info("crawling %s every %s into %s", args[0], opts.every, self.output_dir)
        try:
            with exclusive(self.output_dir / ".newsbot" / "schedule.lock"):
                results = schedule(partial(run_crawl, crawl_args), self.interval, opts.jitter, opts.runs)
        except BlockingIOError:
            return self.fail(f"another newsbot schedule is running on {self.output_dir}")
        except KeyboardInterrupt:
            logger.info("stopped")
            return None
        if results and not results[-1].ok:
            self.exitcode = EXIT_FAILED
        return None
