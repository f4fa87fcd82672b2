"""Scrapyd as the README says: a real Scrapyd on 127.0.0.1 whose Python has newsbot's dependencies but not
newsbot, the project deployed with the real ``scrapyd-deploy``, a job crawling the bundled snapshot that
``newsbot serve-snapshot`` serves, and jobs that cannot start saying why in their logs."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.deployment import (
    ROOT,
    bare_environment,
    clean_environment,
    code_blocks,
    copy_project,
    free_port,
    readme_section,
    stop,
    wait_for_line,
    wait_for_port,
)
from tests.servers import run_newsbot

README_SCRAPYD = "http://localhost:6800/"
JOB_TIMEOUT = 120
# Only 127.0.0.1, whatever the environment says about proxies.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass(frozen=True)
class Scrapyd:
    """A running Scrapyd, its folder and the project deployed to it."""

    url: str
    folder: Path
    deploy_output: str


def readme_lines() -> tuple[list[str], list[str]]:
    """The README's Scrapyd command lines: the block that deploys and schedules a live crawl, and the block
    that serves the bundled snapshot and schedules a crawl of it."""
    live, snapshot = (
        [line for line in block.splitlines() if line.strip()]
        for block in code_blocks(readme_section("Scrapyd"), "sh")
    )
    return live, snapshot


def api(scrapyd: Scrapyd, endpoint: str, **fields: str | list[str]) -> dict:
    """A Scrapyd API call: POST with ``fields``, GET without; the decoded JSON answer."""
    data = urllib.parse.urlencode(fields, doseq=True).encode() if fields else None
    with OPENER.open(scrapyd.url + endpoint, data=data, timeout=30) as response:
        return json.loads(response.read())


def finished(scrapyd: Scrapyd, *jobs: str) -> dict[str, dict]:
    """Wait (at most JOB_TIMEOUT s) until every job is finished; their listjobs.json entries by id."""
    deadline = time.monotonic() + JOB_TIMEOUT
    while time.monotonic() < deadline:
        done = {job["id"]: job for job in api(scrapyd, "listjobs.json?project=newsbot")["finished"]}
        if all(job in done for job in jobs):
            return {job: done[job] for job in jobs}
        time.sleep(0.5)
    raise AssertionError(f"jobs {jobs} not finished within {JOB_TIMEOUT} s")


def job_log(scrapyd: Scrapyd, job: dict) -> str:
    """The log of a finished job, as Scrapyd serves it."""
    with OPENER.open(scrapyd.url + job["log_url"].lstrip("/"), timeout=30) as response:
        return response.read().decode("utf-8")


def records(log: str, logger: str) -> list[str]:
    """The records one logger wrote to a Scrapy log, each with its continuation lines."""
    starts = re.split(r"(?m)^(?=\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[)", log)
    return [record for record in starts if re.match(rf"\S+ \S+ \[{re.escape(logger)}\] ", record)]


@pytest.fixture(scope="module")
def outside() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="newsbot-scrapyd-") as folder:
        yield Path(folder)


@pytest.fixture(scope="module")
def scrapyd(outside: Path) -> Iterator[Scrapyd]:
    """Scrapyd on a free port of 127.0.0.1, its folders under ``outside``, with the project deployed by the
    README's ``scrapyd-deploy`` line from a copy of the project whose deploy target is that port."""
    python = bare_environment(outside / "scrapyd-env")
    probe = subprocess.run(
        [str(python), "-c", "import newsbot"],
        cwd=outside,
        capture_output=True,
        text=True,
        env=clean_environment(),
    )
    assert probe.returncode == 1 and "No module named 'newsbot'" in probe.stderr
    port = free_port()
    folder = outside / "scrapyd"
    folder.mkdir()
    (folder / "scrapyd.conf").write_text(
        "[scrapyd]\n"
        "bind_address = 127.0.0.1\n"
        f"http_port = {port}\n"
        f"eggs_dir = {folder / 'eggs'}\n"
        f"logs_dir = {folder / 'logs'}\n"
        f"dbs_dir = {folder / 'dbs'}\n"
        "poll_interval = 0.5\n"
        "max_proc = 4\n"
    )
    with open(folder / "scrapyd.out", "wb") as output:
        server = subprocess.Popen(
            [str(python), "-m", "scrapyd"],
            cwd=folder,
            stdout=output,
            stderr=subprocess.STDOUT,
            env=clean_environment(),
        )
    try:
        wait_for_port(port, server)
        url = f"http://127.0.0.1:{port}/"
        project = copy_project(outside / "project")
        config = (project / "scrapy.cfg").read_text()
        assert f"url = {README_SCRAPYD}" in config
        (project / "scrapy.cfg").write_text(config.replace(README_SCRAPYD, url))
        live, _ = readme_lines()
        (deploy,) = [line for line in live if line.startswith("scrapyd-deploy")]
        deployed = subprocess.run(
            ["/bin/sh", "-c", deploy],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=300,
            env=clean_environment(),
        )
        assert deployed.returncode == 0, deployed.stdout + deployed.stderr
        yield Scrapyd(url, folder, deployed.stdout)
    finally:
        stop(server)


