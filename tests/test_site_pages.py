"""Each finance site module against the real saved pages of its site in ../shared/pages.

Every expectation below was read off the page by hand: title, publication time (converted to UTC), outlet
(来源), editor (责任编辑) and one sentence of the article itself. Where ../shared/pages/groundtruth/ holds the
expected text or date of a page, the extracted body must hold every paragraph of it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import frontmatter
import lxml.html
import pytest

from newsbot.charset import decode_html
from newsbot.dates import parse_datetime
from newsbot.sites import body_html as page_body_html
from newsbot.sites import drop_between_comments, drop_furniture, hidden, pixel, site_for_url
from newsbot.sites.base import FINANCE, NotAnArticle
from newsbot.validate import problems
from tests.conftest import PAGES, needs_shared
from tests.postmaking import article_from_file, post_from_file

pytestmark = needs_shared

GROUND_TRUTH = PAGES / "groundtruth"


@dataclass(frozen=True)
class Page:
    """One saved page and what its site module must read off it."""

    file: str
    url: str
    site: str
    title: str
    published_utc: str
    sentence: str
    outlet: str | None = None
    editor: str | None = None
    channel: str | None = None


PAGES_BY_SITE = [
    Page(
        "netease_biz/cwced_biz.163.com_2004-12-10_17867KR700020QBK_gbk.html",
        "http://biz.163.com/41210/1/17867KR700020QBK.html",
        "netease",
        '简单道理捅破"飞人"神话 耐克鞋的气垫"伤机"',
        "2004-12-10 03:55:08",
        "其实一个简单的道理就能将“飞人”的神话捅破。",
        outlet="网易商业报道",
        channel="网易财经－商业",
    ),
    Page(
        "netease_biz/cwced_biz.163.com_2005-01-14_1A2RNJP100020QFA_gbk.html",
        "http://biz.163.com/50114/7/1A2RNJP100020QFA.html",
        "netease",
        "利益集团左右电力体制改革 华东上调超发电价",
        "2005-01-14 09:02:30",
        "1月4日，浙江东南发电股份有限公司接到了浙江省物价局的一份通知。",
        outlet="21世纪经济报道",
        channel="网易财经－商业",
    ),
    # The three CxExtractor pages carry no URL of their own: these are URLs of the money.163.com form with
    # made-up article ids.
    Page(
        "netease_money/cxextractor_money.163.com_2015_RawHtml_1.html",
        "http://money.163.com/15/0521/05/AQ0000AA00253B0H.html",
        "netease",
        "八部委如何玩转互联网+：打造万物互联新生态",
        "2015-05-20 21:03:58",
        "5月15日，商务部出台《“互联网+流通”行动计划》，这是今年政府工作报告提出互联网+后，首个落实出台的专项行动计划。",
        outlet="21世纪经济报道",
        channel="网易财经－财经",
    ),
    Page(
        "netease_money/cxextractor_money.163.com_2015_RawHtml_12.html",
        "http://money.163.com/15/0702/23/AT0000AB00252G50.html",
        "netease",
        "李克强：培育长期稳定健康发展的资本市场",
        "2015-07-02 15:15:34",
        "另据报道，李克强总理1日在法国外长法比尤斯陪同下，考察位于马赛的达飞海运集团。",
        outlet="上海证券报·中国证券网",
        editor="NF041",
    ),
    Page(
        "netease_money/cxextractor_money.163.com_2015_RawHtml_22.html",
        "http://money.163.com/15/0703/04/AT0000AC00252G50.html",
        "netease",
        "证监会怒了！严打期指恶意做空！",
        "2015-07-02 20:09:59",
        "期指恶意做空成A股大跌新的风暴点。",
        outlet="第一财经日报",
        editor="NF050",
    ),
    # URL: the page's own comment-login link names it.
    Page(
        "netease_money/gne_money.163.com_longhu_1.html",
        "https://money.163.com/19/0907/13/EOFOC8MJ00258105.html",
        "netease",
        '多地项目连环爆雷 狂奔的龙湖集团"暗伤"曝露？',
        "2019-09-07 05:43:45",
        "2019年，龙湖集团即将迎来赴港上市10周年。",
        outlet="证券市场红周刊",
        editor="杨倩_NF4425",
    ),
    Page(
        "sohu_business/cwced_business.sohu.com_20040716_n221031086_gb2312.html",
        "http://business.sohu.com/20040716/n221031086.shtml",
        "sohu",
        "劳伦斯：一个无法定义的“洛克菲勒”",
        "2004-07-16 00:19:00",
        "洛克菲勒家族开创者老约翰·洛克菲勒的三孙子劳伦斯·洛克菲勒于7月10日早上寿终正寝，享年94岁。",
        outlet="国际金融报",
        channel="搜狐财经－财经",
    ),
    Page(
        "sohu_business/cwced_business.sohu.com_20041021_n222611364_gbk.html",
        "http://business.sohu.com/20041021/n222611364.shtml",
        "sohu",
        "民间资本成投资活动的主体 民间资本路在何方",
        "2004-10-21 06:18:00",
        "寸草报春晖。",
    ),
    # URL: the page's own ARTICLE_INFO.article_url.
    Page(
        "qq_finance/gne_finance.qq.com_lengjing_2.html",
        "http://finance.qq.com/a/20190923/000843.htm",
        "qq",
        "棱镜|数据业大整顿：爬虫与现金贷共生共荣，用户信息几元不等",
        "2019-09-22 23:48:00",
        "在多位行业人士的印象中，第三方数据行业从2013、2014年就开始兴起，在2017-2018年左右迎来大爆发。",
        outlet="棱镜",
        editor="biaoffeng",
        channel="腾讯财经－财经",
    ),
    # The GNE page carries no URL: this is a kuaixun.stcn.com URL (its breadcrumb) with a made-up number.
    Page(
        "stcn/gne_stcn_1.html",
        "http://kuaixun.stcn.com/2019/0926/15409000.shtml",
        "stcn",
        "午间公告：天奇股份中标广汽丰田项目；运达股份中标7亿元项目",
        "2019-09-26 04:11:00",
        "天奇股份：确认中标广汽丰田公司涂装车间工程内搬送设备等项目，中标额6962万元。",
        outlet="证券时报网",
        channel="证券时报网－快讯",
    ),
    Page(
        "hexun/gne_hexun_stock_1.html",
        "https://stock.hexun.com/2019-09-26/198678130.html?from=rss",
        "hexun",
        "交通运输部：着力打造京津冀区域综合立体交通网络",
        "2019-09-26 02:56:28",
        "实现区域内快速铁路覆盖所有地级及以上城市",
        outlet="证券时报网",
        editor="HN666",
        channel="和讯网－股票",
    ),
    Page(
        "caijing/magichtml_caijing_economy_20240511_5010608.html",
        "http://economy.caijing.com.cn/20240511/5010608.shtml",
        "caijing",
        "2024年4月全国CPI同比上涨0.3% 食品价格下降2.7%",
        "2024-05-11 01:36:26",
        "4月份，全国居民消费价格环比上涨0.1%。",
        outlet="国家统计局",
        editor="文静",
        channel="财经网－宏观",
    ),
    # URL: the magic-html ground truth's.
    Page(
        "people_finance/magichtml_finance.people.com.cn_2024-0510_c1004-40232587.html",
        "http://finance.people.com.cn/n1/2024/0510/c1004-40232587.html",
        "people",
        "在新时代中部地区崛起中争先出彩（推动高质量发展·权威发布）",
        "2024-05-09 22:58:00",
        "向良种要产量。河南大力实施种业振兴行动，2023年有12个品种入选全国主导品种。",
        outlet="人民网－人民日报",
        editor="胡永秋、杨光宇",
        channel="人民网－财经",
    ),
    # URL: the newspaper4k ground truth's.
    Page(
        "xinhua_fortune/newspaper4k_news.cn_fortune_2023-11_c_1129981476.html",
        "http://www.news.cn/fortune/2023-11/17/c_1129981476.htm",
        "xinhua",
        "短缺药品保供稳价 全力保障临床用药需求",
        "2023-11-17 12:52:15",
        "国家药监局持续采集短缺药品生产供应及停产报告信息。",
        outlet="新华网",
        editor="张樵苏",
        channel="新华网－财经",
    ),
    Page(
        "mingridapan/gne_mingridapan_shishi_637863.html",
        "http://www.mingridapan.com/shishi/news/637863.html",
        "mingridapan",
        "最新出炉联合国贸发报告：2019年全球经济增长率降至2.3%",
        "2019-09-26 02:09:11",
        "一些大型新兴经济体已经陷入衰退，而一些发达经济体距离衰退仅一步之遥。",
        channel="明日大盘网－实时播报",
    ),
]

DOC_IDS = [
    ("http://biz.163.com/41210/1/17867KR700020QBK.html", "17867KR700020QBK"),
    ("https://money.163.com/19/0907/13/EOFOC8MJ00258105.html", "EOFOC8MJ00258105"),
    ("https://www.163.com/money/article/HVTM2K9G00259DLP.html", "HVTM2K9G00259DLP"),
    ("http://business.sohu.com/20040716/n221031086.shtml", "n221031086"),
    ("http://finance.qq.com/a/20190923/000843.htm", "20190923000843"),
    ("https://stock.qq.com/omn/20190928/20190928A0372F00.html", "20190928A0372F00"),
    ("http://kuaixun.stcn.com/2019/0926/15408927.shtml", "15408927"),
    ("https://www.stcn.com/article/detail/1192734.html", "1192734"),
    ("https://stock.hexun.com/2019-09-26/198678130.html?from=rss", "198678130"),
    ("http://economy.caijing.com.cn/20240511/5010608.shtml", "5010608"),
    ("http://finance.people.com.cn/n1/2024/0510/c1004-40232587.html", "c1004-40232587"),
    ("http://www.news.cn/fortune/2023-11/17/c_1129981476.htm", "c_1129981476"),
    (
        "https://www.news.cn/fortune/20231117/0123456789abcdef0123456789abcdef/c.html",
        "0123456789abcdef0123456789abcdef",
    ),
    ("http://www.mingridapan.com/shishi/news/637863.html", "637863"),
    ("https://money.163.com/special/00259BVP/index.html", None),
    ("http://finance.people.com.cn/GB/index.html", None),
]


def squashed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def body_text(html: str) -> str:
    return lxml.html.fragment_fromstring(html, create_parent="div").text_content()


def extracted(page: Page):
    text = decode_html((PAGES / page.file).read_bytes(), None)
    return site_for_url(page.url).extract(text, page.url)


@pytest.mark.parametrize("page", PAGES_BY_SITE, ids=lambda page: page.file.split("/")[-1])
def test_site_module_reads_page(page: Page):
    site = site_for_url(page.url)
    assert site is not None
    assert page.site == site.NAME
    result = extracted(page)
    assert result.title == page.title
    assert result.published.astimezone(UTC) == datetime.fromisoformat(page.published_utc).replace(tzinfo=UTC)
    assert squashed(page.sentence) in squashed(body_text(result.body_html))
    assert (result.outlet, result.editor) == (page.outlet, page.editor)
    categories = site.categories(page.url)
    assert categories.group == FINANCE
    assert categories.channel.startswith(f"{categories.site}－")
    if page.channel:
        assert categories.channel == page.channel


@pytest.mark.parametrize("page", PAGES_BY_SITE, ids=lambda page: page.file.split("/")[-1])
def test_page_makes_valid_post(page: Page, tmp_path: Path):
    text = post_from_file(PAGES / page.file, page.url)
    assert problems(text) == []
    path = tmp_path / f"{page.site}.md"
    path.write_text(text, encoding="utf-8")
    post = frontmatter.load(path)
    site = site_for_url(page.url)
    assert post["title"] == page.title
    assert post["categories"] == list(site.categories(page.url).as_tuple())
    assert post["author"] == site.categories(page.url).site
    moment = datetime.fromisoformat(page.published_utc).replace(tzinfo=UTC)
    assert f"\ndate: {moment.strftime('%a, %d %b %Y %H:%M:%S')} GMT\n" in text
    assert squashed(page.sentence) in squashed(body_text(post.content))


def _related_link(line: str) -> bool:
    """A related-articles line the CxExtractor ground truth kept from below the body (title then a date)."""
    return re.search(r"\d{4}/\d{2}/\d{2}$", line) is not None


def _ground_truth() -> list[tuple[str, str, str | None]]:
    magic = json.loads((GROUND_TRUTH / "magic-html_article_base_subset.json").read_text(encoding="utf-8"))
    cwced = GROUND_TRUTH / "cwced"
    cases = [
        (
            "netease_biz/cwced_biz.163.com_2004-12-10_17867KR700020QBK_gbk.html",
            "biz.163.com_17867KR700020QBK",
        ),
        (
            "netease_biz/cwced_biz.163.com_2005-01-14_1A2RNJP100020QFA_gbk.html",
            "biz.163.com_1A2RNJP100020QFA",
        ),
        (
            "sohu_business/cwced_business.sohu.com_20040716_n221031086_gb2312.html",
            "cwced_business.sohu.com_20040716_n221031086_gb2312",
        ),
        (
            "sohu_business/cwced_business.sohu.com_20041021_n222611364_gbk.html",
            "cwced_business.sohu.com_20041021_n222611364_gbk",
        ),
    ]
    truth = [
        (
            file,
            (cwced / f"{stem}.cleaned.txt").read_text(encoding="utf-8"),
            (cwced / f"{stem}.date.txt").read_text(encoding="utf-8"),
        )
        for file, stem in cases
    ]
    for number in (1, 12, 22):
        text = (GROUND_TRUTH / "cx-extractor" / f"netease_money_RawHtml_{number}.txt").read_bytes()
        truth.append(
            (
                f"netease_money/cxextractor_money.163.com_2015_RawHtml_{number}.html",
                text.decode("gb18030"),
                None,
            )
        )
    news_cn = json.loads(
        (GROUND_TRUTH / "newspaper4k" / "xinhua_fortune_c_1129981476.json").read_text(encoding="utf-8")
    )
    truth.append(
        ("xinhua_fortune/newspaper4k_news.cn_fortune_2023-11_c_1129981476.html", news_cn["text"], None)
    )
    for file, entry in magic.items():
        if not file.startswith("sina"):
            truth.append((file, entry["content"], None))
    return truth


@pytest.mark.parametrize(
    ("file", "expected_text", "expected_date"), _ground_truth(), ids=lambda value: str(value)[:60]
)
def test_body_holds_ground_truth(file: str, expected_text: str, expected_date: str | None):
    page = next(page for page in PAGES_BY_SITE if page.file == file)
    result = extracted(page)
    text = squashed(body_text(result.body_html))
    lines = [squashed(line) for line in expected_text.splitlines()]
    missing = [line for line in lines if len(line) >= 8 and line not in text and not _related_link(line)]
    assert missing == []
    if expected_date:
        assert result.published == parse_datetime(expected_date)


def test_newspaper4k_title_and_day_agree():
    expected = json.loads(
        (GROUND_TRUTH / "newspaper4k" / "xinhua_fortune_c_1129981476.json").read_text(encoding="utf-8")
    )
    page = next(page for page in PAGES_BY_SITE if page.site == "xinhua")
    result = extracted(page)
    assert result.title == expected["title"]
    assert result.published.date().isoformat() == expected["publish_date"][:10]


@pytest.mark.parametrize(("url", "expected"), DOC_IDS)
def test_doc_id(url: str, expected: str | None):
    assert site_for_url(url).doc_id(url) == expected


@pytest.mark.parametrize("site", sorted({page.site for page in PAGES_BY_SITE}))
def test_page_without_body_or_title_is_refused(site: str):
    url = next(page.url for page in PAGES_BY_SITE if page.site == site)
    module = site_for_url(url)
    with pytest.raises(NotAnArticle):
        module.extract("<html><head><title>列表</title></head><body><ul><li>a</li></ul></body></html>", url)
    with pytest.raises(NotAnArticle):
        module.extract("", url)


@pytest.mark.parametrize("site", ["stcn", "hexun", "sohu"])
def test_editor_named_only_by_a_script_is_not_taken(site: str):
    page = next(page for page in PAGES_BY_SITE if page.site == site)
    html = decode_html((PAGES / page.file).read_bytes(), None)
    assert "</body>" in html
    html = re.sub(r"责任编辑", "编者", html).replace(
        "</body>", '<script>var line = "责任编辑：脚本";</script></body>'
    )
    assert site_for_url(page.url).extract(html, page.url).editor is None


PLACEHOLDER = "https://picsum.photos/400/300?random="


@dataclass(frozen=True)
class Furniture:
    """A page whose body element holds site furniture that used to become the post's picture."""

    file: str
    furniture: str
    kept: str
    headimg: str | None = None


