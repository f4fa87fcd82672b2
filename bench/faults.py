"""SIGKILL a snapshot crawl at random points, restart it, and check the archive each time.

Each round crawls a generated snapshot (``bench.pages``) into an empty folder with ``newsbot crawl``, kills the
process with SIGKILL at a random moment while it stores (once a random number of posts is there, plus a random
few milliseconds; one round in five before the first post), checks what the kill left (every post already there
valid), restarts the crawl to its end, then checks the archive: no temporary file, every post valid, one post
per article, the index naming exactly the posts, and every article of the snapshot stored with its text.

``python -m bench.faults [--rounds 20] [--count 200]``
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from bench.pages import read_truth, write_snapshot
from newsbot.identity import key_from_post_path
from newsbot.index import ArchiveIndex
from newsbot.storage import TEMPORARY_SUFFIX
from newsbot.validate import posts_under, problems

ROOT = Path(__file__).resolve().parents[1]

# Run before newsbot in the crawl's interpreter: post writes fail with ENOSPC once FAULT_DISK_BYTES are written.
FULL_DISK = """
import errno, os, types, newsbot.storage as storage
budget = [int(os.environ["FAULT_DISK_BYTES"])]
real_fdopen = os.fdopen

class FullDisk:
    def __init__(self, handle):
        self.handle = handle
    def __enter__(self):
        return self
    def __exit__(self, *exc):
        self.handle.close()
    def write(self, text):
        room = max(0, budget[0])
        self.handle.write(text[:room])
        budget[0] -= len(text.encode())
        if budget[0] < 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    def __getattr__(self, name):
        return getattr(self.handle, name)

storage.os = types.SimpleNamespace(**vars(os))
storage.os.fdopen = lambda *args, **kwargs: FullDisk(real_fdopen(*args, **kwargs))
"""


def crawl_command(snapshot: Path, output: Path) -> list[str]:
    """``newsbot crawl sina-finance`` of a snapshot folder into ``output``, every listing page followed."""
    return [
        sys.executable,
        "-c",
        "from newsbot.cli import main; main()",
        "crawl",
        "sina-finance",
        "--snapshot",
        str(snapshot),
        "-o",
        str(output),
        "--max-pages",
        "1000",
        "-s",
        "LOG_LEVEL=WARNING",
    ]


def environment() -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("SCRAPY_SETTINGS_MODULE", None)
    return env


def start_crawl(snapshot: Path, output: Path) -> subprocess.Popen:
    return subprocess.Popen(
        crawl_command(snapshot, output),
        cwd=ROOT,
        env=environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def finish_crawl(snapshot: Path, output: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        crawl_command(snapshot, output),
        cwd=ROOT,
        env=environment(),
        capture_output=True,
        text=True,
        timeout=600,
    )


def posts(output: Path) -> list[Path]:
    """The posts of an archive, previous versions aside."""
    return [path for path in posts_under(output) if not path.relative_to(output).parts[0].startswith(".")]


def kill_when(process: subprocess.Popen, ready: Callable[[], bool], timeout: float = 120) -> bool:
    """SIGKILL ``process`` as soon as ``ready()``; ``False`` when it ended first."""
    deadline = time.monotonic() + timeout
    while process.poll() is None and time.monotonic() < deadline:
        if ready():
            process.send_signal(signal.SIGKILL)
            process.wait()
            return True
        time.sleep(0.01)
    process.kill()
    process.wait()
    return False


def temporaries(output: Path) -> list[Path]:
    return [path for path in output.rglob(f"*{TEMPORARY_SUFFIX}") if path.is_file()]


def partial_posts(output: Path) -> list[str]:
    """Every post under ``output`` (previous versions included) that is not a whole, valid post."""
    return [
        f"{path}: {'; '.join(found)}"
        for path in posts_under(output)
        if (found := problems(path.read_text(encoding="utf-8", errors="replace")))
    ]


def archive_problems(output: Path, truth: list[dict[str, str]]) -> list[str]:
    """What is wrong with an archive that should hold exactly the articles of ``truth``."""
    found = [f"temporary file left: {path}" for path in temporaries(output)]
    found += partial_posts(output)
    stored = posts(output)
    names = Counter(path.stem for path in stored)
    found += [f"{name} stored {count} times" for name, count in names.items() if count > 1]
    with ArchiveIndex(output) as index:
        entries = {entry.key: entry.path for entry in index.entries()}
    for path in stored:
        relpath = path.relative_to(output).as_posix()
        key = key_from_post_path(relpath)
        if entries.get(key) != relpath:
            found.append(f"index has {entries.get(key)!r} for {key}, the post is {relpath}")
    if len(entries) != len(stored):
        found.append(f"index names {len(entries)} articles, the archive holds {len(stored)} posts")
    by_name = {path.stem: path for path in stored}
    for article in truth:
        path = by_name.get(article["doc_id"])
        if path is None:
            found.append(f"lost: {article['url']}")
        elif article["text"].splitlines()[-1][-40:] not in path.read_text(encoding="utf-8"):
            found.append(f"text cut short: {path}")
    return found


def one_round(snapshot: Path, output: Path, after_posts: int, delay: float) -> dict[str, object]:
    """Crawl, SIGKILL ``delay`` seconds after ``after_posts`` posts are there, look, restart to the end, check."""
    process = start_crawl(snapshot, output)
    reached: list[float] = []

    def ready() -> bool:
        if not reached and output.is_dir() and len(posts(output)) >= after_posts:
            reached.append(time.monotonic())
        return bool(reached) and time.monotonic() - reached[0] >= delay

    started = time.monotonic()
    killed = kill_when(process, ready)
    kill_at = time.monotonic() - started
    at_kill = len(posts(output)) if output.exists() else 0
    left = len(temporaries(output)) if output.exists() else 0
    partial = partial_posts(output) if output.exists() else []
    rerun = finish_crawl(snapshot, output)
    found = partial + archive_problems(output, read_truth(snapshot))
    if rerun.returncode:
        found.append(f"restarted crawl exited {rerun.returncode}: {rerun.stderr[-500:]}")
    return {
        "killed": killed,
        "kill at": kill_at,
        "posts at kill": at_kill,
        "temporaries at kill": left,
        "problems": found,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--count", type=int, default=200, help="generated article pages")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="newsbot-faults-") as scratch:
        work = Path(scratch)
        snapshot = work / "snapshot"
        write_snapshot(snapshot, args.count)
        started = time.monotonic()
        whole = finish_crawl(snapshot, work / "whole")
        duration = time.monotonic() - started
        print(
            f"uninterrupted crawl: {duration:.1f} s, {len(posts(work / 'whole'))} posts, exit {whole.returncode}"
        )
        print(
            f"{'round':>5}{'kill at s':>11}{'killed':>8}{'posts then':>12}{'tmp then':>10}  outcome after restart"
        )
        failures = 0
        for number in range(1, args.rounds + 1):
            after_posts = 0 if rng.random() < 0.2 else rng.randrange(1, args.count)
            delay = rng.uniform(0, 1.0) if after_posts == 0 else rng.uniform(0, 0.05)
            result = one_round(snapshot, work / f"round-{number}", after_posts, delay)
            found = result["problems"]
            failures += bool(found)
            outcome = "complete: nothing lost, doubled or partial" if not found else "; ".join(found[:3])
            print(
                f"{number:5d}{result['kill at']:11.2f}{result['killed']!s:>8}{result['posts at kill']:12d}"
                f"{result['temporaries at kill']:10d}  {outcome}"
            )
        print(f"{args.rounds - failures} of {args.rounds} rounds complete after the restart")


if __name__ == "__main__":
    main()
