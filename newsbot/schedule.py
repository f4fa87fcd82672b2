"""Scheduled crawls: one crawl at a time, at an interval with jitter, each in its own process."""

from __future__ import annotations

import fcntl
import json
import logging
import random
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> float:
    """Seconds in ``90``, ``90s``, ``15m``, ``1.5h`` or ``1d``."""
    match = _DURATION.match(text.lower())
    if match is None or float(match[1]) <= 0:
        raise ValueError(f"not a duration: {text!r} (use e.g. 30s, 15m, 1h)")
    return float(match[1]) * _UNIT_SECONDS[match[2]]


def next_delay(interval: float, jitter: float, elapsed: float, rng: random.Random) -> float:
    """Seconds to wait after a run that took ``elapsed``: the interval, give or take ``jitter`` of it."""
    spread = interval * jitter
    return max(0.0, interval + rng.uniform(-spread, spread) - elapsed)


@dataclass(frozen=True, slots=True)
class RunResult:
    """How one scheduled crawl ended."""

    exit_code: int
    seconds: float
    summary: dict

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and bool(self.summary)

    def line(self, number: int) -> str:
        if not self.ok:
            return f"run {number}: failed (exit {self.exit_code}) after {self.seconds:.1f}s"
        counts = " ".join(
            f"{name}={self.summary.get(name, 0)}"
            for name in ("new", "updated", "skipped", "duplicates", "failed")
        )
        return f"run {number}: {counts} in {self.seconds:.1f}s"


def run_crawl(crawl_args: list[str]) -> RunResult:
    """Run ``newsbot crawl ARGS`` in a child process and read its summary."""
    with tempfile.TemporaryDirectory(prefix="newsbot-run-") as scratch:
        summary_file = Path(scratch) / "summary.json"
        command = [sys.executable, "-c", "from newsbot.cli import main; main()", "crawl", *crawl_args]
        command += ["-s", f"NEWSBOT_SUMMARY_FILE={summary_file}"]
        started = time.monotonic()
        exit_code = subprocess.call(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        summary = json.loads(summary_file.read_text(encoding="utf-8")) if summary_file.exists() else {}
        return RunResult(exit_code, time.monotonic() - started, summary)


@contextmanager
def exclusive(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``lock_path``; ``BlockingIOError`` if another process holds it."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def schedule(
    run: Callable[[], RunResult],
    interval: float,
    jitter: float = 0.1,
    runs: int | None = None,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
) -> list[RunResult]:
    """Run ``run`` every ``interval`` seconds, one at a time, ``runs`` times (forever if ``None``)."""
    rng = rng or random.Random()
    results: list[RunResult] = []
    while runs is None or len(results) < runs:
        result = run()
        results.append(result)
        logger.info(result.line(len(results)))
        if runs is not None and len(results) >= runs:
            break
        sleep(next_delay(interval, jitter, result.seconds, rng))
    return results
