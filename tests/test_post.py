import json
import shutil
import subprocess
from datetime import UTC, datetime, timedelta, timezone
from html import escape

import frontmatter
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsbot.body import has_text, normalise
from newsbot.post import Post, clean_line, http_date, plain_or_quoted, render, single_quoted, split
from newsbot.validate import problems
from tests.conftest import SEED_POST, hexo_build, needs_shared
from tests.hostile_corpus import browser_problems

BEIJING = timezone(timedelta(hours=8))
CATEGORIES = ("金融", "新浪财经", "新浪财经－国內")


def make_post(
    title: str = "标题", body: str = "<p>正文</p>", image: str | None = "https://n.sinaimg.cn/a.jpg"
) -> Post:
    published = datetime(2022, 1, 21, 22, 23, 33, tzinfo=BEIJING)
    return Post(title, CATEGORIES, "新浪财经", published, body, image)


def test_http_date_is_utc_rfc1123():
    assert http_date(datetime(2022, 1, 21, 22, 23, 33, tzinfo=BEIJING)) == "Fri, 21 Jan 2022 14:23:33 GMT"
    assert http_date(datetime(2024, 3, 5, 1, 2, 3, tzinfo=UTC)) == "Tue, 05 Mar 2024 01:02:03 GMT"


def test_http_date_refuses_naive_time():
    with pytest.raises(ValueError):
        http_date(datetime(2022, 1, 21))


@needs_shared
def test_render_matches_seed_front_matter_and_wrapper():
    seed = SEED_POST.read_text(encoding="utf-8")
    _, inner = split(seed)
    image = "https://n.sinaimg.cn/sinakd20220121s/699/w1820h1279/20220121/e1a6-ecde6a6081db0c41f3d5107a1997c682.jpg"
    post = make_post(
        "上海市委书记李强：打造社会主义现代化建设引领区 推动科技—产业—金融高水平联动发展", inner, image
    )
    assert render(post) == seed


@pytest.mark.parametrize(
    "title",
    [
        "It's \"quoted\" 'twice'",
        "冒号: 后面 #井号 - 破折号",
        "- leading dash",
        "---",
        "line\nbreak\r\nand\ttab",
        "emoji 📈 and {{ braces }} and {% tag %}",
        "trailing quote'",
        "'",
        "null",
        "a\x00b\x1bc\ufeffd",
    ],
)
def test_hostile_titles_round_trip_through_python_frontmatter(title):
    text = render(make_post(title))
    assert frontmatter.loads(text)["title"] == clean_line(title)
    assert text.split("\n")[2].startswith("title: '")


def test_single_quoted_doubles_quotes_and_collapses_lines():
    assert single_quoted("a'b\n c") == "'a''b c'"


@pytest.mark.parametrize(
    "name", ["新浪财经", "IT 之家", "今日推荐 / 精选", "a: b", "#tag", "- x", "true", "x #y"]
)
def test_category_names_read_back_unchanged(name):
    text = render(Post("t", ("金融", name, name), name, datetime(2022, 1, 1, tzinfo=UTC), "<p>x</p>", None))
    loaded = frontmatter.loads(text)
    assert loaded["categories"] == ["金融", name, name]
    assert loaded["author"] == name


def test_plain_names_stay_plain():
    assert plain_or_quoted("新浪财经－国內") == "新浪财经－国內"
    assert plain_or_quoted("今日推荐 / 精选") == "今日推荐 / 精选"


def test_no_image_drops_both_lines():
    text = render(make_post(image=None))
    assert "headimg" not in text and "thumbnail" not in text


def test_split_round_trip():
    text = render(make_post(body="<p>x</p>\n\n  "))
    head, inner = split(text)
    assert inner == "<p>x</p>\n\n  "
    assert head.endswith("\n---\n")


YAML_TYPED = [
    "2024", "1.5", "2024-01-01", "2024-01-01 08:00:00", "true", "True", "FALSE", "0x1F", "null", "Null", "~",
    ".inf", "-.INF", ".nan", "1e3", "0o17", "0b101", "1_000", "yes", "No", "on", "OFF", "y", "n", "<<", "=",
    "12:30", "1:20:30", "+1", "-0", "0.", "'", '"', "- x", "? x", "a: b", "x #y", "#x", "[a]", "{a}", "*a", "&a",
    "!a", "|", ">", "%a", "@a", "`a", "",
]  # fmt: skip
names = st.text(max_size=24) | st.sampled_from(YAML_TYPED)


