"""The bases of newsbot's commands: one-line errors, the ``--archive DIR`` option, and exit status from stats.

A failure is one ``newsbot: error: ...`` line and exit status 1; a usage error (``UsageError``) is one line and
exit status 2. Commands that run crawls take Scrapy's ``-a``, ``-o FILE`` and ``-O FILE`` (feed exports of the
items) and exit with the worst ``run_outcome`` of their crawlers.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from scrapy import Spider
from scrapy.commands import BaseRunSpiderCommand, ScrapyCommand
from scrapy.crawler import Crawler
from scrapy.exceptions import UsageError
from scrapy.settings import BaseSettings, default_settings
from scrapy.utils.log import configure_logging

from newsbot.distributed import shared_settings_problem, unreachable_server
from newsbot.extensions.progress import Progress, crawler_outcome, log_summary, total_summary
from newsbot.extensions.progress import logger as progress_logger
from newsbot.monitors.coverage import FIELDS
from newsbot.outcome import DEFAULT_MAX_FAILURE_SHARE, EXIT_FAILED, Outcome

ARCHIVE_SETTING = "NEWSBOT_OUTPUT_DIR"


class NumberRange(NamedTuple):
    """What a number setting takes: ``kind`` ``int`` (a whole number) or ``float``, finite, at least ``least``,
    or above it when ``above``, and at most ``most``."""

    kind: type
    least: float
    above: bool = False
    most: float = math.inf


# newsbot's number settings, the one table every command checks them by (README, "Settings of newsbot").
NUMBER_SETTINGS = {
    "NEWSBOT_PAGE_PROCESSES": NumberRange(int, 0),
    "NEWSBOT_PAGE_TIMEOUT": NumberRange(float, 1),
    "NEWSBOT_MAX_ATTEMPTS": NumberRange(int, 1),
    "NEWSBOT_ROLL_PAGE_SIZE": NumberRange(int, 1),
    "NEWSBOT_INDEX_BATCH_SIZE": NumberRange(int, 1),
    "NEWSBOT_MONITOR_MIN_PAGES": NumberRange(int, 0),
    "NEWSBOT_MAX_RUNS_WITHOUT_NEW": NumberRange(int, 0),
    "NEWSBOT_NEAR_DUPLICATE_DISTANCE": NumberRange(int, 0),
    "NEWSBOT_MAX_FAILURE_SHARE": NumberRange(float, 0),
    "NEWSBOT_MAX_DOWNLOAD_FAILURE_SHARE": NumberRange(float, 0),
    "NEWSBOT_MAX_FAILED_LISTING_SHARE": NumberRange(float, 0),
    "NEWSBOT_MAX_REFUSED_SHARE": NumberRange(float, 0),
    # A crawl ends only once its last posts are indexed, so a longer wait would hold every stop back by it.
    "NEWSBOT_INDEX_BATCH_DELAY": NumberRange(float, 0, most=10),
    "NEWSBOT_PROGRESS_INTERVAL": NumberRange(float, 0),
    "NEWSBOT_RETRY_BACKOFF": NumberRange(float, 0),
    "NEWSBOT_REVISIT_RECENT_DAYS": NumberRange(float, 0),
    "NEWSBOT_REVISIT_INTERVAL_HOURS": NumberRange(float, 0),
    "NEWSBOT_WORKERS": NumberRange(int, 1),
    "NEWSBOT_WORKER_TIMEOUT": NumberRange(float, 0, above=True),
    "NEWSBOT_CLAIM_TIMEOUT": NumberRange(float, 0, above=True),
}
COVERAGE_SETTING = "NEWSBOT_MIN_COVERAGE"
RENAMED_SETTINGS = {"NEWSBOT_NORMALISE_PROCESSES": "NEWSBOT_PAGE_PROCESSES"}


def number_problem(
    name: str, value: Any, kind: type, least: float, above: bool = False, most: float = math.inf
) -> str | None:
    """Why ``value`` is no value of the number setting ``name`` (``NumberRange``'s fields), else ``None``."""
    try:
        number = kind(value)
    except (TypeError, ValueError, OverflowError):
        number = None
    if number is None or not math.isfinite(number) or number < least or (above and number == least):
        what = "a whole number" if kind is int else "a number"
        if math.isfinite(most):
            return f"-s {name}: {value!r} is not {what} from {least:g} to {most:g}"
        return (
            f"-s {name}: {value!r} is not {what} {f'above {least:g}' if above else f'of {least:g} or more'}"
        )
    if number > most:
        return f"-s {name}: {value!r} is more than {most:g}"
    return None


def number_settings_problem(settings: BaseSettings) -> str | None:
    """The first ``number_problem`` of the ``NUMBER_SETTINGS`` that are set, else ``None``."""
    for name, number in NUMBER_SETTINGS.items():
        value = settings.get(name)
        if value is not None and (problem := number_problem(name, value, *number)):
            return problem
    return None


def coverage_problem(settings: BaseSettings) -> str | None:
    """Why ``NEWSBOT_MIN_COVERAGE`` is no map of one or more coverage fields (``newsbot.monitors.coverage.FIELDS``)
    to numbers from 0 to 1 (a JSON object on the command line, a dict in settings), else ``None``; the fields it
    leaves out are not checked, so an empty map would check none."""
    value = settings.get(COVERAGE_SETTING)
    if value is None:
        return None
    try:
        shares = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        shares = None
    if not isinstance(shares, Mapping):
        return (
            f'-s {COVERAGE_SETTING}: {value!r} is not a JSON object of fields and shares, as {{"title": 0.9}}'
        )
    if not shares:
        return (
            f"-s {COVERAGE_SETTING}: {{}} names no field; give the fields to check with their least shares, "
            f'as {{"title": 0.9}} (a field at 0 never raises an alarm)'
        )
    for name, share in shares.items():
        if name not in FIELDS:
            return f"-s {COVERAGE_SETTING}: no field {name!r} (fields: {', '.join(FIELDS)})"
        if isinstance(share, bool) or not isinstance(share, int | float) or not 0 <= share <= 1:
            given = json.dumps(share, ensure_ascii=False, default=repr)
            return f"-s {COVERAGE_SETTING}: {name} must be a share between 0 and 1 (a number), got {given}"
    return None


def scrapy_setting_problem(settings: BaseSettings, names: Iterable[str]) -> str | None:
    """Why one of the Scrapy settings ``names`` (given with ``-s``) cannot be read as Scrapy reads its default's
    type (``getfloat`` for a number, ``getbool`` for a flag), else ``None``."""
    for name in names:
        default = getattr(default_settings, name, None)
        if isinstance(default, bool):
            read, what = settings.getbool, "true or false"
        elif isinstance(default, int | float):
            read, what = settings.getfloat, "a number"
        else:
            continue
        try:
            read(name)
        except ValueError:
            return f"-s {name}: {settings.get(name)!r} is not {what}"
    return None


def log_level_problem(settings: BaseSettings) -> str | None:
    """Why ``LOG_LEVEL`` (``-L``, ``-s LOG_LEVEL=``) is no level Python's logging knows, else ``None``."""
    level = settings.get("LOG_LEVEL")
    if isinstance(level, int) or level in logging.getLevelNamesMapping():
        return None
    return f"-L/-s LOG_LEVEL: {level!r} is not a log level (CRITICAL, ERROR, WARNING, INFO or DEBUG, in capitals)"


def log_file_problem(settings: BaseSettings) -> str | None:
    """Why ``LOG_FILE`` (``--logfile``) cannot be written: a folder, or in a folder that does not exist."""
    log_file = settings.get("LOG_FILE")
    if not log_file:
        return None
    path = Path(log_file)
    if path.is_dir():
        return f"--logfile {log_file}: a folder, not a file"
    if not path.parent.is_dir():
        return f"--logfile {log_file}: no folder {path.parent}"
    return None


def jobdir_problem(settings: BaseSettings) -> str | None:
    """Why the ``JOBDIR`` folder cannot be made (it is made here, as Scrapy would at the start), else ``None``."""
    jobdir = settings.get("JOBDIR")
    if not jobdir:
        return None
    try:
        Path(jobdir).mkdir(parents=True, exist_ok=True)
    except OSError as error:
        return f"-s JOBDIR={jobdir}: cannot make the folder ({error.strerror})"
    return None


def crawl_settings_problem(settings: BaseSettings) -> str | None:
    """The first problem of a crawl's settings: a ``number_settings_problem``, a ``coverage_problem`` or a
    renamed setting (``RENAMED_SETTINGS``), else ``None``."""
    if problem := number_settings_problem(settings) or coverage_problem(settings):
        return problem
    for old, new in RENAMED_SETTINGS.items():
        if settings.get(old) is not None:
            return f"-s {old} is now {new} (newsbot 0.5.0)"
    return None


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def archive_problem(folder: Path) -> str | None:
    """Why ``folder`` cannot be an archive folder (it or a parent is a file), else ``None``."""
    for path in (folder, *folder.parents):
        if path.exists():
            if not path.is_dir():
                named = "is a file" if path == folder else f"is inside {path}, a file"
                return f"the archive folder {folder} {named}, not a folder"
            return None
    return None


def unwritable(folder: Path) -> str | None:
    """Why posts cannot be written under ``folder`` (it, or the nearest folder above that exists, is read-only
    for this process), else ``None``."""
    existing = next((path for path in (folder, *folder.parents) if path.exists()), None)
    if existing is not None and not os.access(existing, os.W_OK | os.X_OK):
        return f"the archive folder {folder} is not writable ({existing} is read-only for this process)"
    return None


def crawler_summary(crawler: Crawler) -> dict[str, Any] | None:
    """The summary the ``Progress`` extension made of a crawler's run, ``None`` without one."""
    try:
        extension = crawler.get_extension(Progress)
    except RuntimeError:
        return None
    return extension.summary if extension is not None else None


def spider_argument_problem(
    spidercls: type[Spider], arguments: dict[str, Any], settings: BaseSettings | None = None
) -> str | None:
    """What a spider says of ``arguments`` (a missing, unknown or bad one) and, given ``settings``, of them
    under these settings, else ``None``.

    Spiders check their arguments in ``__init__``, which needs no crawler (Scrapy's convention); one whose
    arguments need the settings to be judged (a source name in the sources file) also has
    ``check_settings(settings)``, which its ``from_crawler`` calls too.
    """
    try:
        spider = spidercls(**arguments)
        if settings is not None and hasattr(spider, "check_settings"):
            spider.check_settings(settings)
    except TypeError as error:
        missing = re.findall(r"'(\w+)'", str(error))
        if "required" in str(error) and missing:
            return f"the {spidercls.name} spider needs " + " and ".join(
                f"-a {name}=VALUE" for name in missing
            )
        return f"the {spidercls.name} spider: {error}"
    except (KeyError, ValueError) as error:
        return str(error.args[0] if error.args else error)
    return None


logger = logging.getLogger(__name__)


class NewsbotCommand(ScrapyCommand):
    """A newsbot command: ``fail`` ends it with a one-line ``newsbot: error: ...`` and exit status 1, also logged
    as an ERROR when the log goes to a file (``LOG_FILE``, ``--logfile``, a Scrapyd job)."""

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        given = [setting.partition("=")[0] for setting in opts.set]
        if problem := (
            scrapy_setting_problem(self.settings, given)
            or log_level_problem(self.settings)
            or log_file_problem(self.settings)
        ):
            raise UsageError(problem)

    def fail(self, message: str) -> None:
        print(f"newsbot: error: {message}", file=sys.stderr)
        self.log_error(message)
        self.exitcode = EXIT_FAILED

    def check_index_url(self) -> None:
        """Refuse (``UsageError``) a ``NEWSBOT_INDEX_URL`` or ``REDIS_URL`` that is not one
        (``shared_settings_problem``)."""
        if problem := shared_settings_problem(self.settings):
            raise UsageError(problem)

    def log_error(self, message: str) -> None:
        """Log ``message`` as an ERROR where the log goes to a file (``LOG_FILE``: a Scrapyd job's log), so the
        reason a run never started is there too, even before Scrapy has configured logging."""
        if not self.settings.get("LOG_FILE"):
            return
        if not logging.root.handlers:
            configure_logging(self.settings)
        logger.error(message)

    def add_archive_option(self, parser: argparse.ArgumentParser) -> None:
        """``--archive DIR``, the archive folder, in every command that reads or writes one."""
        parser.add_argument(
            "--archive",
            metavar="DIR",
            help=f"the archive folder (default: the {ARCHIVE_SETTING} setting, 'output')",
        )

    def archive_folder(self, opts: argparse.Namespace, positional: Sequence[str] = ()) -> Path:
        """The archive folder from ``--archive``, a positional folder or the setting, which it also sets.

        Raises ``UsageError`` if two folders are given or the folder is a file.
        """
        given = {*positional, *([opts.archive] if opts.archive is not None else [])}
        if len(given) > 1:
            raise UsageError(f"give one archive folder, not {' and '.join(sorted(given))}")
        if given:
            self.settings.set(ARCHIVE_SETTING, given.pop(), priority="cmdline")
        if not str(self.settings[ARCHIVE_SETTING] or "").strip():
            raise UsageError(f"the archive folder is empty: give --archive DIR (or -s {ARCHIVE_SETTING}=DIR)")
        folder = Path(self.settings[ARCHIVE_SETTING])
        if problem := archive_problem(folder):
            raise UsageError(problem)
        return folder


class CrawlingCommand(NewsbotCommand, BaseRunSpiderCommand):
    """A command that runs crawls: ``-a NAME=VALUE``, ``-o``/``-O FILE`` feed exports, ``--archive DIR``."""

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        self.add_archive_option(parser)

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        if getattr(opts, "record", None) and Path(opts.record).is_dir():
            raise UsageError(f"--record FILE.warc.gz names a file to write, and {opts.record} is a folder")
        for feed in [*(opts.output or []), *(opts.overwrite_output or [])]:
            if Path(feed).is_dir():
                raise UsageError(
                    f"-o/-O FILE is a feed export of the items, as in Scrapy, and {feed} is a folder; "
                    "give the archive folder with --archive DIR"
                )
        super().process_options(args, opts)
        try:
            self.check_settings(opts)
        except UsageError as error:
            self.log_error(str(error))
            raise
        if problem := unreachable_server(self.settings):
            self.fail(problem)
            raise SystemExit(self.exitcode)

    def check_settings(self, opts: argparse.Namespace) -> None:
        """Refuse (``UsageError``) an archive folder posts cannot be written to, a number setting out of its range
        (``NUMBER_SETTINGS``), a ``NEWSBOT_MIN_COVERAGE`` that is no map of shares, a renamed setting, and a shared server's URL that is not one
        (``shared_settings_problem``)."""
        if problem := unwritable(self.archive_folder(opts)):
            raise UsageError(problem)
        if problem := crawl_settings_problem(self.settings) or jobdir_problem(self.settings):
            raise UsageError(problem)
        self.check_index_url()

    def max_failure_share(self) -> float:
        return self.settings.getfloat("NEWSBOT_MAX_FAILURE_SHARE", DEFAULT_MAX_FAILURE_SHARE)

    def finish(self, crawlers: Sequence[Crawler], extra: Outcome | None = None) -> Outcome:
        """Set the exit status from the crawlers' outcomes and ``extra`` (a failure the stats do not show, which
        is logged after the summaries), logging a total for several crawlers; returns the first failed outcome."""
        share = self.max_failure_share()
        outcomes = [crawler_outcome(crawler, share) for crawler in crawlers]
        if self.crawler_process.bootstrap_failed:
            outcomes.append(Outcome(EXIT_FAILED, "a crawl did not start"))
        summaries = [one for crawler in crawlers if (one := crawler_summary(crawler)) is not None]
        if len(summaries) > 1:
            log_summary(total_summary(summaries))
        if extra is not None:
            outcomes.append(extra)
            if not extra.ok:
                progress_logger.error(extra.headline(self.command_name()))
        worst = next((outcome for outcome in outcomes if not outcome.ok), None) or (
            outcomes[0] if outcomes else Outcome(EXIT_FAILED, "nothing ran")
        )
        self.exitcode = worst.exit_status
        return worst

    def command_name(self) -> str:
        """The command's name, as ``newsbot NAME`` runs it."""
        return type(self).__module__.rsplit(".", 1)[-1]
