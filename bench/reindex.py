"""``newsbot reindex`` and ``newsbot renormalise`` at archive scale, with 1, 2... worker processes.

Each run prints the command's own lines: posts (or pages) per second beside the floor measured in the same run
(reading and parsing the posts, or the recorded pages, alone), and the load average before and after it.
``python -m bench.reindex [--posts 20000] [--workers 1,2]`` rebuilds the index of generated posts;
``python -m bench.reindex --renormalise [--pages 2000] [--workers 1,2]`` records a crawl of generated Sina pages
(``bench.pages``) and derives its archive again from the recording, into an empty folder and over a copy of the
crawled archive, checking every worker count writes the same posts and index as one process.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from newsbot.post import Post, render

ROOT = Path(__file__).resolve().parents[1]
NEWSBOT = [sys.executable, "-c", "from newsbot.cli import main; main()"]
SAME_PACE = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "LOG_LEVEL=ERROR"]
TEXT = "沪指收涨上证综指深证成指创业板指成交额北向资金净买入半导体新能源汽车券商板块银行保险地产医药消费"


def write_posts(root: Path, count: int, start: int = 0, chars: int = 300) -> None:
    """``count`` valid posts of ``chars`` characters under ``root/gen/<YYYY>/<MM>/``, each with its own text."""
    rng = random.Random(start)
    published = datetime(2024, 1, 1, tzinfo=UTC)
    for number in range(start, start + count):
        when = published + timedelta(minutes=number)
        body = "".join(rng.choice(TEXT) for _ in range(chars))
        path = root / "gen" / f"{when:%Y}" / f"{when:%m}" / f"p{number:07d}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        post = Post(f"第{number}篇", ("财经", "滚动", "生成"), "newsbot", when, f"<p>{body}</p>", None)
        path.write_text(render(post), encoding="utf-8")


def load() -> str:
    """The load averages over 1, 5 and 15 minutes, as ``uptime`` gives them."""
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def newsbot(*args: str) -> subprocess.CompletedProcess:
    """Run one newsbot command in its own process; print its exit status and output with the load around it."""
    before = load()
    done = subprocess.run([*NEWSBOT, *args], cwd=ROOT, capture_output=True, text=True)
    print(
        f"  exit {done.returncode}, load {before} -> {load()}\n  "
        + "\n  ".join(done.stdout.strip().splitlines())
    )
    if done.returncode:
        print("  " + "\n  ".join(done.stderr.strip().splitlines()[-5:]))
    return done


def archive_state(folder: Path) -> tuple[dict[str, bytes], list[tuple], list[tuple]]:
    """Every post's bytes by path (hidden folders left out), the index's entries and its aliases."""
    posts = {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*.md"))
        if not any(part.startswith(".") for part in path.relative_to(folder).parts)
    }
    with sqlite3.connect(folder / ".newsbot" / "index.sqlite3") as db:
        entries = db.execute("SELECT key, path, url, body_hash, simhash, published FROM entries ORDER BY key")
        aliases = db.execute("SELECT alias, key FROM aliases ORDER BY alias")
        return posts, entries.fetchall(), aliases.fetchall()


def bench_reindex(posts: int, workers: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        write_posts(Path(folder), posts)
        print(f"{posts:,} posts written in {time.perf_counter() - started:.1f} s", flush=True)
        for count in workers:
            print(f"reindex --workers {count}:")
            newsbot("reindex", "--workers", count, folder)


def bench_renormalise(pages: int, workers: list[str]) -> None:
    from bench.pages import write_snapshot

    with tempfile.TemporaryDirectory(prefix="newsbot-renormalise-") as scratch:
        work = Path(scratch)
        write_snapshot(work / "snapshot", pages)
        warc, crawled = work / "crawl.warc.gz", work / "crawled"
        print(
            f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores; recording a crawl of {pages} pages:"
        )
        newsbot(
            "crawl",
            "sina-finance",
            "--snapshot",
            str(work / "snapshot"),
            "--max-pages",
            "100000",
            "--record",
            str(warc),
            "--archive",
            str(crawled),
            *SAME_PACE,
        )
        for label, start in (("into an empty folder", None), ("over the crawled archive", crawled)):
            states = {}
            for count in workers:
                out = work / f"out-{count}-{bool(start)}"
                if start is not None:
                    shutil.copytree(start, out)
                print(f"renormalise --workers {count} {label}:", flush=True)
                newsbot("renormalise", str(warc), "--archive", str(out), "--workers", count, *SAME_PACE)
                states[count] = archive_state(out)
            same = all(state == states[workers[0]] for state in states.values())
            print(f"  same posts (byte for byte) and index for every worker count: {'yes' if same else 'NO'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=20_000, help="generated posts (reindex)")
    parser.add_argument("--renormalise", action="store_true", help="bench renormalise instead of reindex")
    parser.add_argument("--pages", type=int, default=2_000, help="generated article pages (renormalise)")
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    options = parser.parse_args()
    workers = options.workers.split(",")
    if options.renormalise:
        bench_renormalise(options.pages, workers)
    else:
        bench_reindex(options.posts, workers)


if __name__ == "__main__":
    main()
