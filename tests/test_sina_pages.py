"""Every saved Sina page (``../shared/pages/sina``) through extraction and normalisation to a valid post.

Each page is served at its URL from ``PROVENANCE.md``; the two exceptions say so beside their entry.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import UTC, datetime
from typing import NamedTuple

import frontmatter
import lxml.html
import pytest

from newsbot.charset import decode_html
from newsbot.post import http_date
from newsbot.sites import sina, site_for_url
from newsbot.sites.base import NotAnArticle
from newsbot.validate import problems
from tests.conftest import PAGES, SEED_PAGE, SEED_URL, SHARED, needs_shared
from tests.postmaking import article_from_file, post_from_file


class Page(NamedTuple):
    file: str
    url: str
    title: str
    date: str
    channel: str


PAGES_SEEN = [
    Page(
        "cwced_chanye.finance_2005-03-21_244339_gb2312.html",
        "http://chanye.finance.sina.com.cn/sm/2005-03-21/244339.shtml",
        "四年前中500万现穷困潦倒 一夜暴富后如何经营",
        "Mon, 21 Mar 2005 03:21:30 GMT",
        "新浪财经－产经",
    ),
    # No URL in PROVENANCE.md: the one the page names in its own moodcounter block.
    Page(
        "cxextractor_ent_2009-11-09_did2762951_artibodyTitle-template_gb2312.html",
        "http://ent.sina.com.cn/y/2009-11-09/13482762951.shtml",
        "爱戴掀起红盖头 庆东南劲爆音乐颁奖七周年(图)",
        "Mon, 09 Nov 2009 05:48:00 GMT",
        "新浪网－娱乐",
    ),
    Page(
        "gne_finance_roll_2018-12-28_doc-ihqfskcn2160999.html",
        "https://finance.sina.com.cn/roll/2018-12-28/doc-ihqfskcn2160999.shtml",
        '60万"12306账号"外泄? 中铁总辟谣称消息不实',
        "Fri, 28 Dec 2018 11:55:00 GMT",
        "新浪财经－财经",
    ),
    Page(
        "gne_news_2019-09-07_doc-iicezzrq4076655.html",
        "https://news.sina.com.cn/c/2019-09-07/doc-iicezzrq4076655.shtml",
        "最强“中国芯”本月商用 华为抢跑5G芯片大战",
        "Fri, 06 Sep 2019 20:04:00 GMT",
        "新浪新闻－国内",
    ),
    Page(
        "gne_news_2019-11-25_doc-iihnzahi3275702.html",
        "https://news.sina.com.cn/c/2019-11-25/doc-iihnzahi3275702.shtml",
        "中国人习以为常的地方 为何老外却说“了不得”？",
        "Mon, 25 Nov 2019 10:57:38 GMT",
        "新浪新闻－国内",
    ),
    # PROVENANCE.md gives this URL percent-encoded (as the page's og:url holds it); here it is decoded.
    Page(
        "htmlgtmk_cj.sina_caijingtoutiao_2018-09-28_10.html",
        "http://t.cj.sina.com.cn/articles/view/6479293414/182322be600100i6z0"
        "?cre=tianyi&mod=wnews&loc=14&r=0&doct=0&rfunc=100&tj=none&tr=12",
        "中国砸5000亿再造“巨龙”，又一大工程即将出现，美日：世上少见",
        "Fri, 28 Sep 2018 08:41:00 GMT",
        "新浪财经－财经头条",
    ),
    Page(
        "htmlgtmk_k.sina_kandian_2018-09-28_11.html",
        "http://k.sina.com.cn/article_3057540037_b63e5bc502000bg5u.html",
        "联大会议上，越南总理谈及南海问题",
        "Fri, 28 Sep 2018 05:46:00 GMT",
        "新浪网－看点",
    ),
    Page(
        "htmlgtmk_k.sina_kandian_2018-09-28_16.html",
        "http://k.sina.com.cn/article_6510235920_m1840a511000100anm3.html",
        "女孩和家人饭店吃饭，监控突然拍下她惊慌失措的画面",
        "Thu, 27 Sep 2018 22:20:55 GMT",
        "新浪网－看点",
    ),
    Page(
        "htmlgtmk_k.sina_kandian_2018-09-28_4.html",
        "http://k.sina.com.cn/article_6598441619_1894c3a9300100elpc.html",
        "女子回农村老家，发现家中一片黑漆漆动物，仔细看后发大财了",
        "Fri, 28 Sep 2018 06:39:00 GMT",
        "新浪网－看点",
    ),
    Page(
        "htmlgtmk_news_c-gat_2018-09-28_doc-ihkmwytp7156965.html",
        "https://news.sina.com.cn/c/gat/2018-09-28/doc-ihkmwytp7156965.shtml",
        "申领大陆居住证或被除籍 绿营大佬批不顾民众利益",
        "Fri, 28 Sep 2018 08:58:00 GMT",
        "新浪新闻－港澳台",
    ),
    Page(
        "htmlgtmk_news_c_2018-09-28_doc-ifxeuwwr9169891.html",
        "https://news.sina.com.cn/c/2018-09-28/doc-ifxeuwwr9169891.shtml",
        "已沦为北约笑柄的英国海军 有啥底气闯南海？",
        "Fri, 28 Sep 2018 07:21:00 GMT",
        "新浪新闻－国内",
    ),
    Page(
        "htmlgtmk_news_c_2018-09-28_doc-ifxeuwwr9218647.html",
        "https://news.sina.com.cn/c/2018-09-28/doc-ifxeuwwr9218647.shtml",
        "天安门城楼更换毛主席画像 60多年经历8次更换",
        "Fri, 28 Sep 2018 09:53:00 GMT",
        "新浪新闻－国内",
    ),
    Page(
        "htmlgtmk_news_c_2018-09-28_doc-ifxeuwwr9247791.html",
        "https://news.sina.com.cn/c/2018-09-28/doc-ifxeuwwr9247791.shtml",
        "媒体评县领导办公室装门禁：你是县长 你怕谁？",
        "Fri, 28 Sep 2018 11:20:00 GMT",
        "新浪新闻－国内",
    ),
    Page(
        "htmlgtmk_news_c_2018-09-28_doc-ifxeuwwr9250746.html",
        "https://news.sina.com.cn/c/2018-09-28/doc-ifxeuwwr9250746.shtml",
        "35人列入旅游“黑名单” 有人在清真寺矮墙跳热舞",
        "Fri, 28 Sep 2018 11:37:53 GMT",
        "新浪新闻－国内",
    ),
    Page(
        "htmlgtmk_news_c_2018-09-28_doc-ihkmwytp6913603.html",
        "https://news.sina.com.cn/c/2018-09-28/doc-ihkmwytp6913603.shtml",
        "证监会原副主席姚刚受贿内幕交易案宣判 获刑18年",
        "Fri, 28 Sep 2018 07:16:00 GMT",
        "新浪新闻－国内",
    ),
    Page(
        "htmlgtmk_news_o_2018-09-28_doc-ifxeuwwr9050078.html",
        "https://news.sina.com.cn/o/2018-09-28/doc-ifxeuwwr9050078.shtml",
        "农业农村部副部长:三聚氰胺事件别好了伤疤忘了疼",
        "Fri, 28 Sep 2018 02:30:00 GMT",
        "新浪新闻－综合",
    ),
    Page(
        "htmlgtmk_news_o_2018-09-28_doc-ifxeuwwr9106729.html",
        "https://news.sina.com.cn/o/2018-09-28/doc-ifxeuwwr9106729.shtml",
        "今年以来已3名原中顾委委员离世 目前仅6元老健在",
        "Fri, 28 Sep 2018 05:00:00 GMT",
        "新浪新闻－综合",
    ),
    Page(
        "htmlgtmk_news_o_2018-09-28_doc-ifxeuwwr9107579.html",
        "https://news.sina.com.cn/o/2018-09-28/doc-ifxeuwwr9107579.shtml",
        "马哈蒂尔谈中美贸易战：历史会站在中国这边",
        "Fri, 28 Sep 2018 05:12:02 GMT",
        "新浪新闻－综合",
    ),
    Page(
        "htmlgtmk_news_o_2018-09-28_doc-ihkmwytp7000569.html",
        "https://news.sina.com.cn/o/2018-09-28/doc-ihkmwytp7000569.shtml",
        "甲午海战沉舰经远舰考古细节公布：曾遭“盗捞”",
        "Fri, 28 Sep 2018 07:46:00 GMT",
        "新浪新闻－综合",
    ),
    Page(
        "htmlgtmk_news_s_2018-09-28_doc-ihkmwytp6984677.html",
        "https://news.sina.com.cn/s/2018-09-28/doc-ihkmwytp6984677.shtml",
        "“暴漫”篡改《囚歌》4个字赔10万 是怎么算的？",
        "Fri, 28 Sep 2018 07:44:00 GMT",
        "新浪新闻－社会",
    ),
    Page(
        "htmlgtmk_news_w_2018-09-28_doc-ifxeuwwr9104004.html",
        "https://news.sina.com.cn/w/2018-09-28/doc-ifxeuwwr9104004.shtml",
        "安倍又被揪小辫子：联合国大会演讲念错字",
        "Fri, 28 Sep 2018 04:34:00 GMT",
        "新浪新闻－国际",
    ),
    Page(
        "magichtml_finance_forex_2016-05-25_doc-ifxsktkp9337164.html",
        "http://finance.sina.com.cn/money/forex/forexroll/2016-05-25/doc-ifxsktkp9337164.shtml",
        "人民币中间价创逾五年新低 做市商称符合预期",
        "Wed, 25 May 2016 02:10:19 GMT",
        "新浪财经－外汇",
    ),
    Page(
        "magichtml_mobile_finance.sina.cn_2005-08-26_detail-ikknscsi2623250.html",
        "https://finance.sina.cn/sa/2005-08-26/detail-ikknscsi2623250.d.html",
        "创业环保第一季度报告会计差错的提示性公告",
        "Thu, 25 Aug 2005 21:39:00 GMT",
        "新浪财经－财经",
    ),
    Page(
        "magichtml_news_2024-05-10_doc-inausehc2630922.html",
        "https://news.sina.com.cn/c/2024-05-10/doc-inausehc2630922.shtml",
        "城市有轨电车之困：一边争相上马，一边接连叫停",
        "Thu, 09 May 2024 16:26:00 GMT",
        "新浪新闻－国内",
    ),
]
IDS = [page.file.removesuffix(".html") for page in PAGES_SEEN]


@needs_shared
def test_every_saved_sina_page_is_listed():
    assert sorted(path.name for path in (PAGES / "sina").glob("*.html")) == sorted(p.file for p in PAGES_SEEN)


@needs_shared
@pytest.mark.parametrize("page", PAGES_SEEN, ids=IDS)
def test_page_extracts_title_date_and_categories(page):
    path = PAGES / "sina" / page.file
    extracted = sina.extract(decode_html(path.read_bytes(), None), page.url)
    assert extracted.title == page.title
    assert http_date(extracted.published) == page.date
    assert sina.categories(page.url).channel == page.channel
    assert site_for_url(page.url) is sina


@needs_shared
@pytest.mark.parametrize("page", PAGES_SEEN, ids=IDS)
def test_page_makes_a_valid_post(page, tmp_path):
    text = post_from_file(PAGES / "sina" / page.file, page.url)
    assert problems(text) == []
    post = frontmatter.loads(text)
    assert post["title"] == page.title
    assert post["date"] == page.date
    assert post["categories"][2] == page.channel
    written = tmp_path / "post.md"
    written.write_text(text, encoding="utf-8")
    check = subprocess.run(
        [sys.executable, str(SHARED / "tools" / "check_post.py"), str(written)],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stdout


@needs_shared
@pytest.mark.skipif(
    not (shutil.which("node") and shutil.which("npm")), reason="node and npm are needed for the Hexo build"
)
def test_hexo_builds_every_sina_post(tmp_path):
    posts = tmp_path / "posts"
    posts.mkdir()
    for page in PAGES_SEEN:
        name = page.file.removesuffix(".html") + ".md"
        (posts / name).write_text(post_from_file(PAGES / "sina" / page.file, page.url), encoding="utf-8")
    build = subprocess.run(
        ["bash", str(SHARED / "tools" / "hexo_build.sh"), str(posts)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert build.returncode == 0, build.stdout + build.stderr


@needs_shared
def test_seed_page_fields():
    extracted = sina.extract(SEED_PAGE.read_text(encoding="utf-8"), SEED_URL)
    assert extracted.title.startswith("上海市委书记李强：打造社会主义现代化建设引领区")
    assert extracted.published == datetime(2022, 1, 21, 14, 23, 33, tzinfo=UTC)
    assert extracted.outlet == "上海证券报"
    assert extracted.editor == "邓健"
    assert extracted.canonical_url == SEED_URL
    assert extracted.body_html.lstrip().startswith("<p>　　原标题：")
    assert 'class="article-editor"' in extracted.body_html
    assert "appendQr_wrap" in extracted.body_html


@needs_shared
def test_hidden_share_image_of_the_mobile_template_is_dropped():
    page = PAGES / "sina" / "magichtml_mobile_finance.sina.cn_2005-08-26_detail-ikknscsi2623250.html"
    url = "https://finance.sina.cn/sa/2005-08-26/detail-ikknscsi2623250.d.html"
    article = article_from_file(page, url)
    assert "wx_pic" not in article["body_html"]
    assert article["image"].startswith("https://picsum.photos/400/300?random=")
    assert "天津创业股份有限公司董事会" in article["body_html"]


@needs_shared
def test_picture_in_picture_promotion_is_dropped_and_the_sentence_it_split_kept():
    page = PAGES / "sina" / "cwced_chanye.finance_2005-03-21_244339_gb2312.html"
    article = article_from_file(page, PAGES_SEEN[0].url)
    assert "U435P111T7D471F130DT20040329191644" not in article["body_html"]
    assert "focus/cfj" not in article["body_html"]
    text = "".join(
        lxml.html.fragment_fromstring(article["body_html"], create_parent="div").text_content().split()
    )
    assert "意外地获得了500万元的体彩大奖，成为让无数人羡慕不已的幸运儿" in text
    assert article["image"].startswith("https://picsum.photos/400/300?random=")


@needs_shared
def test_spacer_images_are_dropped_and_the_first_photo_is_the_picture():
    page = PAGES / "sina" / "cxextractor_ent_2009-11-09_did2762951_artibodyTitle-template_gb2312.html"
    article = article_from_file(page, "http://ent.sina.com.cn/y/2009-11-09/13482762951.shtml")
    assert "home/c.gif" not in article["body_html"]
    assert article["body_html"].count("U3996P28T3D2762951F32") == 3
    assert (
        article["image"] == "http://i1.sinaimg.cn/ent/y/2009-11-09/U3996P28T3D2762951F326DT20091109135102.jpg"
    )


@needs_shared
def test_2005_page_body_is_the_article_cell():
    page = PAGES / "sina" / "cwced_chanye.finance_2005-03-21_244339_gb2312.html"
    extracted = sina.extract(decode_html(page.read_bytes(), "gb2312"), PAGES_SEEN[0].url)
    assert extracted.body_html.lstrip().startswith("<p>　　人生如戏。")
    assert "来源: 尹娟" in extracted.body_html
    assert "发表评论" not in extracted.body_html


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://finance.sina.com.cn/china/gncj/2022-01-21/doc-ikyamrmz6500542.shtml", "ikyamrmz6500542"),
        ("https://finance.sina.cn/2022-01-21/detail-ikyamrmz6500542.d.html", "ikyamrmz6500542"),
        (
            "https://finance.sina.com.cn/china/gncj/2022-01-21/doc-ikyamrmz6500542.shtml?from=x#top",
            "ikyamrmz6500542",
        ),
        ("http://k.sina.com.cn/article_3057540037_b63e5bc502000bg5u.html", "b63e5bc502000bg5u"),
        (
            "http://t.cj.sina.com.cn/articles/view/6479293414/182322be600100i6z0?cre=tianyi",
            "182322be600100i6z0",
        ),
        ("http://chanye.finance.sina.com.cn/sm/2005-03-21/244339.shtml", "chanye-244339"),
        ("http://ent.sina.com.cn/y/2009-11-09/13482762951.shtml", "ent-13482762951"),
        ("https://finance.sina.com.cn/china/", None),
        ("https://finance.sina.com.cn/", None),
        ("https://news.sina.com.cn/c/2019-09-07/index.shtml", None),
    ],
)
def test_doc_id(url, expected):
    assert sina.doc_id(url) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (SEED_URL, ("金融", "新浪财经", "新浪财经－国內")),
        (
            "https://finance.sina.com.cn/world/2022-01-21/doc-iabc.shtml",
            ("金融", "新浪财经", "新浪财经－全球市场"),
        ),
        (
            "https://finance.sina.com.cn/stock/usstock/c/doc-iabc.shtml",
            ("金融", "新浪财经", "新浪财经－美股"),
        ),
        ("https://finance.sina.com.cn/fund/2022/doc-iabc.shtml", ("金融", "新浪财经", "新浪财经－财经")),
        (
            "https://finance.sina.com.cn/money/forex/forexroll/2016-05-25/doc-iabc.shtml",
            ("金融", "新浪财经", "新浪财经－外汇"),
        ),
        ("https://finance.sina.cn/hkstock/ggyw/2025-11-20/detail-iabc.d.html", ("金融", "新浪财经", "新浪财经－港股")),
        (
            "https://finance.sina.cn/china/gncj/2022-01-21/detail-iabc.d.html",
            ("金融", "新浪财经", "新浪财经－国內"),
        ),
        ("https://finance.sina.com.cn/other/doc-iabc.shtml", ("金融", "新浪财经", "新浪财经－财经")),
        ("http://t.cj.sina.com.cn/articles/view/1/2", ("金融", "新浪财经", "新浪财经－财经头条")),
        ("https://news.sina.com.cn/w/2018-09-28/doc-iabc.shtml", ("新闻", "新浪新闻", "新浪新闻－国际")),
        ("https://news.sina.com.cn/zt/special.shtml", ("新闻", "新浪新闻", "新浪新闻－新闻")),
        ("https://tech.sina.com.cn/i/2019-01-01/doc-iabc.shtml", ("新闻", "新浪网", "新浪网－科技")),
        ("https://unknown.sina.com.cn/a.shtml", ("新闻", "新浪网", "新浪网－综合")),
    ],
)
def test_categories(url, expected):
    assert sina.categories(url).as_tuple() == expected


@pytest.mark.parametrize(
    "url",
    [
        "https://finance.sina.com.cn/a.shtml",
        "https://k.sina.com.cn/a.html",
        "https://finance.sina.cn/a",
        "https://sina.cn/",
    ],
)
def test_hosts(url):
    assert site_for_url(url) is sina


def test_not_sina_hosts():
    assert site_for_url("https://sina.com.cn.example.com/a.shtml") is not sina
    assert site_for_url("https://notsina.com.cn/a.shtml") is not sina


@pytest.mark.parametrize(
    "html",
    [
        "",
        "   ",
        "<html><head><title>新浪财经</title></head><body><ul><li>x</li></ul></body></html>",
        "<html><body><div id='artibody'><p>正文</p></div></body></html>",
        "<html><head><title>标题</title></head><body><div id='artibody'>  <!-- 空 --> </div></body></html>",
        "<html><head><title>标题</title></head><body><div id='artibody'><script>var a = 1;</script></div></body></html>",
    ],
)
def test_not_an_article(html):
    with pytest.raises(NotAnArticle):
        sina.extract(html, SEED_URL)


def test_xml_declaration_and_title_fallback():
    html = (
        '<?xml version="1.0" encoding="utf-8"?><html><head><title>标题一_新浪财经_新浪网</title></head>'
        "<body><div id='artibody'><p>正文 {{ x }}</p></div><span class='date'>2022年01月21日 22:23</span></body></html>"
    )
    extracted = sina.extract(html, SEED_URL)
    assert extracted.title == "标题一"
    assert extracted.body_html == "<p>正文 {{ x }}</p>"
    assert extracted.published == datetime(2022, 1, 21, 14, 23, tzinfo=UTC)


def test_undated_page_has_no_date():
    html = "<html><head><title>标题</title></head><body><div id='artibody'><p>正文</p></div></body></html>"
    assert sina.extract(html, SEED_URL).published is None


def test_old_numbered_pages_of_two_subsites_keep_apart():
    finance = sina.doc_id("http://finance.sina.com.cn/g/20050321/12345678.shtml")
    sports = sina.doc_id("http://sports.sina.com.cn/g/2005-03-21/12345678.shtml")
    assert (finance, sports) == ("finance-12345678", "sports-12345678")
