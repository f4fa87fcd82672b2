"""Near-duplicate search: SimHash bands, each an indexed row.

The 64-bit SimHash is cut into four 16-bit bands: two hashes within ``d`` bits differ in at most ``d // 4``
bits of some band, so a query probes each band's value and its neighbours within that radius (17 probes a
band for ``d`` up to 7), each a B-tree seek.
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Iterator

from newsbot.fingerprint import hamming
from newsbot.index.base import to_signed, to_unsigned

BANDS = 4
BAND_BITS = 16
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS bands (band INTEGER NOT NULL, value INTEGER NOT NULL, key TEXT NOT NULL,"
    " simhash INTEGER NOT NULL, PRIMARY KEY (band, value, key)) WITHOUT ROWID",
)
_PROBES_PER_QUERY = 500


def band_values(simhash: int) -> list[int]:
    """``simhash`` cut into ``BANDS`` runs of ``BAND_BITS`` bits, lowest bits first."""
    value = to_unsigned(simhash)
    return [(value >> (band * BAND_BITS)) & ((1 << BAND_BITS) - 1) for band in range(BANDS)]


def band_probes(simhash: int, radius: int) -> list[list[int]]:
    """Per band, every value within ``radius`` bits of ``simhash``'s value in that band."""
    flips = [
        sum(1 << bit for bit in bits)
        for size in range(min(radius, BAND_BITS) + 1)
        for bits in itertools.combinations(range(BAND_BITS), size)
    ]
    return [[value ^ flip for flip in flips] for value in band_values(simhash)]


def _band_rows(key: str, simhash: int) -> Iterator[tuple[int, int, str, int]]:
    for band, value in enumerate(band_values(simhash)):
        yield band, value, key, to_signed(simhash)


def remove(db: sqlite3.Connection, key: str, simhash: int) -> None:
    """Forget ``key``'s rows for the SimHash it was stored with."""
    db.executemany(
        "DELETE FROM bands WHERE band = ? AND value = ? AND key = ?", [row[:3] for row in _band_rows(key, simhash)]
    )


def add(db: sqlite3.Connection, key: str, simhash: int) -> None:
    """Make ``key`` findable by ``simhash``."""
    db.executemany("INSERT OR REPLACE INTO bands VALUES (?, ?, ?, ?)", _band_rows(key, simhash))


def keys_near(db: sqlite3.Connection, simhash: int, distance: int) -> dict[str, int]:
    """The keys stored within ``distance`` bits of ``simhash``, with their distance."""
    found: dict[str, int] = {}
    for band, values in enumerate(band_probes(simhash, distance // BANDS)):
        for start in range(0, len(values), _PROBES_PER_QUERY):
            chunk = values[start : start + _PROBES_PER_QUERY]
            rows = db.execute(
                f"SELECT key, simhash FROM bands WHERE band = ? AND value IN ({', '.join('?' * len(chunk))})",
                (band, *chunk),
            )
            for key, stored in rows:
                if (gap := hamming(simhash, stored)) <= distance:
                    found[key] = gap
    return found


def prune(db: sqlite3.Connection) -> None:
    """Drop the rows of keys no longer in ``entries``."""
    db.execute("DELETE FROM bands WHERE key NOT IN (SELECT key FROM entries)")
