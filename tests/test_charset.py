from __future__ import annotations

import codecs

import pytest
from scrapy.http import HtmlResponse

from newsbot.charset import decode_html, meta_charset, normalise_encoding
from tests.conftest import PAGES, needs_shared

TEXT = "新浪财经：上海市委书记李强 推动科技—产业—金融高水平联动发展。镕堃喆𠀀"


def page(charset: str, text: str = TEXT) -> str:
    return (
        f'<html><head><meta charset="{charset}"><title>{text}</title></head><body><p>{text}</p></body></html>'
    )


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("gb2312", "gb18030"),
        ("GBK", "gb18030"),
        ("GB_2312-80", "gb18030"),
        ("x-gbk", "gb18030"),
        ("gb18030", "gb18030"),
        ("UTF-8", "utf-8"),
        ("utf8", "utf-8"),
        ("'Big5'", "big5"),
        ("no-such-charset", None),
        ("", None),
        (None, None),
    ],
)
def test_normalise_encoding(label, expected):
    assert normalise_encoding(label) == expected


def test_meta_charset_forms():
    assert meta_charset(b'<meta charset="gb2312">') == "gb2312"
    assert meta_charset(b"<META http-equiv='Content-Type' content='text/html; charset=GBK'>") == "GBK"
    assert meta_charset(b'<?xml version="1.0" encoding="UTF-8"?><html>') == "UTF-8"
    assert meta_charset(b"<html><head><title>x</title>") is None
    assert meta_charset(b" " * 5000 + b'<meta charset="gbk">') is None


def test_declared_encoding_that_fits_is_used():
    body = page("gbk", "纯简体中文新闻正文").encode("gbk")
    assert decode_html(body, "gbk") == page("gbk", "纯简体中文新闻正文")


def test_gb2312_declaration_reads_gbk_and_gb18030_characters():
    text = page("gb2312")
    assert decode_html(text.encode("gb18030"), "gb2312") == text


def test_gbk_bytes_under_a_utf8_meta():
    body = page("utf-8").encode("gb18030")
    assert decode_html(body, "utf-8") == page("utf-8")
    assert decode_html(body, None) == page("utf-8")


def test_utf8_bytes_under_a_gb_meta():
    body = page("gb2312", "中文").encode("utf-8")
    assert body.decode("gb18030") != page("gb2312", "中文")
    assert decode_html(body, "gb18030") == page("gb2312", "中文")


def test_meta_charset_when_nothing_is_declared():
    body = page("big5", "繁體中文新聞").encode("big5")
    assert decode_html(body, None) == page("big5", "繁體中文新聞")


def test_server_default_latin1_does_not_win_over_the_page():
    body = page("gbk", "纯简体中文新闻正文").encode("gbk")
    assert decode_html(body, "iso-8859-1") == page("gbk", "纯简体中文新闻正文")


@pytest.mark.parametrize(
    ("bom", "encoding"),
    [(codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")],
)
def test_bom_is_stripped_and_wins(bom, encoding):
    text = page("gbk")
    decoded = decode_html(bom + text.encode(encoding), "gbk")
    assert decoded == text


def test_undecodable_bytes_still_give_text():
    body = page("utf-8", "").encode() + bytes([0xFF, 0xFE, 0x80, 0x81]) * 3
    assert decode_html(body, "utf-8").startswith("<html>")


# file, the expected <title> start
REAL_PAGES = [
    ("sina_list/htmlgtmk_news.sina.cn_mobile_newscenter_2018_gbk.html", "新浪新闻_手机新浪网"),
    ("sina/cwced_chanye.finance_2005-03-21_244339_gb2312.html", "四年前中500万现穷困潦倒"),
    ("sina/cxextractor_ent_2009-11-09_did2762951_artibodyTitle-template_gb2312.html", "爱戴掀起红盖头"),
    ("sina_list/www.sina.com.cn_homepage_2015-05-21_gb2312.html", "新浪首页"),
    ("sohu_business/cwced_business.sohu.com_20041021_n222611364_gbk.html", "民间资本成投资活动的主体"),
    ("qq_finance/gne_finance.qq.com_lengjing_2.html", "棱镜|数据业大整顿"),
    (
        "people_finance/magichtml_finance.people.com.cn_2024-0510_c1004-40232587.html",
        "在新时代中部地区崛起中争先出彩",
    ),
    ("sina/gne_news_2019-09-07_doc-iicezzrq4076655.html", "最强“中国芯”本月商用"),
]


@needs_shared
@pytest.mark.parametrize(("name", "title"), REAL_PAGES)
def test_real_pages_with_scrapy_declared_encoding(name, title):
    body = (PAGES / name).read_bytes()
    response = HtmlResponse(url="https://example.invalid/", body=body)
    text = decode_html(body, response.encoding)
    start = text.lower().index("<title>") + len("<title>")
    assert text[start:].lstrip().startswith(title)
    assert "\ufffd" not in text


@needs_shared
def test_gbk_page_under_utf8_meta_is_what_scrapy_gets_wrong():
    body = (PAGES / "sina_list/htmlgtmk_news.sina.cn_mobile_newscenter_2018_gbk.html").read_bytes()
    response = HtmlResponse(url="https://news.sina.cn/", body=body)
    assert response.encoding == "utf-8"
    assert "新浪新闻" not in response.text
    assert "新浪新闻" in decode_html(body, response.encoding)
