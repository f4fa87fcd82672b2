"""``newsbot replay FILE.warc.gz...``: run the recorded crawls again, every request answered from the WARC."""

from __future__ import annotations

import argparse
import inspect
import ipaddress
import sys
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import UsageError
from twisted.internet.defer import Deferred

from newsbot.command import CrawlingCommand, spider_argument_problem
from newsbot.extensions.progress import int_stats, summary_counts
from newsbot.outcome import EXIT_FAILED, Outcome
from newsbot.warc import Run, read_runs

REPLAY_SETTINGS = {
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_HANDLERS": {"http": None, "https": None},
}
REPORTED = ("new", "updated", "unchanged", "skipped", "duplicates", "failed")
MISSING_STAT = "newsbot/replay/missing"


def parse_url_map(pairs: list[str]) -> dict[str, str]:
    """``RECORDED=ORIGINAL`` URL prefix pairs (split at the first ``=``) as a dict; ``ValueError`` if malformed."""
    url_map = {}
    for pair in pairs:
        recorded, _, original = pair.partition("=")
        if not all(
            urlsplit(url).scheme in ("http", "https") and urlsplit(url).netloc for url in (recorded, original)
        ):
            raise ValueError(f"--map takes RECORDED=ORIGINAL, two http(s) URL prefixes: {pair!r}")
        url_map[recorded] = original
    return url_map


def missing_arguments(spidercls: type[Spider], arguments: dict[str, Any]) -> list[str]:
    """The arguments ``spidercls`` requires that ``arguments`` lacks."""
    required = (
        parameter.name
        for parameter in inspect.signature(spidercls.__init__).parameters.values()
        if parameter.default is parameter.empty
        and parameter.kind in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY)
    )
    return [name for name in required if name != "self" and name not in arguments]


def local_hosts(runs: list[Run]) -> list[str]:
    """The loopback and private hosts the runs recorded responses from, most responses first."""
    hosts: Counter[str] = Counter()
    for run in runs:
        for refs in run.responses.values():
            for ref in refs:
                parts = urlsplit(ref.url)
                try:
                    address = ipaddress.ip_address(parts.hostname or "")
                except ValueError:
                    if parts.hostname != "localhost":
                        continue
                else:
                    if not (address.is_loopback or address.is_private):
                        continue
                hosts[f"{parts.scheme}://{parts.netloc}"] += 1
    return [host for host, _ in hosts.most_common()]


class Command(CrawlingCommand):
    requires_project = False

    def syntax(self) -> str:
        return "[options] <file.warc.gz> [file.warc.gz ...]"

    def short_desc(self) -> str:
        return "Run recorded crawls again from WARC files, without the network"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        self.add_replay_options(parser)
        parser.add_argument(
            "--spider", metavar="NAME", help="spider to run (default: the recording one, else warc)"
        )

    def add_replay_options(self, parser: argparse.ArgumentParser) -> None:
        """The option every replaying command takes besides ``--archive``: the URL map."""
        parser.add_argument(
            "--map",
            dest="url_map",
            action="append",
            default=[],
            metavar="RECORDED=ORIGINAL",
            help="replay responses recorded under one URL prefix as another's, e.g. a loopback mirror's "
            "http://127.0.0.1:8000=https://finance.sina.com.cn (repeatable)",
        )

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        for name, value in REPLAY_SETTINGS.items():
            self.settings.set(name, value, priority="cmdline")
        super().process_options(args, opts)
        try:
            self.settings.set("NEWSBOT_REPLAY_URL_MAP", parse_url_map(opts.url_map), priority="cmdline")
        except ValueError as error:
            raise UsageError(str(error)) from None
        if not args:
            raise UsageError("give one or more WARC files")
        if missing := [path for path in args if not Path(path).is_file()]:
            raise UsageError(f"no such file: {missing[0]}")

    def load_runs(self, args: list[str]) -> list[Run] | None:
        """The runs of the WARC files named, or ``None`` after a one-line error."""
        try:
            runs = read_runs(args, self.settings.getdict("NEWSBOT_REPLAY_URL_MAP"))
        except ValueError as error:
            return self.fail(str(error))
        if not runs:
            return self.fail(f"no HTTP responses in {' '.join(args)}")
        self.settings.set("NEWSBOT_REPLAY_FILES", list(args), priority="cmdline")
        if hosts := local_hosts(runs):
            print(
                f"{self.name}: note: responses recorded from {', '.join(hosts)}; if that served a copy of a "
                f"site, give --map {hosts[0]}=https://SITE-HOST to replay them as the site's pages",
                file=sys.stderr,
            )
        return runs

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        runs = self.load_runs(args)
        if runs is None:
            return None
        self.crawlers: list[Crawler] = []
        self.crawl_in_turn([self.plan(index, run, opts) for index, run in enumerate(runs)])
        self.crawler_process.start()
        self.report(f"{len(runs)} run(s)")
        return None

    @property
    def name(self) -> str:
        return "replay"

    def report(self, what: str) -> None:
        """Print the counts of every crawl run; exit status 1 when a run failed or a request was not recorded."""
        started = [crawler for crawler in self.crawlers if crawler.crawling or crawler.spider is not None]
        stats: Counter[str] = Counter()
        for crawler in started:
            stats.update(int_stats(crawler.stats.get_stats()))
        counts = summary_counts(stats)
        line = " ".join(f"{name}={counts[name]}" for name in REPORTED)
        print(f"{self.name}: {what} {line} missing={stats[MISSING_STAT]}")
        missing = stats[MISSING_STAT]
        self.finish(
            self.crawlers,
            Outcome(EXIT_FAILED, f"{missing} request(s) not in the recording") if missing else None,
        )

    def plan(
        self, index: int, run: Run, opts: argparse.Namespace
    ) -> tuple[int | None, str, dict[str, Any], bool]:
        """Run ``index`` as a crawl: its spider, the spider's arguments and whether it obeys robots.txt."""
        spider = opts.spider or run.spider or "warc"
        if spider not in self.crawler_process.spider_loader.list():
            raise UsageError(f"no spider {spider!r} here; give --spider NAME")
        arguments = {**(run.spider_arguments if spider == run.spider else {}), **opts.spargs}
        spidercls = self.crawler_process.spider_loader.load(spider)
        lacking = missing_arguments(spidercls, arguments)
        if lacking and opts.spider:
            raise UsageError(f"spider {spider!r} needs -a {lacking[0]}=VALUE")
        if lacking:
            print(
                f"{self.name}: note: run {index} does not record the {spider} spider's {', '.join(lacking)}; "
                "replaying its pages with the warc spider",
                file=sys.stderr,
            )
            return index, "warc", {}, False
        if problem := spider_argument_problem(spidercls, arguments, self.settings):
            raise UsageError(problem)
        return index, spider, arguments, run.obeys_robots

    def crawl_in_turn(self, plan: list[tuple[int | None, str, dict[str, Any], bool]]) -> None:
        """Start the first planned crawl, and each next one when the previous has finished."""
        (index, spider, arguments, obey), rest = plan[0], plan[1:]
        self.settings.set("NEWSBOT_REPLAY_RUN", index, priority="cmdline")
        self.settings.set("ROBOTSTXT_OBEY", obey, priority="cmdline")
        crawler = self._create_crawler(spider)
        self.crawlers.append(crawler)
        running = self.crawler_process.crawl(crawler, **arguments)
        if not rest:
            return
        if isinstance(running, Deferred):
            running.addBoth(lambda _: self.crawl_in_turn(rest))
        else:
            running.add_done_callback(lambda _: self.crawl_in_turn(rest))
