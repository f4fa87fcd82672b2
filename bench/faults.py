"""SIGKILL a snapshot crawl at random points, restart it, and check the archive each time.

Each round crawls a generated snapshot (``bench.pages``) into an empty folder with ``newsbot crawl``, kills the
process with SIGKILL at a random moment while it stores (once a random number of posts is there, plus a random
few milliseconds; one round in five before the first post), checks what the kill left (every post already there
valid), restarts the crawl to its end, then checks the archive: no temporary file, every post valid, one post
per article, the index naming exactly the posts, and every article of the snapshot stored with its text.

Mixed rounds (``--mixed-rounds``) stage several faults in one crawl of the snapshot: 503s through every retry
for a random share of the articles (a copy of the manifest with ``status: 503``), a full disk (``ENOSPC``
injected after a random number of bytes, or a small tmpfs where mounting is allowed) and a SIGKILL at a random
point; a second run meets 503s on another share; then healthy runs (the ledger's backoff set to 0, standing for
the time between cron runs) go on until one archives nothing more. The final archive is compared file by file
with an uninterrupted crawl of the same snapshot: nothing missing, nothing doubled, nothing partial, nothing
else, and the failed-article ledger empty. Posts that differ only in their channel category are counted apart:
the generated list pages of channels without a roll API list every channel's articles, and the spider files an
article under the first listing that names it, so two uninterrupted crawls differ there too.

``python -m bench.faults [--rounds 20] [--mixed-rounds 10] [--count 200]``
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

from bench.pages import read_truth, write_snapshot
from newsbot.identity import key_from_post_path
from newsbot.index import INDEX_DIR, ArchiveIndex
from newsbot.ledger import ledger_entries
from newsbot.snapshot_server import MANIFEST
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


def crawl_command(snapshot: Path, output: Path, prelude: str = "", *settings: str) -> list[str]:
    """``newsbot crawl sina-finance`` of a snapshot folder into ``output``, every listing page followed;
    ``prelude`` runs first in the crawl's interpreter, ``settings`` are more ``NAME=VALUE``."""
    command = [sys.executable, "-c", prelude + "from newsbot.cli import main; main()"]
    command += ["crawl", "sina-finance", "--snapshot", str(snapshot), "--max-pages", "1000"]
    for setting in ("LOG_LEVEL=WARNING", f"NEWSBOT_OUTPUT_DIR={output}", *settings):
        command += ["-s", setting]
    return command


def environment() -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("SCRAPY_SETTINGS_MODULE", None)
    return env


