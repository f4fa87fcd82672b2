"""``newsbot status [DIR]``: each source's last run, recent articles, newest post, open alarms and failures."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path

from scrapy.exceptions import UsageError

from newsbot.command import NewsbotCommand
from newsbot.index.backends import INDEX_ERRORS, first_line, index_name
from newsbot.status import (
    source_statuses,
    status_html,
    status_json,
    status_table,
    unfinished_line,
    unfinished_posts,
)


class Command(NewsbotCommand):
    requires_project = False
    requires_crawler_process = False

    def syntax(self) -> str:
        return "[options] [dir]"

    def short_desc(self) -> str:
        return "Show each source's last run, articles archived, open alarms and failures (exit 1 on a failed run)"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument(
            "--json",
            action="store_true",
            help="print the report as a JSON object: its rows (sources) and uncounted_posts",
        )
        parser.add_argument(
            "--html", metavar="FILE", help="also write a self-contained HTML report with a chart"
        )
        parser.add_argument(
            "--days", type=int, default=30, metavar="N", help="days the chart shows (default 30)"
        )

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) > 1:
            raise UsageError("give at most one archive folder")
        if opts.days < 1:
            raise UsageError("--days takes a whole number of days, at least 1")
        self.check_index_url()
        folder = Path(args[0] if args else self.settings.get("NEWSBOT_OUTPUT_DIR", "output"))
        if not folder.is_dir():
            raise UsageError(f"no such folder: {folder}")
        now = datetime.now(UTC)
        try:
            rows = source_statuses(folder, now, self.settings)
            unfinished = unfinished_posts(folder, self.settings)
            report = (
                status_html(folder, rows, now, opts.days, self.settings, unfinished) if opts.html else None
            )
        except (*INDEX_ERRORS, ValueError) as error:
            return self.fail(f"cannot read {index_name(folder, self.settings)}: {first_line(error)}")
        if report is not None:
            try:
                Path(opts.html).write_text(report, encoding="utf-8")
            except OSError as error:
                return self.fail(f"cannot write {opts.html}: {error.strerror}")
        if opts.json:
            print(json.dumps(status_json(rows, unfinished), ensure_ascii=False, indent=1))
        else:
            print(status_table(rows, unfinished) if rows else f"no runs recorded in {folder}")
            if unfinished and not rows:
                print(unfinished_line(unfinished))
        if any(row.exit_status for row in rows):
            self.exitcode = 1
        return None
