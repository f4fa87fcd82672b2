"""How a run ended: its exit status and the first line of its summary, from Scrapy's stats alone.

Exit status: ``0`` when the run did its job, ``1`` when it failed, ``2`` for a usage error (Scrapy's
``UsageError``). A run failed when it did not finish, when a monitor raised an alarm (``newsbot/alarms``),
when a write to the archive failed (``newsbot/failed_writes``: a post, the index, the failed-article ledger,
the walks, the listing notes or the run history), when it archived nothing and something failed, when
failures exceed ``max_failure_share`` of the articles and listings it tried, or when a pipeline after the store raised on a stored article
(``newsbot/failed_after_store``: the post is archived and counted once, as new or updated). Items a listing named but that could not be read (``newsbot/failed/item``: bad
data from the source, refused and counted) count towards the first rule, not the share.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
DEFAULT_MAX_FAILURE_SHARE = 0.25

ARCHIVED_STATS = ("newsbot/new", "newsbot/updated")
DONE_STATS = (*ARCHIVED_STATS, "newsbot/unchanged", "newsbot/duplicates/exact", "newsbot/duplicates/near")
FAILED_STAT = "newsbot/failed"
LISTING_FAILED_STAT = "newsbot/failed/listing"
ITEM_REFUSED_STAT = "newsbot/failed/item"
LISTING_STAT = "newsbot/listings"
AFTER_STORE_STAT = "newsbot/failed_after_store"
ALARMS_STAT = "newsbot/alarms"
RESTORED_STAT = "newsbot/restored"
FAILED_WRITES_STAT = "newsbot/failed_writes"


def _count(stats: Mapping[str, Any], *keys: str) -> int:
    return sum(int(stats.get(key) or 0) for key in keys)


def failed_write_reasons(stats: Mapping[str, Any]) -> str:
    """The failed writes by what and why, from ``newsbot/failed_writes/<what>/<reason>``: ``ledger no_space 3,
    posts no_space 2``, the most first."""
    prefix = f"{FAILED_WRITES_STAT}/"
    counts = {
        key[len(prefix) :].replace("/", " "): int(value or 0)
        for key, value in stats.items()
        if key.startswith(prefix)
    }
    return ", ".join(
        f"{name} {count}" for name, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    )


@dataclass(frozen=True, slots=True)
class Outcome:
    """A run's verdict: ``exit_status`` (0 or 1) and ``reason``, the words after ``ok:`` or ``FAILED:``."""

    exit_status: int
    reason: str

    @property
    def ok(self) -> bool:
        return self.exit_status == EXIT_OK

    def headline(self, source: str) -> str:
        """The summary's first line: ``sina-finance: ok: 3 new, 1 updated`` (``3 new, 1 restored, 1 updated``
        when posts deleted by hand were written again, ``newsbot/restored``) or ``…: FAILED: …``."""
        return f"{source}: {'ok' if self.ok else 'FAILED'}: {self.reason}"


def run_outcome(stats: Mapping[str, Any], max_failure_share: float = DEFAULT_MAX_FAILURE_SHARE) -> Outcome:
    """The outcome of one crawl from its stats (``crawler.stats.get_stats()``); ``max_failure_share`` in 0..1.

    Failures are ``newsbot/failed`` (articles and items refused or failed) plus ``newsbot/failed/listing``.
    """
    archived = _count(stats, *ARCHIVED_STATS)
    done = _count(stats, *DONE_STATS)
    failed = _count(stats, FAILED_STAT, LISTING_FAILED_STAT)
    alarms = _count(stats, ALARMS_STAT)
    listings_failed = _count(stats, LISTING_FAILED_STAT)
    listings = _count(stats, LISTING_STAT)
    reason = stats.get("finish_reason", "finished" if stats.get("start_time") is None else None)
    if reason is None:
        return Outcome(EXIT_FAILED, "the crawl did not finish (a forced shutdown)")
    if reason != "finished":
        return Outcome(EXIT_FAILED, f"the crawl stopped early ({reason})")
    if alarms:
        return Outcome(EXIT_FAILED, f"{alarms} monitor alarm{'s' * (alarms != 1)}")
    if listings and listings_failed >= listings:
        return Outcome(EXIT_FAILED, f"every listing failed ({listings_failed} of {listings})")
    if failed_writes := _count(stats, FAILED_WRITES_STAT):
        writes = f"{failed_writes} write{'s' * (failed_writes != 1)} to the archive failed"
        updated = _count(stats, "newsbot/updated")
        done_part = f"{archived - updated} new, {updated} updated, but " if archived else ""
        return Outcome(EXIT_FAILED, f"{done_part}{writes} ({failed_write_reasons(stats)})")
    if failed and not archived:
        return Outcome(EXIT_FAILED, f"nothing archived, {failed} failed")
    tried_failed = failed - _count(stats, ITEM_REFUSED_STAT)
    if tried_failed and tried_failed > max_failure_share * (tried_failed + done):
        share = tried_failed / (tried_failed + done)
        return Outcome(EXIT_FAILED, f"{tried_failed} failed of {tried_failed + done} tried ({share:.0%})")
    if not archived:
        return Outcome(EXIT_OK, "nothing new")
    updated = _count(stats, "newsbot/updated")
    restored = _count(stats, RESTORED_STAT)
    counts = f"{archived - updated - restored} new, {f'{restored} restored, ' if restored else ''}{updated} updated"
    if after_store := _count(stats, AFTER_STORE_STAT):
        return Outcome(
            EXIT_FAILED, f"{counts}, but a pipeline after the store raised on {after_store} of them"
        )
    return Outcome(EXIT_OK, counts)
