"""What watching a run costs: the bundled snapshot crawled with the monitors and the run history, and without.

Each round crawls the bundled snapshot into a fresh folder once per variant, variants alternating so the
machine's load falls on all alike; it prints the median wall time of the whole ``newsbot crawl`` process, the
median time spidermon's monitors took (from its ``N monitors in X s`` log line) and the median time a fresh
interpreter that already holds Scrapy and newsbot's pipelines takes to import spidermon and the monitors. Run:
``python bench/monitoring.py [--rounds 7]``.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VARIANTS = {
    "monitors and run history": [],
    "run history only": ["-s", "SPIDERMON_ENABLED=False"],
    "neither": [
        "-s",
        "SPIDERMON_ENABLED=False",
        "-s",
        'EXTENSIONS={"newsbot.extensions.history.RunHistoryRecorder": null}',
    ],
}
IMPORT_TIME = """
import time, scrapy, newsbot.extraction, newsbot.pipelines.store
started = time.perf_counter()
import spidermon.contrib.scrapy.extensions, newsbot.monitors.suite
print(time.perf_counter() - started)
"""
MONITORS_LINE = re.compile(r"\[Spidermon\] \d+ monitors in ([\d.]+)s")


def crawl(settings: list[str]) -> tuple[float, float | None]:
    """One crawl of the bundled snapshot: its wall time and the monitors' own time, in seconds."""
    with tempfile.TemporaryDirectory() as scratch:
        started = time.perf_counter()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "newsbot.cli",
                "crawl",
                "sina-finance",
                "--snapshot",
                "-s",
                f"NEWSBOT_OUTPUT_DIR={scratch}",
                *settings,
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        elapsed = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"crawl failed: {done.stderr.strip().splitlines()[-1]}")
    match = MONITORS_LINE.search(done.stderr)
    return elapsed, float(match.group(1)) if match else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    rounds = parser.parse_args().rounds
    walls: dict[str, list[float]] = {name: [] for name in VARIANTS}
    monitors: list[float] = []
    for _ in range(rounds):
        for name, settings in VARIANTS.items():
            wall, monitor_time = crawl(settings)
            walls[name].append(wall)
            if monitor_time is not None:
                monitors.append(monitor_time)
    print(f"{rounds} rounds, bundled snapshot; median wall time of the crawl process")
    for name, times in walls.items():
        print(f"  {name:<26}{statistics.median(times):6.2f} s  (min {min(times):.2f}, max {max(times):.2f})")
    if monitors:
        print(f"  spidermon's monitors alone {statistics.median(monitors) * 1000:6.1f} ms")
    imports = [
        float(
            subprocess.run(
                [sys.executable, "-c", IMPORT_TIME], cwd=ROOT, capture_output=True, text=True, check=True
            ).stdout
        )
        for _ in range(rounds)
    ]
    print(f"  importing spidermon        {statistics.median(imports) * 1000:6.0f} ms")


if __name__ == "__main__":
    main()
