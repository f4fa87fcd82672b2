"""The body sanitiser chosen by measurement: nh3 (ammonia on html5ever) against html5lib's sanitizer.

For each library: milliseconds per body over the article bodies of the bundled snapshot and of the saved Sina
pages (``../shared/pages/sina``), whether the seed post's body comes back as the same HTML tree (the comparison
``check_post.py --against`` makes: whitespace-only text aside, ``alt`` and ``alt=""`` alike), whether it keeps what the format keeps
(comments, the body's ``<style>``, Sina's QR-code block, an http(s) player ``<iframe>``, ``referrerpolicy`` on
``<img>``), and how many entries of the hostile corpus (tests/hostile_corpus.py) still run or load something
when the output is parsed as a browser parses it (the library alone: newsbot's own pass after it also removes
``@import`` from ``<style>``). html5lib is given the same allowlist newsbot uses where its
sanitizer takes one (elements, attributes are its own list). Run: ``python bench/sanitise.py [--repeat N]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import html5lib
import lxml.html
from html5lib.filters.sanitizer import Filter as SanitizerFilter
from html5lib.serializer import HTMLSerializer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from newsbot.body import KEPT_ELEMENTS, sanitise  # noqa: E402
from newsbot.charset import decode_html  # noqa: E402
from newsbot.extraction import extract_page  # noqa: E402
from newsbot.post import split  # noqa: E402
from newsbot.sites.base import NotAnArticle  # noqa: E402
from newsbot.snapshot_server import BUNDLED_SNAPSHOT, MANIFEST  # noqa: E402
from tests.hostile_corpus import HOSTILE_HTML, browser_problems  # noqa: E402

SHARED = ROOT.parent / "shared"
KEEPS = {
    "comments": "<p>a</p><!-- 正文下 --><p>b</p>",
    "style": "<style>.a{color:red}</style><p>a</p>",
    "site block": '<div class="appendQr_wrap"><div class="appendQr_normal"><img src="https://n.sinaimg.cn/q.png"></div></div>',
    "iframe player": '<iframe src="https://v.qq.com/txp/iframe/player.html?vid=x" width="640"></iframe>',
    "img referrerpolicy": '<img src="https://n.sinaimg.cn/a.jpg" referrerpolicy="no-referrer">',
    "unknown attribute": '<p cms-style="font-L">a</p>',
}
_HTML5LIB_ELEMENTS = frozenset(("http://www.w3.org/1999/xhtml", name) for name in KEPT_ELEMENTS)


def html5lib_sanitise(html: str) -> str:
    """html5lib: parse as a browser, its sanitizer filter with newsbot's element allowlist, serialise."""
    walker = html5lib.getTreeWalker("etree")
    tree = html5lib.parseFragment(html, container="div", treebuilder="etree")
    tokens = SanitizerFilter(walker(tree), allowed_elements=_HTML5LIB_ELEMENTS)
    return HTMLSerializer(omit_optional_tags=False, quote_attr_values="always").render(tokens)


LIBRARIES: dict[str, Callable[[str], str]] = {"nh3": sanitise, "html5lib": html5lib_sanitise}


def bodies() -> list[str]:
    """The served body HTML of every article of the bundled snapshot and of the saved Sina pages."""
    found = []
    manifest = json.loads((BUNDLED_SNAPSHOT / MANIFEST).read_text(encoding="utf-8"))
    pages = [(url, BUNDLED_SNAPSHOT / entry["file"]) for url, entry in manifest.items() if "file" in entry]
    pages += [(f"https://finance.sina.com.cn/x/{path.stem}.shtml", path) for path in (SHARED / "pages" / "sina").glob("*.html")]
    for url, path in pages:
        try:
            found.append(extract_page(decode_html(path.read_bytes(), None), url).extracted.body_html)
        except NotAnArticle:
            continue
    return found


def tree(html: str) -> str:
    """The HTML tree ``check_post.py --against`` compares (whitespace-only text dropped, the rest stripped), with
    an empty attribute written one way."""
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    for element in root.iter():
        if isinstance(element.tag, str):
            element.text = (element.text or "").strip() or None
            for name, value in element.attrib.items():
                element.set(name, value)  # ``alt`` and ``alt=""`` are the same attribute
        element.tail = (element.tail or "").strip() or None
    return lxml.html.tostring(root, encoding="unicode")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    served = bodies()
    _, seed_body = split((SHARED / "seed" / "000_7034680b02dd562e.txt").read_text(encoding="utf-8"))
    print(f"{len(served)} bodies, {sum(map(len, served)) / len(served) / 1024:.1f} KiB each on average; "
          f"{len(HOSTILE_HTML)} hostile entries")  # fmt: skip
    print("| library | ms/body (median of runs) | seed body, same tree | keeps | hostile entries left live |")
    print("|---|---|---|---|---|")
    for name, clean in LIBRARIES.items():
        runs = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            for html in served:
                clean(html)
            runs.append((time.perf_counter() - start) * 1000 / len(served))
        seed_same = tree(clean(seed_body)) == tree(seed_body)
        kept = [what for what, html in KEEPS.items() if tree(clean(html)) == tree(html)]
        live = sum(bool(browser_problems(clean(html))) for html in HOSTILE_HTML.values())
        print(f"| {name} | {statistics.median(runs):.2f} | {'yes' if seed_same else 'no'} | "
              f"{', '.join(kept) or 'none'} ({len(kept)}/{len(KEEPS)}) | {live} |")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
