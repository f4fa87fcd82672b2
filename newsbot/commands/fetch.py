"""``newsbot fetch URL``: one article of any http(s) URL, by its site's rules or the generic ones, to one post.

Prints the post's path (exit status 0); an article the archive holds already prints ``already archived: PATH``
and a copy of another article ``duplicate of KEY: PATH`` (both exit status 0); a failure is one line and
exit status 1; a bad URL or option one line and exit status 2. robots.txt is obeyed, but for a saved page
(``--html``), which needs no request.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.exceptions import UsageError

from newsbot.command import CrawlingCommand, spider_argument_problem
from newsbot.index import ArchiveIndex
from newsbot.spiders.article import ArticleSpider, url_problem


class Command(CrawlingCommand):
    requires_project = False

    def syntax(self) -> str:
        return "[options] <url>"

    def short_desc(self) -> str:
        return "Fetch one article and write (or print) its post"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--html", metavar="FILE", help="take the page from a saved file, not the network")
        parser.add_argument(
            "--record", metavar="FILE.warc.gz", help="also write every response to a WARC file"
        )
        parser.add_argument("--stdout", action="store_true", help="print the post instead of writing it")

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        if not opts.loglevel:
            self.settings.set("LOG_LEVEL", "ERROR", priority="cmdline")
        extensions = {**self.settings.getdict("EXTENSIONS"), "newsbot.extensions.progress.Progress": None}
        self.settings.set("EXTENSIONS", extensions, priority="cmdline")
        if len(args) != 1:
            raise UsageError("give exactly one URL")
        if problem := url_problem(args[0], self.settings.getint("URLLENGTH_LIMIT")):
            raise UsageError(problem)
        if opts.html and not Path(opts.html).is_file():
            raise UsageError(f"no such file: {opts.html}")
        if given := sorted(opts.spargs.keys() & {"url", "html_file", "ledger"}):
            raise UsageError(f"-a {given[0]}: fetch sets it (the URL is its argument, a saved page --html FILE)")
        if problem := spider_argument_problem(ArticleSpider, {**opts.spargs, "url": args[0]}):
            raise UsageError(problem)
        if opts.html:
            self.settings.set("ROBOTSTXT_OBEY", False, priority="cmdline")
        if opts.record:
            self.settings.set("NEWSBOT_RECORD_FILE", opts.record, priority="cmdline")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        url = args[0]
        if opts.stdout:
            with tempfile.TemporaryDirectory(prefix="newsbot-") as scratch:
                path = self._fetch(url, opts, Path(scratch))
                if path is not None:
                    sys.stdout.write(path.read_text(encoding="utf-8"))
            return None
        path = self._fetch(url, opts, Path(self.settings["NEWSBOT_OUTPUT_DIR"]))
        if path is not None:
            print(path)
        return None

    def _fetch(self, url: str, opts: argparse.Namespace, output_dir: Path) -> Path | None:
        """Fetch ``url`` into ``output_dir``: the stored post's path, else ``None`` after saying why."""
        self.settings.set("NEWSBOT_OUTPUT_DIR", str(output_dir), priority="cmdline")
        stored: list[dict] = []
        dropped: list[tuple[dict, str]] = []
        crawler = self._create_crawler("article")
        crawler.settings.set("NEWSBOT_SPIDER_ARGUMENTS", {"url": url}, priority="cmdline")
        crawler.signals.connect(lambda item, **_: stored.append(item), signal=signals.item_scraped, weak=False)
        crawler.signals.connect(
            lambda item, exception, **_: dropped.append((item, str(exception))),
            signal=signals.item_dropped,
            weak=False,
        )
        self.crawler_process.crawl(crawler, **opts.spargs, url=url, html_file=opts.html, ledger=False)
        self.crawler_process.start()
        outcome = self.finish([crawler])
        if stored:
            return output_dir / stored[0]["path"]
        if dropped and (said := self.archived_already(output_dir, dropped[0][0]["key"], crawler.stats)):
            print(said)
            return None
        reason = getattr(crawler.spider, "error", None) or (dropped[0][1] if dropped else None)
        self.fail(reason or (outcome.reason if not outcome.ok else "no article written"))
        return None

    def archived_already(self, output_dir: Path, key: str, stats: Any) -> str | None:
        """``already archived: PATH`` or ``duplicate of KEY: PATH`` for an article dedupe dropped, else ``None``."""
        with ArchiveIndex(output_dir) as index:
            entry = index.get(key)
        if entry is None:
            return None
        if stats.get_value("newsbot/unchanged"):
            return f"already archived: {output_dir / entry.path}"
        if stats.get_value("newsbot/duplicates/exact") or stats.get_value("newsbot/duplicates/near"):
            return f"duplicate of {entry.key}: {output_dir / entry.path}"
        return None

