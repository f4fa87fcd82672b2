"""Claims on the articles a crawl is judging and storing, so two close articles are never both judged new."""

from __future__ import annotations

from weakref import WeakKeyDictionary

from scrapy.crawler import Crawler
from twisted.internet.defer import Deferred

from newsbot.fingerprint import hamming
from newsbot.index.backends import Claims

_IN_FLIGHT: WeakKeyDictionary[Crawler, InFlight] = WeakKeyDictionary()


class InFlight:
    """The articles of one crawl between their dedupe decision and their index record (the store writes posts
    off the reactor thread): a claim on the same key, the same body hash or a SimHash within ``distance`` bits
    of one held waits until it is released."""

    def __init__(self, distance: int) -> None:
        self.distance = distance
        self.held: dict[str, tuple[str, int]] = {}
        self.waiters: list[Deferred] = []

    @classmethod
    def of(cls, crawler: Crawler, distance: int) -> InFlight:
        """The one ``InFlight`` of ``crawler``, shared by its dedupe and store pipelines."""
        if crawler not in _IN_FLIGHT:
            _IN_FLIGHT[crawler] = cls(distance)
        return _IN_FLIGHT[crawler]

    def claim(self, key: str, body_hash: str, simhash: int) -> bool:
        if key in self.held or any(
            held_hash == body_hash or hamming(held_simhash, simhash) <= self.distance
            for held_hash, held_simhash in self.held.values()
        ):
            return False
        self.held[key] = (body_hash, simhash)
        return True

    def release(self, key: str, body_hash: str, simhash: int) -> None:
        if self.held.get(key) == (body_hash, simhash):
            del self.held[key]
            waiters, self.waiters = self.waiters, []
            for waiter in waiters:
                if not waiter.called:
                    waiter.callback(None)


class CrawlClaims:
    """This crawl's in-flight claims, then the index's claims among workers (``claims_of``); both or neither."""

    def __init__(self, in_flight: InFlight, shared: Claims) -> None:
        self.in_flight = in_flight
        self.shared = shared

    def claim(self, key: str, body_hash: str, simhash: int) -> bool:
        if not self.in_flight.claim(key, body_hash, simhash):
            return False
        if self.shared.claim(key, body_hash, simhash):
            return True
        self.in_flight.release(key, body_hash, simhash)
        return False

    def release(self, key: str, body_hash: str, simhash: int) -> None:
        self.shared.release(key, body_hash, simhash)
        self.in_flight.release(key, body_hash, simhash)

    def changed(self, poll_seconds: float) -> Deferred:
        """A ``Deferred`` fired at this crawl's next release, or after ``poll_seconds`` (for claims held by other
        workers, which tell nobody)."""
        from twisted.internet import reactor

        changed: Deferred = Deferred()
        self.in_flight.waiters.append(changed)
        reactor.callLater(poll_seconds, lambda: changed.called or changed.callback(None))
        return changed
