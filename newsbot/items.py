"""The item every spider yields and every pipeline reads through ``itemadapter``."""

from __future__ import annotations

import scrapy


class Article(scrapy.Item):
    """One news article, from discovery to the stored post."""

    url = scrapy.Field()
    canonical_url = scrapy.Field()
    key = scrapy.Field()
    site = scrapy.Field()
    categories = scrapy.Field()
    author = scrapy.Field()
    title = scrapy.Field()
    published = scrapy.Field()
    body_html = scrapy.Field()
    outlet = scrapy.Field()
    editor = scrapy.Field()
    image = scrapy.Field()
    body_hash = scrapy.Field()
    simhash = scrapy.Field()
    status = scrapy.Field()
    path = scrapy.Field()
