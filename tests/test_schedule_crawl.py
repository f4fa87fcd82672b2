"""``newsbot schedule`` end to end: crawls at a short interval against snapshot servers on 127.0.0.1."""

import re

from newsbot.snapshot_server import BUNDLED_SNAPSHOT, SnapshotServer
from newsbot.sources.sina_finance import CHANNELS
from tests.servers import run_newsbot, serve
from tests.test_crawl import ARTICLES, CHINA, A, B, page, posts, roll

RUN_LINE = re.compile(
    r"run (\d+): new=(\d+) updated=(\d+) skipped=(\d+) duplicates=(\d+) failed=(\d+) given_up=(\d+) in "
)


def quiet_channels() -> dict[str, dict]:
    """Snapshot entries answering every Sina Finance channel's first listing with no article."""
    return {
        channel.roll_url(1) or channel.list_url: roll() if channel.roll_url(1) else {"body": "<html></html>"}
        for channel in CHANNELS
    }


def run_lines(stderr: str) -> list[tuple[int, ...]]:
    return [tuple(int(n) for n in match.groups()) for match in RUN_LINE.finditer(stderr)]


def test_schedule_runs_twice_and_the_second_run_adds_nothing(tmp_path):
    out = tmp_path / "archive"
    with SnapshotServer(BUNDLED_SNAPSHOT) as server:
        done = run_newsbot(
            "schedule",
            "sina-finance",
            "--every",
            "1s",
            "--runs",
            "2",
            "-s",
            f"NEWSBOT_OUTPUT_DIR={out}",
            "-s",
            f"NEWSBOT_SNAPSHOT_ADDRESS={server.address}",
            "-s",
            "DOWNLOAD_DELAY=0",
            "-s",
            "AUTOTHROTTLE_ENABLED=False",
            timeout=300,
        )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = run_lines(done.stderr)
    assert [line[:3] for line in lines] == [(1, len(ARTICLES), 0), (2, 0, 0)]
    assert lines[0][5] == lines[1][5] == 0
    assert lines[1][3] > 0
    assert all(server.hits[url] == 1 for url in ARTICLES)
    assert len(posts(out)) == len(ARTICLES)


def test_schedule_takes_a_snapshot_folder(tmp_path):
    out = tmp_path / "archive"
    entries = {CHINA.roll_url(1): roll(A, B), CHINA.roll_url(2): roll(), A: page(A), B: page(B)}
    snapshot = serve({**quiet_channels(), **entries}, tmp_path)
    done = run_newsbot(
        "schedule",
        "sina-finance",
        "--every",
        "1s",
        "--jitter",
        "0",
        "--runs",
        "2",
        "--snapshot",
        str(snapshot.folder),
        "-s",
        f"NEWSBOT_OUTPUT_DIR={out}",
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = run_lines(done.stderr)
    assert [line[:3] for line in lines] == [(1, 2, 0), (2, 0, 0)]
    assert lines[1][3] == 2
    assert len(posts(out)) == 2
