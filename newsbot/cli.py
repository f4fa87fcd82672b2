"""The ``newsbot`` script: Scrapy's command line under newsbot's name, settings and commands.

It follows ``scrapy.cmdline.execute`` step for step, but every usage and help line says ``newsbot``, a usage
error is one line (exit status 2), and ``newsbot --version`` prints newsbot's version beside Scrapy's.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import NoReturn

import scrapy
from scrapy.cmdline import ScrapyArgumentParser, _get_commands_dict, _pop_command_name, _run_command
from scrapy.commands import ScrapyCommand, ScrapyHelpFormatter
from scrapy.crawler import AsyncCrawlerProcess, CrawlerProcess
from scrapy.exceptions import UsageError
from scrapy.settings import Settings
from scrapy.utils.ossignal import install_shutdown_handlers
from scrapy.utils.project import get_project_settings, inside_project
from scrapy.utils.reactor import _asyncio_reactor_path

from newsbot import __version__
from newsbot.outcome import EXIT_USAGE

PROG = "newsbot"


def version_line() -> str:
    """``newsbot 0.5.2 (Scrapy 2.19.0)``."""
    return f"{PROG} {__version__} (Scrapy {scrapy.__version__})"


class NewsbotArgumentParser(ScrapyArgumentParser):
    """Scrapy's argument parser whose errors are one line, ``newsbot CMD: error: ...``, and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see: {self.prog} -h)\n")


class NewsbotHelpFormatter(ScrapyHelpFormatter):
    """Scrapy's help formatter, whose headings are only section titles: an option's help wrapped after a colon
    (``(default:``) stays a help line instead of becoming an underlined, title-cased heading."""

    def format_part_strings(self, part_strings: list[str]) -> list[str]:
        if part_strings and part_strings[0].startswith(" "):
            return part_strings  # one option's parts: its indented invocation, then its help lines
        return super().format_part_strings(part_strings)


def usage_error(parser: NewsbotArgumentParser, error: UsageError) -> NoReturn:
    """Leave with ``newsbot CMD: error: MESSAGE`` (the command's help for a ``UsageError`` without one), status 2."""
    if message := str(error).strip():
        parser.error(message)
    parser.print_help(sys.stderr)
    sys.exit(EXIT_USAGE)


def print_commands(commands: dict[str, ScrapyCommand]) -> None:
    """The list ``newsbot`` and ``newsbot --help`` print."""
    print(f"{version_line()}\n\nUsage:\n  {PROG} <command> [options] [args]\n\nAvailable commands:")
    for name, command in sorted(commands.items()):
        print(f"  {name:<13} {command.short_desc()}")
    print(f'\nUse "{PROG} <command> -h" to see more info about a command')


def build_parser(name: str, command: ScrapyCommand) -> NewsbotArgumentParser:
    """The parser of ``newsbot NAME``, with the command's options added (``command.settings`` must be set)."""
    parser = NewsbotArgumentParser(
        prog=f"{PROG} {name}",
        formatter_class=NewsbotHelpFormatter,
        usage=f"{PROG} {name} {command.syntax()}",
        conflict_handler="resolve",
        description=command.long_desc(),
    )
    command.add_options(parser)
    return parser


def command_settings(command: ScrapyCommand, settings: Settings) -> Settings:
    """``settings`` with the command's defaults, given to the command."""
    settings.setdict(command.default_settings, priority="command")
    command.settings = settings
    return settings


def execute(argv: list[str]) -> NoReturn:
    """Run ``newsbot ARGV...`` and exit with the command's status (2 for a usage error)."""
    settings = get_project_settings()
    commands = _get_commands_dict(settings, inside_project())
    argv = [PROG, *argv]
    name = _pop_command_name(argv)
    if not name:
        if "--version" in argv:
            print(version_line())
        else:
            print_commands(commands)
        sys.exit(0)
    if name not in commands:
        print(f"{PROG}: error: unknown command {name!r} (see: {PROG} --help)", file=sys.stderr)
        sys.exit(EXIT_USAGE)
    command = commands[name]
    command_settings(command, settings)
    parser = build_parser(name, command)
    opts, args = parser.parse_known_args(args=argv[1:])
    if unknown := [arg for arg in args if arg.startswith("-") and arg != "-"]:
        parser.error(f"unknown option {unknown[0]}")
    try:
        command.process_options(args, opts)
    except UsageError as error:
        usage_error(parser, error)
    if command.requires_crawler_process:
        if (
            settings["TWISTED_REACTOR"] == _asyncio_reactor_path
            and not settings.getbool("FORCE_CRAWLER_PROCESS")
        ) or not settings.getbool("TWISTED_REACTOR_ENABLED"):
            command.crawler_process = AsyncCrawlerProcess(settings)
        else:
            command.crawler_process = CrawlerProcess(settings)
    try:
        _run_command(command, args, opts)
    except UsageError as error:
        usage_error(parser, error)
    install_shutdown_handlers(signal.SIG_IGN)
    sys.exit(command.exitcode)


def main(argv: list[str] | None = None) -> None:
    """Run a newsbot command (``fetch``, ``crawl``, ``validate``, ...) as ``scrapy`` would."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "newsbot.settings")
    execute(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    main()
