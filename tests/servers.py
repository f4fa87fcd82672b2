"""Test helpers: an ad-hoc snapshot served on 127.0.0.1, and the ``newsbot`` CLI in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from newsbot.snapshot_server import MANIFEST, SnapshotServer

ROOT = Path(__file__).resolve().parents[1]


def serve(entries: dict[str, dict], tmp_path: Path) -> SnapshotServer:
    """A server (enter it to start) for a snapshot made of ``entries``: original URL -> manifest entry."""
    folder = tmp_path / "snapshot"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MANIFEST).write_text(json.dumps(entries, ensure_ascii=False, indent=1), encoding="utf-8")
    return SnapshotServer(folder)


def run_newsbot(
    *args: str, cwd: str | Path | None = None, timeout: float = 120, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """Run ``newsbot ARGS`` (``newsbot.cli.main`` in a fresh interpreter), capturing its text output."""
    environment = {**os.environ, **(env or {})}
    environment.pop("SCRAPY_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, "-c", "from newsbot.cli import main; main()", *args],
        cwd=cwd or ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
