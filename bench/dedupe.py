"""The archive index at scale: a synthetic archive grown to 1,000,000 entries.

The archive is built with the bulk path (``ArchiveIndex.load``: entries, then the near tables table by table
in code order) up to 2,000 entries short of each size; the last 2,000 are each ``record``-ed in their own
committed transaction, as a crawl stores them. At each size (10k, 100k and 1M by default) it prints the build's
seconds, insertions, lookups (``knows`` of stored and unknown keys, ``get``) per second, near-duplicate queries:
ms each over the process's first 2,000 ("cold": they also map the index's pages into the process, page faults
SQLite's ``mmap_size`` costs once), then queries per second, wall and CPU (``time.process_time``) ms each over the
next 2,000 (a long-running crawl's steady state), the index size on disk, the process's peak memory and the load
average (the machine may be shared). Run: ``python bench/dedupe.py [--sizes 10000,100000]``.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from newsbot.index import ArchiveIndex, Entry, index_path  # noqa: E402
from newsbot.settings import NEWSBOT_NEAR_DUPLICATE_DISTANCE  # noqa: E402

SIZES = (10_000, 100_000, 1_000_000)
TIMED_INSERTS = 2_000
LOOKUPS = 20_000
NEAR_QUERIES = 2_000


def entry(number: int) -> Entry:
    """A synthetic entry shaped like a Sina article's."""
    doc_id = f"i{number:014x}"
    rng = random.Random(number)
    return Entry(
        key=f"sina:{doc_id}",
        path=f"sina/2022/{number % 12 + 1:02d}/{doc_id}.md",
        url=f"https://finance.sina.com.cn/roll/2022-01-21/doc-{doc_id}.shtml",
        body_hash=f"{rng.getrandbits(128):032x}",
        simhash=rng.getrandbits(64),
        published="2022-01-21T00:15:00+00:00",
    )


def near(value: int, rng: random.Random, bits: int) -> int:
    for bit in rng.sample(range(64), bits):
        value ^= 1 << bit
    return value


def peak_memory_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, as ``uptime`` prints them."""
    return ", ".join(f"{load:.2f}" for load in os.getloadavg())


def measure(index: ArchiveIndex, size: int, rng: random.Random) -> dict[str, float]:
    """Rates at ``size`` entries: lookups of stored and unknown keys, ``get``, near-duplicate queries (also their
    CPU seconds)."""
    keys = [entry(rng.randrange(size)).key for _ in range(LOOKUPS)]
    started = time.perf_counter()
    assert all(index.knows(key) for key in keys)
    known = LOOKUPS / (time.perf_counter() - started)
    started = time.perf_counter()
    assert not any(index.knows(f"url:{rng.getrandbits(64):016x}") for _ in range(LOOKUPS))
    unknown = LOOKUPS / (time.perf_counter() - started)
    started = time.perf_counter()
    assert all(index.get(key) is not None for key in keys)
    gets = LOOKUPS / (time.perf_counter() - started)
    cold, _ = time_near(index, size, rng)
    warm, warm_cpu = time_near(index, size, rng)
    return {"knows": known, "unknown": unknown, "get": gets, "cold": cold, "near": warm, "near_cpu": warm_cpu}


def time_near(index: ArchiveIndex, size: int, rng: random.Random) -> tuple[float, float]:
    """Wall and CPU seconds per query of ``NEAR_QUERIES`` near-duplicate queries, each 3 bits from a stored
    entry (so each finds it)."""
    queries = [near(entry(rng.randrange(size)).simhash, rng, 3) for _ in range(NEAR_QUERIES)]
    started, cpu_started = time.perf_counter(), time.process_time()
    found = sum(bool(index.find_near(simhash, NEWSBOT_NEAR_DUPLICATE_DISTANCE)) for simhash in queries)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    assert found == NEAR_QUERIES
    return wall / NEAR_QUERIES, cpu / NEAR_QUERIES


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="comma-separated archive sizes")
    sizes = sorted(int(size) for size in parser.parse_args().sizes.split(","))
    rng = random.Random(20220121)
    print(
        f"near-duplicate distance {NEWSBOT_NEAR_DUPLICATE_DISTANCE}; inserts/s counts single committed records;"
        f" load average {load_average()}"
    )
    print(
        f"{'entries':>10} {'build s':>7} {'inserts/s':>9} {'knows/s':>9} {'µs/knows':>8} {'unknown/s':>9}"
        f" {'get/s':>8} {'cold ms/near':>12} {'near q/s':>8} {'ms/near':>7} {'CPU ms/near':>11} {'index MiB':>9}"
        f" {'peak RSS MiB':>12}"
        f"  load average"
    )
    with tempfile.TemporaryDirectory() as folder, ArchiveIndex(folder) as index:
        stored = 0
        for size in sizes:
            timed_from = max(stored, size - TIMED_INSERTS)
            started = time.perf_counter()
            if timed_from > stored:
                index.load(map(entry, range(stored, timed_from)))
            built = time.perf_counter() - started
            started = time.perf_counter()
            for number in range(timed_from, size):
                index.record(entry(number))
            inserts = (size - timed_from) / (time.perf_counter() - started)
            stored = size
            rates = measure(index, size, rng)
            disk = sum(path.stat().st_size for path in index_path(Path(folder)).parent.iterdir()) / 2**20
            print(
                f"{size:>10,} {built:>7,.0f} {inserts:>9,.0f} {rates['knows']:>9,.0f} {1e6 / rates['knows']:>8.1f}"
                f" {rates['unknown']:>9,.0f} {rates['get']:>8,.0f} {1e3 * rates['cold']:>12.3f}"
                f" {1 / rates['near']:>8,.0f} {1e3 * rates['near']:>7.3f} {1e3 * rates['near_cpu']:>11.3f} {disk:>9,.0f}"
                f" {peak_memory_mib():>12,.0f}  {load_average()}",
                flush=True,
            )

if __name__ == "__main__":
    main()
