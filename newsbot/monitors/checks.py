"""The alarm rules, as pure functions of a run's stats (and its source's earlier runs): each returns the
alarm messages, one line each naming the source, empty when the run looks healthy."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib import import_module
from types import ModuleType
from typing import Any

from newsbot.history import Run
from newsbot.monitors.coverage import FIELDS, coverage_stat, site_coverage
from newsbot.sites import SITE_MODULES

DOWNLOAD_FAILED_PREFIX = "newsbot/failed/download/"
# Fields a refused page is never read far enough to have; their share counts the pages read in full.
READ_IN_FULL_FIELDS = ("date", "image")


def _count(stats: Mapping[str, Any], key: str) -> int:
    return int(stats.get(key) or 0)


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f} %"


def site_module(site: str) -> ModuleType | None:
    """The site module whose ``NAME`` is ``site``, ``None`` for ``generic`` or an unknown name."""
    for name in SITE_MODULES:
        module = import_module(name)
        if site == module.NAME:
            return module
    return None


def site_rules(site: str) -> str:
    """Where ``site``'s reading rules live, for messages: ``newsbot/sites/sina.py`` or ``newsbot/generic.py``."""
    module = site_module(site)
    name = module.__name__ if module is not None else "newsbot.generic"
    return name.replace(".", "/") + ".py"


def site_thresholds(site: str, defaults: Mapping[str, float]) -> dict[str, float]:
    """The minimum coverage per field for ``site``: ``defaults`` (setting ``NEWSBOT_MIN_COVERAGE``) updated
    with the site module's own ``MIN_COVERAGE`` data, where it has one."""
    return {**defaults, **dict(getattr(site_module(site), "MIN_COVERAGE", {}))}


def coverage_alarms(
    source: str, stats: Mapping[str, Any], defaults: Mapping[str, float], min_pages: int
) -> list[str]:
    """A line per site and field found on fewer article pages than its threshold (0..1) requires.

    Title and body count every article page read; date and image the pages read in full (not refused).
    Sites with fewer than ``min_pages`` such pages are not judged."""
    alarms = []
    for site, counts in sorted(site_coverage(stats).items()):
        thresholds = site_thresholds(site, defaults)
        for field in FIELDS:
            pages = counts["pages"] - (counts["refused"] if field in READ_IN_FULL_FIELDS else 0)
            minimum = float(thresholds.get(field, 0.0))
            if pages < max(min_pages, 1) or counts[field] >= minimum * pages:
                continue
            read = "article pages read in full" if field in READ_IN_FULL_FIELDS else "article pages"
            alarms.append(
                f"{source}: {site}: {field} found on {counts[field]} of {pages} {read} "
                f"({_percent(counts[field], pages)}, at least {minimum * 100:.0f} % expected); its page layout may "
                f"have changed (rules: {site_rules(site)})"
            )
    return alarms


def refusal_alarms(source: str, stats: Mapping[str, Any], max_share: float, min_pages: int) -> list[str]:
    """A line when more than ``max_share`` (0..1) of the article pages were refused as not an article."""
    pages, refused = (
        _count(stats, coverage_stat(None, "pages")),
        _count(stats, coverage_stat(None, "refused")),
    )
    if pages < max(min_pages, 1) or refused <= max_share * pages:
        return []
    by_site = ", ".join(
        f"{site} ({site_rules(site)}) {counts['refused']}"
        for site, counts in sorted(site_coverage(stats).items())
        if counts["refused"]
    )
    return [
        f"{source}: {refused} of {pages} article pages refused as not an article ({_percent(refused, pages)}, "
        f"at most {max_share * 100:.0f} % expected): {by_site}"
    ]


def listing_alarms(source: str, stats: Mapping[str, Any], max_share: float) -> list[str]:
    """A line when more than ``max_share`` (0..1) of the listings failed; judged only where the spider counts
    the listings it sends (``newsbot/listings``)."""
    failed = _count(stats, "newsbot/failed/listing")
    listings = _count(stats, "newsbot/listings")
    if not listings or failed <= max_share * listings:
        return []
    return [
        f"{source}: {failed} of {listings} listings failed ({_percent(failed, listings)}, at most "
        f"{max_share * 100:.0f} % expected); the site may be down or its listing pages may have changed"
    ]


def download_alarms(source: str, stats: Mapping[str, Any], max_share: float, min_requests: int) -> list[str]:
    """A line when more than ``max_share`` (0..1) of the article requests failed to download, by reason
    (``newsbot/failed/download/<reason>``)."""
    failed = _count(stats, "newsbot/failed/download")
    requests = max(_count(stats, "newsbot/article_requests"), failed)
    if requests < max(min_requests, 1) or failed <= max_share * requests:
        return []
    reasons = sorted(
        (
            (name[len(DOWNLOAD_FAILED_PREFIX) :], int(value))
            for name, value in stats.items()
            if name.startswith(DOWNLOAD_FAILED_PREFIX)
        ),
        key=lambda pair: (-pair[1], pair[0]),
    )
    by_reason = ", ".join(f"{reason} {count}" for reason, count in reasons) or "reasons not counted"
    return [
        f"{source}: {failed} of {requests} article downloads failed ({_percent(failed, requests)}, at most "
        f"{max_share * 100:.0f} % expected): {by_reason}"
    ]


def streak_alarms(
    source: str, new: int, earlier: Sequence[Run], archived_before: int, runs: int
) -> list[str]:
    """A line when this run and the ``runs - 1`` before it (``earlier``, newest first) archived nothing new
    although the source's runs before them archived ``archived_before`` new articles."""
    streak = list(earlier[: max(runs - 1, 0)])
    if runs < 1 or new or len(streak) < runs - 1 or any(run.new for run in streak) or not archived_before:
        return []
    since = f" (since {streak[-1].started})" if streak else ""
    return [
        f"{source}: no new article in {runs} consecutive runs{since}, though its earlier runs archived "
        f"{archived_before}; its listings or its site may have changed"
    ]
