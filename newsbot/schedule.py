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
from collections import deque
from collections.abc import Callable, Iterable, Iterator
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


CHILD_LOG_FORMAT = "%(levelname)s [%(name)s] %(message)s"
_CHILD_LINE = re.compile(r"^(DEBUG|INFO|WARNING|ERROR|CRITICAL) \[")
_LEVELS = {"DEBUG": logging.DEBUG, "INFO": logging.INFO, "WARNING": logging.WARNING, "ERROR": logging.ERROR}
LAST_PROBLEMS = 10
RUN_LINE_COUNTS = ("new", "updated", "skipped", "duplicates", "failed", "given up")


@dataclass(frozen=True, slots=True)
class RunResult:
    """How one scheduled crawl ended: exit status, seconds, its summary file (total at the top level, as
    ``newsbot.extensions.progress`` writes it) and its last WARNING/ERROR lines."""

    exit_code: int
    seconds: float
    summary: dict
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and bool(self.summary)

    @property
    def reason(self) -> str:
        """Why the run failed: its summary's headline, else its last error line."""
        if self.summary.get("headline") and self.summary.get("exit_status"):
            return self.summary["headline"]
        if self.problems:
            return self.problems[-1]
        return "it wrote no summary" if self.exit_code == 0 else "no summary, no error logged"

    def line(self, number: int) -> str:
        if not self.ok:
            return f"run {number}: FAILED (exit {self.exit_code}) after {self.seconds:.1f}s: {self.reason}"
        counts = " ".join(f"{name.replace(' ', '_')}={self.summary.get(name, 0)}" for name in RUN_LINE_COUNTS)
        return f"run {number}: {counts} in {self.seconds:.1f}s"


def relay(lines: Iterable[str], number: int) -> tuple[str, ...]:
    """Log a child's output lines at their own level, as ``run N | LINE``; the first lines of its last
    WARNING/ERROR records, else its last line (a usage error, a crash).

    A line without a level (a continuation, a traceback) takes the level of the line before.
    """
    child_logger = logging.getLogger(f"{__name__}.run")
    problems: deque[str] = deque(maxlen=LAST_PROBLEMS)
    level = logging.INFO
    last = ""
    for raw in lines:
        line = raw.rstrip("\n")
        if match := _CHILD_LINE.match(line):
            level = _LEVELS.get(match[1], logging.CRITICAL)
            if level >= logging.WARNING:
                problems.append(line)
        child_logger.log(level, "run %d | %s", number, line)
        last = line.strip() or last
    return tuple(problems) or ((last,) if last else ())


def run_crawl(crawl_args: list[str], number: int = 0) -> RunResult:
    """Run ``newsbot crawl ARGS`` in a child process, relaying its output to the log, and read its summary."""
    with tempfile.TemporaryDirectory(prefix="newsbot-run-") as scratch:
        summary_file = Path(scratch) / "summary.json"
        command = [sys.executable, "-c", "from newsbot.cli import main; main()", "crawl", *crawl_args]
        command += ["-s", f"NEWSBOT_SUMMARY_FILE={summary_file}", "-s", f"LOG_FORMAT={CHILD_LOG_FORMAT}"]
        started = time.monotonic()
        with subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace"
        ) as child:
            problems = relay(child.stdout, number)
        summary = json.loads(summary_file.read_text(encoding="utf-8")) if summary_file.exists() else {}
        return RunResult(child.returncode, time.monotonic() - started, summary, problems)


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
    run: Callable[[int], RunResult],
    interval: float,
    jitter: float = 0.1,
    runs: int | None = None,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
) -> list[RunResult]:
    """Run ``run(N)`` every ``interval`` seconds, one at a time, ``runs`` times (forever if ``None``).

    Each run is logged in one line, at INFO, or at ERROR with its reason and last error lines when it failed.
    """
    rng = rng or random.Random()
    results: list[RunResult] = []
    while runs is None or len(results) < runs:
        result = run(len(results) + 1)
        results.append(result)
        if result.ok:
            logger.info(result.line(len(results)))
        else:
            logger.error("\n".join([result.line(len(results)), *(f"  {line}" for line in result.problems)]))
        if runs is not None and len(results) >= runs:
            break
        sleep(next_delay(interval, jitter, result.seconds, rng))
    return results
