"""Extraction quality on the saved pages with ground truth: newsbot's extractors and the libraries compared.

Body: character-level precision, recall and F1 of the extracted text against the expected text, over the
longest common subsequence (LCS) of the two, whitespace removed and NFKC-normalised: precision is
LCS / extracted length, recall LCS / expected length, averaged over the pages with expected text (an
extractor that gives nothing scores 0 there). Title: exact match after whitespace is collapsed. Date: the
same minute, Beijing time. Ground truth (``../shared/pages/groundtruth``, mapped to pages through
``PROVENANCE.md``): magic-html and cwced (hand-made), cx-extractor (the dataset's), newspaper4k (made by
newspaper4k itself, so biased to it; its date has no time and is left out), the 2018 Sina feed index (the
feed's title and time, no body). "body images" counts ``<img>`` in the body HTML over all pages, for the
extractors that give HTML. The compared libraries install with ``pip install -e '.[bench]'``; a missing one
is skipped. Beside them, the pages of ``../shared/cases`` (from public bug reports) with the right values its
README gives: title, date to the minute, the body kept as served (its elements and text those of an element of
the page, ``<br>`` and all) and a list page refused. Run: ``python bench/extraction.py [--pages] [--only NAME]``.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
import unicodedata
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import lxml.html
from gne import GeneralNewsExtractor
from lxml import etree

from newsbot import generic
from newsbot.charset import decode_html
from newsbot.dates import BEIJING, parse_datetime
from newsbot.extraction import extract_page
from newsbot.sites import site_for_url
from newsbot.sites.base import NotAnArticle

PAGES = Path(__file__).resolve().parents[2] / "shared" / "pages"
CASES = PAGES.parent / "cases"
UNSEEN_URL = "https://{host}/{stem}.html"
# Pages saved without their URL: the host their file name gives, so the site's rules still apply.
FOLDER_HOSTS = {"netease_money": "money.163.com"}
_ROW = re.compile(
    r"^\| `(?P<file>[^`]+)` \| (?P<repo>[^|]+?) \| [0-9a-f]+ \| `(?P<path>[^`]+)` \| (?P<url>[^|]*?) \|"
)


@dataclass(slots=True)
class Case:
    """One page and what it should give; ``None`` where the ground truth does not say."""

    page: Path
    url: str
    dataset: str
    text: str | None = None
    title: str | None = None
    published: datetime | None = None


@dataclass(frozen=True, slots=True)
class Reading:
    """What an extractor read off a page; ``html`` is the body as HTML, for extractors that give it."""

    title: str = ""
    text: str = ""
    published: datetime | None = None
    html: str | None = None


@dataclass(slots=True)
class Score:
    """One extractor's results over the cases."""

    precision: list[float] = field(default_factory=list)
    recall: list[float] = field(default_factory=list)
    f1: list[float] = field(default_factory=list)
    titles: list[bool] = field(default_factory=list)
    dates: list[bool] = field(default_factory=list)
    images: int | None = None
    failures: int = 0
    seconds: float = 0.0


def provenance_rows() -> list[dict[str, str]]:
    """The rows of ``PROVENANCE.md``: file, repository, path in it, original URL."""
    text = (PAGES / "PROVENANCE.md").read_text(encoding="utf-8")
    return [match.groupdict() for line in text.splitlines() if (match := _ROW.match(line))]


def _page_of(row: dict[str, str], rows: list[dict[str, str]]) -> dict[str, str]:
    """The page row a ground-truth row describes: same repository, same file stem."""
    stem = Path(row["path"]).stem
    return next(
        page
        for page in rows
        if page["repo"] == row["repo"] and Path(page["path"]).stem == stem and page["file"].endswith(".html")
    )


def _url(page: dict[str, str]) -> str:
    url = page["url"].strip()
    if url.startswith("http"):
        return url
    folder, name = page["file"].split("/", 1)
    return UNSEEN_URL.format(host=FOLDER_HOSTS.get(folder, "example.com"), stem=Path(name).stem)