@pytest.mark.parametrize("name", YAML_TYPED)
def test_names_yaml_would_type_are_quoted_and_read_back_as_text(name):
    text = render(Post("t", ("金融", name, name), name, datetime(2022, 1, 1, tzinfo=UTC), "<p>x</p>", None))
    loaded = frontmatter.loads(text)
    assert loaded["categories"] == ["金融", name, name]
    assert loaded["author"] == name and isinstance(loaded["author"], str)
    assert problems(text) == []


@settings(max_examples=400, deadline=None)
@given(title=st.text(max_size=60), categories=st.tuples(names, names, names), author=names)
def test_generated_strings_read_back_as_the_same_text(title, categories, author):
    text = render(Post(title, categories, author, datetime(2022, 1, 1, tzinfo=UTC), "<p>x</p>", None))
    loaded = frontmatter.loads(text)
    assert loaded["title"] == clean_line(title)
    assert loaded["categories"] == [clean_line(name) for name in categories]
    assert loaded["author"] == clean_line(author)
    assert all(isinstance(value, str) for value in [loaded["title"], *loaded["categories"], loaded["author"]])
    assert problems(text) == []


@settings(max_examples=300, deadline=None)
@given(path=st.text(max_size=40))
def test_any_image_url_gives_a_valid_post(path):
    html, image = normalise(f"<p>x</p><img src=\"https://n.sinaimg.cn/{escape(path)}\">", "https://finance.sina.com.cn/")
    text = render(Post("t", CATEGORIES, "新浪财经", datetime(2022, 1, 1, tzinfo=UTC), html, image))
    assert image is not None and "'" not in image
    assert frontmatter.loads(text)["headimg"] == image
    assert problems(text) == []


def test_image_url_with_a_quote_is_valid():
    html, image = normalise("<img src=\"https://x.example/it's.jpg\">", "https://x.example/")
    text = render(Post("t", CATEGORIES, "新浪财经", datetime(2022, 1, 1, tzinfo=UTC), html, image))
    assert image == "https://x.example/it%27s.jpg"
    assert problems(text) == []
    assert render(make_post(image="https://x.example/a'b.jpg")).count("'https://x.example/a%27b.jpg'") == 2


FRAGMENTS = [
    "<p>", "</p>", "<div>", "</div>", "<img src=a.jpg>", "<pre>", "</pre>", "<textarea>", "</textarea>", "\n", "\n\n",
    " ", "\t", "  \n  ", "{", "}", "<!--", "-->", "<style>", "</style>", "<svg>", "<math>", "<table>", "<td>", "中文",
    "a", "&#10;", "<br>", "<a href='javascript:x'>", "'", '"', "<b title='a\n\nb'>", "</b>", "<script>", "&",
]  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=40).map("".join))
def test_every_post_newsbot_writes_from_any_body_validates(served):
    html, image = normalise(served, "https://finance.sina.com.cn/china/")
    if not has_text(html):
        return
    text = render(Post("t", CATEGORIES, "新浪财经", datetime(2022, 1, 1, tzinfo=UTC), html, image))
    assert problems(text) == []
    assert browser_problems(html) == []


@needs_shared
@pytest.mark.skipif(not (shutil.which("node") and shutil.which("npm")), reason="node and npm build the Hexo site")
def test_hexo_front_matter_reads_names_yaml_would_type_as_text(tmp_path):
    """Hexo's own loader (hexo-front-matter on js-yaml, YAML 1.2) reads every quoted name back as the same text."""
    posts = tmp_path / "posts"
    posts.mkdir()
    names = [name for name in YAML_TYPED if name]
    for number, name in enumerate(names):
        post = Post(f"t{number}", ("金融", name, name), name, datetime(2022, 1, 1, tzinfo=UTC), "<p>正文</p>", None)
        (posts / f"typed-{number:02d}.md").write_text(render(post), encoding="utf-8")
    site = hexo_build(posts, strict=True)
    script = (
        f"const fm = require({json.dumps(str(site / 'node_modules' / 'hexo-front-matter'))});"
        "const fs = require('fs');"
        "console.log(JSON.stringify(process.argv.slice(1).map(p => fm.parse(fs.readFileSync(p, 'utf8')))));"
    )
    files = [str(posts / f"typed-{number:02d}.md") for number in range(len(names))]
    read = json.loads(subprocess.run(["node", "-e", script, *files], capture_output=True, text=True, check=True).stdout)
    assert [(data["categories"], data["author"]) for data in read] == [(["金融", n, n], n) for n in names]
