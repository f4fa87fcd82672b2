"""WARC files: append exchanges as gzipped records, index recorded responses by URL, read them back."""

from __future__ import annotations

import gzip
import io
import json
import logging
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

from scrapy.utils.response import response_status_message
from w3lib.url import canonicalize_url
from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import ChunkedDataReader
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newsbot.identity import without_cache_busters

logger = logging.getLogger(__name__)

SPIDER_FIELD = "newsbot-spider"
ARGUMENTS_FIELD = "newsbot-spider-arguments"
FRAMING_HEADERS = frozenset({"transfer-encoding", "content-length"})
CUT_RECORD_ERRORS = (ArchiveLoadFailed, AttributeError, EOFError, ValueError, zlib.error)

Headers = list[tuple[str, str]]


def url_key(url: str) -> str:
    """The key recorded responses are matched by: the URL canonicalised by w3lib, fragment and cache
    busters (``identity.CACHE_BUSTERS``) dropped."""
    return canonicalize_url(without_cache_busters(url.strip().strip("<>")))


def payload_headers(headers: Headers, body: bytes) -> Headers:
    """``headers`` fit for ``body`` stored without transfer framing: no Transfer-Encoding, a true Content-Length."""
    kept = [(name, value) for name, value in headers if name.lower() not in FRAMING_HEADERS]
    return [*kept, ("Content-Length", str(len(body)))]


def rebase_url(url: str, url_map: dict[str, str]) -> str:
    """``url`` moved from the first recorded prefix of ``url_map`` it starts with to that prefix's target.

    Prefixes match whole path segments: ``http://127.0.0.1:8000`` maps ``http://127.0.0.1:8000/a`` but not
    ``http://127.0.0.1:80001/a``; a trailing slash on either side does not matter.
    """
    for recorded, original in sorted(url_map.items(), key=lambda pair: -len(pair[0].rstrip("/"))):
        prefix = recorded.rstrip("/")
        if url == prefix or (url.startswith(prefix) and url[len(prefix)] in "/?#"):
            return original.rstrip("/") + url[len(prefix) :]
    return url


@dataclass(frozen=True, slots=True)
class RecordRef:
    """Where one recorded HTTP response lies (file and offset), its URL, status, media type and WARC-Date."""

    path: str
    offset: int
    url: str
    status: int
    content_type: str
    date: str = ""

    @property
    def is_html(self) -> bool:
        """Served as HTML, or with no media type at all (a saved page recorded by ``fetch --html``)."""
        return self.content_type in ("text/html", "application/xhtml+xml", "")


@dataclass(frozen=True, slots=True)
class Recorded:
    """One recorded HTTP response, its body as transferred less any chunked framing."""

    url: str
    status: int
    headers: Headers
    body: bytes


@dataclass(slots=True)
class Run:
    """The responses of one warcinfo record (one crawl), by URL key in recorded order.

    A response belongs to the warcinfo its ``WARC-Warcinfo-ID`` names, else to the one before it.
    """

    info: dict[str, str]
    responses: dict[str, list[RecordRef]] = field(default_factory=dict)

    @property
    def spider(self) -> str | None:
        return self.info.get(SPIDER_FIELD) or None

    @property
    def spider_arguments(self) -> dict[str, str]:
        return json.loads(self.info.get(ARGUMENTS_FIELD) or "{}")

    @property
    def obeys_robots(self) -> bool:
        """Whether the newsbot crawl that recorded this run obeyed robots.txt (other tools' runs: no)."""
        return self.spider is not None and self.info.get("robots") == "classic"

    def rebased(self, url_map: dict[str, str]) -> Run:
        """This run with its responses' URLs moved by ``rebase_url``."""
        if not url_map:
            return self
        moved = Run(self.info)
        for refs in self.responses.values():
            for ref in refs:
                ref = replace(ref, url=rebase_url(ref.url, url_map))
                moved.responses.setdefault(url_key(ref.url), []).append(ref)
        return moved


