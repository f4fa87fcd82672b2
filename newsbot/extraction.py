"""From a downloaded page to an ``Article`` item: decode, pick the site's rules, extract."""

from __future__ import annotations

from datetime import datetime
from types import ModuleType

from scrapy.http import Response

from newsbot.charset import decode_html
from newsbot.items import Article
from newsbot.sites import site_for_url
from newsbot.sites.base import NotAnArticle


def article_from_page(
    text: str, url: str, site: ModuleType, fallback_published: datetime | None = None
) -> Article:
    """Extract the article of one page with its site's rules; raise ``NotAnArticle`` otherwise."""
    extracted = site.extract(text, url)
    categories = site.categories(url)
    return Article(
        url=url,
        canonical_url=extracted.canonical_url,
        site=site.NAME,
        categories=categories.as_tuple(),
        author=categories.site,
        title=extracted.title,
        published=extracted.published or fallback_published,
        body_html=extracted.body_html,
        outlet=extracted.outlet,
        editor=extracted.editor,
    )


def article_from_response(response: Response, fallback_published: datetime | None = None) -> Article:
    """Extract the article of a response, decoding its body with a checked charset."""
    site = site_for_url(response.url)
    if site is None:
        raise NotAnArticle(f"no site rules for {response.url}")
    text = decode_html(response.body, getattr(response, "encoding", None))
    return article_from_page(text, response.url, site, fallback_published)
