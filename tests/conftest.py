"""Shared test helpers: where ``../shared`` lives, and skipping when it is absent."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
PAGES = SHARED / "pages"
SEED_POST = SHARED / "seed" / "000_7034680b02dd562e.txt"
SEED_PAGE = SHARED / "seed" / "seed-source-page.html"
SEED_URL = "https://finance.sina.com.cn/china/gncj/2022-01-21/doc-ikyamrmz6500542.shtml"

needs_shared = pytest.mark.skipif(
    not SHARED.is_dir(), reason="../shared (seed, pages, tools) is not beside the repo"
)
