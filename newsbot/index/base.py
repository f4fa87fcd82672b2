"""What every index backend shares: the entry of one stored article, hashes as signed integers, the interface."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol, Self

from newsbot.fingerprint import BITS


@dataclass(frozen=True, slots=True)
class Entry:
    """One stored article: its key, post path (relative to the output folder), URL and fingerprints."""

    key: str
    path: str
    url: str
    body_hash: str
    simhash: int
    published: str


class Candidates(NamedTuple):
    """What the index holds against one article: the entry of its key (``Index.get``), an entry with its body
    hash (``Index.find_exact``) and the entries within the distance of its SimHash (``Index.find_near``)."""

    known: Entry | None
    exact: Entry | None
    near: list[Entry]


def to_signed(value: int) -> int:
    """A 64-bit hash as SQL's signed 64-bit integer."""
    value &= (1 << BITS) - 1
    return value - (1 << BITS) if value >= 1 << (BITS - 1) else value


def to_unsigned(value: int) -> int:
    """A signed 64-bit integer back as the unsigned hash."""
    return value & ((1 << BITS) - 1)


class Connected:
    """An object holding one database ``connection`` (``None`` once closed), closed by ``close`` or its ``with``
    block; closing twice is harmless."""

    connection: Any = None

    def close(self) -> None:
        """Close the connection; closing twice is harmless."""
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class Executes(Protocol):
    """What runs one SQL statement written with SQLite's ``?`` parameters inside a write transaction: a
    ``sqlite3.Connection``, or ``Statements`` on PostgreSQL."""

    def execute(self, sql: str, parameters: Sequence[Any] = (), /) -> Any: ...


class Index(Protocol):
    """The archive index as the crawl uses it, whatever database holds it (``ArchiveIndex``: SQLite)."""

    def knows(self, key: str) -> bool: ...

    def get(self, key: str) -> Entry | None: ...

    def find_exact(self, body_hash: str) -> Entry | None: ...

    def find_near(self, simhash: int, distance: int) -> list[Entry]: ...

    def candidates(self, key: str, body_hash: str, simhash: int, distance: int) -> Candidates: ...

    def record(self, entry: Entry) -> None: ...

    def record_many(
        self, entries: Iterable[Entry], also: Callable[[Executes], None] | None = None
    ) -> int: ...

    def alias(self, key: str, other_key: str) -> None: ...

    def entries(self) -> Iterator[Entry]: ...

    def alias_count(self) -> int: ...

    def __len__(self) -> int: ...

    def close(self) -> None: ...
