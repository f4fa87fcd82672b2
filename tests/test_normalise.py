"""The normalise pipeline with hostile titles and bodies: every post it lets through loads and validates."""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import frontmatter
import lxml.html
import pytest
from itemadapter import ItemAdapter
from lxml import etree
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from newsbot.items import Article
from newsbot.pipelines.normalise import NormalisePipeline
from newsbot.pipelines.store import post_of
from newsbot.post import clean_line, render
from newsbot.sites import all_kept_blocks, kept_blocks
from newsbot.snapshot_server import BUNDLED_SNAPSHOT, MANIFEST
from newsbot.validate import problems
from tests.conftest import SEED_URL, SHARED, needs_shared
from tests.postmaking import post_from_file

PLACEHOLDER = "https://picsum.photos/400/300?random={n}"
BEIJING = timezone(timedelta(hours=8))

HOSTILE_TITLES = [
    "It's \"quoted\" 'twice'",
    "上海市委书记李强：打造引领区: colon then space",
    "line\nbreak\r\nand\ttab\u2028and\x85more",
    "# starts with a hash",
    "- leading dash",
    "---",
    "--- dashes --- inside ---",
    "emoji 📈🚀 and 中文",
    "{{ page.title }} and {% raw %}",
    "[not] a {flow} &anchor *alias !tag |pipe >fold %dir @at `tick",
    "'",
    "''",
    "null",
    "true",
    "0x1F",
    "trailing space and colon: ",
    "a\x00b\x1bc\ufeffd\ud800e",
]

HOSTILE_BODIES = [
    "<p>{{ swallowed }} and {% broken %} and {# comment #}</p>",
    "<p>before<script>alert(1)</script>after</p><script src='//evil.example/x.js'></script>",
    '<p><img src="//n.sinaimg.cn/a.jpg" onerror="alert(1)" ONLOAD=\'x()\'></p>',
    '<a href="javascript:alert(1)">one</a><a href=" JaVa&#09;ScRiPt:alert(2)">two</a>',
    '<iframe src="javascript:alert(3)"></iframe><form action="javascript:x()"><p>form</p></form>',
    "<style>.a{color:red}</style><!-- {{ comment }} --><p>text</p>",
    "<p>no image here at all</p>",
    "<p>unclosed <b>bold <i>italic</p></div></div><p>stray closers</p>",
    "\n\n   <p>leading whitespace</p>   \n",
    "<p>\n---\ntitle: 'injected'\n---\n</p>",
    "<svg><script>alert(4)</script><circle onclick='y()'/></svg><p>svg</p>",
    "<p>中文正文 with emoji 📈 and &lt;escaped&gt; &amp; entities</p>",
]


def pipeline() -> NormalisePipeline:
    crawler = get_crawler(settings_dict={"NEWSBOT_PLACEHOLDER_IMAGE": PLACEHOLDER})
    return NormalisePipeline.from_crawler(crawler)


def article(title: str = "标题", body: str = "<p>正文</p>", url: str = SEED_URL) -> Article:
    return Article(
        url=url,
        site="sina",
        categories=("金融", "新浪财经", "新浪财经－国內"),
        author="新浪财经",
        title=title,
        published=datetime(2022, 1, 21, 22, 23, 33, tzinfo=BEIJING),
        body_html=body,
    )


def post_text(item: Article) -> str:
    return render(post_of(ItemAdapter(pipeline().process_item(item))))


def assert_safe_body(text: str) -> None:
    inner = text[text.index("<div>   \n") + len("<div>   \n") : text.rindex("\n</div>\n")]
    assert "{" not in inner and "}" not in inner
    root = lxml.html.fragment_fromstring(inner, create_parent="div")
    assert not root.xpath(".//script")
    for element in root.iter(etree.Element):
        assert not [name for name in element.attrib if name.lower().startswith("on")]
        assert not [
            value for value in element.attrib.values() if "javascript:" in "".join(value.split()).lower()
        ]


@pytest.mark.parametrize("title", HOSTILE_TITLES)
def test_hostile_title(title):
    text = post_text(article(title=title))
    assert problems(text) == []
    loaded = frontmatter.loads(text)
    assert loaded["title"] == clean_line(title)
    assert "\n" not in loaded["title"]
    assert loaded["categories"] == ["金融", "新浪财经", "新浪财经－国內"]


@pytest.mark.parametrize("body", HOSTILE_BODIES)
def test_hostile_body(body):
    text = post_text(article(body=body))
    assert problems(text) == []
    assert_safe_body(text)
    loaded = frontmatter.loads(text)
    assert loaded["title"] == "标题"
    assert loaded["date"] == "Fri, 21 Jan 2022 14:23:33 GMT"


def test_text_survives_the_cleaning():
    item = pipeline().process_item(article(body=HOSTILE_BODIES[1]))
    root = lxml.html.fragment_fromstring(item["body_html"], create_parent="div")
    assert root.text_content() == "beforeafter"
    braces = pipeline().process_item(article(body=HOSTILE_BODIES[0]))["body_html"]
    assert "&#123;&#123; swallowed &#125;&#125;" in braces
    assert "&#123;% broken %&#125;" in braces