@pytest.fixture(scope="module")
def snapshot_address() -> Iterator[str]:
    """The README's ``newsbot serve-snapshot`` line, run on a free port; its address."""
    _, snapshot = readme_lines()
    (serve,) = [line for line in snapshot if line.startswith("newsbot serve-snapshot")]
    assert serve.endswith(" &")
    command = re.sub(r"--port \d+", "--port 0", serve.removesuffix(" &"))
    server = subprocess.Popen(
        shlex.split(command), stderr=subprocess.PIPE, text=True, cwd=ROOT, env=clean_environment()
    )
    try:
        yield wait_for_line(server, r"on (127\.0\.0\.1:\d+)").group(1)
    finally:
        stop(server)
    assert server.returncode == 0


def test_deploy_uploads_an_egg_with_the_settings_entry_point_and_the_bundled_files(scrapyd):
    answer = json.loads(scrapyd.deploy_output)
    assert answer["status"] == "ok" and answer["project"] == "newsbot"
    assert set(api(scrapyd, "listspiders.json?project=newsbot")["spiders"]) >= {"sina-finance", "feed"}
    (egg,) = (scrapyd.folder / "eggs" / "newsbot").glob("*.egg")
    with zipfile.ZipFile(egg) as archive:
        names = set(archive.namelist())
        entry_points = archive.read("EGG-INFO/entry_points.txt").decode()
    assert "[scrapy]\nsettings = newsbot.settings" in entry_points
    assert {"newsbot/sources/sources.toml", "newsbot/snapshot/sina-finance/manifest.json"} <= names


def test_readme_schedule_line_crawls_the_served_snapshot_into_the_archive(scrapyd, snapshot_address, outside):
    live, snapshot = readme_lines()
    (schedule,) = [line for line in snapshot if line.startswith("curl ")]
    (live_schedule,) = [line for line in live if line.startswith("curl ")]
    readme_address = re.search(r"NEWSBOT_SNAPSHOT_ADDRESS=(\S+)", schedule).group(1)
    assert live_schedule == schedule.replace(f" -d setting=NEWSBOT_SNAPSHOT_ADDRESS={readme_address}", "")
    archive = outside / "archive"
    command = (
        schedule.replace(README_SCRAPYD, scrapyd.url)
        .replace("=/srv/archive", f"={archive}")
        .replace(readme_address, snapshot_address)
    )
    assert command.count(str(archive)) == command.count(snapshot_address) == 1
    scheduled = subprocess.run(
        ["/bin/sh", "-c", command], capture_output=True, text=True, timeout=60, env=clean_environment()
    )
    assert scheduled.returncode == 0, scheduled.stderr
    answer = json.loads(scheduled.stdout)
    assert answer["status"] == "ok", answer

    job = finished(scrapyd, answer["jobid"])[answer["jobid"]]
    log = job_log(scrapyd, job)
    posts = sorted(archive.rglob("*.md"))
    assert posts, log
    summary = "".join(records(log, "newsbot.extensions.progress"))
    assert re.search(rf"\bnew\W+{len(posts)}\b", summary), log
    assert "Spider closed (finished)" in log
    assert "ERROR" not in log
    validated = run_newsbot("validate", str(archive))
    assert validated.returncode == 0 and f"{len(posts)} passed, 0 failed" in validated.stdout


def test_jobs_that_cannot_start_say_why_in_their_logs(scrapyd, snapshot_address, outside):
    missing = outside / "nowhere" / "sources.toml"
    common = [f"NEWSBOT_SNAPSHOT_ADDRESS={snapshot_address}", f"NEWSBOT_OUTPUT_DIR={outside / 'refused'}"]
    unreadable = api(
        scrapyd,
        "schedule.json",
        project="newsbot",
        spider="sina-finance",
        setting=[*common, f"NEWSBOT_SOURCES_FILE={missing}"],
    )["jobid"]
    bad_setting = api(
        scrapyd,
        "schedule.json",
        project="newsbot",
        spider="sina-finance",
        setting=[*common, "NEWSBOT_NEAR_DUPLICATE_DISTANCE=many"],
    )["jobid"]
    jobs = finished(scrapyd, unreadable, bad_setting)
    log = job_log(scrapyd, jobs[unreadable])
    assert re.search(rf"ERROR: {re.escape(str(missing))}: cannot read the sources file", log), log
    log = job_log(scrapyd, jobs[bad_setting])
    assert "ERROR:" in log and "'many'" in log, log
    assert not list((outside / "refused").rglob("*.md"))
