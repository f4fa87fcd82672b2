"""Replay speed against the snapshot crawl on the same pages: wall time and articles per second.

Each run is its own ``newsbot`` process into an empty folder: the snapshot crawl (real downloader, the
bundled snapshot served on 127.0.0.1), the same crawl recording a WARC, and the replay of that WARC.
``seconds`` is the whole process; ``crawl s`` is spider open to close, from the run's summary file.
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
        [*NEWSBOT, *args, "-o", str(out), "-s", f"NEWSBOT_SUMMARY_FILE={summary}", "-s", "LOG_LEVEL=ERROR"],
        check=True,
        capture_output=True,
    )
    wall = time.perf_counter() - started
    posts = sum(1 for path in out.rglob("*.md") if not any(part.startswith(".") for part in path.parts))
    return wall, json.loads(summary.read_text())["seconds"], posts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each kind; the median is shown")
    repeat = parser.parse_args().repeat
    kinds = ("snapshot crawl", "crawl + record", "replay")
    results: dict[str, list[tuple[float, float, int]]] = {kind: [] for kind in kinds}
    with tempfile.TemporaryDirectory(prefix="newsbot-bench-") as scratch:
        root = Path(scratch)
        for n in range(repeat):
            warc = root / f"run{n}.warc.gz"
            commands = {
                "snapshot crawl": ["crawl", "sina-finance", "--snapshot", *SAME_PACE],
                "crawl + record": ["crawl", "sina-finance", "--snapshot", "--record", str(warc), *SAME_PACE],
                "replay": ["replay", str(warc)],
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
        print(f"{kind:16}{wall:9.2f}{crawl:9.2f}{posts:10d}{posts / wall:12.1f}")
    (crawl_wall, crawl_inside), (replay_wall, replay_inside) = medians["snapshot crawl"], medians["replay"]
    print(
        f"replay is {crawl_wall / replay_wall:.2f}x the snapshot crawl's speed in wall time, "
        f"{crawl_inside / replay_inside:.2f}x from spider open to close"
    )


if __name__ == "__main__":
    main()