def start_crawl(
    snapshot: Path, output: Path, prelude: str = "", *settings: str, **env: str
) -> subprocess.Popen:
    return subprocess.Popen(
        crawl_command(snapshot, output, prelude, *settings),
        cwd=ROOT,
        env={**environment(), **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def finish_crawl(
    snapshot: Path, output: Path, prelude: str = "", *settings: str, **env: str
) -> subprocess.CompletedProcess:
    return subprocess.run(
        crawl_command(snapshot, output, prelude, *settings),
        cwd=ROOT,
        env={**environment(), **env},
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


def staged_snapshot(snapshot: Path, folder: Path, failing: set[str]) -> Path:
    """A snapshot in ``folder`` serving ``snapshot``'s files, where the ``failing`` URLs answer 503 every time."""
    manifest = json.loads((snapshot / MANIFEST).read_text(encoding="utf-8"))
    for url, entry in manifest.items():
        if "file" in entry:
            entry["file"] = str((snapshot / entry["file"]).resolve())
        if url in failing:
            entry["status"] = 503
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    return folder


def archive_files(output: Path) -> dict[str, bytes]:
    """Every file of an archive but its index folder, by path relative to it."""
    return {
        path.relative_to(output).as_posix(): path.read_bytes()
        for path in output.rglob("*")
        if path.is_file() and path.relative_to(output).parts[0] != INDEX_DIR
    }


def without_channel(post: bytes) -> bytes:
    """A post without its categories' lines: an article two channels list is filed under the channel whose
    listing names it first, which differs between two uninterrupted crawls too."""
    return re.sub(rb"(?m)^ - .*\n", b"", post, count=3)


def compare_archives(output: Path, whole: Path) -> tuple[list[str], int]:
    """How the archive at ``output`` differs from the uninterrupted crawl's at ``whole``, and what its
    failed-article ledger still holds; and how many posts differ only in their channel category."""
    mine, theirs = archive_files(output), archive_files(whole)
    found = [f"missing: {name}" for name in sorted(theirs.keys() - mine.keys())]
    found += [f"not in the uninterrupted crawl: {name}" for name in sorted(mine.keys() - theirs.keys())]
    changed = [name for name in sorted(theirs.keys() & mine.keys()) if mine[name] != theirs[name]]
    found += [
        f"differs: {name}" for name in changed if without_channel(mine[name]) != without_channel(theirs[name])
    ]
    found += [f"ledger still holds {entry.url} ({entry.last_error})" for entry in ledger_entries(output)]
    return found, len(changed) - sum(problem.startswith("differs: ") for problem in found)


@contextmanager
def small_disk(folder: Path, size: str) -> Iterator[Path | None]:
    """A tmpfs of ``size`` mounted at ``folder``, or ``None`` where mounting is not allowed."""
    folder.mkdir(parents=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True
    )
    if mounted.returncode:
        yield None
        return
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)


def can_mount(work: Path) -> bool:
    """Whether this process may mount a tmpfs."""
    with small_disk(work / "mount-probe", "64k") as disk:
        return disk is not None


HEALTHY = ("NEWSBOT_RETRY_BACKOFF=0",)


def mixed_round(
    snapshot: Path, work: Path, whole: Path, rng: random.Random, tmpfs: bool
) -> dict[str, object]:
    """One crawl meeting 503s, a full disk and maybe a SIGKILL, one meeting other 503s, then healthy runs until
    one archives nothing more; the archive compared with the uninterrupted crawl's."""
    truth = read_truth(snapshot)
    urls = sorted(article["url"] for article in truth)
    first = set(rng.sample(urls, rng.randint(1, len(urls) // 8)))
    second = set(rng.sample(urls, rng.randint(1, len(urls) // 8)))
    disk_kind = rng.choice(["ENOSPC", "tmpfs"] if tmpfs else ["ENOSPC"])
    kill_after = rng.randrange(0, len(urls)) if rng.random() < 0.7 else None
    budget = rng.randrange(300_000, 1_500_000)
    size = f"{rng.randrange(2_500, 6_000)}k"
    with small_disk(work / "disk", size) if disk_kind == "tmpfs" else nullcontext() as disk:
        output = (disk if disk_kind == "tmpfs" else work) / "out"
        prelude, env = ("", {}) if disk_kind == "tmpfs" else (FULL_DISK, {"FAULT_DISK_BYTES": str(budget)})
        process = start_crawl(
            staged_snapshot(snapshot, work / "staged-1", first), output, prelude, *HEALTHY, **env
        )
        killed = False
        if kill_after is None:
            process.wait(timeout=600)
        else:
            killed = kill_when(process, lambda: output.is_dir() and len(posts(output)) >= kill_after)
        after_faults = len(posts(output)) if output.exists() else 0
        found = partial_posts(output) if output.exists() else []
        if disk_kind == "tmpfs":
            subprocess.run(["mount", "-o", "remount,size=256m", str(disk)], check=True)
        again = finish_crawl(staged_snapshot(snapshot, work / "staged-2", second), output, "", *HEALTHY)
        healthy = 0
        while healthy < 5:
            healthy += 1
            summary = work / f"summary-{healthy}.json"
            run = finish_crawl(snapshot, output, "", *HEALTHY, f"NEWSBOT_SUMMARY_FILE={summary}")
            if run.returncode:
                found.append(f"healthy run {healthy} exited {run.returncode}: {run.stderr[-300:]}")
            stats = json.loads(summary.read_text(encoding="utf-8"))["stats"] if summary.exists() else {}
            if not stats.get("newsbot/new") and not stats.get("newsbot/ledger/retried"):
                break
        compared, other_channel = compare_archives(output, whole)
        found += archive_problems(output, truth) + compared
    return {
        "disk": f"{disk_kind} {size if disk_kind == 'tmpfs' else f'{budget // 1024}k'}",
        "503s": f"{len(first)}+{len(second)}",
        "killed": killed,
        "posts after faults": after_faults,
        "after 2nd": again.returncode,
        "healthy runs": healthy,
        "other channel": other_channel,
        "problems": found,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20, help="rounds of SIGKILL alone")
    parser.add_argument(
        "--mixed-rounds", type=int, default=10, help="rounds of 503s, a full disk and SIGKILL"
    )
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
        if args.rounds:
            print(f"{args.rounds - failures} of {args.rounds} rounds complete after the restart")
        if not args.mixed_rounds:
            return
        tmpfs = can_mount(work)
        print(f"mixed rounds (tmpfs {'allowed' if tmpfs else 'not allowed: injected ENOSPC only'})")
        print(
            f"{'round':>5}{'full disk at':>14}{'503s':>8}{'killed':>8}{'posts then':>12}{'healthy runs':>14}"
            f"{'other channel':>15}  outcome"
        )
        failures = 0
        for number in range(1, args.mixed_rounds + 1):
            result = mixed_round(snapshot, work / f"mixed-{number}", work / "whole", rng, tmpfs)
            found = result["problems"]
            failures += bool(found)
            outcome = (
                "same as uninterrupted: nothing missing, doubled or partial"
                if not found
                else "; ".join(found[:3])
            )
            print(
                f"{number:5d}{result['disk']:>14}{result['503s']:>8}{result['killed']!s:>8}"
                f"{result['posts after faults']:12d}{result['healthy runs']:14d}{result['other channel']:15d}  {outcome}"
            )
        print(
            f"{args.mixed_rounds - failures} of {args.mixed_rounds} mixed rounds ended as the uninterrupted crawl"
        )


if __name__ == "__main__":
    main()
