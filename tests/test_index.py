from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

from newsbot.fingerprint import hamming
from newsbot.index import ArchiveIndex, Entry, index_path, keys, near, to_signed, to_unsigned
from newsbot.index.archive import CANDIDATES_SQL

ROOT = Path(__file__).resolve().parents[1]


def entry(number: int, simhash: int | None = None, body_hash: str | None = None) -> Entry:
    return Entry(
        key=f"sina:doc{number:08d}",
        path=f"sina/2022/01/doc{number:08d}.md",
        url=f"https://finance.sina.com.cn/roll/2022-01-21/doc-doc{number:08d}.shtml",
        body_hash=body_hash or f"{number:032x}",
        simhash=random.Random(number).getrandbits(64) if simhash is None else simhash,
        published="2022-01-21T08:15:00+08:00",
    )


def flip(value: int, *bits: int) -> int:
    for bit in bits:
        value ^= 1 << bit
    return value


def test_signed_storage_round_trips_every_64_bit_value():
    for value in (0, 1, 2**63 - 1, 2**63, 2**64 - 1):
        assert -(2**63) <= to_signed(value) < 2**63
        assert to_unsigned(to_signed(value)) == value


def test_blocks_cover_all_64_bits_once():
    value = random.Random(1).getrandbits(64)
    assert sum(near.BLOCK_WIDTHS) == 64
    parts = near.blocks(value)
    assert sum(part << start for part, start in zip(parts, near.BLOCK_STARTS, strict=True)) == value


def test_any_six_changed_blocks_leave_some_table_untouched_and_five_blocks_do_not_suffice():
    assert near.covers(near.TABLES, 6)
    assert len(set(near.TABLES)) == len(near.TABLES)
    assert not near.covers(near.TABLES, 9)


def test_a_hash_within_six_bits_shares_a_table_code_wherever_the_bits_are():
    rng = random.Random("codes")
    for _ in range(2000):
        value = rng.getrandbits(64)
        other = flip(value, *rng.sample(range(64), rng.randint(0, 6)))
        assert set(near.table_codes(value)) & set(near.table_codes(other))
    assert len(set(near.table_codes(0))) == len(near.TABLES)


def test_prefix_flips_reach_every_prefix_within_the_extra_distance():
    assert near.prefix_flips(6) == [[0]] * len(near.TABLES)
    widths = [sum(near.BLOCK_WIDTHS[block] for block in table) for table in near.TABLES]
    assert [len(flips) for flips in near.prefix_flips(7)] == [1 + width for width in widths]
    assert near.probe_count(7) == sum(1 + width for width in widths)


def test_index_lives_in_the_output_folder_in_wal_mode(tmp_path):
    ArchiveIndex(tmp_path).close()
    path = index_path(tmp_path)
    assert path == tmp_path / ".newsbot" / "index.sqlite3"
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_record_get_knows_and_persistence_across_reopen(tmp_path):
    stored = entry(1, simhash=2**64 - 5)
    with ArchiveIndex(tmp_path) as index:
        assert not index.knows(stored.key)
        index.record(stored)
    with ArchiveIndex(tmp_path) as index:
        assert index.knows(stored.key)
        assert index.get(stored.key) == stored
        assert index.get("sina:missing") is None
        assert len(index) == 1


def test_record_replaces_an_entry_and_its_bands(tmp_path):
    first = entry(1, simhash=0)
    changed = replace(first, body_hash="f" * 32, simhash=2**64 - 1)
    with ArchiveIndex(tmp_path) as index:
        index.record(first)
        index.record(changed)
        assert index.get(first.key) == changed
        assert index.find_near(0, 3) == []
        assert index.find_near(2**64 - 1, 0) == [changed]
        assert index.find_exact(first.body_hash) is None
        assert len(index) == 1


def test_near_rows_are_written_as_integers_exactly_as_rows_gives_them(tmp_path):
    randoms = [random.Random(seed).getrandbits(64) for seed in range(60)]
    simhashes = [0, 1, 2**63 - 1, 2**63, 2**64 - 1, *randoms]
    with ArchiveIndex(tmp_path) as index:
        index.record_many(entry(number, simhash=simhash) for number, simhash in enumerate(simhashes))
        ids = dict(index._db().execute("SELECT key, id FROM entries"))
    stored = sqlite3.connect(index_path(tmp_path)).execute(
        "SELECT code, id, simhash, typeof(code), typeof(id), typeof(simhash) FROM near ORDER BY code, id"
    )
    expected = sorted(
        row for number, simhash in enumerate(simhashes) for row in near.rows(ids[entry(number).key], simhash)
    )
    assert list(stored) == [(*row, "integer", "integer", "integer") for row in expected]


