"""``newsbot reindex`` at archive scale: small generated posts rebuilt with 1, 2... worker processes.

Each run prints the command's own lines: posts/s beside the floor measured in the same run (reading and
parsing the posts alone). Run: ``python -m bench.reindex [--posts 20000] [--workers 1,2]``.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from newsbot.post import Post, render

ROOT = Path(__file__).resolve().parents[1]
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=20_000, help="generated posts")
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        write_posts(Path(folder), options.posts)
        print(f"{options.posts:,} posts written in {time.perf_counter() - started:.1f} s", flush=True)
        for workers in options.workers.split(","):
            done = subprocess.run(
                [sys.executable, "-c", "from newsbot.cli import main; main()", "reindex", "--workers", workers, folder],
                cwd=ROOT,
                capture_output=True,
                text=True,
            )
            print(f"--workers {workers}: exit {done.returncode}\n{done.stdout.strip()}", flush=True)


if __name__ == "__main__":
    main()
