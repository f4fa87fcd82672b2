"""``newsbot fetch URL``: one article of any http(s) URL, by its site's rules or the generic ones, to one post."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.exceptions import UsageError

from newsbot.command import NewsbotCommand


class Command(NewsbotCommand):
    requires_project = False
    default_settings: ClassVar[dict[str, Any]] = {
        "LOG_LEVEL": "ERROR",
        "ROBOTSTXT_OBEY": False,
        "AUTOTHROTTLE_ENABLED": False,
    }

    def syntax(self) -> str:
        return "[options] <url>"

    def short_desc(self) -> str:
        return "Fetch one article and write (or print) its post"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--html", metavar="FILE", help="take the page from a saved file, not the network")
        parser.add_argument(
            "-o", "--output", metavar="DIR", help="output folder (default: NEWSBOT_OUTPUT_DIR)"
        )
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

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give exactly one URL")
        url = args[0]
        if urlsplit(url).scheme not in ("http", "https"):
            return self.fail(f"not an http(s) URL: {url}")
        if opts.html and not Path(opts.html).is_file():
            return self.fail(f"no such file: {opts.html}")
        if opts.record:
            self.settings.set("NEWSBOT_RECORD_FILE", opts.record, priority="cmdline")
        if opts.stdout:
            with tempfile.TemporaryDirectory(prefix="newsbot-") as scratch:
                path = self._fetch(url, opts.html, Path(scratch))
                if path is not None:
                    sys.stdout.write(path.read_text(encoding="utf-8"))
            return None
        path = self._fetch(url, opts.html, Path(opts.output or self.settings["NEWSBOT_OUTPUT_DIR"]))
        if path is not None:
            print(path)
        return None

    def _fetch(self, url: str, html_file: str | None, output_dir: Path) -> Path | None:
        self.settings.set("NEWSBOT_OUTPUT_DIR", str(output_dir), priority="cmdline")
        stored: list[dict] = []
        dropped: list[str] = []
        crawler = self.crawler_process.create_crawler("article")
        crawler.settings.set("NEWSBOT_SPIDER_ARGUMENTS", {"url": url}, priority="cmdline")
        crawler.signals.connect(lambda item, **_: stored.append(item), signal=signals.item_scraped, weak=False)
        crawler.signals.connect(
            lambda exception, **_: dropped.append(str(exception)), signal=signals.item_dropped, weak=False
        )
        self.crawler_process.crawl(crawler, url=url, html_file=html_file)
        self.crawler_process.start()
        if stored:
            return output_dir / stored[0]["path"]
        reason = getattr(crawler.spider, "error", None) or (dropped[0] if dropped else "no article written")
        self.fail(reason)
        return None