def test_find_exact_by_body_hash(tmp_path):
    with ArchiveIndex(tmp_path) as index:
        index.record(entry(1, body_hash="a" * 32))
        index.record(entry(2, body_hash="b" * 32))
        assert index.find_exact("b" * 32).key == "sina:doc00000002"
        assert index.find_exact("c" * 32) is None


def test_find_near_returns_every_entry_within_the_distance_and_none_beyond(tmp_path):
    base = random.Random("near").getrandbits(64)
    with ArchiveIndex(tmp_path) as index:
        for number in range(200):
            index.record(entry(number))
        index.record(entry(1001, simhash=flip(base, 0, 17, 40)))
        index.record(entry(1002, simhash=flip(base, 5)))
        index.record(entry(1003, simhash=flip(base, 1, 2, 3, 60)))
        found = index.find_near(base, 3)
        assert [item.key for item in found] == ["sina:doc00001002", "sina:doc00001001"]
        assert [item.key for item in index.find_near(base, 1)] == ["sina:doc00001002"]
        assert [item.key for item in index.find_near(base, 4)][2] == "sina:doc00001003"


def test_find_near_answers_wide_distances_by_probing_prefixes_or_reading_every_hash(tmp_path):
    base = random.Random("wide").getrandbits(64)
    with ArchiveIndex(tmp_path) as index:
        index.record(entry(1, simhash=flip(base, 0, 1, 16, 17, 32, 33, 48, 49)))
        index.record(entry(2, simhash=flip(base, 0, 1, 2, 16, 17, 18, 32, 33, 34, 48, 49, 50)))
        assert index.find_near(base, 7) == []
        assert [item.key for item in index.find_near(base, 8)] == ["sina:doc00000001"]
        assert [item.key for item in index.find_near(base, 12)] == ["sina:doc00000001", "sina:doc00000002"]
        assert [item.key for item in index.find_near(flip(base, 0, 1), 6)] == ["sina:doc00000001"]
        assert [item.key for item in index.find_near(flip(base, 0), 7)] == ["sina:doc00000001"]
        assert [item.key for item in index.find_near(flip(base, 0), 6)] == []


def test_alias_makes_another_key_known_and_resolves_to_the_article(tmp_path):
    stored = entry(1)
    with ArchiveIndex(tmp_path) as index:
        index.record(stored)
        index.alias("url:0123456789abcdef", stored.key)
        index.alias("url:fedcba9876543210", "url:0123456789abcdef")
    with ArchiveIndex(tmp_path) as index:
        assert index.knows("url:0123456789abcdef")
        assert index.get("url:0123456789abcdef") == stored
        assert index.get("url:fedcba9876543210") == stored
        assert len(index) == 1


