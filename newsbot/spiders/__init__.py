"""newsbot's spiders, and what the discovering ones share: asking the archive before requesting an article,
and keeping every article they ask for in the failed-article ledger (``newsbot.ledger``) until it is archived."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from itemadapter import ItemAdapter
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from newsbot.distributed import joined_run
from newsbot.failed_writes import count_failed_write
from newsbot.identity import article_key
from newsbot.index.backends import INDEX_ERRORS, open_index
from newsbot.ledger import (
    DEFAULT_MAX_ATTEMPTS,
    DEFAULT_RETRY_BACKOFF,
    MISSING_POST,
    LedgerEntry,
    RetryLater,
    missing_posts,
    open_ledger,
    utc_now,
)
from newsbot.outcome import RESTORED_STAT
from newsbot.signals import item_stored

logger = logging.getLogger(__name__)

ROBOTS_REFUSAL = "Forbidden by robots.txt"
NO_ARTICLE = "its page gave no article (refused or a spider error; the log says why)"


# Spider attributes Scrapy's own components read, so ``-a NAME=VALUE`` sets them on any spider (Scrapy's docs,
# "Spider arguments"; e.g. ``HttpAuthMiddleware``, ``UserAgentMiddleware``, ``DownloadTimeoutMiddleware``).
SCRAPY_SPIDER_ATTRIBUTES = frozenset(
    {
        "allowed_domains",
        "download_maxsize",
        "download_timeout",
        "download_warnsize",
        "handle_httpstatus_list",
        "http_auth_domain",
        "http_pass",
        "http_user",
        "user_agent",
    }
)


def spider_parameters(spidercls: type[Spider]) -> tuple[str, ...]:
    """The named arguments ``spidercls.__init__`` takes (``-a NAME=VALUE``), without ``*args``/``**kwargs``."""
    return tuple(
        name
        for name, parameter in inspect.signature(spidercls.__init__).parameters.items()
        if name != "self" and parameter.kind in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY)
    )


def check_argument_names(spidercls: type[Spider], names: Iterable[str]) -> None:
    """Refuse (``ValueError``) a spider argument ``spidercls`` would silently ignore: one it does not take, that
    is no spider attribute Scrapy reads (``SCRAPY_SPIDER_ATTRIBUTES``) and does not start with ``_`` (Scrapyd's
    ``_job``)."""
    taken = spider_parameters(spidercls)
    for name in names:
        if name not in taken and name not in SCRAPY_SPIDER_ATTRIBUTES and not name.startswith("_"):
            takes = f"it takes -a {', '.join(taken)}" if taken else "it takes none"
            raise ValueError(f"the {spidercls.name} spider has no argument -a {name}; {takes}")


def boolean_argument(name: str, value: bool | str) -> bool:
    """A yes/no spider argument: ``true``/``false``, ``yes``/``no``, ``1``/``0`` (any case); ``ValueError``
    naming ``name`` otherwise."""
    if isinstance(value, bool):
        return value
    word = value.strip().lower()
    if word not in ("1", "true", "yes", "0", "false", "no"):
        raise ValueError(f"-a {name}={value}: expected true or false")
    return word in ("1", "true", "yes")


def failure_reason(failure: Failure) -> str:
    """A short reason for a failed request: ``HTTP 404``, ``TimeoutError``, ..."""
    if failure.check(HttpError):
        return f"HTTP {failure.value.response.status}"
    return type(failure.value).__name__


def retryable(failure: Failure) -> bool:
    """Whether a failed article download may succeed later: server errors (5xx), 408, 429, timeouts and
    connection errors may; other HTTP 4xx (the server says the page is gone or not for us) and requests a
    middleware gave up (redirect limit, robots.txt) answer the same next time."""
    if failure.check(HttpError):
        status = failure.value.response.status
        return status >= 500 or status in (408, 429)
    return not failure.check(IgnoreRequest)


class UnseenArticles:
    """The article keys a crawl of ``source`` still has to request, and its failed-article ledger.

    ``new_key`` gives a key neither asked for in this run nor in the archive (known ones are counted as
    ``newsbot/skipped_known``) and enters it in the ledger with the ``context`` the spider needs to ask again;
    ``due`` asks the ledger's due entries again through the spider's ``rebuild``; the spider's article errback
    calls ``failed``. Items stored, unchanged or duplicates leave the ledger; failures stay with a next try
    (the next run, then ``NEWSBOT_RETRY_BACKOFF`` seconds doubled each time) until ``NEWSBOT_MAX_ATTEMPTS``,
    then are given up (``newsbot/ledger/given_up``). Index entries under ``folders`` whose post is missing enter
    it as due; their posts written again are counted as ``newsbot/restored`` too (they are no new articles).
    An article whose page this process received and that gave no item is given up when the run finishes; one it
    never received (another worker of a shared frontier took it) stays as the ledger holds it. Keys whose
    ledger entry could not be written and that the archive does not hold when the run closes are
    ``unaccounted``: a spider that walks listings leaves its walks open for the next run then.
    """

    def __init__(self, crawler: Crawler, source: str = "", folders: Iterable[str] = ()) -> None:
        settings = self.settings = crawler.settings
        self.stats = crawler.stats
        self.source = source or crawler.spider.name
        self.max_attempts = settings.getint("NEWSBOT_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS)
        self.backoff = settings.getfloat("NEWSBOT_RETRY_BACKOFF", DEFAULT_RETRY_BACKOFF)
        self.requested: set[str] = set()
        self.unknown_missing = 0
        self.pending: dict[str, str] = {}
        self.received: set[str] = set()
        self.restoring: set[str] = set()
        self.unrecorded: set[str] = set()
        self.unaccounted: set[str] = set()
        output_dir = self.output_dir = Path(settings.get("NEWSBOT_OUTPUT_DIR", "output"))
        self.index = open_index(output_dir, settings)
        self.ledger = open_ledger(output_dir, settings)
        self.crawler = crawler
        crawler.signals.connect(self.response_received, signal=signals.response_received)
        crawler.signals.connect(self.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(self.item_stored, signal=item_stored)
        crawler.signals.connect(self.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(self.item_error, signal=signals.item_error)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        if folders:
            self.enter_missing_posts(output_dir, folders)

    def enter_missing_posts(self, output_dir: Path, folders: Iterable[str]) -> None:
        """Enter the index entries under ``folders`` whose post file is gone in the ledger, due now."""
        now = utc_now()
        found = unknown = 0
        for entry in missing_posts(output_dir, folders, self.settings):
            if not entry.url:
                unknown += 1
                continue
            self.write(
                self.ledger.requested,
                entry.key,
                entry.url,
                self.source,
                {},
                now,
                MISSING_POST,
                entering=[entry.key],
            )
            self.restoring.add(entry.key)
            found += 1
        if found:
            self.stats.inc_value("newsbot/ledger/missing_posts", found)
            logger.warning("%d posts the index names are missing; asking for them again", found)
        self.unknown_missing = unknown
        if unknown:
            logger.warning("%d posts the index names are missing and their URL is unknown", unknown)

    def new_key(self, url: str, context: dict[str, Any] | None = None) -> str | None:
        """The key of ``url``'s article when it is to be requested, else ``None``; ``context`` (JSON) is what
        the spider's ``rebuild`` needs to ask for it again in a later run."""
        return self.new_keys([(url, context or {})])[0]

    def new_keys(self, articles: Iterable[tuple[str, dict[str, Any]]]) -> list[str | None]:
        """``new_key`` of each (URL, context) of ``articles``, entered in the ledger in one transaction."""
        keys: list[str | None] = []
        entered: list[tuple[str, str, dict[str, Any]]] = []
        for url, context in articles:
            key = article_key(url)
            if key in self.requested:
                keys.append(None)
                continue
            self.requested.add(key)
            if self.index.knows(key):
                if self.post_kept(key):
                    self.stats.inc_value("newsbot/skipped_known")
                    keys.append(None)
                    continue
                self.stats.inc_value("newsbot/ledger/missing_posts")
                self.restoring.add(key)
                logger.warning("the post of %s the index names is missing; asking for it again", url)
            self.pending[key] = url
            entered.append((key, url, context))
            keys.append(key)
        if entered:
            self.write(
                self.ledger.requested_many,
                entered,
                self.source,
                utc_now(),
                entering=[key for key, _, _ in entered],
            )
        return keys

    def post_kept(self, key: str) -> bool:
        """Whether the post the index holds for ``key`` (or the article it is an alias of) is in the archive."""
        entry = self.index.get(key)
        return entry is not None and (self.output_dir / entry.path).is_file()

    def due(self, rebuild: Callable[[LedgerEntry], Request | Any]) -> Iterator[Request | Any]:
        """The request (or item) ``rebuild`` makes of each due ledger entry of this source, counted as
        ``newsbot/ledger/retried``; ask for these before the listings. None in a worker that joined a shared
        run (the worker that started it asks for them); an entry whose post the archive now holds (another
        worker stored it) leaves the ledger instead."""
        if joined_run(self.crawler):
            return
        for entry in self.ledger.due(self.source, utc_now()):
            if entry.key in self.requested:
                continue
            if self.index.knows(entry.key) and self.post_kept(entry.key):
                self.write(self.ledger.remove, entry.key)
                continue
            self.requested.add(entry.key)
            self.pending[entry.key] = entry.url
            self.stats.inc_value("newsbot/ledger/retried")
            logger.info(
                "asking again for %s (%d failed attempts; last: %s)",
                entry.url,
                entry.attempts,
                entry.last_error,
            )
            yield rebuild(entry)

    def asked_for(self, url: str) -> str:
        """The key of ``url``'s article, asked for by name: entered in the ledger whatever the archive holds
        (the pipelines tell an archived article from a new one)."""
        key = article_key(url)
        self.enter(key, url)
        return key

    def enter(self, key: str, url: str) -> None:
        """Enter ``key`` asked for by name in the ledger, noting whether its post is one to restore."""
        self.requested.add(key)
        self.pending[key] = url
        if self.index.knows(key) and not self.post_kept(key):
            self.restoring.add(key)
        self.write(self.ledger.requested, key, url, self.source, {}, utc_now(), entering=[key])

    def answered(self, key: str, url: str, canonical_url: str | None) -> str:
        """The key of the article the page of ``key`` gave (``article_key`` of its URL and canonical link): when
        it is another, the ledger holds that one in its stead, for the pipelines' outcome to settle."""
        item_key = article_key(url, canonical_url)
        if item_key != key and self.pending.pop(key, None) is not None:
            self.write(self.ledger.remove, key)
            self.enter(item_key, url)
        return item_key

    def refused(self, key: str, reason: str) -> None:
        """Record that the page of ``key`` gave no article for ``reason``: given up, as a retry gets the same."""
        if self.pending.pop(key, None) is not None:
            self.record_failure(key, reason, retry=False)

    def failed(self, failure: Failure) -> None:
        """Record a failed article request (its ``cb_kwargs`` hold ``key``); robots.txt refusals leave the ledger."""
        key = failure.request.cb_kwargs.get("key")
        if self.pending.pop(key, None) is None:
            return
        if failure.check(IgnoreRequest) and str(failure.value) == ROBOTS_REFUSAL:
            self.write(self.ledger.remove, key)
            return
        self.record_failure(key, failure_reason(failure), retryable(failure))

    def record_failure(self, key: str, error: str, retry: bool) -> None:
        """Count one failure of ``key`` in the ledger; log and count it when this gives it up."""
        result = self.write(self.ledger.failed, key, error, utc_now(), retry, self.max_attempts, self.backoff)
        if result is None:
            return
        entry, gave_up = result
        if gave_up:
            self.stats.inc_value("newsbot/ledger/given_up")
            logger.warning("gave up on %s after %d attempts: %s", entry.url, entry.attempts, error)

    def write(self, change: Callable[..., Any], *args: Any, entering: Iterable[str] = ()) -> Any:
        """``change(*args)`` on the ledger; a failure (a full disk) is counted as ``newsbot/ledger/errors`` and
        ``newsbot/failed_writes/ledger/<reason>`` and logged, and the articles stay as the ledger last held them;
        the keys it was ``entering`` are kept as ``unrecorded``."""
        try:
            return change(*args)
        except INDEX_ERRORS as error:
            self.stats.inc_value("newsbot/ledger/errors")
            count_failed_write(self.stats, "ledger", error)
            self.unrecorded.update(entering)
            logger.error("could not update the failed-article ledger (%s): %s", change.__name__, error)
            return None

    def response_received(self, response: Any, request: Request, spider: Spider) -> None:
        if key := request.cb_kwargs.get("key"):
            self.received.add(key)

    def item_scraped(self, item: Any) -> None:
        """An article scraped: no longer pending for the ledger."""
        self.pending.pop(ItemAdapter(item).get("key"), None)

    def item_stored(self, item: Any) -> None:
        """An article stored: no longer pending for the ledger; a post written again in place of one deleted
        (the index held it) is counted as ``newsbot/restored``."""
        adapter = ItemAdapter(item)
        self.pending.pop(adapter.get("key"), None)
        if adapter.get("key") in self.restoring and adapter.get("status") == "new":
            self.stats.inc_value(RESTORED_STAT)

    def item_dropped(self, item: Any, exception: BaseException, spider: Spider) -> None:
        key = ItemAdapter(item).get("key")
        if self.pending.pop(key, None) is None:
            return
        if isinstance(exception, RetryLater):
            self.record_failure(key, str(exception), retry=True)
        elif self.index.knows(key):
            self.write(self.ledger.remove, key)
        else:
            self.record_failure(key, f"refused: {exception}", retry=False)

    def item_error(self, item: Any, response: Any, spider: Spider, failure: Failure) -> None:
        """A pipeline raised on the article (an error, not a refusal): it stays in the ledger to be asked again."""
        key = ItemAdapter(item).get("key")
        if self.pending.pop(key, None) is not None:
            self.record_failure(key, f"error while storing: {failure.value!r}"[:500], retry=True)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if reason == "finished":
            for key in self.received.intersection(self.pending):
                self.record_failure(key, NO_ARTICLE, retry=False)
            self.pending.clear()
        try:
            self.unaccounted = {key for key in self.unrecorded if not self.index.knows(key)}
        except INDEX_ERRORS:
            self.unaccounted = set(self.unrecorded)
        self.ledger.close()
        self.index.close()
