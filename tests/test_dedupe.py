from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from newsbot.identity import article_key
from newsbot.index import ArchiveIndex, Entry
from newsbot.pipelines.claims import InFlight
from newsbot.pipelines.dedupe import (
    DUPLICATE,
    NEAR_DUPLICATE,
    NEW,
    UNCHANGED,
    UPDATED,
    DedupePipeline,
    decide,
)
from newsbot.pipelines.store import StorePipeline
from newsbot.storage import HISTORY_DIR
from tests.conftest import PAGES, SEED_PAGE, SEED_URL, needs_shared
from tests.postmaking import article_from_file

STORED = Entry("sina:a", "sina/2022/01/a.md", "https://finance.sina.com.cn/a", "h" * 32, 0b1111, "2022-01-21")
OTHER = Entry("sina:b", "sina/2022/01/b.md", "https://finance.sina.com.cn/b", "g" * 32, 2**63, "2022-01-21")
MOBILE_URL = "https://finance.sina.cn/2022-01-21/detail-ikyamrmz6500542.d.html?from=wap&vt=4"
ROLL_URL = "https://finance.sina.com.cn/roll/2022-01-21/doc-ikyamrmz6500542.shtml?cre=tianyi&mod=wnews"
COPY_URL = "https://news.example.org/finance/2022-01-21/shanghai.html"
SAME_DAY = (
    (
        "htmlgtmk_news_c_2018-09-28_doc-ifxeuwwr9169891.html",
        "https://news.sina.com.cn/c/2018-09-28/doc-ifxeuwwr9169891.shtml",
    ),
    (
        "htmlgtmk_news_c_2018-09-28_doc-ifxeuwwr9218647.html",
        "https://news.sina.com.cn/c/2018-09-28/doc-ifxeuwwr9218647.shtml",
    ),
)


def test_decide_same_key_same_body_is_unchanged_and_changed_body_an_update():
    assert decide("sina:a", "h" * 32, 0b1111, STORED, STORED, [STORED], 6).outcome == UNCHANGED
    decision = decide("sina:a", "x" * 32, 0b1110, STORED, None, [STORED], 6)
    assert (decision.outcome, decision.match) == (UPDATED, STORED)


def test_decide_another_key_with_the_same_or_a_close_body_is_a_duplicate():
    assert decide("url:c", "h" * 32, 0b1111, None, STORED, [STORED], 6) == decide(
        "url:c", "h" * 32, 0, None, STORED, [], 6
    )
    assert decide("url:c", "h" * 32, 0b1111, None, STORED, [STORED], 6).outcome == DUPLICATE
    near = decide("url:c", "x" * 32, 0b0111111, None, None, [STORED], 6)
    assert (near.outcome, near.match) == (NEAR_DUPLICATE, STORED)
    assert decide("url:c", "x" * 32, 0b1111 ^ (2**63 - 1), None, None, [STORED, OTHER], 6).outcome == NEW


def test_decide_an_alias_with_a_changed_body_is_judged_against_the_archive_not_updated():
    assert decide("url:c", "x" * 32, 2**62, STORED, None, [], 6).outcome == NEW
    assert decide("url:c", "x" * 32, 0b1111, STORED, None, [STORED], 6).outcome == NEAR_DUPLICATE


@dataclass
class Archive:
    """The dedupe and store pipelines of one output folder, as a crawl runs them."""

    root: Path
    stats: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        crawler = get_crawler(settings_dict={"NEWSBOT_OUTPUT_DIR": str(self.root)})
        crawler.stats.open_spider()
        self.crawler = crawler
        self.pipelines = [DedupePipeline.from_crawler(crawler), StorePipeline.from_crawler(crawler)]
        for pipeline in self.pipelines:
            pipeline.open_spider()

    def feed(self, page: Path, url: str, edit: tuple[str, str] | None = None, copy: bool = False) -> str:
        """Run one saved page through dedupe and store; the outcome, ``"dropped"`` if dropped.

        ``copy`` serves the page as another portal's copy: keyed by ``url``, without the canonical link.
        """
        if edit is not None:
            edited = page.read_bytes().replace(edit[0].encode(), edit[1].encode())
            assert edited != page.read_bytes()
            page = self.root.parent / f"edited-{page.name}"
            page.write_bytes(edited)
        item = article_from_file(page, url)
        if copy:
            item["key"] = article_key(url)
        try:
            dedupe, store = self.pipelines
            item = store.store(dedupe.process_item(item))
        except DropItem:
            return "dropped"
        return ItemAdapter(item)["status"]

    def posts(self) -> list[str]:
        return sorted(
            str(path.relative_to(self.root))
            for path in self.root.rglob("*.md")
            if HISTORY_DIR not in path.parts
        )

    def stat(self, name: str) -> int:
        return self.crawler.stats.get_value(f"newsbot/{name}", 0)

    def close(self) -> None:
        for pipeline in self.pipelines:
            pipeline.close_spider()


@pytest.fixture
def archive(tmp_path):
    opened = Archive(tmp_path / "output")
    yield opened
    opened.close()