def test_two_connections_writing_at_once_lose_nothing(tmp_path):
    ArchiveIndex(tmp_path).close()

    def write(offset: int) -> None:
        with ArchiveIndex(tmp_path) as index:
            for number in range(offset, offset + 300):
                index.record(entry(number))
                index.knows(entry(number + 1).key)

    threads = [threading.Thread(target=write, args=(offset,)) for offset in (0, 1000)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with ArchiveIndex(tmp_path) as index:
        assert len(index) == 600
        assert index.get(entry(1299).key) == entry(1299)


WRITER = """
import sys
from newsbot.index import ArchiveIndex, Entry
index = ArchiveIndex(sys.argv[1])
number = 0
while True:
    index.record(Entry(f"url:{number:016x}", f"x/2022/01/{number:016x}.md", "https://example.com/", "0" * 32,
                       number * 0x9E3779B97F4A7C15 % 2**64, "2022-01-21T00:00:00+00:00"))
    print(number, flush=True)
    number += 1
"""


def test_a_writer_killed_mid_run_leaves_a_sound_index_with_every_acknowledged_entry(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    acknowledged = -1
    deadline = time.monotonic() + 60
    while acknowledged < 500 and time.monotonic() < deadline:
        acknowledged = int(process.stdout.readline())
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert acknowledged >= 500
    with sqlite3.connect(index_path(tmp_path)) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with ArchiveIndex(tmp_path) as index:
        count = len(index)
        assert count >= acknowledged + 1
        assert all(index.knows(f"url:{number:016x}") for number in range(count))
        last = index.get(f"url:{count - 1:016x}")
        assert index.find_near(last.simhash, 0) == [last]
        assert hamming(last.simhash, (count - 1) * 0x9E3779B97F4A7C15 % 2**64) == 0


def test_record_many_stores_a_batch_in_one_transaction(tmp_path):
    batch = [entry(number) for number in range(100)]
    with ArchiveIndex(tmp_path) as index:
        assert index.record_many(batch) == 100
        assert list(index.entries()) == batch
        assert index.find_near(batch[42].simhash, 0) == [batch[42]]


def test_fill_writes_the_same_rows_as_adding_one_by_one(tmp_path):
    stored = [entry(number) for number in range(300)]
    with ArchiveIndex(tmp_path / "a") as added, ArchiveIndex(tmp_path / "b") as filled:
        added.record_many(stored)
        with filled._write() as db:
            for item in stored:
                keys.upsert(db, item)
            near.fill(db)
        rows = "SELECT code, id, simhash FROM near ORDER BY code, id"
        assert added.connection.execute(rows).fetchall() == filled.connection.execute(rows).fetchall()
        assert len(filled.connection.execute(rows).fetchall()) == 300 * len(near.TABLES)


def test_load_stores_what_record_many_stores_and_writes_the_near_rows_in_code_order(tmp_path):
    first = [entry(number) for number in range(200)]
    later = [replace(entry(number), simhash=entry(number + 1000).simhash) for number in range(150, 250)]
    with ArchiveIndex(tmp_path / "a") as recorded, ArchiveIndex(tmp_path / "b") as loaded:
        for index in (recorded, loaded):
            index.alias("sina:doc00000240", "sina:doc00000001")
        recorded.record_many(first)
        recorded.record_many(later)
        assert loaded.load(first) == 200
        assert loaded.load(iter(later), batch=7) == 100
        assert list(loaded.entries()) == list(recorded.entries())
        assert loaded.alias_count() == recorded.alias_count() == 0
        rows = "SELECT code, id, simhash FROM near ORDER BY code, id"
        assert loaded.connection.execute(rows).fetchall() == recorded.connection.execute(rows).fetchall()
        assert len(loaded.connection.execute(rows).fetchall()) == 250 * len(near.TABLES)
        moved = loaded.get("sina:doc00000160")
        assert loaded.find_near(flip(moved.simhash, 1, 20, 40, 63), 6) == [moved]
        assert loaded.find_near(entry(160).simhash, 0) == []


def test_candidates_answers_what_get_find_exact_and_find_near_answer_one_by_one(tmp_path):
    rng = random.Random("candidates")
    base = rng.getrandbits(64)
    stored = [
        entry(n, flip(base, *rng.sample(range(64), rng.randint(0, 9))), f"{n % 7:032x}") for n in range(300)
    ]
    with ArchiveIndex(tmp_path) as index:
        index.record_many(stored)
        index.alias("sina:alias00000001", stored[5].key)
        queries = [
            (
                stored[rng.randrange(300)].key,
                f"{rng.randrange(9):032x}",
                flip(base, *rng.sample(range(64), 3)),
            )
            for _ in range(40)
        ] + [("sina:alias00000001", "f" * 32, rng.getrandbits(64)), ("sina:nothing", "e" * 32, base)]
        for key, body_hash, simhash in queries:
            for distance in (0, 3, 6, 8):
                found = index.candidates(key, body_hash, simhash, distance)
                assert found.known == index.get(key)
                assert found.exact == index.find_exact(body_hash)
                assert found.near == index.find_near(simhash, distance)
        assert any(index.candidates(key, h, s, 6).near for key, h, s in queries)
        plan = [
            row[-1]
            for row in index.connection.execute(
                f"EXPLAIN QUERY PLAN {CANDIDATES_SQL}", ("k", "h", *near.table_codes(base))
            )
        ]
        assert not [step for step in plan if step.startswith("SCAN") and "subquery" not in step], plan


def test_record_many_writes_the_near_rows_record_writes_one_by_one_in_python(tmp_path):
    stored = [entry(number) for number in range(120)] + [entry(500, 2**64 - 1), entry(501, 2**63)]
    changed = [
        replace(item, simhash=entry(item_number + 1000).simhash)
        for item_number, item in enumerate(stored[:30])
    ]
    with ArchiveIndex(tmp_path / "a") as one_by_one, ArchiveIndex(tmp_path / "b") as batched:
        for item in stored + changed:
            one_by_one.record(item)
        batched.record_many(stored)
        batched.record_many(changed)
        rows = "SELECT code, id, simhash FROM near ORDER BY code, id"
        expected = one_by_one.connection.execute(rows).fetchall()
        assert batched.connection.execute(rows).fetchall() == expected
        assert len(expected) == len(stored) * len(near.TABLES)
        final = {item.key: item.simhash for item in stored + changed}
        ids = dict(batched.connection.execute("SELECT key, id FROM entries"))
        assert sorted(expected) == sorted(
            row for key, simhash in final.items() for row in near.rows(ids[key], simhash)
        )
