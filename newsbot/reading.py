"""One downloaded article page read whole, as a page worker process reads it (``newsbot.workers``): decoded,
extracted, its body normalised (SPEC.md, Body) and fingerprinted. Pure functions of their arguments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from newsbot import body
from newsbot.charset import decode_html
from newsbot.extraction import read_article
from newsbot.fingerprint import body_text, fingerprints
from newsbot.items import Article
from newsbot.sites import kept_blocks
from newsbot.sites.base import NotAnArticle


class NormalisedBody(NamedTuple):
    """The archived body HTML, its first image URL (or ``None``), its body hash (hex) and 64-bit SimHash."""

    html: str
    first_image: str | None
    body_hash: str
    simhash: int


def normalised_body(served_html: str, url: str) -> NormalisedBody | None:
    """The archived form of the body served at ``url`` with its fingerprints; ``None`` when it shows nothing."""
    html, first_image = body.normalise(served_html, url, kept_blocks(url))
    text = body_text(html)
    if not text and not body.has_text(html):
        return None
    return NormalisedBody(html, first_image, *fingerprints(text))


def with_body(article: Article, normalised: NormalisedBody) -> Article:
    """``article`` with its archived body, fingerprints and first image (the ``image`` field, ``None`` without
    one) filled from ``normalised``."""
    article["body_html"] = normalised.html
    article["body_hash"] = normalised.body_hash
    article["simhash"] = normalised.simhash
    article["image"] = normalised.first_image
    return article


@dataclass(frozen=True, slots=True)
class PageRead:
    """What one article page gave: the article (``None`` when refused, ``refusal`` then saying why) and the
    fields the page had for coverage (``newsbot.monitors.coverage.found_fields``)."""

    article: Article | None
    refusal: str | None
    fields: frozenset[str]


def read_page(
    data: bytes,
    declared_encoding: str | None,
    url: str,
    fallback_published: datetime | None = None,
    fetched: datetime | None = None,
    normalise: bool = True,
) -> PageRead:
    """Decode and extract the page of ``url`` (``data`` its bytes as served, ``declared_encoding`` what the
    response said; see ``extraction.read_article``), then, with ``normalise``, normalise and fingerprint its
    body. An article whose normalised body shows nothing keeps ``body_hash`` unset and an empty body, so the
    normalise pipeline refuses it as it refuses any other."""
    try:
        article, fields = read_article(decode_html(data, declared_encoding), url, fallback_published, fetched)
    except NotAnArticle as refusal:
        return PageRead(None, str(refusal), frozenset())
    if normalise:
        normalised = normalised_body(article.get("body_html") or "", url)
        if normalised is None:
            article["body_html"] = ""
        else:
            with_body(article, normalised)
    return PageRead(article, None, fields)
