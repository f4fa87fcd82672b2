"""A failure never looks like success: exit statuses, summaries through logging, ``crawl --all`` with a
total, and ``schedule`` of failing runs, driving the real CLI against servers on 127.0.0.1."""

from __future__ import annotations

import json
import os
import pty
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from newsbot.extensions.progress import COUNTS
from tests.servers import ROOT, run_newsbot, serve
from tests.test_crawl import CHINA, A, B, page, roll
from tests.test_schedule_crawl import quiet_channels

PACE = ("-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "RETRY_TIMES=0")
FEED = "https://feeds.example.com/{name}.xml"
NEWS = "https://news.example.com/2024/0510/{n}.html"
SOURCES = """builtins = false
[sources.alpha]
feed = "https://feeds.example.com/alpha.xml"
categories = ["金融", "甲财经", "甲财经－要闻"]
fetch_article = false

[sources.beta]
feed = "https://feeds.example.com/beta.xml"
categories = ["金融", "乙财经", "乙财经－要闻"]
fetch_article = false
"""
SUMMARY_ROWS = [name for name, _ in COUNTS]


def rss(*numbers: int) -> dict:
    """A snapshot entry: an RSS 2.0 feed whose items carry their whole article, one per number."""
    items = "".join(
        f"<item><title>新闻{n}</title><link>{NEWS.format(n=n)}</link><description><![CDATA["
        + "".join(f"<p>第{n}篇文章的第{k}段，内容各不相同，编号{n * 100 + k}。</p>" for k in range(6))
        + "]]></description><pubDate>Fri, 10 May 2024 08:30:00 +0800</pubDate></item>"
        for n in numbers
    )
    body = f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'
    return {"body": body, "headers": {"Content-Type": "application/rss+xml; charset=utf-8"}}


def closed_port_address() -> str:
    """``127.0.0.1:PORT`` where nothing listens (connections are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{probe.getsockname()[1]}"


def summary_block(stderr: str) -> list[str]:
    """The last log record of ``stderr`` (its first line and continuation lines)."""
    lines = stderr.rstrip("\n").splitlines()
    start = max(i for i, line in enumerate(lines) if re.match(r"\d{4}-\d\d-\d\d ", line))
    return lines[start:]


def test_a_crawl_whose_site_is_down_exits_1_and_says_failed_last(tmp_path):
    out = tmp_path / "out"
    done = run_newsbot(
        "crawl",
        "sina-finance",
        "--channels",
        "china,world",
        "-s",
        f"NEWSBOT_OUTPUT_DIR={out}",
        "-s",
        f"NEWSBOT_SNAPSHOT_ADDRESS={closed_port_address()}",
        *PACE,
    )
    assert done.returncode == 1, done.stderr[-3000:]
    block = summary_block(done.stderr)
    assert "[newsbot.extensions.progress] ERROR: sina-finance: FAILED: " in block[0]
    assert [line.split()[0] for line in block[2:-2]][:3] == ["new", "restored", "updated"]
    assert done.stderr.index("Dumping Scrapy stats") < done.stderr.index("sina-finance: FAILED")
    assert not list(out.rglob("*.md"))


def test_every_article_failing_exits_1_and_a_healthy_rerun_exits_0(tmp_path):
    out = tmp_path / "out"
    entries = {CHINA.roll_url(1): roll(A, B), CHINA.roll_url(2): roll()}
    with serve(entries, tmp_path / "down") as server:
        down = run_newsbot(
            "crawl", "sina-finance", "--channels", "china", "--archive", str(out),
            "-s", f"NEWSBOT_SNAPSHOT_ADDRESS={server.address}", *PACE,
        )
    assert down.returncode == 1
    assert "sina-finance: FAILED: nothing archived, 2 failed" in down.stderr
    with serve({**entries, A: page(A), B: page(B)}, tmp_path / "up") as server:
        up = run_newsbot(
            "crawl", "sina-finance", "--channels", "china", "--archive", str(out),
            "-s", f"NEWSBOT_SNAPSHOT_ADDRESS={server.address}", *PACE,
        )
    assert up.returncode == 0, up.stderr[-3000:]
    assert summary_block(up.stderr)[0].endswith("INFO: sina-finance: ok: 2 new, 0 updated")


def crawl_all(tmp_path: Path, entries: dict, *args: str) -> tuple[subprocess.CompletedProcess, dict]:
    sources = tmp_path / "sources.toml"
    sources.write_text(SOURCES, encoding="utf-8")
    summary = tmp_path / "summary.json"
    with serve(entries, tmp_path) as server:
        done = run_newsbot(
            "crawl", "--all", "--archive", str(tmp_path / "out"),
            "-s", f"NEWSBOT_SOURCES_FILE={sources}", "-s", f"NEWSBOT_SNAPSHOT_ADDRESS={server.address}",
            "-s", f"NEWSBOT_SUMMARY_FILE={summary}", *PACE, *args,
        )
    return done, json.loads(summary.read_text(encoding="utf-8"))


def test_crawl_all_heads_each_summary_with_its_source_then_a_total(tmp_path):
    done, summary = crawl_all(tmp_path, {FEED.format(name="alpha"): rss(1, 2), FEED.format(name="beta"): rss(3)})
    assert done.returncode == 0, done.stderr[-3000:]
    headlines = re.findall(r"\[newsbot\.extensions\.progress\] INFO: (.*)", done.stderr)
    assert sorted(headlines[:2]) == ["alpha: ok: 2 new, 0 updated", "beta: ok: 1 new, 0 updated"]
    assert headlines[2:] == ["total: ok: 3 new, 0 updated"]
    assert summary_block(done.stderr)[0].endswith("total: ok: 3 new, 0 updated")
    assert sorted(one["source"] for one in summary["sources"]) == ["alpha", "beta"]
    assert {one["spider"] for one in summary["sources"]} == {"feed"}
    assert (summary["source"], summary["new"], summary["exit_status"]) == ("total", 3, 0)
    assert summary["stats"]["newsbot/new"] == 3
    assert all(row in summary for row in SUMMARY_ROWS)


def test_crawl_all_exits_1_when_one_source_failed_and_names_it(tmp_path):
    done, summary = crawl_all(tmp_path, {FEED.format(name="alpha"): rss(1)})
    assert done.returncode == 1
    by_source = {one["source"]: one for one in summary["sources"]}
    assert (by_source["alpha"]["exit_status"], by_source["beta"]["exit_status"]) == (0, 1)
    assert by_source["beta"]["headline"].startswith("beta: FAILED: ")
    assert summary["headline"] == "total: FAILED: 1 of 2 sources failed (beta)"
    assert summary_block(done.stderr)[0].endswith("ERROR: total: FAILED: 1 of 2 sources failed (beta)")


def test_the_summary_goes_through_logging(tmp_path):
    entries = {CHINA.roll_url(1): roll(A), CHINA.roll_url(2): roll(), A: page(A)}

    def crawl(out: str, *args: str) -> subprocess.CompletedProcess:
        with serve(entries, tmp_path / out) as server:
            return run_newsbot(
                "crawl", "sina-finance", "--channels", "china", "--archive", str(tmp_path / out / "archive"),
                "-s", f"NEWSBOT_SNAPSHOT_ADDRESS={server.address}", *PACE, *args,
            )

    silent = crawl("nolog", "--nolog")
    assert (silent.returncode, silent.stderr) == (0, "")
    logfile = tmp_path / "crawl.log"
    logged = crawl("logfile", "--logfile", str(logfile))
    assert (logged.returncode, logged.stderr) == (0, "")
    assert summary_block(logfile.read_text(encoding="utf-8"))[0].endswith("sina-finance: ok: 1 new, 0 updated")
    quiet = crawl("quiet", "-s", "LOG_LEVEL=WARNING")
    assert quiet.returncode == 0 and "sina-finance: ok" not in quiet.stderr


def visible_lines(output: str) -> list[str]:
    """What a terminal shows of ``output``: each line from its last carriage return, erasures removed."""
    return [line.rsplit("\r", 1)[-1].replace("\x1b[K", "") for line in output.replace("\r\n", "\n").split("\n")]


def test_on_a_terminal_the_live_line_never_shares_a_line_with_a_log_record_and_the_summary_ends(tmp_path):
    entries = {CHINA.roll_url(1): roll(A, B), CHINA.roll_url(2): roll(), A: page(A, delay=1), B: page(B)}
    controller, terminal = pty.openpty()
    with serve(entries, tmp_path) as server:
        crawl = subprocess.Popen(
            [sys.executable, "-c", "from newsbot.cli import main; main()", "crawl", "sina-finance",
             "--channels", "china", "--archive", str(tmp_path / "out"),
             "-s", f"NEWSBOT_SNAPSHOT_ADDRESS={server.address}", "-s", "NEWSBOT_PROGRESS_INTERVAL=0.05", *PACE],
            cwd=ROOT, stdin=subprocess.DEVNULL, stdout=terminal, stderr=terminal,
            env={k: v for k, v in os.environ.items() if k != "SCRAPY_SETTINGS_MODULE"},
        )
        os.close(terminal)
        chunks = []
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        assert crawl.wait(timeout=120) == 0
    os.close(controller)
    output = b"".join(chunks).decode("utf-8", "replace")
    assert "articles/s" in output and "\x1b[K" in output
    shown = visible_lines(output)
    mixed = [line for line in shown if "articles/s" in line and re.search(r"\d\d:\d\d:\d\d \[", line)]
    assert not mixed
    assert re.search(r"\x1b\[K\d{4}-\d\d-\d\d ", output), "no log record came while the live line was drawn"
    block = summary_block(output.replace("\r\n", "\n"))
    assert block[0].endswith("sina-finance: ok: 2 new, 0 updated")
    assert [line for line in shown if line.strip()][-1].startswith("---")
    assert output.index("Dumping Scrapy stats") < output.index("sina-finance: ok: 2 new")


def test_schedule_logs_a_failed_run_at_error_with_the_childs_errors_and_exits_1(tmp_path):
    snapshot = serve({}, tmp_path)
    done = run_newsbot(
        "schedule", "sina-finance", "--every", "1s", "--jitter", "0", "--runs", "2",
        "--snapshot", str(snapshot.folder), "--archive", str(tmp_path / "out"),
        "-s", "RETRY_TIMES=0", "-L", "WARNING", timeout=300,
    )
    assert done.returncode == 1, done.stderr[-3000:]
    failures = re.findall(r"\[newsbot\.schedule\] ERROR: (run \d: FAILED \(exit 1\) after [\d.]+s: .*)", done.stderr)
    assert len(failures) == 2
    assert all(": sina-finance: FAILED: " in line for line in failures)
    assert "listing page failed: HTTP 404" in done.stderr.split("run 1: FAILED")[1]
    assert re.search(r"\[newsbot\.schedule\.run\] WARNING: run 1 \| WARNING \[newsbot\.spiders", done.stderr)


def test_schedule_exits_0_when_its_last_run_did_its_job(tmp_path):
    entries = {**quiet_channels(), CHINA.roll_url(1): roll(A), CHINA.roll_url(2): roll(), A: page(A, fail_first=1)}
    with serve(entries, tmp_path) as server:
        done = run_newsbot(
            "schedule", "sina-finance", "--every", "1s", "--jitter", "0", "--runs", "2",
            "--archive", str(tmp_path / "out"), "-s", f"NEWSBOT_SNAPSHOT_ADDRESS={server.address}", *PACE,
            timeout=300,
        )
    assert done.returncode == 0, done.stderr[-3000:]
    assert re.search(r"\[newsbot\.schedule\] ERROR: run 1: FAILED \(exit 1\).*: sina-finance: FAILED: ", done.stderr)
    assert re.search(r"\[newsbot\.schedule\] INFO: run 2: new=1 ", done.stderr)


def test_crawl_article_refuses_a_bad_url_and_fails_on_a_missing_page(tmp_path):
    for url in ("https://user:secret@news.example.com/1.html", "ftp://news.example.com/1.html"):
        refused = run_newsbot("crawl", "article", "-a", f"url={url}", "-s", f"NEWSBOT_OUTPUT_DIR={tmp_path}")
        assert refused.returncode == 2, refused.stderr
        assert "Traceback" not in refused.stderr and refused.stderr.strip().count("\n") == 0, refused.stderr
    with serve({}, tmp_path) as server:
        missing = run_newsbot(
            "crawl", "article", "-a", f"url={NEWS.format(n=404)}", *PACE,
            "-s", f"NEWSBOT_SNAPSHOT_ADDRESS={server.address}", "-s", f"NEWSBOT_OUTPUT_DIR={tmp_path / 'out'}",
        )
    assert missing.returncode == 1, missing.stderr[-2000:]
    assert "article: FAILED: nothing archived, 1 failed" in missing.stderr
    assert re.search(r"^articles requested +1$", missing.stderr, re.MULTILINE), missing.stderr[-2000:]


def test_a_sigterm_after_the_summary_leaves_the_exit_status_the_runs(tmp_path):
    crawl = subprocess.Popen(
        [sys.executable, "-c", "from newsbot.cli import main; main()", "crawl", "sina-finance", "--snapshot",
         "--archive", str(tmp_path / "out")],
        cwd=ROOT, stderr=subprocess.PIPE, text=True,
    )
    for line in crawl.stderr:
        if line.startswith("seconds "):
            break
    while crawl.poll() is None:
        crawl.send_signal(signal.SIGTERM)
        time.sleep(0.05)
    crawl.stderr.read()
    assert crawl.wait() == 0, "the run had finished and archived every article: a later SIGTERM changes nothing"