def _minute(moment: datetime | None) -> datetime | None:
    return moment.astimezone(BEIJING).replace(second=0, microsecond=0) if moment else None


def cases() -> list[Case]:
    """Every page with ground truth, each once, with all that its datasets say about it."""
    truth = PAGES / "groundtruth"
    rows = provenance_rows()
    found: dict[str, Case] = {}

    def case(file: str, url: str, dataset: str) -> Case:
        return found.setdefault(file, Case(PAGES / file, url, dataset))

    for row in rows:
        file = row["file"]
        if not file.startswith("groundtruth/") or file.count("/") < 2 or file.endswith(".json"):
            continue
        kind = file.split("/")[1]
        if kind == "cwced" and not file.endswith(".cleaned.txt"):
            continue
        page = _page_of(row, rows)
        item = case(page["file"], _url(page), kind)
        if kind == "cx-extractor":
            item.text = (PAGES / file).read_bytes().decode("gb18030")
        elif kind == "newspaper4k":
            item.text = (PAGES / file).read_text(encoding="utf-8")
            meta = json.loads((PAGES / file).with_suffix(".json").read_text(encoding="utf-8"))
            item.url, item.title = meta["url"], meta["title"]
        else:
            item.text = (PAGES / file).read_text(encoding="utf-8")
            date = (PAGES / file.replace(".cleaned.txt", ".date.txt")).read_text(encoding="utf-8")
            item.published = _minute(parse_datetime(date))
    subset = json.loads((truth / "magic-html_article_base_subset.json").read_text(encoding="utf-8"))
    for file, entry in subset.items():
        case(file, entry["url"], "magic-html").text = entry["content"]
    index = json.loads((truth / "htmlgtmk_feed_index_2018-09-28.json").read_text(encoding="utf-8"))
    for url, entry in index.items():
        if not (PAGES / entry["file"]).is_file():
            continue
        item = case(entry["file"], url, "sina feed")
        item.title = entry["title"]
        item.published = _minute(datetime.fromtimestamp(entry["ctime"], UTC))
    return sorted(found.values(), key=lambda item: str(item.page))


@dataclass(frozen=True, slots=True)
class PageCase:
    """A page of ``../shared/cases`` and its right values (README); ``title`` ``None`` for a page to refuse."""

    folder: str
    url: str
    title: str | None = None
    published: datetime | None = None


PAGE_CASES = (
    PageCase(
        "top-bar-date",
        "http://finance.zhcj-example.cn/macro/20240416/778899.shtml",
        "一季度GDP同比增长5.3% 经济开局良好",
        datetime(2024, 4, 16, 10, 2, tzinfo=BEIJING),
    ),
    PageCase(
        "chinese-numeral-date",
        "http://finance.zhcj-example.cn/policy/201703/t20170324_1.html",
        "关于进一步做好稳外贸工作的通知",
        datetime(2017, 3, 24, tzinfo=BEIJING),
    ),
    PageCase(
        "constant-title",
        "http://www.cjsk-example.com/news/2020/0312/1234.html",
        "本赛季暂停 斯波：联盟做出了正确举措",
        datetime(2020, 3, 12, 22, 57, tzinfo=BEIJING),
    ),
    PageCase(
        "br-paragraphs",
        "http://stock.zhcj-example.cn/zqyw/20130107/12345.html",
        "证监会发布上市公司现金分红指引",
        datetime(2013, 1, 7, 18, 20, tzinfo=BEIJING),
    ),
    PageCase("list-page", "http://finance.zhcj-example.cn/roll/index.shtml"),
)


def _shape(element: etree._Element) -> tuple[list[str], str]:
    """An element's inside: the tags below it in order, and its text without whitespace."""
    return [child.tag for child in element.iterdescendants(etree.Element)], squeezed(element.text_content())


