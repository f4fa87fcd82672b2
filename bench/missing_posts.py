"""Time the check a crawl makes at its start for posts the index names but the archive lacks.

Builds an index of ``--count`` entries and their post files (tiny ones: the check only stats them) in a
temporary folder, then times ``missing_posts`` (one index scan and one ``stat`` per entry), with the page cache
warm. ``python -m bench.missing_posts [--count 200000]``
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from newsbot.index import ArchiveIndex, Entry
from newsbot.ledger import missing_posts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="newsbot-missing-") as scratch:
        root = Path(scratch)
        entries = [
            Entry(
                f"k{n}",
                f"sina/2024/{n % 12 + 1:02d}/{n // 1000}/p{n}.md",
                f"https://x.test/{n}",
                "h",
                n,
                "2024",
            )
            for n in range(args.count)
        ]
        for entry in entries:
            path = root / entry.path
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"x")
        (root / entries[0].path).unlink()
        with ArchiveIndex(root) as index:
            index.record_many(entries)
            for _ in range(2):
                started = time.perf_counter()
                missing = missing_posts(root, ("sina",))
                seconds = time.perf_counter() - started
        per_million = seconds / args.count * 1_000_000
        print(
            f"{args.count} entries, {len(missing)} missing: {seconds:.2f} s "
            f"({seconds / args.count * 1e6:.1f} µs an entry, {per_million:.1f} s for 1M entries)"
        )


if __name__ == "__main__":
    main()
