"""A WARC written by ``wget --warc-file`` of a loopback mirror replays into valid posts of the mirrored site."""

from __future__ import annotations

import functools
import shutil
import subprocess
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.servers import run_newsbot
from tests.test_renormalise import FIRST, SECOND, posts

pytestmark = pytest.mark.skipif(
    shutil.which("wget") is None, reason="wget is not installed (Debian: apt-get install wget)"
)

SITE = "https://finance.sina.com.cn"
ARTICLES = {
    "china/gncj/2022-01-21/doc-ikyamrmz6500542.shtml": FIRST,
    "stock/marketresearch/2022-01-21/doc-ikyamrmz6511111.shtml": SECOND,
}
POSTS = ["sina/2022/01/ikyamrmz6500542.md", "sina/2022/01/ikyamrmz6511111.md"]


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def mirror(tmp_path: Path) -> Iterator[str]:
    """A mirror of two Sina Finance articles and a page linking them, served on 127.0.0.1: its root URL."""
    root = tmp_path / "mirror"
    for relpath, html in ARTICLES.items():
        (root / relpath).parent.mkdir(parents=True, exist_ok=True)
        (root / relpath).write_text(html, encoding="utf-8")
    links = "".join(f'<li><a href="/{relpath}">{relpath}</a></li>' for relpath in ARTICLES)
    (root / "index.html").write_text(f"<html><body><ul>{links}</ul></body></html>", encoding="utf-8")
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def wget_warc(tmp_path: Path, *args: str) -> Path:
    """Run wget with ``--warc-file``, the downloads themselves thrown away: the WARC's path."""
    warc = tmp_path / "wget"
    subprocess.run(
        ["wget", "--quiet", "--warc-file", str(warc), "--directory-prefix", str(tmp_path / "files"), *args],
        check=True,
        timeout=60,
    )
    return warc.with_suffix(".warc.gz")


def replay(*args: str) -> str:
    done = run_newsbot("replay", *args, "-s", "LOG_LEVEL=WARNING")
    assert done.returncode == 0, done.stderr
    return done.stdout


def assert_valid(folder: Path) -> None:
    done = run_newsbot("validate", str(folder))
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_recursive_wget_mirror_replays_as_the_mirrored_site(tmp_path, mirror):
    warc = wget_warc(tmp_path, "--recursive", "--level=1", f"{mirror}/index.html")
    out = tmp_path / "out"
    summary = replay(str(warc), "--map", f"{mirror}={SITE}", "-s", f"NEWSBOT_OUTPUT_DIR={out}")
    assert "new=2 " in summary
    assert sorted(posts(out)) == POSTS
    text = (out / POSTS[0]).read_text(encoding="utf-8")
    assert "新浪财经" in text
    assert "中期借贷便利" in text
    assert_valid(out)


def test_one_article_of_a_wget_warc_replays_through_the_article_spider(tmp_path, mirror):
    relpath = next(iter(ARTICLES))
    warc = wget_warc(tmp_path, *(f"{mirror}/{path}" for path in ARTICLES))
    out = tmp_path / "out"
    replay(
        str(warc),
        "--map",
        f"{mirror}/={SITE}/",
        "--spider",
        "article",
        "-a",
        f"url={SITE}/{relpath}",
        "-s",
        f"NEWSBOT_OUTPUT_DIR={out}",
    )
    assert sorted(posts(out)) == POSTS[:1]
    assert_valid(out)


def test_without_a_map_the_replay_names_the_loopback_host_and_how_to_map_it(tmp_path, mirror):
    warc = wget_warc(tmp_path, f"{mirror}/{next(iter(ARTICLES))}")
    done = run_newsbot("replay", str(warc), "-s", f"NEWSBOT_OUTPUT_DIR={tmp_path / 'out'}", "-s", "LOG_LEVEL=WARNING")
    assert done.returncode == 0, done.stderr
    assert f"--map {mirror}=https://SITE-HOST" in done.stderr
    assert not (tmp_path / "out" / "sina").exists()
