"""``newsbot schedule NAME --every 15m``: keep an archive current from one long-lived process."""

from __future__ import annotations

import argparse
import logging
from functools import partial
from pathlib import Path

from scrapy.exceptions import UsageError
from scrapy.utils.log import configure_logging

from newsbot.command import NewsbotCommand
from newsbot.schedule import exclusive, parse_duration, run_crawl, schedule
from newsbot.snapshot_server import BUNDLED_SNAPSHOT


class Command(NewsbotCommand):
    requires_project = False
    requires_crawler_process = False

    def syntax(self) -> str:
        return "[options] <source> --every INTERVAL"

    def short_desc(self) -> str:
        return "Crawl a source at an interval, one run at a time, with a summary line per run"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--every", metavar="INTERVAL", required=True, help="e.g. 15m, 1h, 90s")
        parser.add_argument(
            "--jitter", type=float, default=0.1, help="fraction of the interval (default 0.1)"
        )
        parser.add_argument("--runs", type=int, default=None, help="stop after N runs (default: never)")
        parser.add_argument("-o", "--output", dest="output_dir", metavar="DIR", help="archive folder")
        parser.add_argument(
            "--snapshot",
            nargs="?",
            const=str(BUNDLED_SNAPSHOT),
            metavar="DIR",
            help="crawl a snapshot served on 127.0.0.1 (default: the bundled one)",
        )

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give one source name, e.g. sina-finance")
        try:
            interval = parse_duration(opts.every)
        except ValueError as error:
            raise UsageError(str(error), print_help=False) from None
        output_dir = Path(opts.output_dir or self.settings["NEWSBOT_OUTPUT_DIR"])
        crawl_args = [
            args[0],
            "-o",
            str(output_dir),
            *(["--snapshot", opts.snapshot] if opts.snapshot else []),
        ]
        for setting in opts.set:
            crawl_args += ["-s", setting]
        configure_logging(self.settings)
        logging.getLogger("newsbot.schedule").info(
            "crawling %s every %s into %s", args[0], opts.every, output_dir
        )
        try:
            with exclusive(output_dir / ".newsbot" / "schedule.lock"):
                schedule(partial(run_crawl, crawl_args), interval, opts.jitter, opts.runs)
        except BlockingIOError:
            return self.fail(f"another newsbot schedule is running on {output_dir}")
        except KeyboardInterrupt:
            logging.getLogger("newsbot.schedule").info("stopped")
        return None
