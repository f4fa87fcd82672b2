"""Deployments that work as written: a wheel installed outside the checkout crawls the bundled snapshot, the
README's cron and systemd lines run on a new deployment, and ``NEWSBOT_SOURCES_FILE`` is honoured."""

from __future__ import annotations

import configparser
import fcntl
import json
import re
import shlex
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsbot.snapshot_server import BUNDLED_SNAPSHOT, MANIFEST
from newsbot.sources.config import BUNDLED_FILE, parse_sources
from tests.deployment import (
    ROOT,
    bare_environment,
    clean_environment,
    code_blocks,
    copy_project,
    readme_section,
)
from tests.servers import run_newsbot, serve

SNAPSHOT_FILES = sorted(
    {
        entry["file"]
        for entry in json.loads((BUNDLED_SNAPSHOT / MANIFEST).read_text()).values()
        if "file" in entry
    }
)


def posts(folder: Path) -> list[str]:
    """The posts under an archive folder, as paths relative to it (hidden folders skipped, as Hexo does)."""
    return sorted(
        str(path.relative_to(folder))
        for path in folder.rglob("*.md")
        if not any(part.startswith(".") for part in path.relative_to(folder).parts)
    )


@pytest.fixture(scope="module")
def outside() -> Iterator[Path]:
    """A folder outside the checkout (the system's temporary folder, not pytest's under build/)."""
    with tempfile.TemporaryDirectory(prefix="newsbot-deploy-") as folder:
        assert not Path(folder).resolve().is_relative_to(ROOT)
        yield Path(folder)


@pytest.fixture(scope="module")
def wheel(outside: Path) -> Path:
    """The wheel of a copy of the project, built by pip with the test environment's setuptools (no download)."""
    source = copy_project(outside / "source")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--quiet",
            "-w",
            str(outside / "dist"),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    (built,) = (outside / "dist").glob("newsbot-*.whl")
    return built


@pytest.fixture(scope="module")
def environment(outside: Path, wheel: Path) -> Path:
    """A virtual environment outside the checkout with the wheel installed (its dependencies come from the
    test environment); returns its folder."""
    python = bare_environment(outside / "venv")
    done = subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "--no-index", "--quiet", str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
        env=clean_environment(),
    )
    assert done.returncode == 0, done.stderr
    return outside / "venv"


def deployment(outside: Path, environment: Path, name: str) -> Path:
    """A new deployment folder like ``/srv/newsbot``: nothing in it but ``.venv``."""
    folder = outside / name
    folder.mkdir()
    (folder / ".venv").symlink_to(environment, target_is_directory=True)
    return folder


