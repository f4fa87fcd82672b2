"""The ``newsbot`` script: Scrapy's command line with newsbot's settings and commands."""

from __future__ import annotations

import os
import sys

from scrapy.cmdline import execute


def main(argv: list[str] | None = None) -> None:
    """Run a newsbot command (``fetch``, ``crawl``, ``validate``, ...) as ``scrapy`` would."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "newsbot.settings")
    execute(["newsbot", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
