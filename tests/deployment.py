"""Test helpers for deployments: the project as a source distribution, a virtual environment that holds
newsbot's dependencies but not newsbot, the README's command lines, and processes on 127.0.0.1."""

from __future__ import annotations

import os
import queue
import re
import shutil
import socket
import subprocess
import sys
import sysconfig
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
SDIST_FILES = ("pyproject.toml", "setup.py", "scrapy.cfg", "README.md")


def copy_project(target: Path) -> Path:
    """The files a source distribution of newsbot holds, copied to ``target`` (builds there leave the
    checkout untouched)."""
    target.mkdir(parents=True, exist_ok=True)
    for name in SDIST_FILES:
        shutil.copy2(ROOT / name, target / name)
    shutil.copytree(ROOT / "newsbot", target / "newsbot", ignore=shutil.ignore_patterns("__pycache__"))
    return target


def bare_environment(target: Path) -> Path:
    """A new virtual environment at ``target`` that imports newsbot's dependencies from the test's own
    environment (a ``.pth`` line) but not newsbot, which only what is installed into it provides.

    The test environment's ``.pth`` files (among them the editable install of the checkout) are not read,
    since only site directories run theirs. Returns the environment's python.
    """
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(target)], check=True)
    python = target / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(purelib, "newsbot-test-dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    return python


def clean_environment(**extra: str) -> dict[str, str]:
    """The environment for a deployed newsbot: nothing that points it at the checkout, its settings or a
    proxy (every address the tests use is on 127.0.0.1); the test environment's scripts on PATH."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if name not in {"PYTHONPATH", "SCRAPY_SETTINGS_MODULE", "SCRAPY_PROJECT", "NEWSBOT_SOURCES_FILE"}
        and not name.lower().endswith("_proxy")
    }
    environment["PATH"] = (
        f"{Path(sys.executable).parent}{os.pathsep}{environment.get('PATH', '/usr/bin:/bin')}"
    )
    return {**environment, **extra}


def readme_section(heading: str) -> str:
    """The text of the README section (any level) whose heading is ``heading``, up to the next heading of
    the same or a higher level."""
    text = README.read_text(encoding="utf-8")
    match = re.search(rf"^(#+) {re.escape(heading)}\n", text, re.M)
    assert match, f"README.md has no section {heading!r}"
    level = len(match.group(1))
    end = re.compile(rf"^#{{1,{level}}} ", re.M).search(text, match.end())
    return text[match.end() : end.start() if end else len(text)]


def code_blocks(section: str, language: str) -> list[str]:
    """The fenced code blocks of one language in a README section, continuation lines joined."""
    blocks = re.findall(rf"^```{language}\n(.*?)^```", section, re.M | re.S)
    return [block.replace("\\\n", " ") for block in blocks]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 30) -> None:
    """Return once something accepts connections on 127.0.0.1:``port``; fail if ``process`` dies first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the server exited with status {process.returncode}"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"nothing listened on 127.0.0.1:{port} within {timeout} s")


def wait_for_line(process: subprocess.Popen, pattern: str, timeout: float = 30) -> re.Match:
    """The first match of ``pattern`` in a line of ``process``'s stderr (a text pipe); a thread goes on
    reading the rest, so the pipe never fills."""
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        for line in process.stderr:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + timeout
    seen = []
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            break
        if line is None:
            break
        seen.append(line)
        if match := re.search(pattern, line):
            return match
    raise AssertionError(f"no line matching {pattern!r} within {timeout} s; got:\n{''.join(seen)}")


def stop(process: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL after 10 s."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
