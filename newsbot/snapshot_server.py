"""Serve a recorded copy of a site on 127.0.0.1, answering each request by its original URL.

A snapshot folder holds ``manifest.json``: original URL -> entry. An entry has a body (``file``, a path
relative to the folder, or inline ``body`` text), ``status`` and ``headers``, and, to stage failures,
``fail_first`` (answer 500 that many times), ``delay`` (seconds before answering), ``redirect`` (an original
URL for ``Location``), ``drop`` (close the connection unanswered), ``chunks`` and ``drip`` (send the body in
that many pieces, ``drip`` seconds apart). A URL not in the manifest gets a 404.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass, field, fields
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from types import TracebackType
from typing import Any

from w3lib.url import canonicalize_url

from newsbot.identity import without_cache_busters

logger = logging.getLogger(__name__)

ORIGINAL_URL_HEADER = "X-Newsbot-Original-Url"
MANIFEST = "manifest.json"
# A Path where newsbot is installed as files (a checkout, a wheel); inside a zipped egg, a zipfile.Path.
BUNDLED_SNAPSHOT = resources.files("newsbot") / "snapshot" / "sina-finance"


class SnapshotError(ValueError):
    """A snapshot folder or manifest that cannot be served."""


@dataclass(frozen=True, slots=True)
class Entry:
    """How the server answers one original URL."""

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    fail_first: int = 0
    delay: float = 0.0
    redirect: str | None = None
    drop: bool = False
    chunks: int = 1
    drip: float = 0.0


_ENTRY_KEYS = {"file", *(f.name for f in fields(Entry))}


def _charset(headers: dict[str, str]) -> str:
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    for part in content_type.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.lower() == "charset" and value:
            return value.strip("\"'")
    return "utf-8"


def entry_from_dict(url: str, raw: dict[str, Any], folder: Traversable) -> Entry:
    """One manifest entry; ``SnapshotError`` naming the URL when it is malformed."""
    if not isinstance(raw, dict):
        raise SnapshotError(f"{url}: entry is not an object")
    unknown = set(raw) - _ENTRY_KEYS
    if unknown:
        raise SnapshotError(f"{url}: unknown keys {', '.join(sorted(unknown))}")
    if "file" in raw and "body" in raw:
        raise SnapshotError(f"{url}: give either file or body, not both")
    headers = {str(k): str(v) for k, v in (raw.get("headers") or {}).items()}
    if "file" in raw:
        path = folder / raw["file"]
        try:
            body = path.read_bytes()
        except OSError as error:
            raise SnapshotError(f"{url}: cannot read {path}: {error.strerror or 'no such file'}") from None
    else:
        body = str(raw.get("body", "")).encode(_charset(headers))
    redirect = raw.get("redirect")
    try:
        return Entry(
            body=body,
            status=int(raw.get("status", 301 if redirect else 200)),
            headers=headers,
            fail_first=int(raw.get("fail_first", 0)),
            delay=float(raw.get("delay", 0)),
            redirect=redirect,
            drop=bool(raw.get("drop", False)),
            chunks=max(1, int(raw.get("chunks", 1))),
            drip=float(raw.get("drip", 0)),
        )
    except (TypeError, ValueError) as error:
        raise SnapshotError(f"{url}: {error}") from None


def url_key(url: str) -> str:
    """The lookup key of an original URL: canonical form without cache busters, so query order and a
    request's fresh ``r``/``_`` do not matter."""
    return canonicalize_url(without_cache_busters(url))


def snapshot_folder(folder: str | Path | Traversable) -> Traversable:
    """A snapshot folder given by path, or as it is (a package resource such as ``BUNDLED_SNAPSHOT``)."""
    return folder if isinstance(folder, Traversable) else Path(folder)


def load_manifest(folder: str | Path | Traversable) -> dict[str, Entry]:
    """The entries of a snapshot folder by URL key; ``SnapshotError`` when it cannot be served."""
    folder = snapshot_folder(folder)
    path = folder / MANIFEST
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise SnapshotError(f"no snapshot at {folder}: {error.strerror or 'no manifest.json'}") from None
    except ValueError as error:
        raise SnapshotError(f"{path} is not JSON: {error}") from None
    if not isinstance(raw, dict):
        raise SnapshotError(f"{path} must map original URLs to entries")
    return {url_key(url): entry_from_dict(url, entry, folder) for url, entry in raw.items()}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        url = self.headers.get(ORIGINAL_URL_HEADER)
        if not url:
            self.answer(400, {"Content-Type": "text/plain"}, f"missing {ORIGINAL_URL_HEADER}\n".encode())
            return
        entry, attempt = self.server.lookup(url)
        if entry is None:
            self.answer(404, {"Content-Type": "text/html; charset=utf-8"}, b"<h1>404 Not Found</h1>")
            return
        if entry.delay:
            time.sleep(entry.delay)
        if entry.drop:
            self.close_connection = True
            return
        if attempt <= entry.fail_first:
            self.answer(500, {"Content-Type": "text/plain"}, b"staged failure\n")
            return
        headers = dict(entry.headers)
        if entry.redirect:
            headers["Location"] = entry.redirect
        self.answer(entry.status, headers, entry.body, entry.chunks, entry.drip)

    def answer(
        self, status: int, headers: dict[str, str], body: bytes, chunks: int = 1, drip: float = 0
    ) -> None:
        try:
            self.send_response(status)
            for name, value in headers.items():
                if name.lower() != "content-length":
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            size = -(-len(body) // chunks) or 1
            for start in range(0, len(body), size):
                if start and drip:
                    time.sleep(drip)
                self.wfile.write(body[start : start + size])
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("snapshot server: " + format, *args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, entries: dict[str, Entry], port: int) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.entries = entries
        self.hits: Counter[str] = Counter()
        self.lock = threading.Lock()

    def lookup(self, url: str) -> tuple[Entry | None, int]:
        """The entry of ``url`` and how many times it has now been asked for."""
        with self.lock:
            url = without_cache_busters(url)
            self.hits[url] += 1
            return self.entries.get(url_key(url)), self.hits[url]


class SnapshotServer:
    """A snapshot folder served on 127.0.0.1 while the context is open, on ``port`` (0: any free port).

    ``SnapshotError`` when the folder cannot be served; entering raises ``OSError`` when the port is taken.
    """

    def __init__(self, folder: str | Path | Traversable, port: int = 0) -> None:
        self.folder = snapshot_folder(folder)
        self.entries = load_manifest(self.folder)
        self.port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> str:
        """``127.0.0.1:PORT`` of the running server."""
        if self._server is None:
            raise RuntimeError("the snapshot server is not running")
        return f"127.0.0.1:{self._server.server_address[1]}"

    @property
    def hits(self) -> Counter[str]:
        """How many requests each original URL got."""
        return self._server.hits if self._server is not None else Counter()

    def __enter__(self) -> SnapshotServer:
        self._server = _Server(self.entries, self.port)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="snapshot-server", daemon=True
        )
        self._thread.start()
        logger.info("serving snapshot %s (%d URLs) on %s", self.folder, len(self.entries), self.address)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
