"""``newsbot replay FILE.warc.gz...``: run the recorded crawls again, every request answered from the WARC."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import UsageError
from scrapy.utils.conf import arglist_to_dict
from twisted.internet.defer import Deferred

from newsbot.commands import NewsbotCommand
from newsbot.warc import Run, read_runs

REPLAY_SETTINGS = {
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_HANDLERS": {"http": None, "https": None},
}
COUNTED = ("new", "updated", "unchanged", "failed", "replay/missing")


class Command(NewsbotCommand):
    requires_project = False

    def syntax(self) -> str:
        return "[options] <file.warc.gz> [file.warc.gz ...]"

    def short_desc(self) -> str:
        return "Run recorded crawls again from WARC files, without the network"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument(
            "-o",
            "--output",
            dest="output_dir",
            metavar="DIR",
            help="archive folder (default: NEWSBOT_OUTPUT_DIR)",
        )
        parser.add_argument(
            "--spider", metavar="NAME", help="spider to run (default: the recording one, else warc)"
        )
        parser.add_argument("-a", dest="spargs", action="append", default=[], metavar="NAME=VALUE")

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        for name, value in REPLAY_SETTINGS.items():
            self.settings.set(name, value, priority="cmdline")
        super().process_options(args, opts)
        try:
            opts.spargs = arglist_to_dict(opts.spargs)
        except ValueError:
            raise UsageError("Invalid -a value, use -a NAME=VALUE", print_help=False) from None
        if opts.output_dir:
            self.settings.set("NEWSBOT_OUTPUT_DIR", opts.output_dir, priority="cmdline")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if not args:
            raise UsageError("give one or more WARC files")
        missing = [path for path in args if not Path(path).is_file()]
        if missing:
            return self.fail(f"no such file: {missing[0]}")
        try:
            runs = read_runs(args)
        except ValueError as error:
            return self.fail(str(error))
        if not runs:
            return self.fail(f"no HTTP responses in {' '.join(args)}")
        self.settings.set("NEWSBOT_REPLAY_FILES", list(args), priority="cmdline")
        self.crawlers: list[Crawler] = []
        self.crawl_in_turn([self.plan(index, run, opts) for index, run in enumerate(runs)])
        self.crawler_process.start()
        totals = {
            name: sum(c.stats.get_value(f"newsbot/{name}", 0) for c in self.crawlers) for name in COUNTED
        }
        print(
            f"{self.name}: {len(runs)} run(s) "
            + " ".join(f"{name.split('/')[-1]}={n}" for name, n in totals.items())
        )
        if self.crawler_process.bootstrap_failed or any(
            c.stats.get_value("finish_reason") != "finished" for c in self.crawlers
        ):
            self.exitcode = 1
        return None

    @property
    def name(self) -> str:
        return "replay"

    def plan(self, index: int, run: Run, opts: argparse.Namespace) -> tuple[int, str, dict[str, Any], bool]:
        """Run ``index`` as a crawl: its spider, the spider's arguments and whether it obeys robots.txt."""
        spider = opts.spider or run.spider or "warc"
        if spider not in self.crawler_process.spider_loader.list():
            raise UsageError(f"no spider {spider!r} here; give --spider NAME", print_help=False)
        recorded = run.spider_arguments if spider == run.spider else {}
        return index, spider, {**recorded, **opts.spargs}, run.obeys_robots

    def crawl_in_turn(self, plan: list[tuple[int, str, dict[str, Any], bool]]) -> None:
        """Start the first planned crawl, and each next one when the previous has finished."""
        (index, spider, arguments, obey), rest = plan[0], plan[1:]
        self.settings.set("NEWSBOT_REPLAY_RUN", index, priority="cmdline")
        self.settings.set("ROBOTSTXT_OBEY", obey, priority="cmdline")
        crawler = self.crawler_process.create_crawler(spider)
        self.crawlers.append(crawler)
        running = self.crawler_process.crawl(crawler, **arguments)
        if not rest:
            return
        if isinstance(running, Deferred):
            running.addBoth(lambda _: self.crawl_in_turn(rest))
        else:
            running.add_done_callback(lambda _: self.crawl_in_turn(rest))