FURNITURE = [
    # The end_money.png icon by 本文来源 (the source line itself stays).
    Furniture(
        "netease_money/cxextractor_money.163.com_2015_RawHtml_1.html",
        "end_money.png",
        "本文来源：21世纪经济报道",
    ),
    Furniture(
        "netease_money/cxextractor_money.163.com_2015_RawHtml_22.html",
        "end_money.png",
        "本文来源：第一财经日报",
    ),
    Furniture("netease_money/gne_money.163.com_longhu_1.html", "end_money.png", "本文来源：证券市场红周刊"),
    # The 重点推荐 promotion between the biaoqian comments: app and tool adverts, links to other articles.
    Furniture(
        "netease_money/cxextractor_money.163.com_2015_RawHtml_12.html",
        "20141231162652df15b.png",
        "本文来源：上海证券报·中国证券网",
    ),
    # The space.gif close button of the hidden 纠错 box, and the 【纠错】 link.
    Furniture(
        "xinhua_fortune/newspaper4k_news.cn_fortune_2023-11_c_1129981476.html", "space.gif", "责任编辑:张樵苏"
    ),
    # A share image hidden with display:none at the top of the body.
    Furniture(
        "caijing/magichtml_caijing_economy_20240511_5010608.html",
        "114048455.jpg",
        "2024年4月份居民消费价格同比上涨0.3%",
    ),
    # The 关注公众号 QR code and the share button.
    Furniture(
        "people_finance/magichtml_finance.people.com.cn_2024-0510_c1004-40232587.html",
        "MAIN202208010936066173860781061.jpg",
        "(责编：胡永秋、杨光宇)",
    ),
    # The 返回腾讯网首页 link with Tencent's favicon ends the body; the article's own picture comes first.
    Furniture(
        "qq_finance/gne_finance.qq.com_lengjing_2.html",
        "favicon.ico",
        "可以预见的是，第三方数据行业的整顿仍将持续。",
        headimg="http://inews.gtimg.com/newsapp_bt/0/10362088290/641",
    ),
]


