"""From a downloaded page to an ``Article`` item: decode, pick the site's rules or the generic ones, extract."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from scrapy.http import Response
from scrapy.statscollectors import StatsCollector

from newsbot import generic
from newsbot.charset import decode_html
from newsbot.dates import fetched_at
from newsbot.items import Article
from newsbot.monitors.coverage import count_page, coverage_site, found_fields, refused_fields
from newsbot.sites import site_for_url
from newsbot.sites.base import Categories, Extracted, NotAnArticle


@dataclass(frozen=True, slots=True)
class Page:
    """What one page gives: the site folder its post goes to, the post's categories, the extracted parts."""

    site: str
    categories: Categories
    extracted: Extracted


def extract_page(text: str, url: str, fetched: datetime | None = None) -> Page:
    """Read one page with its site's module, else the generic extractor; raise ``NotAnArticle`` otherwise.

    Relative times the page shows (``3小时前``) count back from ``fetched`` (aware), else from the clock."""
    site = site_for_url(url)
    with fetched_at(fetched):
        if site is None:
            return Page(generic.site_name(url), generic.categories(url), generic.extract(text, url))
        return Page(site.NAME, site.categories(url), site.extract(text, url))


def read_article(
    text: str, url: str, fallback_published: datetime | None = None, fetched: datetime | None = None
) -> tuple[Article, frozenset[str]]:
    """The article of one page (see ``extract_page``) and the fields it had (``found_fields``);
    ``fallback_published`` dates an undated page, ``fetched`` is when it was fetched (relative times count back
    from it). ``NotAnArticle`` as ``extract_page``."""
    page = extract_page(text, url, fetched)
    extracted = page.extracted
    article = Article(
        url=url,
        canonical_url=extracted.canonical_url,
        site=page.site,
        categories=page.categories.as_tuple(),
        author=page.categories.site,
        title=extracted.title,
        published=extracted.published or fallback_published,
        body_html=extracted.body_html,
        outlet=extracted.outlet,
        editor=extracted.editor,
    )
    return article, found_fields(extracted)


def count_coverage(stats: StatsCollector, url: str, fields: frozenset[str], refusal: str | None = None) -> None:
    """Count one page of ``url`` in the field coverage (``newsbot.monitors.coverage``): the ``fields`` it had,
    or, refused with ``refusal``, those read before the one it lacked."""
    site = coverage_site(url)
    if refusal is None:
        count_page(stats, site, fields)
    else:
        count_page(stats, site, refused_fields(site, refusal), refused=True)


def article_from_page(
    text: str,
    url: str,
    fallback_published: datetime | None = None,
    fetched: datetime | None = None,
    stats: StatsCollector | None = None,
) -> Article:
    """The article of one page (``read_article``); with ``stats``, the page's field coverage is counted
    (``count_coverage``), refused or not."""
    try:
        article, fields = read_article(text, url, fallback_published, fetched)
    except NotAnArticle as refusal:
        if stats is not None:
            count_coverage(stats, url, frozenset(), str(refusal))
        raise
    if stats is not None:
        count_coverage(stats, url, fields)
    return article


def response_date(response: Response) -> datetime | None:
    """When the server says it sent the response (its ``Date`` header, RFC 9110), or ``None``."""
    header = response.headers.get("Date")
    if not header:
        return None
    try:
        moment = parsedate_to_datetime(header.decode("latin-1"))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def article_from_response(
    response: Response, fallback_published: datetime | None = None, stats: StatsCollector | None = None
) -> Article:
    """Extract the article of a response, decoding its body with a checked charset; relative times count
    back from the response's ``Date``, else from the clock (``stats``: see ``article_from_page``)."""
    text = decode_html(response.body, getattr(response, "encoding", None))
    return article_from_page(text, response.url, fallback_published, response_date(response), stats)
