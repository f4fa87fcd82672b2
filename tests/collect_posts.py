"""Gather every post the test suite wrote into folders for the checks ``make test`` runs after the tests.

Usage: ``python tests/collect_posts.py PYTEST_BASETEMP DEST``. Valid posts are copied to ``DEST`` with unique
names, except those whose title or body text reads like a tag (``<script>`` in a hostile title, ``&lt;b&gt;``
in a body): ``hexo_build.sh --strict`` counts such text as a tag shown as text, so they go to ``DEST-tag-text``
for a build without ``--strict`` (the hostile tests check those pages themselves). Files that are not valid
posts (tests write some on purpose) are listed and left out; the exit status is 1 when no post was found.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

from newsbot.post import split
from newsbot.validate import validate_tree

TAG_TEXT = re.compile(r"&lt;/?(?:[a-z][a-z0-9]*|!--)", re.IGNORECASE)
TAG_IN_TITLE = re.compile(r"^title: '.*</?(?:[a-z][a-z0-9]*|!--)", re.IGNORECASE | re.MULTILINE)


def reads_like_a_tag(text: str) -> bool:
    """Whether the post's title or body text holds what a page shows as ``<tag``."""
    head, inner = split(text)
    return bool(TAG_IN_TITLE.search(head) or TAG_TEXT.search(inner))


def collect(basetemp: Path, dest: Path) -> tuple[int, int, list[Path]]:
    """Copy the valid posts under ``basetemp`` to ``dest`` (and ``dest-tag-text``); return both counts and the
    files left out."""
    tag_text = dest.with_name(dest.name + "-tag-text")
    for folder in (dest, tag_text):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    copied, tagged, refused = 0, 0, []
    for path, found in validate_tree(basetemp):
        if found:
            refused.append(path)
            continue
        copied += 1
        text = path.read_text(encoding="utf-8")
        tagged += reads_like_a_tag(text)
        shutil.copyfile(path, (tag_text if reads_like_a_tag(text) else dest) / f"{copied:05d}-{path.name}")
    return copied, tagged, refused


def main(argv: list[str]) -> int:
    basetemp, dest = Path(argv[1]), Path(argv[2])
    copied, tagged, refused = collect(basetemp, dest)
    print(
        f"collect_posts: {copied} posts written by the tests gathered in {dest} ({tagged} whose text reads like a "
        f"tag in {dest}-tag-text); {len(refused)} non-posts left out"
    )
    for path in refused:
        print(f"  left out: {path.relative_to(basetemp)}")
    return 0 if copied else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