@pytest.mark.parametrize("case", FURNITURE, ids=lambda case: case.file.split("/")[-1])
def test_site_furniture_is_dropped_and_is_not_the_picture(case: Furniture):
    page = next(page for page in PAGES_BY_SITE if page.file == case.file)
    article = article_from_file(PAGES / case.file, page.url)
    assert case.furniture not in article["body_html"]
    assert squashed(case.kept) in squashed(body_text(article["body_html"]))
    assert squashed(page.sentence) in squashed(body_text(article["body_html"]))
    if case.headimg is None:
        assert article["image"].startswith(PLACEHOLDER)
    else:
        assert article["image"] == case.headimg


def test_netease_promotion_between_its_comments_is_dropped_with_its_links():
    page = next(page for page in PAGES_BY_SITE if page.file.endswith("RawHtml_12.html"))
    html = extracted(page).body_html
    assert "会赚钱的客户端" not in html
    assert "重点推荐" not in html
    assert "泸州老窖换届新目标遭质疑" not in html
    assert "biaoqian开始" in html and "biaoqian结束" in html


def test_xinhua_error_report_link_is_dropped():
    page = next(page for page in PAGES_BY_SITE if page.site == "xinhua")
    html = extracted(page).body_html
    assert "纠错" not in html
    assert "张樵苏" in html