def as_served(body_html: str, page: str) -> bool:
    """Whether the body HTML is the inside of some element of the page (same elements, same text), or that
    element with its own tag, as GNE gives it."""
    if not body_html.strip():
        return False
    fragment = lxml.html.fragment_fromstring(body_html, create_parent="div")
    shapes = [_shape(fragment)]
    if len(fragment) == 1 and not (fragment.text or "").strip() and not (fragment[0].tail or "").strip():
        shapes.append(_shape(fragment[0]))
    return any(
        _shape(element) in shapes for element in lxml.html.document_fromstring(page).iter(etree.Element)
    )


def case_table(extractors: dict[str, Callable[[str, str], Reading]]) -> str:
    """Each extractor on each case page: title, date, body as served; or refused, for the list page."""
    lines = ["| case | " + " | ".join(extractors) + " |", "|---" * (len(extractors) + 1) + "|"]
    right = dict.fromkeys(extractors, 0)
    for case in PAGE_CASES:
        page = decode_html((CASES / case.folder / "page.html").read_bytes(), None)
        cells = []
        for name, extractor in extractors.items():
            try:
                reading = extractor(page, case.url)
            except NotAnArticle:
                reading = None
            except Exception as error:  # a library's failure on a page reads as its error
                cells.append(f"error {type(error).__name__}")
                continue
            if case.title is None:
                refused = reading is None or not reading.text.strip()
                cells.append("refused" if refused else "archived as an article")
                right[name] += refused
                continue
            marks = (
                reading is not None and reading.title == case.title,
                reading is not None and _minute(reading.published) == case.published,
                reading is not None and reading.html is not None and as_served(reading.html, page),
            )
            right[name] += all(marks)
            cells.append(
                " ".join(
                    f"{label} {'ok' if mark else 'wrong'}"
                    for label, mark in zip(("title", "date", "body"), marks, strict=True)
                )
            )
        lines.append(f"| {case.folder} | " + " | ".join(cells) + " |")
    lines.append(
        "| all right | " + " | ".join(f"{right[name]}/{len(PAGE_CASES)}" for name in extractors) + " |"
    )
    return "\n".join(lines)


