"""newsbot's own signals, sent and connected like Scrapy's (``crawler.signals``), and what is kept from them."""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.signalmanager import SignalManager

item_stored = object()
"""Sent by the store pipeline once an article's post is written and indexed, before any later pipeline runs;
arguments: ``item`` (its ``path`` and ``status`` set)."""


class StoredItems:
    """The keys of the items the store archived (``item_stored``) that later pipelines have not finished with
    (no ``item_scraped`` or ``item_dropped`` yet); ``item in stored`` asks by the item's ``key``. An owner
    handling ``item_error`` calls ``discard`` once it has asked."""

    def __init__(self, signal_manager: SignalManager) -> None:
        self.keys: set[str] = set()
        signal_manager.connect(self.add, signal=item_stored)
        signal_manager.connect(self.discard, signal=signals.item_scraped)
        signal_manager.connect(self.discard, signal=signals.item_dropped)

    def add(self, item: Any) -> None:
        self.keys.add(ItemAdapter(item).get("key"))

    def discard(self, item: Any) -> None:
        self.keys.discard(ItemAdapter(item).get("key"))

    def __contains__(self, item: Any) -> bool:
        return ItemAdapter(item).get("key") in self.keys
