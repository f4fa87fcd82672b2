"""``newsbot serve-snapshot``: a snapshot served by itself on 127.0.0.1, read by a crawl given only
``-s NEWSBOT_SNAPSHOT_ADDRESS``."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from pathlib import Path

from tests.deployment import ROOT, clean_environment, stop, wait_for_line
from tests.servers import run_newsbot

SERVE = [sys.executable, "-c", "from newsbot.cli import main; main()", "serve-snapshot"]


def posts(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.glob("*/**/*.md"))


def test_a_crawl_given_the_address_reads_everything_from_the_served_snapshot(tmp_path):
    server = subprocess.Popen(
        [*SERVE, "--port", "0"], stderr=subprocess.PIPE, text=True, cwd=ROOT, env=clean_environment()
    )
    try:
        address = wait_for_line(server, r"NEWSBOT_SNAPSHOT_ADDRESS=(127\.0\.0\.1:\d+)").group(1)
        served = run_newsbot(
            "crawl",
            "sina-finance",
            "-s",
            f"NEWSBOT_SNAPSHOT_ADDRESS={address}",
            "-s",
            f"NEWSBOT_OUTPUT_DIR={tmp_path / 'served'}",
            "-s",
            "STATS_DUMP=True",
        )
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=10) == 0
    finally:
        stop(server)
    assert served.returncode == 0, served.stderr
    assert "'newsbot/snapshot/responses'" in served.stderr
    assert "downloader/exception_count" not in served.stderr
    bundled = run_newsbot(
        "crawl", "sina-finance", "--snapshot", "-s", f"NEWSBOT_OUTPUT_DIR={tmp_path / 'bundled'}"
    )
    assert bundled.returncode == 0, bundled.stderr
    assert posts(tmp_path / "served") and posts(tmp_path / "served") == posts(tmp_path / "bundled")


def test_serve_snapshot_refuses_what_it_cannot_serve_in_one_line(tmp_path):
    missing = run_newsbot("serve-snapshot", str(tmp_path / "nowhere"))
    assert missing.returncode == 2
    assert missing.stderr.strip() == (
        f"newsbot serve-snapshot: error: no snapshot at {tmp_path / 'nowhere'}: No such file or directory"
        " (see: newsbot serve-snapshot -h)"
    )

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = run_newsbot("serve-snapshot", "--port", str(port))
    assert busy.returncode == 1
    assert busy.stderr.strip().endswith(
        f"newsbot: error: cannot listen on 127.0.0.1:{port}: Address already in use"
    )

    out_of_range = run_newsbot("serve-snapshot", "--port", "70000")
    assert out_of_range.returncode == 2
    assert "--port 70000: a port is 0 to 65535" in out_of_range.stderr
