"""The item every spider yields and every pipeline reads through ``itemadapter``: newsbot's public interface.

Feed exports (``-o``/``-O FILE``) serialise each field with its ``serializer`` so every value survives JSON:
``published`` as ISO 8601 with its offset, ``simhash`` (64 bits, past JavaScript's 2^53) as 16 hex digits,
``listed`` as an object of ISO 8601 times.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import scrapy

if TYPE_CHECKING:
    from newsbot.revisits import Seen


def iso_datetime(value: datetime) -> str:
    """``2025-11-19T20:47:55+08:00``: ISO 8601 with the UTC offset the page gave."""
    return value.isoformat()


def hex64(value: int) -> str:
    """A 64-bit unsigned integer as 16 lower-case hex digits, ``9cbe...``; ``ValueError`` outside 0..2^64-1."""
    if not 0 <= value < 1 << 64:
        raise ValueError(f"not a 64-bit unsigned integer: {value}")
    return f"{value:016x}"


def listing_note(value: Seen) -> dict[str, str | None]:
    """What a listing said of an article, as ``{"modified": ISO 8601 or null, "title": ..., "visited": ISO 8601}``
    (UTC)."""
    return {
        "modified": None if value.modified is None else value.modified.isoformat(),
        "title": value.title,
        "visited": value.visited.isoformat(),
    }


class Article(scrapy.Item):
    """One news article, from discovery to the stored post (types and units: README, "The item")."""

    url = scrapy.Field()
    canonical_url = scrapy.Field()
    key = scrapy.Field()
    site = scrapy.Field()
    categories = scrapy.Field()
    author = scrapy.Field()
    title = scrapy.Field()
    published = scrapy.Field(serializer=iso_datetime)
    body_html = scrapy.Field()
    outlet = scrapy.Field()
    editor = scrapy.Field()
    image = scrapy.Field()
    body_hash = scrapy.Field()
    simhash = scrapy.Field(serializer=hex64)
    status = scrapy.Field()
    path = scrapy.Field()
    listed = scrapy.Field(serializer=listing_note)