def test_body_without_image_gets_a_stable_placeholder():
    first = pipeline().process_item(article(body="<p>no image</p>"))
    again = pipeline().process_item(article(body="<p>no image, edited</p>"))
    assert first["image"].startswith("https://picsum.photos/400/300?random=")
    assert 0 <= int(first["image"].rsplit("=", 1)[1]) <= 9999
    assert first["image"] == again["image"]
    text = render(post_of(ItemAdapter(first)))
    loaded = frontmatter.loads(text)
    assert loaded["headimg"] == loaded["thumbnail"] == first["image"]


def test_body_without_image_and_no_placeholder_drops_both_lines():
    crawler = get_crawler(settings_dict={"NEWSBOT_PLACEHOLDER_IMAGE": ""})
    item = NormalisePipeline.from_crawler(crawler).process_item(article(body="<p>no image</p>"))
    text = render(post_of(ItemAdapter(item)))
    assert problems(text) == []
    assert "headimg" not in text and "thumbnail" not in text


def test_first_body_image_is_headimg_and_absolute():
    item = pipeline().process_item(article(body='<p>x</p><img src="//n.sinaimg.cn/a.jpg"><img src="/b.png">'))
    assert item["image"] == "https://n.sinaimg.cn/a.jpg"
    assert 'src="https://finance.sina.com.cn/b.png"' in item["body_html"]


@pytest.mark.parametrize(
    ("title", "body", "reason"),
    [
        ("", "<p>正文</p>", "no_title"),
        (" \n\t\u3000", "<p>正文</p>", "no_title"),
        ("标题", "", "no_body"),
        ("标题", "<script>only()</script><!-- nothing -->", "no_body"),
        ("标题", "<style>.a{}</style>   ", "no_body"),
    ],
)
def test_refusals_are_counted(title, body, reason):
    stage = pipeline()
    with pytest.raises(DropItem):
        stage.process_item(article(title=title, body=body))
    assert stage.stats.get_value(f"newsbot/failed/{reason}") == 1
    assert stage.stats.get_value("newsbot/failed") == 1


def test_undated_article_is_refused():
    stage = pipeline()
    item = article()
    item["published"] = None
    with pytest.raises(DropItem):
        stage.process_item(item)
    assert stage.stats.get_value("newsbot/failed/no_date") == 1


@needs_shared
@pytest.mark.skipif(
    not (shutil.which("node") and shutil.which("npm")), reason="node and npm are needed for the Hexo build"
)
def test_hexo_builds_every_hostile_post(tmp_path):
    posts = tmp_path / "posts"
    posts.mkdir()
    for number, (title, body) in enumerate(itertools.zip_longest(HOSTILE_TITLES, HOSTILE_BODIES)):
        text = post_text(article(title=title or f"标题 {number}", body=body or "<p>正文</p>"))
        (posts / f"hostile-{number}.md").write_text(text, encoding="utf-8")
    build = subprocess.run(
        ["bash", str(SHARED / "tools" / "hexo_build.sh"), str(posts)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert build.returncode == 0, build.stdout + build.stderr


QR_BLOCK = (
    '<div class="clearfix appendQr_wrap"><div class="appendQr_normal">'
    '<img src="https://n.sinaimg.cn/finance/cece9e13/20200514/343233024.png"></div>'
    '<div class="appendQr_normal_txt">海量资讯、精准解读，尽在新浪财经APP</div></div>'
)


def test_kept_blocks_are_each_sites_data():
    assert kept_blocks(SEED_URL) == (".appendQr_wrap",)
    assert kept_blocks("https://news.example.org/2024/a.html") == ()
    assert ".appendQr_wrap" in all_kept_blocks()


def test_a_sina_body_whose_only_image_is_the_app_qr_code_gets_the_placeholder():
    item = pipeline().process_item(article(body="<p>正文</p>" + QR_BLOCK))
    assert item["image"].startswith("https://picsum.photos/400/300?random=")
    assert "343233024.png" in item["body_html"], "the QR-code block stays in the body"
    assert problems(render(post_of(ItemAdapter(item)))) == []


def test_the_articles_own_image_after_the_qr_code_is_the_headimg():
    own = "https://n.sinaimg.cn/sinakd20220121s/699/w1820h1279/20220121/e1a6.jpg"
    item = pipeline().process_item(article(body=QR_BLOCK + f'<p>正文</p><img src="{own}">'))
    assert item["image"] == own


def test_the_qr_code_block_is_only_sinas_rule():
    item = pipeline().process_item(article(body="<p>正文</p>" + QR_BLOCK, url="https://news.example.org/a.html"))
    assert item["image"] == "https://n.sinaimg.cn/finance/cece9e13/20200514/343233024.png"


@needs_shared
def test_every_bundled_snapshot_article_passes_the_strict_check(tmp_path):
    """Each article page of the bundled snapshot (from its manifest) gives a post check_post.py --strict passes:
    no blank line in the body, and a headimg that is the article's own picture."""
    manifest = json.loads((BUNDLED_SNAPSHOT / MANIFEST).read_text(encoding="utf-8"))
    pages = {url: BUNDLED_SNAPSHOT / entry["file"] for url, entry in manifest.items() if "/doc-" in url}
    assert pages
    for number, (url, page) in enumerate(pages.items()):
        (tmp_path / f"snapshot-{number:03d}.md").write_text(post_from_file(page, url), encoding="utf-8")
    check = subprocess.run(
        [sys.executable, str(SHARED / "tools" / "check_post.py"), "--strict", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stdout
    assert check.stdout.strip().endswith(f"{len(pages)} passed, 0 failed")
