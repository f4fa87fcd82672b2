"""Decide what is stored: new articles and updates pass; unchanged articles and duplicates are dropped."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.settings import BaseSettings
from scrapy.statscollectors import StatsCollector
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred

from newsbot.fingerprint import body_text, fingerprints, hamming
from newsbot.index import Entry, Index
from newsbot.index.backends import claims_of, open_index
from newsbot.pipelines.claims import CrawlClaims, InFlight
from newsbot.pipelines.store import post_of
from newsbot.post import Post, render, split
from newsbot.settings import NEWSBOT_NEAR_DUPLICATE_DISTANCE
from newsbot.storage import safe_component

logger = logging.getLogger(__name__)

NEW = "new"
UPDATED = "updated"
UNCHANGED = "unchanged"
DUPLICATE = "duplicate"
NEAR_DUPLICATE = "near_duplicate"
HEADLINE_FIELDS = ("title: ", "headimg: ")
CLAIM_POLL_SECONDS = 0.2
DROP_STATS = {
    UNCHANGED: "newsbot/unchanged",
    DUPLICATE: "newsbot/duplicates/exact",
    NEAR_DUPLICATE: "newsbot/duplicates/near",
}


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do with an article; ``match`` is the stored entry it repeats or updates."""

    outcome: str
    match: Entry | None = None

    @property
    def stored(self) -> bool:
        return self.outcome in (NEW, UPDATED)


def decide(
    key: str,
    body_hash: str,
    simhash_value: int,
    known: Entry | None,
    exact: Entry | None,
    near: Sequence[Entry],
    distance: int,
) -> Decision:
    """The outcome of an article given what the index holds.

    ``known`` is the entry of ``key`` (or of the article ``key`` is an alias of), ``exact`` an entry with the
    same body hash, ``near`` entries with a close SimHash. The same key with the same body is unchanged, with
    another body an update; otherwise the same body under another key is a duplicate, a body within
    ``distance`` bits a near duplicate, anything else new.
    """
    if known is not None and known.body_hash == body_hash:
        return Decision(UNCHANGED, known)
    if known is not None and known.key == key:
        return Decision(UPDATED, known)
    if exact is not None and exact.key != key:
        return Decision(DUPLICATE, exact)
    for entry in near:
        if entry.key != key and hamming(entry.simhash, simhash_value) <= distance:
            return Decision(NEAR_DUPLICATE, entry)
    return Decision(NEW)


def fingerprint(adapter: ItemAdapter) -> None:
    """Fill an article's ``body_hash`` (hex) and 64-bit ``simhash`` from the text of its normalised body."""
    adapter["body_hash"], adapter["simhash"] = fingerprints(body_text(adapter["body_html"]))


def headline(post_text: str) -> list[str]:
    """The front-matter lines of a post that a correction changes without touching the text."""
    front_matter, _ = split(post_text)
    return [line for line in front_matter.splitlines() if line.startswith(HEADLINE_FIELDS)]


def same_site(site: str, stored: Entry) -> bool:
    """Whether an article read from ``site`` (its folder name) may rewrite the ``stored`` post: only a page of
    the post's own site does; a copy elsewhere whose canonical link names the article is not an update."""
    return PurePosixPath(stored.path).parts[0] == safe_component(site)