def test_wheel_carries_the_sources_file_and_the_bundled_snapshot(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "newsbot/sources/sources.toml" in names
    assert "newsbot/snapshot/sina-finance/manifest.json" in names
    missing = [file for file in SNAPSHOT_FILES if f"newsbot/snapshot/sina-finance/{file}" not in names]
    assert not missing
    entry_points = zipfile.ZipFile(wheel).read(
        next(name for name in names if name.endswith(".dist-info/entry_points.txt"))
    )
    assert "[scrapy]\nsettings = newsbot.settings" in entry_points.decode()


def test_installed_newsbot_comes_from_the_wheel_and_finds_its_files(environment, outside):
    done = subprocess.run(
        [
            str(environment / "bin" / "python"),
            "-c",
            "import newsbot, newsbot.sources.config as c, newsbot.snapshot_server as s; "
            "print(newsbot.__file__); print(c.sources_path()); print(s.BUNDLED_SNAPSHOT)",
        ],
        cwd=outside,
        capture_output=True,
        text=True,
        env=clean_environment(),
    )
    assert done.returncode == 0, done.stderr
    module, sources, snapshot = (Path(line) for line in done.stdout.splitlines())
    for path in (module, sources, snapshot):
        assert path.is_relative_to(environment.resolve()) or path.is_relative_to(environment)
        assert not path.resolve().is_relative_to(ROOT)
    assert sources.is_file() and (snapshot / MANIFEST).is_file()


def test_installed_wheel_crawls_the_bundled_snapshot_outside_the_checkout(environment, outside, tmp_path):
    folder = deployment(outside, environment, "installed")
    newsbot = str(folder / ".venv" / "bin" / "newsbot")
    crawl = subprocess.run(
        [newsbot, "crawl", "sina-finance", "--snapshot", "-s", "NEWSBOT_OUTPUT_DIR=archive"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        env=clean_environment(),
    )
    assert crawl.returncode == 0, crawl.stderr
    archived = posts(folder / "archive")
    assert archived
    reference = run_newsbot(
        "crawl", "sina-finance", "--snapshot", "-s", f"NEWSBOT_OUTPUT_DIR={tmp_path / 'ref'}"
    )
    assert reference.returncode == 0, reference.stderr
    assert archived == posts(tmp_path / "ref")
    validate = subprocess.run(
        [newsbot, "validate", "archive"], cwd=folder, capture_output=True, text=True, env=clean_environment()
    )
    assert validate.returncode == 0, validate.stdout + validate.stderr
    assert f"{len(archived)} passed, 0 failed" in validate.stdout


def cron_command() -> str:
    """The command of the README's cron line (its five time fields dropped)."""
    (block,) = code_blocks(readme_section("Scheduling without `newsbot schedule`"), "cron")
    (line,) = [line for line in block.splitlines() if line.strip() and not line.startswith("#")]
    return line.split(None, 5)[5]


def on_snapshot(command: str, srv: Path) -> str:
    """A README command line moved to ``srv`` and pointed at the bundled snapshot."""
    assert command.count("crawl sina-finance ") == 1, command
    return command.replace("/srv/newsbot", str(srv)).replace(
        "crawl sina-finance ", "crawl sina-finance --snapshot "
    )


def test_readme_cron_line_crawls_a_new_deployment_and_skips_while_a_run_holds_the_lock(environment, outside):
    folder = deployment(outside, environment, "cron")
    command = on_snapshot(cron_command(), folder)
    assert not (folder / "output").exists()
    done = subprocess.run(
        ["/bin/sh", "-c", command], capture_output=True, text=True, timeout=300, env=clean_environment()
    )
    assert done.returncode == 0, (folder / "crawl.log").read_text()
    archived = posts(folder / "output")
    assert archived
    assert "Spider closed (finished)" in (folder / "crawl.log").read_text()

    lock = re.search(r"flock -n (\S+)", command).group(1)
    logged = (folder / "crawl.log").stat().st_size
    with open(folder / lock, "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        skipped = subprocess.run(
            ["/bin/sh", "-c", command], capture_output=True, text=True, timeout=60, env=clean_environment()
        )
    assert skipped.returncode == 1
    assert (folder / "crawl.log").stat().st_size == logged
    assert posts(folder / "output") == archived


def test_readme_systemd_service_runs_on_a_new_deployment(environment, outside):
    blocks = [
        block
        for block in code_blocks(readme_section("Scheduling without `newsbot schedule`"), "ini")
        if "[Service]" in block
    ]
    (unit,) = blocks
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read_string(unit)
    service = parser["Service"]
    assert service["Type"] == "oneshot"
    folder = deployment(outside, environment, "systemd")
    working_directory = service["WorkingDirectory"].replace("/srv/newsbot", str(folder))
    assert Path(working_directory) == folder
    command = shlex.split(on_snapshot(service["ExecStart"], folder))
    assert Path(command[0]).is_absolute()
    done = subprocess.run(
        command, cwd=working_directory, capture_output=True, text=True, timeout=300, env=clean_environment()
    )
    assert done.returncode == 0, done.stderr
    archived = posts(folder / "output")
    assert archived
    again = subprocess.run(
        command, cwd=working_directory, capture_output=True, text=True, timeout=300, env=clean_environment()
    )
    assert again.returncode == 0, again.stderr
    assert posts(folder / "output") == archived


FEED = "https://feeds.example.com/deploy.xml"
FEED_BODY = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>t</title>
<link>https://news.example.com/</link><description>d</description>
<item><title>环境变量指定的来源</title><link>https://news.example.com/2024/0510/1.html</link>
<pubDate>Fri, 10 May 2024 08:15:00 +0800</pubDate>
<content:encoded><![CDATA[<p>这是一篇由环境变量所指定的来源文件里的订阅源提供的完整文章，用来检查部署时的配置方式。</p>
<p>第二段文字让正文足够长，以免被当作摘要而去抓取文章页面。</p>]]></content:encoded></item>
</channel></rss>"""
SOURCES = f"""builtins = false
[sources.from-environment]
feed = "{FEED}"
categories = ["金融", "环境", "环境－变量"]
fetch_article = false
"""


def test_sources_file_environment_variable_is_honoured(tmp_path):
    named = tmp_path / "elsewhere" / "my-sources.toml"
    named.parent.mkdir()
    named.write_text(SOURCES, encoding="utf-8")
    workdir = tmp_path / "work"
    workdir.mkdir()
    (workdir / "sources.toml").write_text("builtins = true\n", encoding="utf-8")
    environment = {"NEWSBOT_SOURCES_FILE": str(named)}

    listed = run_newsbot("sources", cwd=workdir, env=environment)
    assert listed.returncode == 0, listed.stderr
    assert "from-environment" in listed.stdout and "sina-finance" not in listed.stdout
    assert f"sources from {named}" in listed.stdout

    overridden = run_newsbot(
        "sources", "-s", "NEWSBOT_SOURCES_FILE=sources.toml", cwd=workdir, env=environment
    )
    assert "sina-finance" in overridden.stdout and "from-environment" not in overridden.stdout

    feed = {FEED: {"body": FEED_BODY, "headers": {"Content-Type": "application/rss+xml; charset=utf-8"}}}
    with serve(feed, tmp_path) as server:
        crawl = run_newsbot(
            "crawl",
            "from-environment",
            "-s",
            f"NEWSBOT_SNAPSHOT_ADDRESS={server.address}",
            "-s",
            f"NEWSBOT_OUTPUT_DIR={tmp_path / 'archive'}",
            cwd=workdir,
            env=environment,
        )
    assert crawl.returncode == 0, crawl.stderr
    assert len(posts(tmp_path / "archive")) == 1
    assert server.hits[FEED] == 1

    missing = run_newsbot(
        "sources", cwd=workdir, env={"NEWSBOT_SOURCES_FILE": str(tmp_path / "nowhere.toml")}
    )
    assert missing.returncode == 1
    assert missing.stderr.strip() == (
        f"newsbot: error: {tmp_path / 'nowhere.toml'}: cannot read the sources file: "
        f"[Errno 2] No such file or directory: '{tmp_path / 'nowhere.toml'}'"
    )


ZIPPED_EGG_PROBE = """
import sys
sys.path.insert(0, sys.argv[1])
import newsbot
from scrapy.settings import Settings
from newsbot.snapshot_server import BUNDLED_SNAPSHOT, SnapshotServer
from newsbot.sources.config import load_sources
assert newsbot.__file__.startswith(sys.argv[1]), newsbot.__file__
with SnapshotServer(BUNDLED_SNAPSHOT) as server:
    print(len(server.entries), *load_sources(Settings()))
"""


def test_scrapyd_egg_reads_the_bundled_files_from_inside_its_zip(outside):
    project = copy_project(outside / "egg-source")
    egg = outside / "newsbot.egg"
    built = subprocess.run(
        ["scrapyd-deploy", "--build-egg", str(egg)],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
        env=clean_environment(),
    )
    assert built.returncode == 0, built.stderr
    assert zipfile.is_zipfile(egg)
    python = bare_environment(outside / "egg-env")
    probe = subprocess.run(
        [str(python), "-c", ZIPPED_EGG_PROBE, str(egg)],
        cwd=outside,
        capture_output=True,
        text=True,
        env=clean_environment(),
    )
    assert probe.returncode == 0, probe.stderr
    entries, *sources = probe.stdout.split()
    assert int(entries) == len(json.loads((BUNDLED_SNAPSHOT / MANIFEST).read_text()))
    assert sources == list(parse_sources(BUNDLED_FILE.read_text(encoding="utf-8"), "bundled"))
