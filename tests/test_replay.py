"""``newsbot replay``: a recorded snapshot crawl replays into the same archive, byte for byte, offline."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.warcwriter import WARCWriter

from newsbot.snapshot_server import BUNDLED_SNAPSHOT, MANIFEST
from newsbot.warc import WarcFile, read_runs
from tests.conftest import SEED_PAGE, SEED_URL, needs_shared
from tests.servers import ROOT, run_newsbot

FIXTURE = ROOT / "tests" / "fixtures" / "sina-finance.warc.gz"
NEWSBOT = [sys.executable, "-c", "from newsbot.cli import main; main()"]
QUIET = ("-s", "LOG_LEVEL=WARNING")


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` but the ``.newsbot`` index folder: relative path -> bytes."""
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.relative_to(folder).parts[0] != ".newsbot"
    }


def newsbot(*args: str, exit_status: int = 0) -> subprocess.CompletedProcess:
    done = run_newsbot(*args, *QUIET)
    assert done.returncode == exit_status, done.stderr
    return done


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> tuple[Path, Path]:
    """A snapshot crawl of the bundled snapshot recorded to a WARC: its archive folder and the WARC."""
    scratch = tmp_path_factory.mktemp("recorded")
    warc, out = scratch / "crawl.warc.gz", scratch / "A"
    newsbot("crawl", "sina-finance", "--snapshot", "--record", str(warc), "-s", f"NEWSBOT_OUTPUT_DIR={out}")
    return out, warc


def test_a_replayed_recording_writes_the_crawls_archive_byte_for_byte(recorded, tmp_path):
    crawled, warc = recorded
    done = newsbot("replay", str(warc), "-s", f"NEWSBOT_OUTPUT_DIR={tmp_path / 'B'}")
    assert "missing=0" in done.stdout
    posts = [name for name in tree(crawled) if name.endswith(".md")]
    assert len(posts) >= 20
    assert tree(tmp_path / "B") == tree(crawled)


def test_the_fixture_replays_to_what_a_snapshot_crawl_writes_now(recorded, tmp_path):
    crawled, _ = recorded
    newsbot("replay", str(FIXTURE), "-s", f"NEWSBOT_OUTPUT_DIR={tmp_path / 'B'}")
    assert tree(tmp_path / "B") == tree(crawled), f"{FIXTURE} is older than the snapshot: run make fixtures"


def test_renormalising_the_fixture_over_its_replay_leaves_every_post_untouched(tmp_path):
    out = tmp_path / "out"
    newsbot("replay", str(FIXTURE), "-s", f"NEWSBOT_OUTPUT_DIR={out}")
    before = {path: path.stat().st_mtime_ns for path in out.rglob("*.md")}
    done = newsbot("renormalise", str(FIXTURE), "-s", f"NEWSBOT_OUTPUT_DIR={out}")
    assert f"new=0 updated=0 unchanged={len(before)} " in done.stdout
    assert {path: path.stat().st_mtime_ns for path in out.rglob("*.md")} == before


def without(source: Path, target: Path, url: str) -> None:
    """Copy a WARC leaving out the records of ``url``."""
    with open(source, "rb") as stream, open(target, "wb") as out:
        writer = WARCWriter(out, gzip=True)
        for record in ArchiveIterator(stream):
            if record.rec_headers.get_header("WARC-Target-URI") != url:
                writer.write_record(record)


def an_article_url(warc: Path) -> str:
    (run,) = read_runs([str(warc)])
    return next(ref.url for refs in run.responses.values() for ref in refs if "/doc-" in ref.url)


def test_a_request_the_recording_lacks_is_counted_and_logged_and_fails_the_replay(tmp_path):
    url = an_article_url(FIXTURE)
    cut = tmp_path / "cut.warc.gz"
    without(FIXTURE, cut, url)
    newsbot("replay", str(FIXTURE), "-s", f"NEWSBOT_OUTPUT_DIR={tmp_path / 'whole'}")
    done = newsbot("replay", str(cut), "-s", f"NEWSBOT_OUTPUT_DIR={tmp_path / 'cut'}", exit_status=1)
    assert "missing=1" in done.stdout
    assert f"not in the recording: {url}" in done.stderr
    whole, partial = tree(tmp_path / "whole"), tree(tmp_path / "cut")
    lost = set(whole) - set(partial)
    assert len(lost) == 1
    assert partial == {name: data for name, data in whole.items() if name not in lost}


def slow_snapshot(folder: Path, url: str) -> None:
    """A copy of the bundled snapshot in which ``url`` is answered only after two minutes."""
    shutil.copytree(BUNDLED_SNAPSHOT, folder)
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    manifest[url]["delay"] = 120
    (folder / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")


def test_a_recording_crawl_killed_mid_run_leaves_a_warc_that_replays(tmp_path):
    url = an_article_url(FIXTURE)
    slow_snapshot(tmp_path / "snapshot", url)
    warc = tmp_path / "killed.warc.gz"
    (expected,) = read_runs([str(FIXTURE)])
    args = ["crawl", "sina-finance", "--snapshot", str(tmp_path / "snapshot"), "--record", str(warc)]
    crawl = subprocess.Popen(
        [*NEWSBOT, *args, "-s", f"NEWSBOT_OUTPUT_DIR={tmp_path / 'A'}", *QUIET],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            runs = read_runs([str(warc)]) if warc.exists() else []
            if runs and len(runs[0].responses) == len(expected.responses) - 1:
                break
            time.sleep(0.2)
    finally:
        crawl.send_signal(signal.SIGKILL)
        crawl.wait()
    (run,) = read_runs([str(warc)])
    assert len(run.responses) == len(expected.responses) - 1
    done = newsbot("replay", str(warc), "-s", f"NEWSBOT_OUTPUT_DIR={tmp_path / 'B'}", exit_status=1)
    assert "missing=1" in done.stdout
    newsbot("replay", str(FIXTURE), "-s", f"NEWSBOT_OUTPUT_DIR={tmp_path / 'whole'}")
    whole, replayed, killed = tree(tmp_path / "whole"), tree(tmp_path / "B"), tree(tmp_path / "A")
    assert len(whole) - len(replayed) == 1
    assert replayed.items() <= whole.items()
    assert killed.items() <= replayed.items()


@needs_shared
def test_a_fetch_recording_without_its_arguments_replays_through_the_warc_spider(tmp_path):
    warc = tmp_path / "fetch.warc.gz"
    archive = ("-s", f"NEWSBOT_OUTPUT_DIR={tmp_path / 'A'}")
    newsbot("fetch", SEED_URL, "--html", str(SEED_PAGE), "--record", str(warc), *archive)
    done = newsbot("replay", str(warc), "-s", f"NEWSBOT_OUTPUT_DIR={tmp_path / 'B'}")
    if "does not record the article spider's url" in done.stderr:
        assert "new=1 " in done.stdout
    assert tree(tmp_path / "B") == tree(tmp_path / "A")


def test_a_spider_named_without_its_arguments_is_refused_in_one_line(tmp_path):
    warc = WarcFile(tmp_path / "other.warc.gz")
    warc.write_warcinfo({"software": "other tool"})
    warc.write_exchange(SEED_URL, "GET", [], b"", 200, [("Content-Type", "text/html")], b"<html></html>")
    warc.close()
    refused = run_newsbot("replay", str(warc.path), "--spider", "article", "-s", f"NEWSBOT_OUTPUT_DIR={tmp_path / 'out'}")
    assert refused.returncode != 0
    assert "needs -a url=VALUE" in refused.stderr
    assert not (tmp_path / "out").exists()
