"""Near-duplicate search: permuted tables, each matched exactly on a prefix of about 20 bits.

Manku, Jain and Das Sarma, "Detecting near-duplicates for web crawling" (WWW 2007, section 3): cut the 64-bit
SimHash into blocks; two hashes within ``d`` bits differ in at most ``d`` blocks, so some set of untouched blocks
matches exactly. Here 13 blocks (twelve of 5 bits, one of 4) and ``TABLES``, 47 sets of 4 blocks (19 or 20
bits) found by greedy set cover so that any 6 blocks leave one set untouched: a query within 6 bits is one
seek per table, all in one ``code IN (...)`` statement, each naming its true matches and about N / 2**20 other
stored hashes (57 in all at a million entries, 570 at ten million), which ``ids_near`` drops by Hamming distance.

Where a query's time goes (profiled with ``bench/dedupe.py``'s archives, 2026-11-30): nearly all of it is the
47 B-tree seeks, bound by memory latency (about 1 µs a seek at 10,000 entries, whose tables fit in the CPU's
caches; 2.7 µs at a million); then about 0.4 µs per returned row, 10 µs for the codes and 10 µs for the
``entries`` lookup of what was found. A process's first queries also map the index's pages (SQLite's
``mmap_size``): about 9 page faults a query at a million entries until the tables are mapped. Manku's prefix
that grows with log2 N trades seeks for rows: greedy covers give 33 tables of 17.5 bits (11 blocks, sets of 3),
62 of 21.3 bits (12 blocks) or 85 of 22.9 bits (14 blocks), and by these costs 47 tables of about 20 bits is
the cheapest up to about ten million entries, where 62 tables would save about a fifth of a query for a third
more rows; so the width is fixed. A wider distance ``d`` also probes every value within ``d - 6`` bits of each
prefix, and past ``FULL_SCAN_PROBES`` probes the query reads every stored SimHash instead.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
import sqlite3
from collections.abc import Iterable

from newsbot.fingerprint import hamming
from newsbot.index.base import to_signed

BLOCK_WIDTHS = (5,) * 12 + (4,)
BLOCK_STARTS = tuple(itertools.accumulate(BLOCK_WIDTHS, initial=0))[:-1]
COVERED_DISTANCE = 6
TABLES = (
    (0, 1, 2, 9), (0, 1, 4, 10), (0, 1, 5, 12), (0, 1, 8, 11), (0, 2, 3, 11), (0, 2, 4, 6), (0, 2, 8, 12),
    (0, 3, 5, 6), (0, 3, 7, 10), (0, 4, 5, 11), (0, 5, 6, 8), (0, 6, 10, 12), (0, 7, 9, 11), (0, 8, 9, 10),
    (1, 2, 3, 10), (1, 2, 5, 11), (1, 2, 7, 8), (1, 2, 10, 12), (1, 3, 4, 7), (1, 3, 6, 12), (1, 3, 9, 11),
    (1, 4, 5, 8), (1, 4, 7, 8), (1, 5, 6, 10), (1, 6, 8, 9), (2, 3, 4, 9), (2, 3, 5, 8), (2, 3, 7, 9),
    (2, 4, 5, 7), (2, 4, 9, 12), (2, 4, 10, 11), (2, 5, 6, 9), (2, 6, 7, 10), (2, 7, 11, 12), (3, 4, 8, 12),
    (3, 5, 10, 12), (3, 6, 8, 11), (3, 6, 9, 10), (3, 7, 8, 9), (4, 5, 8, 10), (4, 6, 7, 9), (4, 6, 11, 12),
    (5, 7, 9, 12), (5, 7, 10, 11), (5, 8, 11, 12), (7, 8, 10, 11), (9, 10, 11, 12),
)  # fmt: skip
TABLE_SHIFT = 24
FULL_SCAN_PROBES = 20_000
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS near (code INTEGER NOT NULL, id INTEGER NOT NULL, simhash INTEGER NOT NULL,"
    " PRIMARY KEY (code, id)) WITHOUT ROWID",
)
_PROBES_PER_STATEMENT = 500


def _layout() -> list[tuple[int, ...]]:
    """Per table: its number shifted into place, then (block, shift) for each of its blocks."""
    layout = []
    for number, blocks in enumerate(TABLES):
        shifts = list(itertools.accumulate((BLOCK_WIDTHS[block] for block in reversed(blocks)), initial=0))
        placed = [(block, shifts[len(blocks) - 1 - position]) for position, block in enumerate(blocks)]
        layout.append((number << TABLE_SHIFT, *itertools.chain.from_iterable(placed)))
    return layout


_LAYOUT = _layout()
_MASKS = tuple((1 << width) - 1 for width in BLOCK_WIDTHS)
_BITS_MASK = (1 << sum(BLOCK_WIDTHS)) - 1
_INSERT_ROWS = (
    "INSERT OR REPLACE INTO near"
    " SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]') FROM json_each(?)"
)


def blocks(simhash: int) -> list[int]:
    """The values of ``simhash``'s 13 blocks, lowest bits first."""
    return [(simhash >> start) & mask for start, mask in zip(BLOCK_STARTS, _MASKS, strict=True)]


def table_codes(simhash: int) -> list[int]:
    """One code per table: the table's number over the concatenated values of its blocks."""
    v = blocks(simhash)
    return [
        table | v[a] << sa | v[b] << sb | v[c] << sc | v[d] << sd for table, a, sa, b, sb, c, sc, d, sd in _LAYOUT
    ]


