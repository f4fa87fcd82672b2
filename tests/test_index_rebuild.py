"""The index rebuilt beside the live one: a damaged file replaced from the posts, ``reindex`` while crawls run."""

from __future__ import annotations

import json
import os
import random
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from bench.reindex import write_posts
from newsbot.index import ArchiveIndex, Entry, index_path, post_paths, repair
from newsbot.index.rebuild import damage, readable, rebuild
from tests.servers import ROOT, run_newsbot

GENERATED_POSTS = 20_000


def snapshot_crawl(out: Path) -> subprocess.CompletedProcess:
    summary = out.parent / f"{out.name}-summary-{time.monotonic_ns()}.json"
    return run_newsbot(
        "crawl",
        "sina-finance",
        "--snapshot",
        "-s",
        f"NEWSBOT_OUTPUT_DIR={out}",
        "-s",
        f"NEWSBOT_SUMMARY_FILE={summary}",
    )


def truncate_half(path: Path) -> None:
    os.truncate(path, path.stat().st_size // 2)


def random_bytes(path: Path) -> None:
    path.write_bytes(random.Random(7).randbytes(path.stat().st_size))


@pytest.mark.parametrize("corrupt", [truncate_half, random_bytes])
def test_a_crawl_over_a_damaged_index_moves_it_aside_rebuilds_it_from_the_posts_and_succeeds(
    tmp_path, corrupt
):
    out = tmp_path / "archive"
    first = snapshot_crawl(out)
    assert first.returncode == 0, first.stderr[-3000:]
    posts = len(list(post_paths(out)))
    assert posts > 0
    path = index_path(out)
    for suffix in ("-wal", "-shm"):
        assert not Path(f"{path}{suffix}").exists()
    corrupt(path)
    assert damage(path) is not None
    second = snapshot_crawl(out)
    assert second.returncode == 0, second.stderr[-3000:]
    assert "Traceback" not in second.stderr
    warnings = [line for line in second.stderr.splitlines() if "could not be read" in line]
    assert len(warnings) == 1 and "WARNING" in warnings[0] and f"{posts} indexed" in warnings[0]
    assert "nothing new" in second.stderr
    assert [p.name for p in path.parent.glob("index.sqlite3.broken-*")]
    with ArchiveIndex(out) as index:
        assert len(index) == posts


def test_every_command_opening_a_damaged_index_rebuilds_it_once(tmp_path, caplog):
    write_posts(tmp_path, 50)
    with ArchiveIndex(tmp_path) as index:
        assert len(index) == 0
    rebuild(tmp_path)
    assert index_path(tmp_path).stat().st_size > 8 * 4096
    truncate_half(index_path(tmp_path))
    with caplog.at_level("INFO"), ArchiveIndex(tmp_path) as index, ArchiveIndex(tmp_path) as other:
        assert len(index) == len(other) == 50
    assert len([r for r in caplog.records if "could not be read" in r.getMessage()]) == 1


def test_rebuild_carries_over_other_tables_urls_aliases_and_entries_recorded_meanwhile(tmp_path):
    write_posts(tmp_path, 40)
    rebuild(tmp_path)
    with ArchiveIndex(tmp_path) as index:
        first = next(index.entries())
        index.record(
            Entry(
                first.key,
                first.path,
                "https://example.com/first",
                first.body_hash,
                first.simhash,
                first.published,
            )
        )
        index.alias("url:0123456789abcdef", first.key)
        index.alias("url:fedcba9876543210", "url:gone")
    with sqlite3.connect(index_path(tmp_path)) as db:
        db.execute(
            'CREATE TABLE failures (key TEXT PRIMARY KEY, url TEXT, attempts INTEGER, "odd name" TEXT)'
        )
        db.execute("CREATE INDEX failures_attempts ON failures (attempts)")
        db.execute("INSERT INTO failures VALUES ('sina:x', 'https://example.com/x', 3, 'é')")
        db.execute('CREATE TABLE "sina listing" (key TEXT, mtime TEXT)')
        db.execute("INSERT INTO \"sina listing\" VALUES ('sina:y', '2024-01-01')")
    db.close()
    write_posts(tmp_path, 5, start=40)
    result = rebuild(tmp_path, workers=2)
    assert (result.count, result.skipped, result.aliases, result.aliases_before) == (45, [], 1, 2)
    with ArchiveIndex(tmp_path) as index, sqlite3.connect(index_path(tmp_path)) as db:
        assert len(index) == 45
        assert index.get("url:0123456789abcdef").url == "https://example.com/first"
        assert not index.knows("url:fedcba9876543210")
        assert db.execute("SELECT * FROM failures").fetchall() == [
            ("sina:x", "https://example.com/x", 3, "é")
        ]
        assert db.execute('SELECT * FROM "sina listing"').fetchall() == [("sina:y", "2024-01-01")]
        assert "failures_attempts" in {name for (name,) in db.execute("SELECT name FROM sqlite_schema")}
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_one_process_and_many_build_the_same_index(tmp_path):
    write_posts(tmp_path, 600)
    rebuild(tmp_path, workers=1)
    with ArchiveIndex(tmp_path) as index:
        single = list(index.entries())
    rebuild(tmp_path, workers=3)
    with ArchiveIndex(tmp_path) as index:
        assert list(index.entries()) == single
        assert index.find_near(single[17].simhash, 6)[0] == single[17]


WRITER = """
import sys, time
from newsbot.index import ArchiveIndex, Entry
index = ArchiveIndex(sys.argv[1])
number = 0
while True:
    index.record(Entry(f"url:{number:016x}", f"x/2022/01/{number:016x}.md", "https://example.com/", "0" * 32,
                       number * 0x9E3779B97F4A7C15 % 2**64, "2022-01-21T00:00:00+00:00"))
    index.knows(f"url:{number + 1:016x}")
    number += 1
    time.sleep(0.002)
"""


def test_crawls_and_writers_run_while_reindex_rebuilds_a_large_archive():
    with tempfile.TemporaryDirectory(prefix="newsbot-reindex-") as folder:
        crawl_while_reindexing(Path(folder) / "archive")


def crawl_while_reindexing(out: Path) -> None:
    """The large archive lives outside pytest's folder, so its generated posts are not built with Hexo."""
    write_posts(out, GENERATED_POSTS)
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    reindex = subprocess.Popen(
        [sys.executable, "-c", "from newsbot.cli import main; main()", "reindex", "--workers", "2", str(out)],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(out)], cwd=ROOT, env=environment, stderr=subprocess.PIPE, text=True
    )
    crawls = []
    while reindex.poll() is None:
        crawls.append(snapshot_crawl(out))
    output, errors = reindex.communicate()
    time.sleep(0.5)
    assert writer.poll() is None, writer.stderr.read()
    writer.kill()
    writer.wait()
    assert reindex.returncode == 0, errors[-3000:]
    assert crawls
    for crawl in crawls:
        assert crawl.returncode == 0, crawl.stderr[-3000:]
        assert "database is locked" not in crawl.stderr and "Traceback" not in crawl.stderr
    assert "posts indexed, 0 skipped" in output and "floor" in output
    assert any(re.search(r"sina-finance: ok: [1-9]\d* new", crawl.stderr) for crawl in crawls)
    with sqlite3.connect(index_path(out)) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with ArchiveIndex(out) as index:
        indexed = {entry.path for entry in index.entries()}
    assert {path.relative_to(out).as_posix() for path in post_paths(out)} <= indexed
    assert json.dumps(sorted(p.name for p in index_path(out).parent.iterdir() if "rebuild" in p.name)) == "[]"


