from __future__ import annotations

import argparse
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from scrapy.settings import Settings

from newsbot.commands.reindex import Command
from newsbot.index import ArchiveIndex, entry_from_post, index_path, post_paths
from tests.conftest import PAGES, SEED_PAGE, SEED_URL, needs_shared
from tests.servers import run_newsbot
from tests.test_dedupe import Archive

PAGES_OF_ONE_DAY = (
    (
        "htmlgtmk_news_c_2018-09-28_doc-ifxeuwwr9169891.html",
        "https://news.sina.com.cn/c/2018-09-28/doc-ifxeuwwr9169891.shtml",
    ),
    (
        "htmlgtmk_news_o_2018-09-28_doc-ifxeuwwr9050078.html",
        "https://news.sina.com.cn/o/2018-09-28/doc-ifxeuwwr9050078.shtml",
    ),
    ("gne_hexun_stock_1.html", "https://stock.hexun.com/2019-09-26/198678130.html?from=rss"),
)


@dataclass
class Result:
    returncode: int
    stdout: str


def reindex(folder: Path, capsys: pytest.CaptureFixture) -> Result:
    """``newsbot reindex FOLDER``: its exit status and output."""
    command = Command()
    command.settings = Settings()
    command.run([str(folder)], argparse.Namespace())
    return Result(command.exitcode, capsys.readouterr().out)


def stored_archive(tmp_path) -> Archive:
    archive = Archive(tmp_path / "output")
    archive.feed(SEED_PAGE, SEED_URL)
    archive.feed(SEED_PAGE, SEED_URL, edit=("开放是上海的最大优势和鲜明标识。", "开放是上海最鲜明的标识。"))
    for name, url in PAGES_OF_ONE_DAY:
        folder = "hexun" if "hexun" in name else "sina"
        archive.feed(PAGES / folder / name, url)
    archive.close()
    return archive


@needs_shared
def test_entries_read_from_the_posts_equal_the_recorded_ones_but_for_the_url(tmp_path):
    archive = stored_archive(tmp_path)
    with ArchiveIndex(archive.root) as index:
        recorded = {entry.key: entry for entry in index.entries()}
    paths = list(post_paths(archive.root))
    assert len(paths) == len(recorded) == 4
    for path in paths:
        entry = entry_from_post(archive.root, path)
        assert entry.url == ""
        assert entry == replace(recorded[entry.key], url="")


@needs_shared
def test_reindex_rebuilds_a_lost_index_from_the_posts(tmp_path, capsys):
    archive = stored_archive(tmp_path)
    with ArchiveIndex(archive.root) as index:
        recorded = sorted(
            (entry.key, entry.path, entry.body_hash, entry.simhash, entry.published)
            for entry in index.entries()
        )
    for suffix in ("", "-wal", "-shm"):
        index_path(archive.root).with_name(f"index.sqlite3{suffix}").unlink(missing_ok=True)
    (archive.root / "sina" / "README.md").write_text("not a post\n", encoding="utf-8")
    (archive.root / "sina" / "broken.md").write_text("\n---\ntitle: x\n", encoding="utf-8")
    result = reindex(archive.root, capsys)
    assert result.returncode == 1
    assert "4 posts indexed, 2 skipped" in result.stdout
    assert "skipped sina/broken.md" in result.stdout
    with ArchiveIndex(archive.root) as index:
        rebuilt = sorted(
            (entry.key, entry.path, entry.body_hash, entry.simhash, entry.published)
            for entry in index.entries()
        )
        assert index.knows("sina:ikyamrmz6500542")
    assert rebuilt == recorded


@needs_shared
def test_reindex_keeps_urls_and_aliases_of_posts_still_there_and_replaces_an_unreadable_index(
    tmp_path, capsys, caplog
):
    archive = stored_archive(tmp_path)
    with ArchiveIndex(archive.root) as index:
        index.alias("url:0123456789abcdef", "sina:ikyamrmz6500542")
    result = reindex(archive.root, capsys)
    assert result.returncode == 0, result.stdout
    assert "4 posts indexed, 0 skipped, 1 of 1 aliases kept" in result.stdout
    with ArchiveIndex(archive.root) as index:
        assert index.get("url:0123456789abcdef").url == SEED_URL
    index_path(archive.root).write_bytes(b"this is not a database" * 100)
    for suffix in ("-wal", "-shm"):
        index_path(archive.root).with_name(f"index.sqlite3{suffix}").unlink(missing_ok=True)
    result = reindex(archive.root, capsys)
    assert result.returncode == 0, result.stdout
    assert "moved it to index.sqlite3.broken-" in caplog.text
    with ArchiveIndex(archive.root) as index:
        assert len(index) == 4


def test_reindex_refuses_no_workers_and_reports_an_empty_folder(tmp_path):
    refused = run_newsbot("reindex", "--workers", "0", str(tmp_path))
    assert refused.returncode == 2
    assert "--workers must be at least 1" in refused.stderr
    empty = run_newsbot("reindex", "--workers", "1", str(tmp_path))
    assert empty.returncode == 0
    assert empty.stdout.strip() == "0 posts indexed, 0 skipped, 0 of 0 aliases kept"