def _read_all(stream: io.BufferedIOBase) -> bytes:
    chunks = []
    while chunk := stream.read(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def _records(path: str) -> Iterator[tuple[int, ArcWarcRecord, bytes]]:
    """Each record of a WARC file with its offset and raw block rest; a cut last record is skipped."""
    with open(path, "rb") as stream:
        records = ArchiveIterator(stream)
        offset = -1
        try:
            for record in records:
                offset = records.offset
                raw = _read_all(record.raw_stream)
                if getattr(record.raw_stream, "limit", 0):
                    logger.warning("WARC %s ends in a cut record at offset %d, skipped", path, offset)
                    return
                yield offset, record, raw
        except CUT_RECORD_ERRORS as error:
            if offset < 0:
                raise ValueError(f"{path}: not a WARC file ({error})") from error
            logger.warning("WARC %s ends in a cut record after offset %d, skipped: %s", path, offset, error)


def _info_fields(raw: bytes) -> dict[str, str]:
    fields = {}
    for line in raw.decode("utf-8", "replace").splitlines():
        name, sep, value = line.partition(":")
        if sep:
            fields[name.strip()] = value.strip()
    return fields


def _response_ref(path: str, offset: int, record: ArcWarcRecord) -> RecordRef | None:
    url = (record.rec_headers.get_header("WARC-Target-URI") or "").strip("<>")
    if record.rec_type != "response" or record.http_headers is None:
        return None
    if urlsplit(url).scheme not in ("http", "https"):
        return None
    try:
        status = int(record.http_headers.get_statuscode())
    except ValueError:
        return None
    content_type = (record.http_headers.get_header("Content-Type") or "").split(";")[0].strip().lower()
    return RecordRef(
        path, offset, url, status, content_type, record.rec_headers.get_header("WARC-Date") or ""
    )


@cache
def _file_runs(path: str, size: int, mtime_ns: int) -> tuple[Run, ...]:
    runs: dict[str | None, Run] = {}
    latest: Run | None = None
    for offset, record, raw in _records(path):
        if record.rec_type == "warcinfo":
            latest = runs[record.rec_headers.get_header("WARC-Record-ID")] = Run(_info_fields(raw))
            continue
        ref = _response_ref(path, offset, record)
        if ref is None:
            continue
        run = runs.get(record.rec_headers.get_header("WARC-Warcinfo-ID")) or latest
        if run is None:
            run = latest = runs[None] = Run({})
        run.responses.setdefault(url_key(ref.url), []).append(ref)
    return tuple(run for run in runs.values() if run.responses)


def read_runs(paths: list[str] | tuple[str, ...], url_map: dict[str, str] | None = None) -> list[Run]:
    """Every run with responses in the WARC files, in file and then record order, URLs moved by ``url_map``."""
    runs = []
    for path in paths:
        stat = os.stat(path)
        runs.extend(_file_runs(str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns))
    return [run.rebased(url_map or {}) for run in runs]


def _recorded_at(ref: RecordRef) -> datetime:
    try:
        moment = datetime.fromisoformat(ref.date)
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def replay_run(paths: list[str], index: int | None = None, url_map: dict[str, str] | None = None) -> Run:
    """Run ``index`` of the WARC files, or all their runs as one with each URL's responses by WARC-Date."""
    runs = read_runs(paths, url_map)
    if index is not None:
        return runs[index]
    whole = Run({})
    for run in runs:
        for key, refs in run.responses.items():
            whole.responses.setdefault(key, []).extend(refs)
    for refs in whole.responses.values():
        refs.sort(key=_recorded_at)
    return whole


def read_response(ref: RecordRef) -> Recorded:
    """The response a ``RecordRef`` points at, chunked framing removed, Content-Encoding kept."""
    with open(ref.path, "rb") as stream:
        stream.seek(ref.offset)
        record = next(ArchiveIterator(stream))
        body = _read_all(record.raw_stream)
    if (record.http_headers.get_header("Transfer-Encoding") or "").lower() == "chunked":
        body = ChunkedDataReader(io.BytesIO(body)).read()
    return Recorded(ref.url, ref.status, payload_headers(record.http_headers.headers, body), body)


def decoded_body(recorded: Recorded) -> bytes:
    """A recorded response's body with its ``Content-Encoding`` (gzip, deflate or none) undone; ``ValueError`` for
    another coding or a body that does not decode."""
    coding = next((value for name, value in recorded.headers if name.lower() == "content-encoding"), "")
    coding = coding.strip().lower()
    try:
        if coding in ("", "identity"):
            return recorded.body
        if coding in ("gzip", "x-gzip"):
            return gzip.decompress(recorded.body)
        if coding == "deflate":
            try:
                return zlib.decompress(recorded.body)
            except zlib.error:
                return zlib.decompress(recorded.body, -zlib.MAX_WBITS)
    except (OSError, EOFError, zlib.error) as error:
        raise ValueError(f"{coding} body of {recorded.url} does not decode: {error}") from error
    raise ValueError(f"{recorded.url}: Content-Encoding {coding!r} is not gzip or deflate")


class WarcFile:
    """Append records to a WARC/1.1 file, each gzipped alone, an exchange written in one call."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        self._buffer = io.BytesIO()
        self._writer = WARCWriter(self._buffer, gzip=True, warc_version="1.1")
        self._warcinfo_id: str | None = None

    def write_warcinfo(self, fields: dict[str, str]) -> None:
        """Start a run: later exchanges name this warcinfo record, so concurrent runs can share a file."""
        record = self._writer.create_warcinfo_record(self.path.name, fields)
        self._warcinfo_id = record.rec_headers.get_header("WARC-Record-ID")
        self._writer.write_record(record)
        self._commit()

    def write_exchange(
        self,
        url: str,
        method: str,
        request_headers: Headers,
        request_body: bytes,
        status: int,
        response_headers: Headers,
        body: bytes,
        ip_address: str | None = None,
    ) -> None:
        """A response record and its request record, for ``url`` as the crawl knew it (less any fragment)."""
        url = urldefrag(url).url
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        if not any(name.lower() == "host" for name, _ in request_headers):
            request_headers = [("Host", parts.netloc), *request_headers]
        fields = {"WARC-Warcinfo-ID": self._warcinfo_id} if self._warcinfo_id else {}
        request = self._writer.create_warc_record(
            url,
            "request",
            payload=io.BytesIO(request_body),
            length=len(request_body),
            warc_headers_dict=fields,
            http_headers=StatusAndHeaders(
                f"{method} {target} HTTP/1.1", request_headers, is_http_request=True
            ),
        )
        response = self._writer.create_warc_record(
            url,
            "response",
            payload=io.BytesIO(body),
            length=len(body),
            warc_headers_dict={**fields, "WARC-IP-Address": ip_address} if ip_address else fields,
            http_headers=StatusAndHeaders(
                response_status_message(status), payload_headers(response_headers, body), protocol="HTTP/1.1"
            ),
        )
        self._writer.write_request_response_pair(request, response)
        self._commit()

    def _commit(self) -> None:
        """Hand the buffered records to the OS in one append, so a killed process leaves whole records."""
        data = memoryview(self._buffer.getvalue())
        self._buffer.seek(0)
        self._buffer.truncate()
        while data:
            data = data[os.write(self._fd, data) :]

    def close(self) -> None:
        """Sync the file to disk and close it."""
        os.fsync(self._fd)
        os.close(self._fd)
