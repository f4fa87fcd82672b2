"""newsbot's own signals, sent and connected like Scrapy's (``crawler.signals``)."""

item_stored = object()
"""Sent by the store pipeline once an article's post is written and indexed, before any later pipeline runs;
arguments: ``item`` (its ``path`` and ``status`` set)."""
