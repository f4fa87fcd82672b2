"""Choose the near-duplicate distance: SimHash precision and recall on pairs built from real pages.

True copies are each article with one edit a syndicating portal makes (boilerplate added or removed, editor
line changed, images removed, a few characters changed, one paragraph edited); different articles are every
pair of distinct articles, the ones from one channel and day counted apart. Run: ``python bench/near_duplicates.py``.
"""

from __future__ import annotations

import itertools
import random
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import lxml.html

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from newsbot.body import inner_html, parse_fragment  # noqa: E402
from newsbot.charset import decode_html  # noqa: E402
from newsbot.extraction import article_from_page  # noqa: E402
from newsbot.fingerprint import body_text, exact_fingerprint, hamming, normalise_text, simhash  # noqa: E402

PAGES = ROOT.parent / "shared" / "pages"
SKIPPED_FOLDERS = ("groundtruth", "sina_list")
MIN_CHARS = 200
DISTANCES = range(13)
BOILERPLATE = re.compile(r"原标题|来源[:：]|责任编辑|编辑[:：]|免责声明|声明[:：]|扫码|关注|点击|海量资讯")
ADDED_BOILERPLATE = (
    "<p>原标题：{title}</p>",
    "<p>（来源：上海证券报·中国证券网）</p>",
    "<p>新浪财经免责声明：本文仅代表作者个人观点，不代表本站立场，所载内容仅供参考，不构成投资建议。</p>",
    "<p>海量资讯、精准解读，尽在新浪财经APP</p>",
)
EDITORS = ("责任编辑：张倩 SF069", "责任编辑：李铁民", "编辑：王小明")


@dataclass(frozen=True)
class Article:
    name: str
    day: str
    channel: str
    title: str
    body_html: str


def provenance_urls() -> dict[str, str]:
    """Original URL of each saved page, from PROVENANCE.md's tables (``file | repo | commit | path | url``)."""
    urls = {}
    for line in (PAGES / "PROVENANCE.md").read_text(encoding="utf-8").splitlines():
        cells = [cell.strip().strip("`") for cell in line.split("|")]
        if len(cells) > 6 and cells[1].endswith(".html") and cells[5].startswith("http"):
            urls[cells[1]] = cells[5]
    return urls


def load_articles() -> list[Article]:
    """Every saved article page with enough body text, read with newsbot's extraction (lxml text otherwise)."""
    urls = provenance_urls()
    articles = []
    for path in sorted(PAGES.glob("*/*.html")):
        if path.parent.name in SKIPPED_FOLDERS:
            continue
        name = f"{path.parent.name}/{path.name}"
        url = urls.get(name, f"https://{path.parent.name}.example.com/{path.stem}.html")
        text = decode_html(path.read_bytes(), None)
        try:
            article = article_from_page(text, url)
            body, title = article["body_html"], article["title"]
        except ValueError:
            root = lxml.html.document_fromstring(text)
            body, title = inner_html(root.find("body")), root.findtext(".//title") or ""
        if len(normalise_text(body_text(body))) < MIN_CHARS:
            continue
        day = match.group(1) if (match := re.search(r"(\d{4}-\d{2}-\d{2})", path.name)) else path.stem
        channel = re.sub(r"_\d{4}-\d{2}-\d{2}.*", "", path.stem)
        articles.append(Article(name, day, channel, title, body))
    return articles


def paragraphs(body_html: str) -> tuple[lxml.html.HtmlElement, list[lxml.html.HtmlElement]]:
    root = parse_fragment(body_html)
    return root, [element for element in root.iter("p", "div") if (element.text_content() or "").strip()]


def boilerplate_added(article: Article, rng: random.Random) -> str:
    lines = [line.format(title=article.title) for line in ADDED_BOILERPLATE]
    return lines[0] + article.body_html + "".join(lines[1:])


def boilerplate_removed(article: Article, rng: random.Random) -> str | None:
    root, found = paragraphs(article.body_html)
    removed = [
        element
        for element in found
        if len(element.text_content()) < 120 and BOILERPLATE.search(element.text_content())
    ]
    for element in removed:
        element.drop_tree()
    return inner_html(root) if removed else None


def editor_changed(article: Article, rng: random.Random) -> str:
    root, found = paragraphs(article.body_html)
    editors = [
        element for element in found if "编辑" in element.text_content() and len(element.text_content()) < 60
    ]
    if not editors:
        return article.body_html + f"<p>{EDITORS[0]}</p>"
    for element in editors:
        element.text, element[:] = rng.choice(EDITORS[1:]), []
    return inner_html(root)


