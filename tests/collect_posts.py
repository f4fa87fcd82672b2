"""Gather every post the test suite wrote into one folder for the Hexo build CI runs after the tests.

Usage: ``python tests/collect_posts.py PYTEST_BASETEMP DEST``. Files that are not valid posts (tests write
some on purpose) are listed and left out; the exit status is 1 when no post at all was found.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from newsbot.validate import validate_tree


def collect(basetemp: Path, dest: Path) -> tuple[int, list[Path]]:
    """Copy the valid posts under ``basetemp`` to ``dest`` with unique names; return the count and the rest."""
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    copied, refused = 0, []
    for path, found in validate_tree(basetemp):
        if found:
            refused.append(path)
            continue
        copied += 1
        shutil.copyfile(path, dest / f"{copied:05d}-{path.name}")
    return copied, refused


def main(argv: list[str]) -> int:
    basetemp, dest = Path(argv[1]), Path(argv[2])
    copied, refused = collect(basetemp, dest)
    print(f"collect_posts: {copied} posts written by the tests gathered in {dest}; {len(refused)} non-posts left out")
    for path in refused:
        print(f"  left out: {path.relative_to(basetemp)}")
    return 0 if copied else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