class DedupePipeline:
    """Fingerprint each article's body (unless it comes fingerprinted: ``renormalise --workers``) and drop what
    the archive already holds (index in the output folder).

    An article already archived under its key keeps its stored date, wherever a later fetch reads one.
    """

    def __init__(
        self,
        output_dir: Path,
        distance: int,
        stats: StatsCollector,
        settings: BaseSettings | None = None,
        in_flight: InFlight | None = None,
    ) -> None:
        self.output_dir = output_dir
        self.distance = distance
        self.stats = stats
        self.settings = settings
        self.in_flight = in_flight or InFlight(distance)
        self.index: Index | None = None
        self.claims: CrawlClaims | None = None
        self.waiting: Deferred | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupePipeline:
        settings = crawler.settings
        distance = settings.getint("NEWSBOT_NEAR_DUPLICATE_DISTANCE", NEWSBOT_NEAR_DUPLICATE_DISTANCE)
        return cls(
            Path(settings.get("NEWSBOT_OUTPUT_DIR", "output")),
            distance,
            crawler.stats,
            settings,
            InFlight.of(crawler, distance),
        )

    def open_spider(self) -> None:
        self.index = open_index(self.output_dir, self.settings)
        self.claims = CrawlClaims(self.in_flight, claims_of(self.index))

    def close_spider(self) -> None:
        if self.index is not None:
            self.index.close()

    def decision(self, key: str, body_hash: str, simhash_value: int) -> Decision:
        """``decide`` against this pipeline's index (``Index.candidates``, one query), which is not searched for
        copies of a stored article's key."""
        found = self.index.candidates(key, body_hash, simhash_value, self.distance)
        known = found.known
        if known is not None and not (self.output_dir / known.path).is_file():
            logger.warning(
                "the index names %s for %s but the post is gone; storing it again", known.path, key
            )
            known = None
        if known is not None and known.key == key:
            return decide(key, body_hash, simhash_value, known, None, (), self.distance)
        return decide(key, body_hash, simhash_value, known, found.exact, found.near, self.distance)

    def headline_changed(self, stored: Entry, post: Post) -> bool:
        """Whether the stored post of the same article has another title or lead image (a correction)."""
        try:
            stored_text = (self.output_dir / stored.path).read_text(encoding="utf-8")
            return headline(stored_text) != headline(render(post))
        except (OSError, UnicodeDecodeError, ValueError):
            return True

    def process_item(self, item: object) -> object:
        """Judge the article at once when it can be claimed and none is waiting, else in its turn (a coroutine):
        articles are judged in the order they came, a close copy of one being stored after it."""
        adapter = ItemAdapter(item)
        if adapter.get("body_hash") is None or adapter.get("simhash") is None:
            fingerprint(adapter)
        claim = (adapter["key"], adapter["body_hash"], adapter["simhash"])
        if self.waiting is None and self.claims.claim(*claim):
            return self._judge_claimed(item, adapter, claim)
        return self._judge_in_turn(item, adapter, claim)

    async def _judge_in_turn(self, item: object, adapter: ItemAdapter, claim: tuple[str, str, int]) -> object:
        previous, self.waiting = self.waiting, Deferred()
        turn = self.waiting
        try:
            if previous is not None:
                await maybe_deferred_to_future(previous)
            while not self.claims.claim(*claim):
                self.stats.inc_value("newsbot/claims/waited")
                await maybe_deferred_to_future(self.claims.changed(CLAIM_POLL_SECONDS))
        finally:
            if self.waiting is turn:
                self.waiting = None
            turn.callback(None)
        return self._judge_claimed(item, adapter, claim)

    def _judge_claimed(self, item: object, adapter: ItemAdapter, claim: tuple[str, str, int]) -> object:
        try:
            return self.judge(item, adapter)
        except BaseException:
            self.claims.release(*claim)
            raise

    def judge(self, item: object, adapter: ItemAdapter) -> object:
        """Pass a claimed article on to the store, or drop it (``DropItem``) as unchanged or a duplicate."""
        key, url = adapter["key"], adapter["url"]
        decision = self.decision(key, adapter["body_hash"], adapter["simhash"])
        foreign = decision.match is not None and not same_site(adapter["site"], decision.match)
        if decision.stored and foreign:
            decision = Decision(UNCHANGED, decision.match)
        if decision.match is not None and decision.match.key == key:
            adapter["published"] = datetime.fromisoformat(decision.match.published)
        if (
            not foreign
            and decision.outcome == UNCHANGED
            and decision.match.key == key
            and self.headline_changed(decision.match, post_of(adapter))
        ):
            decision = Decision(UPDATED, decision.match)
        if decision.outcome == UPDATED:
            adapter["status"] = UPDATED
            adapter["path"] = decision.match.path
        if decision.stored:
            return item
        self.stats.inc_value(DROP_STATS[decision.outcome])
        match = decision.match
        if decision.outcome != UNCHANGED:
            self.index.alias(key, match.key)
        logger.info(
            "dropped %s: %s of %s (%s)", url, decision.outcome.replace("_", " "), match.key, match.path
        )
        raise DropItem(f"{decision.outcome}: {url} repeats {match.key}", log_level="DEBUG")