def images_removed(article: Article, rng: random.Random) -> str | None:
    root = parse_fragment(article.body_html)
    images = root.xpath(".//img | .//*[contains(@class, 'img_descr')]")
    for element in images:
        element.drop_tree()
    return inner_html(root) if images else None


def characters_changed(article: Article, rng: random.Random, count: int = 5) -> str:
    text = body_text(article.body_html)
    letters = list(text)
    for position in rng.sample(range(len(letters)), count):
        letters[position] = rng.choice(text)
    return "<p>" + "".join(letters) + "</p>"


def paragraph_edited(article: Article, rng: random.Random) -> str | None:
    root, found = paragraphs(article.body_html)
    candidates = [element for element in found if len(element.text_content()) >= 60 and len(element) == 0]
    if not candidates:
        return None
    element = rng.choice(candidates)
    text = element.text_content()
    element.text = text[: len(text) // 2] + "。记者注意到，这一表述与此前的说法有所不同，市场对此反应积极。"
    return inner_html(root)


EDITS = {
    "boilerplate added": boilerplate_added,
    "boilerplate removed": boilerplate_removed,
    "editor line changed": editor_changed,
    "images removed": images_removed,
    "5 characters changed": characters_changed,
    "paragraph edited": paragraph_edited,
}


def fingerprint(body_html: str) -> int:
    return simhash(body_text(body_html))


def fingerprint_speed(articles: list[Article], size: int = 3000, rounds: int = 20) -> tuple[float, float]:
    """Milliseconds per ``size``-character text for ``simhash`` and ``exact_fingerprint``."""
    texts = [(body_text(article.body_html) * (size // 100 + 1))[:size] for article in articles]
    timings = []
    for function in (simhash, exact_fingerprint):
        started = time.perf_counter()
        for _ in range(rounds):
            for text in texts:
                function(text)
        timings.append((time.perf_counter() - started) * 1000 / (rounds * len(texts)))
    return timings[0], timings[1]


def main() -> None:
    rng = random.Random(20220121)
    articles = load_articles()
    hashes = {article.name: fingerprint(article.body_html) for article in articles}
    copies: dict[str, list[int]] = {edit: [] for edit in EDITS}
    for article in articles:
        for edit, make in EDITS.items():
            edited = make(article, rng)
            if edited is not None:
                copies[edit].append(hamming(hashes[article.name], fingerprint(edited)))
    distinct = [
        (first, second)
        for first, second in itertools.combinations(articles, 2)
        if normalise_text(body_text(first.body_html)) != normalise_text(body_text(second.body_html))
    ]
    different = [hamming(hashes[a.name], hashes[b.name]) for a, b in distinct]
    same_day = [
        hamming(hashes[a.name], hashes[b.name])
        for a, b in distinct
        if a.day == b.day and a.channel[:12] == b.channel[:12]
    ]
    positives = [gap for gaps in copies.values() for gap in gaps]

    print(
        f"{len(articles)} articles; {len(positives)} true copies; {len(different)} pairs of different articles "
        f"({len(same_day)} of one channel and day)"
    )
    print("true copies, Hamming distance per edit (min / median / max):")
    for edit, gaps in copies.items():
        ordered = sorted(gaps)
        print(
            f"  {edit:22} n={len(gaps):3}  {ordered[0]:2} / {ordered[len(ordered) // 2]:2} / {ordered[-1]:2}"
        )
    print(f"different articles: nearest {min(different)}, same channel and day nearest {min(same_day)}")
    simhash_ms, exact_ms = fingerprint_speed(articles)
    print(f"per 3,000-character body: simhash {simhash_ms:.2f} ms, exact fingerprint {exact_ms:.2f} ms")
    print(f"{'distance':>8} {'recall':>7} {'precision':>9} {'false pos':>9} {'same-day fp':>11}")
    for distance in DISTANCES:
        hits = sum(gap <= distance for gap in positives)
        false = sum(gap <= distance for gap in different)
        false_same_day = sum(gap <= distance for gap in same_day)
        precision = hits / (hits + false) if hits + false else 1.0
        print(
            f"{distance:>8} {hits / len(positives):>7.3f} {precision:>9.3f} {false:>9} {false_same_day:>11}"
        )


if __name__ == "__main__":
    main()
