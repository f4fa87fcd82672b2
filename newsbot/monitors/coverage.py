"""Field coverage: which of an article page's fields the extractor found, counted as Scrapy stats per site.

Stats, per site module (``sina``, ... or ``generic``): ``newsbot/coverage/<site>/pages`` (article pages read,
refused ones included), ``newsbot/coverage/<site>/refused`` (refused as not an article) and
``newsbot/coverage/<site>/<field>`` (pages where the field was found); the same without ``<site>/`` for the
whole run.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from newsbot.body import parse_fragment
from newsbot.sites import site_for_url
from newsbot.sites.base import Extracted

FIELDS = ("title", "date", "body", "image")
# A refused page is read no further than the field it lacked: site modules read the title before the body,
# the generic extractor the body before the title.
READING_ORDER = {"generic": ("body", "title")}
SITE_READING_ORDER = ("title", "body")
PREFIX = "newsbot/coverage"
# A body without this has no image element, and its parse can be spared.
_IMG_TAG = re.compile(r"<img[\s/>]", re.IGNORECASE)
GENERIC = "generic"


def coverage_stat(site: str | None, name: str) -> str:
    """The stat name of ``name`` (``pages``, ``refused`` or a field) for ``site``, or the run's when ``None``."""
    return f"{PREFIX}/{site}/{name}" if site else f"{PREFIX}/{name}"


def coverage_site(url: str) -> str:
    """The site module whose rules read ``url`` (its ``NAME``), or ``generic``."""
    return getattr(site_for_url(url), "NAME", GENERIC)


def found_fields(extracted: Extracted) -> frozenset[str]:
    """The fields an extracted page has: its title, its own date, a body, an image inside the body."""
    found = {"body"}
    if extracted.title:
        found.add("title")
    if extracted.published is not None:
        found.add("date")
    if _IMG_TAG.search(extracted.body_html) and parse_fragment(extracted.body_html).xpath(
        ".//img[normalize-space(@src)]"
    ):
        found.add("image")
    return frozenset(found)


def refused_fields(site: str, reason: str) -> frozenset[str]:
    """The fields a page refused with ``reason`` is known to have had: those read before the one it lacked.

    A reason naming neither the title nor the body (an unparsable page) leaves none."""
    order = READING_ORDER.get(site, SITE_READING_ORDER)
    for position, field in enumerate(order):
        if field in reason:
            return frozenset(order[:position])
    return frozenset()


def count_page(stats: Any, site: str, found: Iterable[str], refused: bool = False) -> None:
    """Count one article page of ``site`` with the ``found`` fields in a Scrapy stats collector."""
    found = set(found)
    for scope in (site, None):
        stats.inc_value(coverage_stat(scope, "pages"))
        if refused:
            stats.inc_value(coverage_stat(scope, "refused"))
        for field in FIELDS:
            if field in found:
                stats.inc_value(coverage_stat(scope, field))


def site_coverage(stats: dict[str, Any]) -> dict[str, dict[str, int]]:
    """Per site, its ``pages``, ``refused`` and per-field counts, from a run's stats (absent counts are 0)."""
    sites: dict[str, dict[str, int]] = {}
    prefix = PREFIX + "/"
    for name, value in stats.items():
        parts = name[len(prefix) :].split("/") if name.startswith(prefix) else []
        if len(parts) == 2:
            counts = sites.setdefault(parts[0], dict.fromkeys(("pages", "refused", *FIELDS), 0))
            counts[parts[1]] = int(value)
    return sites
