"""Page workers: the processes that read a crawl's article pages (extract, normalise, fingerprint) beside the
reactor, so its thread is left to download, deduplicate and store.

Each worker is ``python -m newsbot.workers FD`` on one end of a Unix socket pair; the reactor holds the other
end as a connection (``IReactorSocket.adoptStreamConnection``) and speaks to it in length-prefixed pickles
(``Int32StringReceiver``): a task is ``(function, arguments)``, an answer ``(True, result)`` or
``(False, exception)``, answers in the order of the tasks. No thread of the crawl's process takes part, so the
reactor's thread never waits for the GIL on the workers' account.
"""

from __future__ import annotations

import logging
import os
import pickle
import socket
import struct
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred
from twisted.internet.protocol import Factory
from twisted.internet.task import LoopingCall
from twisted.protocols.basic import Int32StringReceiver
from twisted.python.failure import Failure

from newsbot.extraction import count_coverage, response_date
from newsbot.items import Article
from newsbot.reading import PageRead, read_page
from newsbot.settings import NEWSBOT_PAGE_PROCESSES
from newsbot.sites.base import NotAnArticle

logger = logging.getLogger(__name__)

T = TypeVar("T")
PREFIX = struct.Struct("!I")
MAX_MESSAGE = 1 << 30
EXIT_SECONDS = 10
TRIES = 2
DEFAULT_TIMEOUT = 60.0
WATCH_SECONDS = 5.0
_WORKERS: WeakKeyDictionary[Crawler, PageWorkers] = WeakKeyDictionary()


class WorkerLost(Exception):
    """A page worker process ended with tasks unanswered."""


class PageUnreadable(WorkerLost):
    """A task ended each worker process it was given to (a page that crashes the reader, or a worker killed
    twice)."""


