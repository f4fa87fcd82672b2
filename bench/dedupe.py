"""The archive index at scale: a synthetic archive grown to 1,000,000 entries.

The archive is filled in batches; at 10k, 100k and 1M entries it prints insertions (the last 2,000, each
``record`` its own committed transaction, as a crawl stores them), lookups (``knows`` of stored and unknown
keys, ``get``) and near-duplicate queries per second, the index size on disk and the process's peak memory. Run: ``python bench/dedupe.py [--sizes 10000,100000]``.
"""

from __future__ import annotations

import argparse
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
BATCH = 50_000
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


def measure(index: ArchiveIndex, size: int, rng: random.Random) -> dict[str, float]:
    """Rates at ``size`` entries: lookups of stored and unknown keys, ``get``, near-duplicate queries."""
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
    queries = [entry(rng.randrange(size)) for _ in range(NEAR_QUERIES)]
    started = time.perf_counter()
    found = sum(
        bool(index.find_near(near(item.simhash, rng, 3), NEWSBOT_NEAR_DUPLICATE_DISTANCE)) for item in queries
    )
    near_rate = NEAR_QUERIES / (time.perf_counter() - started)
    assert found == NEAR_QUERIES
    return {"knows": known, "unknown": unknown, "get": gets, "near": near_rate}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="comma-separated archive sizes")
    sizes = sorted(int(size) for size in parser.parse_args().sizes.split(","))
    rng = random.Random(20220121)
    print(
        f"near-duplicate distance {NEWSBOT_NEAR_DUPLICATE_DISTANCE}; inserts/s counts single committed records"
    )
    print(
        f"{'entries':>9} {'inserts/s':>10} {'knows/s':>9} {'µs/knows':>8} {'unknown/s':>9} {'get/s':>8}"
        f" {'near q/s':>8} {'ms/near':>7} {'index MiB':>9} {'peak RSS MiB':>12}"
    )
    with tempfile.TemporaryDirectory() as folder, ArchiveIndex(folder) as index:
        stored = 0
        for size in sizes:
            timed_from = max(stored, size - TIMED_INSERTS)
            for start in range(stored, timed_from, BATCH):
                index.record_many(map(entry, range(start, min(start + BATCH, timed_from))))
            started = time.perf_counter()
            for number in range(timed_from, size):
                index.record(entry(number))
            inserts = (size - timed_from) / (time.perf_counter() - started)
            stored = size
            rates = measure(index, size, rng)
            disk = sum(path.stat().st_size for path in index_path(Path(folder)).parent.iterdir()) / 2**20
            print(
                f"{size:>9,} {inserts:>10,.0f} {rates['knows']:>9,.0f} {1e6 / rates['knows']:>8.1f}"
                f" {rates['unknown']:>9,.0f} {rates['get']:>8,.0f} {rates['near']:>8,.0f}"
                f" {1e3 / rates['near']:>7.2f} {disk:>9,.0f} {peak_memory_mib():>12,.0f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
