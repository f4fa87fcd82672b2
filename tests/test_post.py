from datetime import UTC, datetime, timedelta, timezone

import frontmatter
import pytest

from newsbot.post import Post, clean_line, http_date, plain_or_quoted, render, single_quoted, split
from tests.conftest import SEED_POST, needs_shared

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