def test_an_index_from_0_2_0_is_rebuilt_from_the_posts_once_keeping_urls_aliases_and_other_tables(
    tmp_path, caplog
):
    write_posts(tmp_path, 30)
    index_path(tmp_path).parent.mkdir(parents=True)
    with sqlite3.connect(index_path(tmp_path)) as db:
        db.execute(
            "CREATE TABLE entries (key TEXT PRIMARY KEY, path TEXT NOT NULL, url TEXT NOT NULL,"
            " body_hash TEXT NOT NULL, simhash INTEGER NOT NULL, published TEXT NOT NULL) WITHOUT ROWID"
        )
        db.execute(
            "CREATE TABLE bands (band INTEGER NOT NULL, value INTEGER NOT NULL, key TEXT NOT NULL,"
            " simhash INTEGER NOT NULL, PRIMARY KEY (band, value, key)) WITHOUT ROWID"
        )
        db.execute("CREATE TABLE aliases (alias TEXT PRIMARY KEY, key TEXT NOT NULL) WITHOUT ROWID")
        db.execute("CREATE TABLE failures (key TEXT PRIMARY KEY, attempts INTEGER)")
        db.execute(
            "INSERT INTO entries VALUES ('url:p0000007', 'gen/2024/01/p0000007.md', 'https://example.com/7',"
            " 'x', 12345, '2024-01-01T00:07:00+00:00')"
        )
        db.execute("INSERT INTO aliases VALUES ('url:0123456789abcdef', 'url:p0000007')")
        db.execute("INSERT INTO failures VALUES ('sina:x', 3)")
    db.close()
    with caplog.at_level("INFO"), ArchiveIndex(tmp_path) as index:
        assert len(index) == 30
        seventh = index.get("url:0123456789abcdef")
        assert (seventh.key, seventh.url) == ("url:p0000007", "https://example.com/7")
        assert seventh.simhash != 12345 and index.find_near(seventh.simhash, 0) == [seventh]
    assert [record.levelname for record in caplog.records] == ["WARNING"]
    assert "written by an older newsbot; rebuilt it from the posts: 30 indexed" in caplog.text
    caplog.clear()
    with ArchiveIndex(tmp_path), sqlite3.connect(index_path(tmp_path)) as db:
        assert db.execute("SELECT * FROM failures").fetchall() == [("sina:x", 3)]
        assert "bands" not in {name for (name,) in db.execute("SELECT name FROM sqlite_schema")}
    assert caplog.records == []


