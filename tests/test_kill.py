"""A crawl killed with SIGKILL and restarted: no partial file, no article twice, no article lost."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

from bench.faults import archive_problems, kill_when, partial_posts, posts, start_crawl
from bench.pages import read_truth, write_snapshot
from newsbot.index import index_path
from newsbot.storage import atomic_write, remove_stale_temporaries, temporary_path
from tests.servers import ROOT, run_newsbot

KILLED_WRITER = """
import os, sys
from pathlib import Path
import newsbot.storage as storage
def die(fd):
    os.kill(os.getpid(), 9)
storage.os.fsync = die
storage.atomic_write(Path(sys.argv[1]), "half of a post")
"""


def test_sigkill_mid_crawl_then_restart_loses_nothing_and_doubles_nothing(tmp_path):
    snapshot, output = tmp_path / "snapshot", tmp_path / "out"
    write_snapshot(snapshot, 200, seed=3)
    truth = read_truth(snapshot)
    process = start_crawl(snapshot, output)
    assert kill_when(process, lambda: output.is_dir() and len(posts(output)) >= 40)
    assert partial_posts(output) == []
    assert 40 <= len(posts(output)) < len(truth)
    with sqlite3.connect(index_path(output)) as db:
        (indexed,) = db.execute("SELECT COUNT(*) FROM entries").fetchone()
    assert indexed > 0
    unfinished = f"{indexed} posts archived by no finished run (a run killed before it finished"
    status = run_newsbot("status", str(output))
    assert status.stdout.splitlines()[-1].startswith(unfinished), status.stdout

    rerun = run_newsbot(
        "crawl",
        "sina-finance",
        "--snapshot",
        str(snapshot),
        "-s",
        f"NEWSBOT_OUTPUT_DIR={output}",
        "--max-pages",
        "100",
        timeout=300,
    )
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert archive_problems(output, truth) == []
    assert len(posts(output)) == len(truth)
    validated = run_newsbot("validate", str(output))
    assert validated.returncode == 0, validated.stdout[-3000:]
    assert validated.stdout.strip().endswith(f"{len(truth)} passed, 0 failed")
    report = json.loads(run_newsbot("status", str(output), "--json").stdout)
    (row,) = report["sources"]
    line = run_newsbot("status", str(output)).stdout.splitlines()[-1]
    killed_run_posts = int(line.split()[0])
    assert line.endswith("not in the counts above") and report["uncounted_posts"] == killed_run_posts
    assert row["archived_week"] + killed_run_posts == len(truth), "the posts left unindexed were indexed again"


def kill_a_writer(path) -> None:
    """Start ``atomic_write(path, ...)`` in another process and SIGKILL it before its rename."""
    done = subprocess.run(
        [sys.executable, "-c", KILLED_WRITER, str(path)], env={**os.environ, "PYTHONPATH": str(ROOT)}
    )
    assert done.returncode == -9


def test_a_writer_killed_mid_write_leaves_the_post_whole_and_the_next_write_takes_over(tmp_path):
    post = tmp_path / "sina" / "2024" / "01" / "a.md"
    atomic_write(post, "first")
    kill_a_writer(post)
    assert post.read_text() == "first"
    assert temporary_path(post).read_text() == "half of a post"
    atomic_write(post, "second")
    assert post.read_text() == "second"
    assert not temporary_path(post).exists()


def test_stale_temporaries_are_removed_and_live_ones_kept(tmp_path):
    stale, live = tmp_path / "a" / "stale.md", tmp_path / "b" / "live.md"
    kill_a_writer(stale)
    live.parent.mkdir(parents=True)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys, time; fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT); "
            "fcntl.flock(fd, fcntl.LOCK_EX); print('locked', flush=True); time.sleep(60)",
            str(temporary_path(live)),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        assert remove_stale_temporaries(tmp_path) == [temporary_path(stale)]
        assert temporary_path(live).exists()
    finally:
        holder.kill()
        holder.wait()
    assert remove_stale_temporaries(tmp_path) == [temporary_path(live)]