def squeezed(text: str) -> str:
    """The text compared: NFKC, no whitespace."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def lcs_length(a: str, b: str) -> int:
    """Length of the longest common subsequence, bit-parallel (Hyyrö 2004) over ``b``."""
    if not a or not b:
        return 0
    masks: dict[str, int] = {}
    for position, char in enumerate(b):
        masks[char] = masks.get(char, 0) | (1 << position)
    full = (1 << len(b)) - 1
    row = full
    for char in a:
        matched = row & masks.get(char, 0)
        row = ((row + matched) | (row - matched)) & full
    return len(b) - row.bit_count()


def html_text(fragment: str) -> str:
    """The visible text of an HTML fragment, blocks on their own lines."""
    if not fragment.strip():
        return ""
    root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    for element in list(root.iter("script", "style", etree.Comment)):
        element.drop_tree()
    for element in root.iter("p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "figure"):
        element.tail = "\n" + (element.tail or "")
    return root.text_content()


def _html_reading(title: str, html: str, published: datetime | None = None) -> Reading:
    return Reading(title, html_text(html), published, html)


def _newsbot(text: str, url: str) -> Reading:
    extracted = extract_page(text, url).extracted
    return _html_reading(extracted.title, extracted.body_html, extracted.published)


def _newsbot_generic(text: str, url: str) -> Reading:
    extracted = generic.extract(text, url)
    return _html_reading(extracted.title, extracted.body_html, extracted.published)


def _gne_with(rule: str) -> Callable[[str, str], Reading]:
    """GNE's reading with one of newsbot's rules on top: ``title``, ``date`` or ``widening``."""

    def read(text: str, url: str) -> Reading:
        root = lxml.html.document_fromstring(text)
        plain = _gne(text, url)
        if rule == "title":
            return replace(plain, title=generic.find_title(root, plain.title))
        if rule == "date":
            found = GeneralNewsExtractor().extract(text)
            return replace(plain, published=generic.find_published(root, found.get("publish_time")))
        body, _ = generic.body_node(text, root)
        return _html_reading(
            plain.title, generic.clean_body(body) if body is not None else "", plain.published
        )

    return read


def _date(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=BEIJING)
    return parse_datetime(value) if isinstance(value, str) else None


def _trafilatura(text: str, url: str) -> Reading:
    import trafilatura

    document = trafilatura.bare_extraction(
        text, url=url, with_metadata=True, include_images=True, include_formatting=True, include_tables=True
    )
    if document is None:
        return Reading()
    body = trafilatura.extract(
        text, url=url, output_format="html", include_images=True, include_formatting=True, include_tables=True
    )
    inside = lxml.html.document_fromstring(body).find("body") if body else None
    html = (
        "".join(lxml.html.tostring(child, encoding="unicode") for child in inside)
        if inside is not None
        else ""
    )
    return _html_reading(document.title or "", html, _date(document.date))


def _readability(text: str, url: str) -> Reading:
    from readability import Document

    document = Document(text, url=url)
    return _html_reading(document.short_title(), document.summary(html_partial=True))


def _gne(text: str, url: str) -> Reading:
    result = GeneralNewsExtractor().extract(text, with_body_html=True)
    return _html_reading(
        result.get("title", ""), result.get("body_html", ""), _date(result.get("publish_time"))
    )


def _goose(text: str, url: str) -> Reading:
    from goose3 import Goose
    from goose3.text import StopWordsChinese

    with Goose({"enable_image_fetching": False, "stopwords_class": StopWordsChinese}) as goose:
        article = goose.extract(url=url, raw_html=text)
    return Reading(article.title or "", article.cleaned_text or "", _date(article.publish_date))


def _newspaper(text: str, url: str) -> Reading:
    from newspaper import Article

    article = Article(url, language="zh", fetch_images=False, keep_article_html=True)
    article.download(input_html=text)
    article.parse()
    return _html_reading(article.title or "", article.article_html or "", _date(article.publish_date))


def _justext(text: str, url: str) -> Reading:
    import justext

    paragraphs = justext.justext(
        text.encode("utf-8"), frozenset(), stopwords_low=0, stopwords_high=0, encoding="utf-8"
    )
    return Reading(text="\n".join(p.text for p in paragraphs if not p.is_boilerplate))


def _whole_page(text: str, url: str) -> Reading:
    root = lxml.html.document_fromstring(text)
    body = root.find("body")
    return _html_reading("", lxml.html.tostring(body if body is not None else root, encoding="unicode"))


EXTRACTORS: dict[str, Callable[[str, str], Reading]] = {
    "newsbot (site adapter, else generic)": _newsbot,
    "newsbot generic": _newsbot_generic,
    "trafilatura": _trafilatura,
    "readability-lxml": _readability,
    "gne": _gne,
    "gne + newsbot title rule (<title> part the page shows)": _gne_with("title"),
    "gne + newsbot date rule (date shown by the headline)": _gne_with("date"),
    "gne + newsbot widening of a lone paragraph": _gne_with("widening"),
    "goose3": _goose,
    "newspaper4k": _newspaper,
    "justext (no Chinese stoplist: length and links only)": _justext,
    "whole <body> text": _whole_page,
}


CASE_EXTRACTORS = (
    "newsbot (site adapter, else generic)",
    "newsbot generic",
    "gne",
    "trafilatura",
    "newspaper4k",
)


def score(extractor: Callable[[str, str], Reading], pages: list[tuple[Case, str]]) -> Score:
    """Run one extractor over every page; an exception or refusal reads as nothing."""
    result = Score()
    for case, text in pages:
        started = time.perf_counter()
        try:
            reading = extractor(text, case.url)
        except NotAnArticle:
            reading = Reading()
        except ImportError:
            raise
        except Exception:
            result.failures += 1
            reading = Reading()
        result.seconds += time.perf_counter() - started
        if reading.html is not None:
            result.images = (result.images or 0) + reading.html.count("<img")
        if case.text is not None:
            got, expected = squeezed(reading.text), squeezed(case.text)
            common = lcs_length(got, expected)
            precision = common / len(got) if got else 0.0
            recall = common / len(expected) if expected else 0.0
            result.precision.append(precision)
            result.recall.append(recall)
            result.f1.append(2 * precision * recall / (precision + recall) if common else 0.0)
        if case.title is not None:
            result.titles.append(" ".join(reading.title.split()) == " ".join(case.title.split()))
        if case.published is not None:
            result.dates.append(_minute(reading.published) == case.published)
    return result


def _mean(values: list[float]) -> str:
    return f"{statistics.fmean(values):.3f}" if values else "-"


def _share(values: list[bool]) -> str:
    return f"{sum(values)}/{len(values)}" if values else "-"


def table(scores: dict[str, Score], pages: int) -> str:
    """The markdown table of all extractors."""
    lines = [
        "| extractor | body P | body R | body F1 | title exact | date (minute) | body images | errors | ms/page |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, result in scores.items():
        lines.append(
            f"| {name} | {_mean(result.precision)} | {_mean(result.recall)} | {_mean(result.f1)} | "
            f"{_share(result.titles)} | {_share(result.dates)} | "
            f"{'text only' if result.images is None else result.images} | {result.failures} | "
            f"{1000 * result.seconds / pages:.0f} |"
        )
    return "\n".join(lines)


def adapter_table(pages: list[tuple[Case, str]]) -> str:
    """Each site adapter against the generic extractor, on the pages of that adapter's site."""
    groups: dict[str, list[tuple[Case, str]]] = {}
    for case, text in pages:
        site = site_for_url(case.url)
        if site is not None:
            groups.setdefault(site.NAME, []).append((case, text))
    lines = [
        "| site adapter | pages | body F1 adapter / generic | title adapter / generic | date adapter / generic |",
        "|---|---|---|---|---|",
    ]
    for name, group in sorted(groups.items()):
        adapter, fallback = score(_newsbot, group), score(_newsbot_generic, group)
        lines.append(
            f"| {name} | {len(group)} | {_mean(adapter.f1)} / {_mean(fallback.f1)} | "
            f"{_share(adapter.titles)} / {_share(fallback.titles)} | {_share(adapter.dates)} / {_share(fallback.dates)} |"
        )
    return "\n".join(lines)