@functools.cache
def prefix_flips(distance: int) -> list[list[int]]:
    """Per table, the XOR masks of every change of at most ``distance - COVERED_DISTANCE`` prefix bits."""
    radius = max(distance - COVERED_DISTANCE, 0)
    flips = []
    for blocks_of_table in TABLES:
        width = sum(BLOCK_WIDTHS[block] for block in blocks_of_table)
        flips.append(
            [
                sum(1 << bit for bit in bits)
                for size in range(min(radius, width) + 1)
                for bits in itertools.combinations(range(width), size)
            ]
        )
    return flips


def probe_count(distance: int) -> int:
    """How many codes a query within ``distance`` bits looks up."""
    radius = max(distance - COVERED_DISTANCE, 0)
    widths = [sum(BLOCK_WIDTHS[block] for block in table) for table in TABLES]
    return sum(math.comb(width, size) for width in widths for size in range(min(radius, width) + 1))


def rows(entry_id: int, simhash: int) -> list[tuple[int, int, int]]:
    """The ``near`` rows that make the entry ``entry_id`` findable by ``simhash``."""
    signed = to_signed(simhash)
    return [(code, entry_id, signed) for code in table_codes(simhash)]


def add(db: sqlite3.Connection, entry_id: int, simhash: int) -> None:
    """Make the entry ``entry_id`` findable by ``simhash``."""
    add_many(db, [(entry_id, simhash)])


def add_many(db: sqlite3.Connection, pairs: Iterable[tuple[int, int]]) -> None:
    """``add`` for many ``(entry_id, simhash)`` pairs, written in code order (B-tree pages touched once) by one
    statement over a JSON array of the rows: one call into SQLite, where ``executemany`` makes one a row and
    hands the GIL to the crawl's thread and back at each (the store writes from a thread of its own)."""
    batch = sorted(itertools.chain.from_iterable(rows(entry_id, simhash) for entry_id, simhash in pairs))
    db.execute(_INSERT_ROWS, (json.dumps(batch),))


def code_sql(column: str) -> list[str]:
    """Per table, the SQL expression (SQLite and PostgreSQL) of its code from the signed 64-bit SimHash
    ``column``: ``table_codes`` in SQL (both shift right arithmetically; each block is masked after the shift)."""
    expressions = []
    for table, *placed in _LAYOUT:
        parts = [
            f"((({column} >> {BLOCK_STARTS[block]}) & {_MASKS[block]}) << {shift})"
            for block, shift in zip(placed[::2], placed[1::2], strict=True)
        ]
        expressions.append(" | ".join([str(table), *parts]))
    return expressions


def fill(db: sqlite3.Connection) -> None:
    """Write the rows of every stored entry into an empty ``near`` table, table by table in code order, so the
    B-tree is only appended to (pages written once and full). SQLite computes and sorts the codes, reading the
    ids and SimHashes from a temporary copy (a tenth of ``entries``' pages)."""
    db.execute("CREATE TEMPORARY TABLE near_source AS SELECT id, simhash FROM entries")
    try:
        for code in code_sql("simhash"):
            db.execute(
                f"INSERT INTO near SELECT {code} AS code, id, simhash FROM near_source ORDER BY code, id"
            )
    finally:
        db.execute("DROP TABLE IF EXISTS temp.near_source")


def remove(db: sqlite3.Connection, entry_id: int, simhash: int) -> None:
    """Forget the rows of ``entry_id`` stored for ``simhash``."""
    db.executemany("DELETE FROM near WHERE code = ? AND id = ?", [row[:2] for row in rows(entry_id, simhash)])


def ids_near(db: sqlite3.Connection, simhash: int, distance: int) -> dict[int, int]:
    """The ids of entries stored within ``distance`` bits of ``simhash``, with their distance."""
    found: dict[int, int] = {}
    if distance < 0:
        return found
    if distance > COVERED_DISTANCE and probe_count(distance) > FULL_SCAN_PROBES:
        candidates: Iterable[tuple[int, int]] = db.execute("SELECT id, simhash FROM entries")
        return {
            entry_id: gap for entry_id, stored in candidates if (gap := hamming(simhash, stored)) <= distance
        }
    codes = table_codes(simhash)
    if distance > COVERED_DISTANCE:
        codes = [code ^ flip for code, flips in zip(codes, prefix_flips(distance), strict=True) for flip in flips]
    for start in range(0, len(codes), _PROBES_PER_STATEMENT):
        chunk = codes[start : start + _PROBES_PER_STATEMENT]
        candidates = db.execute(
            f"SELECT id, simhash FROM near WHERE code IN ({', '.join('?' * len(chunk))})", chunk
        )
        for entry_id, stored in candidates:
            if (gap := ((simhash ^ stored) & _BITS_MASK).bit_count()) <= distance:
                found[entry_id] = gap
    return found


def covers(tables: Iterable[tuple[int, ...]], distance: int = COVERED_DISTANCE) -> bool:
    """Whether every choice of ``distance`` blocks leaves some table's blocks all unchosen."""
    sets = [frozenset(table) for table in tables]
    return all(
        any(table.isdisjoint(chosen) for table in sets)
        for chosen in itertools.combinations(range(len(BLOCK_WIDTHS)), distance)
    )
