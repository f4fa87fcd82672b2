"""Write Sina article pages whose bodies hold the hostile corpus (tests/hostile_corpus.py), 40 entries a page
(a broken entry can swallow what follows it in the page), for make site-check.

usage: PYTHONPATH=. python site/hostile_page.py SEED_SOURCE_PAGE OUT_DIR   (writes OUT_DIR/hostileNN.html)
"""

from __future__ import annotations

import sys
from pathlib import Path

from tests.hostile_corpus import HOSTILE_HTML, LIBXML2_MISREAD, MARKDOWN_TEXT

OPENING = '<div class="article" id="artibody" data-sudaclick="blk_content">'
PER_PAGE = 40


def main(argv: list[str]) -> int:
    page = Path(argv[1]).read_text(encoding="utf-8")
    out = Path(argv[2])
    out.mkdir(parents=True, exist_ok=True)
    corpus = [*HOSTILE_HTML.values(), *LIBXML2_MISREAD.values(), *MARKDOWN_TEXT]
    for start in range(0, len(corpus), PER_PAGE):
        body = "".join(f"<p>第{start + n}条</p>{fragment}" for n, fragment in enumerate(corpus[start : start + PER_PAGE]))
        name = out / f"hostile{start // PER_PAGE:02d}.html"
        name.write_text(page.replace(OPENING, OPENING + body, 1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