def body_of(html: str) -> lxml.html.HtmlElement:
    return lxml.html.fragment_fromstring(html, create_parent="div")


@pytest.mark.parametrize(
    ("html", "furniture"),
    [
        ('<img src="/share.jpg" style="display: none">', True),
        ('<div style="color:red;VISIBILITY:hidden"><img src="/qr.png"></div>', True),
        ('<div hidden><img src="/qr.png"></div>', True),
        ('<img src="/pixel.gif" width="1" height="1">', True),
        ('<img src="/spacer.gif" width="1" height="5">', True),
        ('<img src="/rule.gif" width="750" height="2px">', True),
        ('<img src="/track.gif" style="width:0px;height:0px">', True),
        ('<img src="/photo.jpg" width="550" height="400">', False),
        ('<img src="/photo.jpg" width="100%" style="max-width: 640px; border-width: 0px">', False),
        ('<div style="display:block"><img src="/photo.jpg"></div>', False),
    ],
)
def test_hidden_elements_and_pixel_images_are_furniture(html: str, furniture: bool):
    element = body_of(html)[0]
    assert (hidden(element) or any(pixel(image) for image in element.iter("img"))) is furniture


def test_drop_furniture_keeps_the_text_around_what_it_drops():
    body = body_of(
        '<p>一<img src="/pixel.gif" width="1" height="1">二<span style="display:none">隐</span>三</p>'
        '<div class="share"><img src="/share.png"></div><p>四<img src="/photo.jpg"></p>'
    )
    drop_furniture(body, ['.//div[@class="share"]'])
    assert lxml.html.tostring(body, encoding=str) == '<div><p>一二三</p><p>四<img src="/photo.jpg"></p></div>'


def test_blocks_between_marker_comments_are_dropped_and_the_text_around_them_kept():
    body = body_of(
        "<p>获得了5<!--AD_BEGIN--><table><tr><td><img src=/ad.jpg></td></tr></table><!--AD_END-->00万元</p>"
        "<p>正文<!--AD_BEGIN--> <style>.x{}</style></p><table><tr><td>广告</td></tr></table>"
        "<div>推荐</div><!--AD_END--><p>结尾</p><!--AD_BEGIN--><p>没有结束标记</p>"
    )
    drop_between_comments(body, "AD_BEGIN", "AD_END")
    assert squashed(body.text_content()) == "获得了500万元正文结尾没有结束标记"
    assert body.find(".//img") is None
    assert body.find(".//style") is None


def test_body_html_leaves_the_page_as_it_was():
    doc = lxml.html.document_fromstring(
        '<html><body><div id="a"><p>正文</p><p style="display:none">隐</p></div></body></html>'
    )
    assert page_body_html(doc, ['//div[@id="a"]']) == "<p>正文</p>"
    assert doc.xpath('//p[@style="display:none"]')