def test_damage_reads_the_header_and_judges_the_size_only_without_a_wal_beside_it(tmp_path):
    path = index_path(tmp_path)
    assert damage(path) is None
    with ArchiveIndex(tmp_path) as index:
        index.record_many(
            Entry(f"url:{n:04d}", f"x/2024/01/{n:04d}.md", "", f"{n:032x}", n * 2654435761, "2024-01-01")
            for n in range(300)
        )
        assert Path(f"{path}-wal").exists()
        assert damage(path) is None
    assert damage(path) is None
    size = path.stat().st_size
    os.truncate(path, size - 4096)
    assert "truncated" in damage(path)
    os.truncate(path, size - 100)
    assert "truncated" in damage(path)
    Path(f"{path}-wal").write_bytes(b"")
    assert damage(path) is None
    Path(f"{path}-wal").unlink(missing_ok=True)  # SQLite, which reads the header, may have removed the empty WAL
    random_bytes(path)
    assert damage(path) == "not an SQLite database"
    path.write_bytes(b"")
    assert damage(path) is None


def test_repair_lets_another_module_open_the_file_with_sqlite3(tmp_path):
    write_posts(tmp_path, 10)
    index_path(tmp_path).parent.mkdir(parents=True)
    index_path(tmp_path).write_bytes(b"not an index" * 1000)
    repair(tmp_path)
    with sqlite3.connect(index_path(tmp_path)) as db:
        assert db.execute("SELECT count(*) FROM entries").fetchone()[0] == 10
    db.close()


KILLED_BETWEEN_RENAMES = """
import os, sys
from newsbot.index import ArchiveIndex, rebuild
root = sys.argv[1]
index = ArchiveIndex(root)
index.connection.execute("PRAGMA wal_autocheckpoint=0")
index.alias("url:0123456789abcdef", next(index.entries()).key)
replace = os.replace
def killed_before_the_new_file_is_renamed(source, target):
    if ".rebuild-" in str(source):
        os._exit(9)
    replace(source, target)
os.replace = killed_before_the_new_file_is_renamed
rebuild.rebuild(root)
"""


def test_a_reindex_killed_between_its_renames_is_finished_by_the_next_opener(tmp_path, caplog):
    write_posts(tmp_path, 30)
    rebuild(tmp_path)
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_BETWEEN_RENAMES, str(tmp_path)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
    )
    assert killed.returncode == 9, killed.stderr
    folder = index_path(tmp_path).parent
    assert [p.name for p in folder.glob("index.sqlite3-wal.replaced-*")]
    assert [p.name for p in folder.glob("index.sqlite3.rebuild-*")]
    with caplog.at_level("INFO"), ArchiveIndex(tmp_path) as index:
        assert len(index) == 30
        assert index.knows("url:0123456789abcdef")
    assert "finished swapping in index.sqlite3.rebuild-" in caplog.text
    assert sorted(p.name for p in folder.iterdir()) == ["index.lock", "index.sqlite3"]
    with sqlite3.connect(index_path(tmp_path)) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()


def test_checking_the_file_keeps_this_process_s_locks_so_another_process_never_removes_the_wal_under_it(tmp_path):
    path = index_path(tmp_path)
    entries = [Entry(f"url:{n}", f"x/2024/01/{n}.md", "", f"{n:032x}", n * 2654435761, "2024-01-01") for n in range(50)]
    with ArchiveIndex(tmp_path) as index:
        index.record_many(entries[:25])
        assert damage(path) is None and readable(path) is None
        other = "import sqlite3, sys; db = sqlite3.connect(sys.argv[1]); db.execute('SELECT count(*) FROM entries'); db.close()"
        subprocess.run([sys.executable, "-c", other, str(path)], check=True)
        assert Path(f"{path}-wal").exists() and Path(f"{path}-shm").exists(), "the other process saw no reader here"
        index.record_many(entries[25:])
        assert len(index) == 50
