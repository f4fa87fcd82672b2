"""``newsbot renormalise FILE.warc.gz... --archive DIR``: derive every post again from recorded pages."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import frontmatter
from itemadapter import ItemAdapter
from scrapy.crawler import Crawler

from newsbot.command import CrawlingCommand
from newsbot.commands.replay import Command as ReplayCommand
from newsbot.pipelines.dedupe import UNCHANGED, UPDATED, Decision, DedupePipeline

logger = logging.getLogger(__name__)

DEDUPE = "newsbot.pipelines.dedupe.DedupePipeline"


def archived_filing(path: Path) -> tuple[tuple[str, ...], str] | None:
    """The categories and author of a stored post, ``None`` if it cannot be read."""
    try:
        meta = frontmatter.loads(path.read_text(encoding="utf-8")).metadata
    except (OSError, ValueError) as error:
        logger.warning("cannot read the filing of %s: %s", path, error)
        return None
    categories, author = meta.get("categories"), meta.get("author")
    if not (isinstance(categories, list) and len(categories) == 3 and isinstance(author, str)):
        logger.warning("no categories and author in %s", path)
        return None
    return tuple(str(name) for name in categories), author


class RederivePipeline(DedupePipeline):
    """Dedupe that lets an article stored under its own key through to the store, which rewrites its post
    only if it comes out different; duplicates of other articles are still dropped.

    The stored post keeps its path and filing (categories, author): the crawl that found the article filed it
    by the listing it came from, which the page alone does not tell.
    """

    def decision(self, key: str, body_hash: str, simhash_value: int) -> Decision:
        decision = super().decision(key, body_hash, simhash_value)
        if decision.outcome == UNCHANGED and decision.match.key == key:
            return Decision(UPDATED, decision.match)
        return decision

    def process_item(self, item: object) -> object:
        adapter = ItemAdapter(super().process_item(item))
        if adapter.get("status") == UPDATED and (
            filing := archived_filing(self.output_dir / adapter["path"])
        ):
            adapter["categories"], adapter["author"] = filing
        return item


class Command(ReplayCommand):
    """Replay the ``warc`` spider over all recordings as one: each URL's latest HTML page, by WARC-Date,
    through its site's extraction, normalise, dedupe and store; posts that come out the same stay untouched."""

    def syntax(self) -> str:
        return "[options] <file.warc.gz> [file.warc.gz ...]"

    def short_desc(self) -> str:
        return "Derive every post again from WARC recordings (after an extractor fix), without the network"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        CrawlingCommand.add_options(self, parser)
        self.add_replay_options(parser)

    @property
    def name(self) -> str:
        return "renormalise"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        runs = self.load_runs(args)
        if runs is None:
            return None
        pages = len(
            {key for run in runs for key, refs in run.responses.items() if any(r.is_html for r in refs)}
        )
        pipelines = dict(self.settings.getdict("ITEM_PIPELINES"))
        pipelines[f"{__name__}.{RederivePipeline.__name__}"] = pipelines.pop(DEDUPE, 400)
        self.settings.set("ITEM_PIPELINES", pipelines, priority="cmdline")
        self.settings.set("ROBOTSTXT_OBEY", False, priority="cmdline")
        self.crawlers: list[Crawler] = [self._create_crawler("warc")]
        self.crawler_process.crawl(self.crawlers[0], **opts.spargs)
        self.crawler_process.start()
        self.report(f"{pages} recorded page(s)")
        return None
