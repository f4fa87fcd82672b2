import os
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from newsbot import storage
from newsbot.storage import atomic_write, post_relpath, resolve_inside, safe_component, write_post


def test_post_relpath_uses_utc_month_and_safe_names():
    moment = datetime(2022, 2, 1, 1, 0, tzinfo=timezone(timedelta(hours=8)))
    assert post_relpath("sina", moment, "ikyamrmz6500542") == "sina/2022/01/ikyamrmz6500542.md"


@pytest.mark.parametrize("name", ["../../etc/passwd", "/abs/olute", "..", "a/b\\c", "\x00", "名字", ""])
def test_safe_component_never_leaves_the_folder(name, tmp_path):
    component = safe_component(name)
    assert "/" not in component and ".." not in component and component
    relpath = post_relpath(name, datetime(2022, 1, 1, tzinfo=UTC), name)
    assert resolve_inside(tmp_path, relpath).is_relative_to(tmp_path.resolve())


@pytest.mark.parametrize("relpath", ["../x.md", "/etc/x.md", "a/../../x.md", "."])
def test_resolve_inside_refuses_escapes(relpath, tmp_path):
    with pytest.raises(ValueError):
        resolve_inside(tmp_path, relpath)


def test_write_post_new_unchanged_updated_keeps_history(tmp_path):
    assert write_post(tmp_path, "sina/2022/01/a.md", "one") == "new"
    assert write_post(tmp_path, "sina/2022/01/a.md", "one") == "unchanged"
    assert write_post(tmp_path, "sina/2022/01/a.md", "two") == "updated"
    assert write_post(tmp_path, "sina/2022/01/a.md", "three") == "updated"
    assert (tmp_path / "sina/2022/01/a.md").read_text() == "three"
    history = tmp_path / storage.HISTORY_DIR / "sina/2022/01"
    assert (history / "a.v1.md").read_text() == "one"
    assert (history / "a.v2.md").read_text() == "two"


def test_atomic_write_leaves_old_file_and_no_temporary_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "p.md"
    target.write_text("old")

    def full_disk(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OSError):
        atomic_write(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["p.md"]


def test_atomic_write_creates_folders(tmp_path):
    atomic_write(tmp_path / "a" / "b" / "c.md", "x")
    assert Path(tmp_path / "a/b/c.md").read_text() == "x"


def test_resolve_inside_follows_a_symlinked_folder_made_by_the_administrator(tmp_path):
    root, elsewhere = tmp_path / "out", tmp_path / "other-disk"
    elsewhere.mkdir()
    root.mkdir()
    (root / "sina").symlink_to(elsewhere, target_is_directory=True)
    assert resolve_inside(root, "sina/2024/01/a.md") == root.resolve() / "sina/2024/01/a.md"
    assert write_post(root, "sina/2024/01/a.md", "post") == "new"
    assert (elsewhere / "2024/01/a.md").read_text() == "post"
    assert write_post(root, "sina/2024/01/a.md", "corrected") == "updated"
    assert (root / storage.HISTORY_DIR / "sina/2024/01/a.v1.md").read_text() == "post"


def test_resolve_inside_refuses_a_symlinked_post(tmp_path):
    (tmp_path / "sina").mkdir()
    (tmp_path / "elsewhere.txt").write_text("not a post")
    (tmp_path / "sina" / "a.md").symlink_to(tmp_path / "elsewhere.txt")
    with pytest.raises(ValueError, match="symlink"):
        resolve_inside(tmp_path, "sina/a.md")


def test_write_posts_syncs_each_folder_once_and_refuses_only_the_bad_posts(tmp_path, monkeypatch):
    synced = []
    monkeypatch.setattr(storage, "_fsync_dir", synced.append)
    (tmp_path / "sina/2022/01").mkdir(parents=True)
    (tmp_path / "sina/2022/01/c.md").write_text("old", encoding="utf-8")
    outcomes = storage.write_posts(
        tmp_path,
        [
            ("sina/2022/01/a.md", "a"),
            ("../escape.md", "x"),
            ("sina/2022/02/b.md", "b"),
            ("sina/2022/01/c.md", "new"),
        ],
    )
    assert outcomes[0] == "new" and outcomes[2] == "new" and outcomes[3] == "updated"
    assert isinstance(outcomes[1], ValueError) and not (tmp_path.parent / "escape.md").exists()
    root = tmp_path.resolve()
    assert sorted(synced) == sorted(
        {root / "sina/2022/01", root / "sina/2022/02", root / ".history/sina/2022/01"}
    )
    assert (tmp_path / "sina/2022/01/c.md").read_text(encoding="utf-8") == "new"


def test_write_posts_refuses_the_posts_of_a_folder_that_could_not_be_synced(tmp_path, monkeypatch):
    def fsync_dir(folder):
        if folder.name == "02":
            raise OSError(5, "Input/output error")

    monkeypatch.setattr(storage, "_fsync_dir", fsync_dir)
    outcomes = storage.write_posts(tmp_path, [("sina/2022/01/a.md", "a"), ("sina/2022/02/b.md", "b")])
    assert outcomes[0] == "new"
    assert isinstance(outcomes[1], OSError) and outcomes[1].errno == 5