def _read_exactly(stream: Any, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        chunk = stream.read(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def serve(connection: socket.socket) -> None:
    """A worker's loop: answer each task read from ``connection`` until it closes."""
    reader, writer = connection.makefile("rb"), connection.makefile("wb")
    while (prefix := _read_exactly(reader, PREFIX.size)) is not None:
        message = _read_exactly(reader, PREFIX.unpack(prefix)[0])
        if message is None:
            return
        function, arguments = pickle.loads(message)
        try:
            answer = pickle.dumps((True, function(*arguments)), pickle.HIGHEST_PROTOCOL)
        except Exception as error:
            try:
                answer = pickle.dumps((False, error), pickle.HIGHEST_PROTOCOL)
            except Exception:
                answer = pickle.dumps((False, RuntimeError(repr(error))), pickle.HIGHEST_PROTOCOL)
        writer.write(PREFIX.pack(len(answer)) + answer)
        writer.flush()


class WorkerConnection(Int32StringReceiver):
    """The reactor's end of one worker: tasks sent, their ``Deferred`` answered in order."""

    MAX_LENGTH = MAX_MESSAGE

    def __init__(self, process: subprocess.Popen, lost: Callable[[WorkerConnection, int], None]) -> None:
        self.process = process
        self.lost = lost
        self.pending: deque[Deferred] = deque()
        self.ended = False
        self.waiting_since = 0.0

    def stalled(self, now: float, timeout: float) -> bool:
        """Whether its oldest task has waited ``timeout`` seconds for an answer since it became the oldest."""
        return bool(self.pending) and now - self.waiting_since > timeout

    def call(self, function: Callable[..., Any], arguments: tuple) -> Deferred:
        answered: Deferred = Deferred()
        if self.ended:
            answered.errback(Failure(WorkerLost(f"page worker {self.process.pid} ended")))
            return answered
        if not self.pending:
            self.waiting_since = time.monotonic()
        self.pending.append(answered)
        self.sendString(pickle.dumps((function, arguments), pickle.HIGHEST_PROTOCOL))
        return answered

    def stringReceived(self, string: bytes) -> None:
        ok, value = pickle.loads(string)
        answered = self.pending.popleft()
        self.waiting_since = time.monotonic()
        if ok:
            answered.callback(value)
        else:
            answered.errback(Failure(value))

    def connectionLost(self, reason: Failure = None) -> None:
        self.ended = True
        pending, self.pending = self.pending, deque()
        self.lost(self, len(pending))
        for answered in pending:
            answered.errback(Failure(WorkerLost(f"page worker {self.process.pid} ended")))


class PageWorkers:
    """``NEWSBOT_PAGE_PROCESSES`` worker processes of one crawl (at most one per core), started when the spider
    opens and stopped when it closes; with none (0, or before the spider opens) the crawl's thread does the work.
    A worker that ends, or that leaves a task unanswered ``NEWSBOT_PAGE_TIMEOUT`` seconds (it is killed), is
    counted (``newsbot/page_workers/lost``) and replaced (``MAX_REPLACED`` times a crawl, then the crawl's thread
    reads the pages), and its unanswered tasks are given to another (``run``)."""

    MAX_REPLACED = 10

    def __init__(
        self, processes: int, crawler: Crawler | None = None, timeout: float = DEFAULT_TIMEOUT
    ) -> None:
        self.processes = processes
        self.crawler = crawler
        self.timeout = timeout
        self.connections: list[WorkerConnection] = []
        self.closing = False
        self.replaced = 0
        self.watchdog: LoopingCall | None = None

    @classmethod
    def of(cls, crawler: Crawler) -> PageWorkers:
        """The one ``PageWorkers`` of ``crawler``, shared by its spider and pipelines."""
        if crawler not in _WORKERS:
            settings = crawler.settings
            processes = settings.getint("NEWSBOT_PAGE_PROCESSES", NEWSBOT_PAGE_PROCESSES)
            cores = os.cpu_count() or 1
            if processes > cores:
                logger.warning("NEWSBOT_PAGE_PROCESSES %d is more than the %d cores here; starting %d",
                               processes, cores, cores)  # fmt: skip
                processes = cores
            workers = cls(processes, crawler, settings.getfloat("NEWSBOT_PAGE_TIMEOUT", DEFAULT_TIMEOUT))
            crawler.signals.connect(workers.start, signal=signals.spider_opened)
            crawler.signals.connect(workers.close, signal=signals.spider_closed)
            _WORKERS[crawler] = workers
        return _WORKERS[crawler]

    @property
    def running(self) -> bool:
        """Whether worker processes take the tasks."""
        return bool(self.connections)

    def start(self) -> None:
        """Start the processes (they import newsbot while the first listings download)."""
        self.closing = False
        if self.processes > 0 and self.watchdog is None:
            self.watchdog = LoopingCall(self.kill_stalled)
            self.watchdog.start(min(self.timeout, WATCH_SECONDS), now=False)
        while len(self.connections) < self.processes:
            try:
                self.connections.append(self._spawn())
            except OSError as error:
                logger.error(
                    "could not start a page worker process (%s); reading pages in the crawl's thread", error
                )
                return

    def _spawn(self) -> WorkerConnection:
        from twisted.internet import reactor

        ours, theirs = socket.socketpair()
        environment = {**os.environ, "PYTHONPATH": os.pathsep.join(path or os.getcwd() for path in sys.path)}
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "newsbot.workers", str(theirs.fileno())],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
                env=environment,
            )
        finally:
            theirs.close()
        connection = WorkerConnection(process, self._lost)
        try:
            reactor.adoptStreamConnection(ours.fileno(), socket.AF_UNIX, _Only(connection))
        finally:
            ours.close()
        return connection

    def kill_stalled(self) -> None:
        """Kill each worker whose oldest task has waited ``timeout`` seconds (a hung reader); ``_lost`` follows."""
        now = time.monotonic()
        for connection in list(self.connections):
            if connection.stalled(now, self.timeout):
                logger.error("page worker process %d left a page unanswered %g s; killing it",
                             connection.process.pid, self.timeout)  # fmt: skip
                connection.process.kill()

    def _lost(self, connection: WorkerConnection, unanswered: int) -> None:
        if connection in self.connections:
            self.connections.remove(connection)
        try:
            connection.process.wait(timeout=EXIT_SECONDS)
        except subprocess.TimeoutExpired:
            connection.process.kill()
            connection.process.wait()
        if self.closing:
            return
        if self.crawler is not None:
            self.crawler.stats.inc_value("newsbot/page_workers/lost")
        if self.replaced >= self.MAX_REPLACED:
            logger.error(
                "page worker process %d ended; reading pages in the crawl's thread", connection.process.pid
            )
            return
        self.replaced += 1
        logger.error("page worker process %d ended; starting another, %d pages it held go to the others",
                     connection.process.pid, unanswered)  # fmt: skip
        self.start()

    def close(self) -> None:
        """End the workers: each exits when its connection closes (killed after ``EXIT_SECONDS``)."""
        self.closing = True
        if self.watchdog is not None and self.watchdog.running:
            self.watchdog.stop()
        self.watchdog = None
        connections, self.connections = self.connections, []
        for connection in connections:
            connection.transport.loseConnection()

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """``function(*args)`` in the least busy worker process (picklable function, arguments and result), else
        here; an exception it raises is raised here. A task whose worker ends is given to another once, never
        to the crawl's thread (a page that crashed one reader may crash the crawl); ``PageUnreadable`` when that
        one ends too."""
        for attempt in range(TRIES):
            if not self.connections:
                return function(*args)
            connection = min(self.connections, key=lambda one: len(one.pending))
            try:
                return await maybe_deferred_to_future(connection.call(function, args))
            except WorkerLost as error:
                logger.debug("%s during %s (try %d of %d)", error, function.__name__, attempt + 1, TRIES)
        raise PageUnreadable(f"{function.__name__} ended {TRIES} page worker processes")

    async def article(
        self, response: Response, fallback_published: datetime | None = None, normalise: bool = True
    ) -> Article:
        """The article of a downloaded page, read by ``reading.read_page`` in a worker (its body normalised and
        fingerprinted with ``normalise``), its field coverage counted in the crawl's stats; ``NotAnArticle`` when
        refused (``PageUnreadable`` too: a page that ended two readers is refused)."""
        try:
            read = await self._read(response, fallback_published, normalise)
        except PageUnreadable as error:
            raise NotAnArticle(f"the page could not be read: {error}") from error
        count_coverage(self.crawler.stats, response.url, read.fields, read.refusal)
        if read.article is None:
            raise NotAnArticle(read.refusal)
        return read.article

    async def _read(
        self, response: Response, fallback_published: datetime | None, normalise: bool
    ) -> PageRead:
        return await self.run(
            read_page,
            response.body,
            getattr(response, "encoding", None),
            response.url,
            fallback_published,
            response_date(response),
            normalise,
        )


class _Only(Factory):
    """A factory whose one protocol is made already."""

    def __init__(self, protocol: WorkerConnection) -> None:
        self.protocol_instance = protocol

    def buildProtocol(self, addr: Any) -> WorkerConnection:
        return self.protocol_instance


if __name__ == "__main__":
    serve(socket.socket(fileno=int(sys.argv[1])))