@needs_shared
def test_desktop_and_mobile_url_of_one_article_store_once(archive):
    assert archive.feed(SEED_PAGE, SEED_URL) == NEW
    assert archive.feed(SEED_PAGE, MOBILE_URL) == "dropped"
    assert archive.posts() == ["sina/2022/01/ikyamrmz6500542.md"]
    assert archive.stat("new") == 1
    assert archive.stat("unchanged") == 1


@needs_shared
def test_one_article_under_two_paths_and_on_another_site_is_stored_once(archive):
    assert archive.feed(SEED_PAGE, SEED_URL) == NEW
    assert archive.feed(SEED_PAGE, ROLL_URL) == "dropped"
    assert archive.feed(SEED_PAGE, COPY_URL, copy=True) == "dropped"
    assert archive.posts() == ["sina/2022/01/ikyamrmz6500542.md"]
    assert archive.stat("duplicates/exact") == 1
    index = ArchiveIndex(archive.root)
    copy_key = article_key(COPY_URL)
    assert index.knows(copy_key)
    assert index.get(copy_key).key == "sina:ikyamrmz6500542"
    index.close()


@needs_shared
def test_a_syndicated_copy_with_boilerplate_and_an_editor_line_is_a_near_duplicate(archive):
    assert archive.feed(SEED_PAGE, SEED_URL) == NEW
    boilerplate = ("原标题：", "（来源：上海证券报·中国证券网）责任编辑：王小明 原标题：")
    assert archive.feed(SEED_PAGE, COPY_URL, edit=boilerplate, copy=True) == "dropped"
    assert archive.stat("duplicates/near") == 1
    assert archive.posts() == ["sina/2022/01/ikyamrmz6500542.md"]


@needs_shared
def test_an_article_re_served_with_an_edited_paragraph_is_updated_and_the_previous_version_kept(archive):
    assert archive.feed(SEED_PAGE, SEED_URL) == NEW
    post = archive.root / "sina/2022/01/ikyamrmz6500542.md"
    first = post.read_text(encoding="utf-8")
    edit = ("开放是上海的最大优势和鲜明标识。", "开放是上海最鲜明的标识，也是最大的优势。")
    assert archive.feed(SEED_PAGE, MOBILE_URL, edit=edit) == UPDATED
    assert archive.posts() == ["sina/2022/01/ikyamrmz6500542.md"]
    assert "开放是上海最鲜明的标识" in post.read_text(encoding="utf-8")
    kept = archive.root / HISTORY_DIR / "sina/2022/01/ikyamrmz6500542.v1.md"
    assert kept.read_text(encoding="utf-8") == first
    assert archive.stat("updated") == 1
    assert archive.feed(SEED_PAGE, SEED_URL, edit=edit) == "dropped"
    assert archive.stat("unchanged") == 1


@needs_shared
def test_two_different_articles_of_the_same_day_are_both_stored(archive):
    for name, url in SAME_DAY:
        assert archive.feed(PAGES / "sina" / name, url) == NEW
    assert archive.posts() == ["sina/2018/09/ifxeuwwr9169891.md", "sina/2018/09/ifxeuwwr9218647.md"]
    assert archive.stat("duplicates/near") == archive.stat("duplicates/exact") == 0


@needs_shared
def test_a_post_deleted_by_hand_is_stored_again(archive):
    assert archive.feed(SEED_PAGE, SEED_URL) == NEW
    (archive.root / "sina/2022/01/ikyamrmz6500542.md").unlink()
    assert archive.feed(SEED_PAGE, SEED_URL) == NEW
    assert archive.posts() == ["sina/2022/01/ikyamrmz6500542.md"]


@needs_shared
def test_a_corrected_title_over_the_same_text_is_an_update(archive):
    assert archive.feed(SEED_PAGE, SEED_URL) == NEW
    post = archive.root / "sina/2022/01/ikyamrmz6500542.md"
    first = post.read_text(encoding="utf-8")
    title = 'class="main-title">上海市委书记李强：打造'
    corrected = 'class="main-title">上海市委书记李强：全力打造'
    assert archive.feed(SEED_PAGE, SEED_URL, edit=(title, corrected)) == UPDATED
    assert "title: '上海市委书记李强：全力打造" in post.read_text(encoding="utf-8")
    assert (archive.root / HISTORY_DIR / "sina/2022/01/ikyamrmz6500542.v1.md").read_text(encoding="utf-8") == first
    assert (archive.stat("updated"), archive.stat("unchanged")) == (1, 0)
    assert archive.feed(SEED_PAGE, SEED_URL, edit=(title, corrected)) == "dropped"
    assert archive.stat("unchanged") == 1


def test_in_flight_claims_keep_a_close_copy_waiting_until_the_first_is_released():
    in_flight = InFlight(distance=6)
    assert in_flight.claim("a", "h1", 0b1111)
    assert not in_flight.claim("a", "h2", 2**63)
    assert not in_flight.claim("b", "h1", 2**63)
    assert not in_flight.claim("c", "h3", 0b0111)
    assert in_flight.claim("d", "h4", 2**63 - 1)
    in_flight.release("a", "h1", 0b1111)
    assert in_flight.claim("c", "h3", 0b0111)
    assert sorted(in_flight.held) == ["c", "d"]
