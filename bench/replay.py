"""Replay speed against the snapshot crawl on the same pages: wall time and articles per second.

Each run is its own ``newsbot`` process into an empty folder: the snapshot crawl (real downloader, a snapshot
served on 127.0.0.1), the same crawl recording a WARC, and the replay of that WARC. ``seconds`` is the whole
process; ``crawl s`` is spider open to close, from the run's summary file, and ``articles/s`` is taken on it.

``python bench/replay.py [--repeat 3] [--snapshot DIR] [--max-pages N]``; a bigger snapshot than the bundled
one: ``python -m bench.pages DIR --count 2000``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NEWSBOT = [sys.executable, "-c", "from newsbot.cli import main; main()"]
SAME_PACE = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False"]


def timed(args: list[str], out: Path, summary: Path) -> tuple[float, float, int]:
    """Run one newsbot command: wall seconds, crawl seconds, posts written."""
    started = time.perf_counter()
    subprocess.run(
        [*NEWSBOT, *args, "-s", f"NEWSBOT_OUTPUT_DIR={out}", "-s", f"NEWSBOT_SUMMARY_FILE={summary}", "-s", "LOG_LEVEL=ERROR"],
        check=True,
        capture_output=True,
    )
    wall = time.perf_counter() - started
    posts = sum(1 for path in out.rglob("*.md") if not any(part.startswith(".") for part in path.parts))
    return wall, json.loads(summary.read_text())["seconds"], posts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each kind; the median is shown")
    parser.add_argument("--snapshot", metavar="DIR", help="snapshot folder (default: the bundled one)")
    parser.add_argument("--max-pages", metavar="N", help="listing pages per channel at most")
    options = parser.parse_args()
    source = ["crawl", "sina-finance", "--snapshot", *([options.snapshot] if options.snapshot else [])]
    source += [*(["--max-pages", options.max_pages] if options.max_pages else []), *SAME_PACE]
    repeat = options.repeat
    kinds = ("snapshot crawl", "crawl + record", "replay")
    results: dict[str, list[tuple[float, float, int]]] = {kind: [] for kind in kinds}
    with tempfile.TemporaryDirectory(prefix="newsbot-bench-") as scratch:
        root = Path(scratch)
        for n in range(repeat):
            warc = root / f"run{n}.warc.gz"
            commands = {
                "snapshot crawl": source,
                "crawl + record": [*source, "--record", str(warc)],
                "replay": [
                    "replay",
                    str(warc),
                    *(["-a", f"max_pages={options.max_pages}"] if options.max_pages else []),
                ],
            }
            for kind in kinds:
                folder = root / f"{kind.replace(' ', '-')}-{n}"
                results[kind].append(timed(commands[kind], folder, root / f"{folder.name}.json"))
    print(f"{'':16}{'seconds':>9}{'crawl s':>9}{'articles':>10}{'articles/s':>12}")
    medians = {}
    for kind in kinds:
        wall = statistics.median(r[0] for r in results[kind])
        crawl = statistics.median(r[1] for r in results[kind])
        posts = results[kind][0][2]
        medians[kind] = (wall, crawl)
        print(f"{kind:16}{wall:9.2f}{crawl:9.2f}{posts:10d}{posts / crawl:12.1f}")
    if len({results[kind][0][2] for kind in kinds}) > 1:
        print("warning: the runs wrote different numbers of posts")
    (crawl_wall, crawl_inside), (replay_wall, replay_inside) = medians["snapshot crawl"], medians["replay"]
    print(
        f"replay is {crawl_wall / replay_wall:.2f}x the snapshot crawl's speed in wall time, "
        f"{crawl_inside / replay_inside:.2f}x from spider open to close"
    )


if __name__ == "__main__":
    main()