def page_table(found: list[Case], scores: dict[str, Score]) -> str:
    """Body F1 of each extractor on each page with expected text."""
    names = list(scores)
    lines = ["| page | ground truth | " + " | ".join(names) + " |", "|---" * (len(names) + 2) + "|"]
    columns = {name: iter(scores[name].f1) for name in names}
    for case in found:
        if case.text is not None:
            cells = " | ".join(f"{next(columns[name]):.2f}" for name in names)
            lines.append(f"| {case.page.relative_to(PAGES)} | {case.dataset} | {cells} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", help="run only extractors whose name contains this")
    parser.add_argument("--pages", action="store_true", help="also print body F1 for each page")
    args = parser.parse_args()
    if not PAGES.is_dir():
        sys.exit(f"no saved pages at {PAGES}")
    warnings.simplefilter("ignore")
    found = cases()
    pages = [(case, decode_html(case.page.read_bytes(), None)) for case in found]
    chosen = {
        name: extractor
        for name, extractor in EXTRACTORS.items()
        if not args.only or any(part in name for part in args.only)
    }
    scores = {}
    for name, extractor in chosen.items():
        try:
            scores[name] = score(extractor, pages)
        except ImportError as error:
            print(f"skipped {name}: {error} (pip install -e '.[bench]')", file=sys.stderr)
    with_text = sum(case.text is not None for case in found)
    print(
        f"{len(found)} pages: {with_text} with body text, {sum(c.title is not None for c in found)} with a "
        f"title, {sum(c.published is not None for c in found)} with a time\n"
    )
    print(table(scores, len(found)))
    print()
    print(adapter_table(pages))
    if CASES.is_dir():
        print()
        print(case_table({name: EXTRACTORS[name] for name in scores if name in CASE_EXTRACTORS}))
    if args.pages:
        print()
        print(page_table(found, scores))


if __name__ == "__main__":
    main()
