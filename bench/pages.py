"""Generated Sina Finance snapshot: N article pages in Sina's finance templates and the roll-API pages listing them.

The pages follow the markup of the real ones (2018+ ``h1.main-title`` / ``span.date`` / ``.source.ent-source`` /
``#artibody`` finance template, and for one page in ten the 2016 ``#artibodyTitle`` / ``.time-source`` one),
with the site's header, side columns and scripts around the article, so a page weighs what a served one does.
Text is made from a grammar of finance-news sentences, different on every page. The channels without a roll
API get an HTML list page. The folder written is a snapshot
for ``newsbot.snapshot_server.SnapshotServer``: ``manifest.json`` maps each original URL to its file, status
and headers; ``articles.jsonl`` beside it holds what each article page shows (URL, doc id, title, date, text).
``python -m bench.pages DIR --count 5000``.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import random
import string
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from newsbot.sources.sina_finance import CHANNELS, Channel

BEIJING = timezone(timedelta(hours=8))
HTML_HEADERS = {"Content-Type": "text/html; charset=utf-8"}
JSON_HEADERS = {"Content-Type": "application/json; charset=utf-8"}
ROLL_PAGE_SIZE = 50
RELATED = 96
LIST_PAGE_SIZE = 40
TRUTH = "articles.jsonl"
ROBOTS = "User-agent: *\nDisallow: /iframe/\n"
FIRST_MOMENT = datetime(2019, 1, 1, tzinfo=BEIJING)
SPAN_SECONDS = 7 * 365 * 24 * 3600


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


CHANNEL_PATHS = {
    "china": ("china/gncj", "china/dfjj", "china/hgjj", "china/jrxw"),
    "world": ("world/gjcj", "world/mzjj", "world/ozjj"),
    "stock": ("stock/relnews/cn", "stock/s", "stock/marketresearch", "roll"),
    "finance": ("fund/jjdt", "money/fund/jjdt", "money/fund/jjzl"),
}

PLACES = _words(
    "北京 上海 深圳 广州 杭州 南京 成都 武汉 重庆 天津 苏州 西安 长沙 合肥 厦门 青岛 宁波 郑州 济南 福州"
)
CORES = _words(
    "华信 中科 恒泰 东方 长江 金桥 国泰 兴业 瑞丰 天合 宏达 永安 新希望 同创 海润 鼎盛 博远 安信 "
    "正泰 信达 华夏 远洋 汇通 光大 明阳 凯盛 嘉实 富华 德润 联创 星河 云图 锦江 万象 泰康"
)
TRADES = _words(
    "科技 药业 银行 证券 能源 汽车 电子 化工 材料 物流 地产 环保 食品 传媒 机械 电力 矿业 通信 半导体 保险"
)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍建国志红海波宁欣然晨宇浩婷雪松峰鹏飞"
REGULATORS = (
    "中国人民银行",
    "中国证监会",
    "国家金融监督管理总局",
    "国家统计局",
    "财政部",
    "国家发展改革委",
    "商务部",
    "国家外汇管理局",
    "上海证券交易所",
    "深圳证券交易所",
    "北京证券交易所",
    "国务院国资委",
)
SECTORS = _words(
    "新能源汽车 半导体 光伏 储能 创新药 医疗器械 人工智能 算力 消费电子 白酒 家电 券商 银行 保险 "
    "房地产 基建 煤炭 有色金属 钢铁 航运 军工 旅游 养殖 化纤 数据要素 低空经济 机器人 生物育种"
)
INDICATORS = _words(
    "营业收入 归母净利润 扣非净利润 经营活动现金流 毛利率 研发投入 总资产 净资产收益率 每股收益 合同负债"
)
MACRO = (
    "社会融资规模",
    "广义货币M2",
    "居民消费价格指数",
    "工业生产者出厂价格指数",
    "制造业采购经理指数",
    "社会消费品零售总额",
    "规模以上工业增加值",
    "固定资产投资",
    "出口总值",
    "外汇储备",
)
INDICES = ("上证指数", "深证成指", "创业板指", "科创50", "沪深300", "北证50", "恒生指数", "恒生科技指数")
OUTLETS = (
    "上海证券报",
    "中国证券报",
    "证券时报",
    "证券日报",
    "经济观察报",
    "21世纪经济报道",
    "第一财经",
    "新京报",
    "澎湃新闻",
    "界面新闻",
    "每日经济新闻",
    "财联社",
    "新浪财经",
)
VERBS_UP = _words("增长 上升 提高 扩大 回升 攀升")
VERBS_DOWN = _words("下降 回落 收窄 减少 下滑 放缓")
OPINIONS = (
    "市场对此反应积极",
    "业内人士认为这一变化值得关注",
    "分析人士指出后续走势仍有待观察",
    "多家机构随后上调了盈利预测",
    "投资者情绪整体趋于谨慎",
    "这一数据略高于市场此前预期",
    "这一结果与市场一致预期基本持平",
    "部分资金选择逢高兑现收益",
    "短期波动或将加大",
    "长期配置价值逐步显现",
)
SENTENCES = (
    "{company}{date}晚间发布公告称，公司{period}实现{indicator}{amount}亿元，同比{up}{pct}%。",
    "{company}表示，{period}{indicator}同比{down}{pct}%，主要受{sector}行业需求波动影响。",
    "{regulator}{date}发布数据显示，{month}末{macro}同比{up}{pct}%，{opinion}。",
    "{regulator}有关负责人表示，将进一步完善{sector}领域的制度安排，推动形成长期稳定的政策预期。",
    "{date}，{index}收报{points}点，涨{pct}%，两市成交额{turnover}亿元，{sector}板块领涨。",
    "截至{date}收盘，{index}跌{pct}%，{sector}、{sector2}等板块跌幅居前，{opinion}。",
    "{outlet}记者{person}从{place}市有关部门获悉，当地{sector}产业今年以来新增投资{amount}亿元。",
    "{person}在接受记者采访时表示，{sector}行业正处于由规模扩张向质量提升转变的关键阶段。",
    "{company}董事长{person}在业绩说明会上称，公司将继续加大在{sector}方向的研发投入。",
    "据{outlet}报道，{company}拟以{amount}亿元收购{company2}{stake}%股权，交易完成后后者将纳入合并报表范围。",
    "{company}同日公告，拟向全体股东每10股派发现金红利{dividend}元（含税），合计派现{amount}亿元。",
    "数据显示，{month}份{place}新建商品住宅价格环比{down}{small}%，同比{down}{pct}%。",
    "{place}市{date}出台若干措施，支持{sector}企业扩大有效投资，单个项目最高补贴{subsidy}万元。",
    "从资金面看，{date}北向资金净买入{turnover}亿元，其中{sector}板块获加仓居前。",
    "公募基金{period}报告显示，权益类基金对{sector}板块的配置比例较上季度{up}{small}个百分点。",
    "{regulator}{date}开展{amount}亿元逆回购操作，中标利率持平于{rate}%，当日实现净投放{turnover}亿元。",
    "外汇市场上，{date}人民币对美元中间价报{fx}，较前一交易日调{direction}{pips}个基点。",
    "{company}{period}经营活动产生的现金流量净额为{amount}亿元，较上年同期{up}{pct}%。",
    "{person}认为，{macro}的变化反映出内需恢复仍需时间，后续政策有望在{sector}等领域继续发力。",
    "研究机构{outlet}援引{person}的观点称，{sector}板块估值已回落至近五年{low}水平。",
    "{company}股价{date}盘中一度{updown}超{pct}%，截至收盘报{price}元，总市值约{amount}亿元。",
    "另据了解，{company}已与{company2}签署战略合作协议，双方将在{sector}领域开展深度合作。",
    "{place}海关统计，{period}当地外贸进出口总值{amount}亿元，同比{up}{pct}%，其中出口占比超过六成。",
    "业内预计，随着{sector}需求回暖，相关公司{period}业绩有望环比改善。",
    "{regulator}表示，将依法从严打击财务造假、内幕交易等违法违规行为，切实保护中小投资者合法权益。",
    "{company}披露的投资者关系活动记录表显示，{month}以来共有{visits}家机构前往公司调研。",
    "在{outlet}举办的论坛上，{person}表示，{sector}和{sector2}的融合发展将催生新的增长点。",
    "值得注意的是，{company}{period}{indicator}占比已升至{stake}%，创上市以来新高。",
    "{date}，{place}国资委旗下平台公司完成{amount}亿元中期票据发行，票面利率{rate}%。",
    "从估值看，{index}当前市盈率约为{pe}倍，处于历史{low}分位附近。",
    "{person}提醒投资者，{sector}板块短期涨幅较大，需警惕业绩不及预期的风险。",
    "{company}回应称，目前公司生产经营一切正常，{sector}业务订单饱满，产能利用率保持在{stake}%以上。",
    "{regulator}{date}批准{visits}家企业首发上市申请，合计拟募资{amount}亿元。",
    "{month}份，全国{macro}同比{up}{pct}%，增速比上月加快{small}个百分点。",
    "{place}证监局{date}对{company}出具警示函，指出其存在信息披露不及时等问题。",
    "对于后市，{outlet}分析称，在政策支持与盈利修复共振下，{sector}板块有望迎来估值修复。",
)
PERIODS = ("一季度", "上半年", "前三季度", "全年", "第三季度", "去年第四季度")
MONTHS = tuple(f"{n}月" for n in range(1, 13))
LOWS = ("低位", "较低", "中位数以下", "底部区域")


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _company(rng: random.Random) -> str:
    return (
        rng.choice(PLACES) + rng.choice(CORES) + rng.choice(TRADES) + rng.choice(("股份", "集团", "控股", ""))
    )


@dataclass(frozen=True, slots=True)
class Cast:
    """Who and what one article is about: its sentences keep coming back to them."""

    companies: tuple[str, str]
    people: tuple[str, str]
    place: str
    sectors: tuple[str, str]
    regulator: str
    outlet: str
    index: str
    templates: tuple[str, ...]

    @classmethod
    def draw(cls, rng: random.Random) -> Cast:
        return cls(
            companies=(_company(rng), _company(rng)),
            people=(_person(rng), _person(rng)),
            place=rng.choice(PLACES),
            sectors=tuple(rng.sample(SECTORS, 2)),
            regulator=rng.choice(REGULATORS),
            outlet=rng.choice(OUTLETS),
            index=rng.choice(INDICES),
            templates=tuple(rng.sample(SENTENCES, 8)),
        )


def sentence(rng: random.Random, cast: Cast | None = None) -> str:
    """One sentence of finance news about ``cast`` (a new one if none), the rest of its slots at random."""
    cast = cast or Cast.draw(rng)
    sector, sector2 = rng.sample(cast.sectors, 2) if rng.random() < 0.8 else rng.sample(SECTORS, 2)
    company, company2 = cast.companies if rng.random() < 0.7 else (cast.companies[0], _company(rng))
    return rng.choice(cast.templates).format(
        company=company,
        company2=company2,
        person=rng.choice(cast.people),
        place=cast.place,
        regulator=cast.regulator,
        outlet=cast.outlet,
        sector=sector,
        sector2=sector2,
        indicator=rng.choice(INDICATORS),
        macro=rng.choice(MACRO),
        index=cast.index,
        period=rng.choice(PERIODS),
        month=rng.choice(MONTHS),
        date=f"{rng.randint(1, 12)}月{rng.randint(1, 28)}日",
        opinion=rng.choice(OPINIONS),
        up=rng.choice(VERBS_UP),
        down=rng.choice(VERBS_DOWN),
        updown=rng.choice(("上涨", "下跌", "拉升", "跳水")),
        direction=rng.choice(("升", "贬")),
        low=rng.choice(LOWS),
        amount=f"{rng.uniform(0.5, 3000):.2f}",
        turnover=f"{rng.uniform(10, 15000):.1f}",
        pct=f"{rng.uniform(0.1, 80):.2f}",
        small=f"{rng.uniform(0.1, 5):.1f}",
        stake=rng.randint(5, 95),
        dividend=f"{rng.uniform(0.1, 20):.2f}",
        subsidy=rng.choice((100, 200, 300, 500, 1000, 2000)),
        rate=f"{rng.uniform(1.2, 4.5):.2f}",
        fx=f"{rng.uniform(6.3, 7.3):.4f}",
        pips=rng.randint(1, 400),
        points=f"{rng.uniform(1800, 25000):.2f}",
        price=f"{rng.uniform(2, 400):.2f}",
        pe=f"{rng.uniform(8, 60):.1f}",
        visits=rng.randint(3, 300),
    )


def headline(rng: random.Random, cast: Cast) -> str:
    """A headline: a short sentence, sometimes with a second clause after a space."""
    first = sentence(rng, cast).rstrip("。").split("，")[0]
    if len(first) > 30:
        first = first[:30]
    if rng.random() < 0.5:
        return f"{first} {rng.choice(SECTORS)}{rng.choice(('板块受关注', '迎来新机遇', '景气度回升', '龙头获加仓'))}"
    return first


@dataclass(slots=True)
class Generated:
    """One generated article: its URL, what its page shows, and where it is listed."""

    url: str
    doc_id: str
    channel: Channel
    title: str
    outlet: str
    editor: str
    published: datetime
    paragraphs: list[str]
    images: list[str]
    template: str
    original_title: bool
    related: list[tuple[str, str]] = field(default_factory=list)

    @property
    def lead(self) -> str:
        return f"原标题：{self.title}"

    @property
    def text(self) -> str:
        """The article's text as its page shows it, a line per paragraph."""
        return "\n".join([self.lead, *self.paragraphs] if self.original_title else self.paragraphs)


def _doc_id(rng: random.Random, taken: set[str]) -> str:
    while True:
        doc_id = "i" + "".join(rng.choices(string.ascii_lowercase, k=7)) + f"{rng.randrange(10**7):07d}"
        if doc_id not in taken:
            taken.add(doc_id)
            return doc_id


def _image(rng: random.Random, published: datetime) -> str:
    digest = hashlib.md5(str(rng.random()).encode()).hexdigest()
    width, height = rng.choice(((640, 427), (1080, 720), (1820, 1279), (600, 400)))
    return (
        f"//n.sinaimg.cn/sinakd{published:%Y%m%d}s/{rng.randint(100, 999)}/w{width}h{height}/"
        f"{published:%Y%m%d}/{digest[:4]}-{digest[4:20]}.jpg"
    )


def articles(count: int, seed: int = 2022) -> list[Generated]:
    """``count`` distinct articles spread over the channels that have a roll API."""
    rng = random.Random(seed)
    channels = [channel for channel in CHANNELS if channel.key in CHANNEL_PATHS]
    taken: set[str] = set()
    made = []
    for n in range(count):
        channel = channels[n % len(channels)]
        published = FIRST_MOMENT + timedelta(seconds=rng.randrange(SPAN_SECONDS))
        doc_id = _doc_id(rng, taken)
        path = rng.choice(CHANNEL_PATHS[channel.key])
        url = f"https://finance.sina.com.cn/{path}/{published:%Y-%m-%d}/doc-{doc_id}.shtml"
        cast = Cast.draw(rng)
        paragraphs = [
            "".join(sentence(rng, cast) for _ in range(rng.randint(2, 5))) for _ in range(rng.randint(5, 14))
        ]
        images = [_image(rng, published) for _ in range(rng.choice((0, 0, 1, 1, 1, 2, 3)))]
        made.append(
            Generated(
                url=url,
                doc_id=doc_id,
                channel=channel,
                title=headline(rng, cast),
                outlet=rng.choice(OUTLETS),
                editor=_person(rng),
                published=published,
                paragraphs=paragraphs,
                images=images,
                template="2016" if rng.random() < 0.1 else "2018",
                original_title=rng.random() < 0.4,
            )
        )
    for article in made:
        article.related = [(other.url, other.title) for other in rng.sample(made, min(len(made), RELATED))]
    return made


def _links(pairs: list[tuple[str, str]], item: str = "li") -> str:
    return "\n".join(
        f'<{item}><a href="{url}" target="_blank">{html.escape(title)}</a></{item}>' for url, title in pairs
    )


def _body_html(article: Generated, rng: random.Random) -> str:
    parts = [f"<p>　　{html.escape(article.lead)}</p>"] if article.original_title else []
    slots = sorted(rng.sample(range(len(article.paragraphs)), len(article.images)))
    images = dict(zip(slots, article.images, strict=True))
    for n, paragraph in enumerate(article.paragraphs):
        if n in images:
            parts.append(
                f'<div class="img_wrapper"><img id="{n}" style="max-width: 640px;" src="{images[n]}" alt>'
                f'<span class="img_descr"></span></div>'
            )
        parts.append(f'<p cms-style="font-L">　　{html.escape(paragraph)}</p>')
    return "\n".join(parts)


HEADER = """<div class="sina-header" id="sina-header"><div class="sina-header-inner">
<div class="sina-nav"><ul class="nav-list">
<li><a href="https://www.sina.com.cn/" target="_blank">新浪首页</a></li>
<li><a href="https://news.sina.com.cn/" target="_blank">新闻</a></li>
<li><a href="https://sports.sina.com.cn/" target="_blank">体育</a></li>
<li><a href="https://finance.sina.com.cn/" target="_blank">财经</a></li>
<li><a href="https://ent.sina.com.cn/" target="_blank">娱乐</a></li>
<li><a href="https://tech.sina.com.cn/" target="_blank">科技</a></li>
<li><a href="http://blog.sina.com.cn/" target="_blank">博客</a></li>
<li><a href="http://photo.sina.com.cn/" target="_blank">图片</a></li>
<li><a href="https://zhuanlan.sina.com.cn/" target="_blank">专栏</a></li>
</ul><ul class="nav-others more">
<li><a href="https://auto.sina.com.cn/" target="_blank">汽车</a></li>
<li><a href="https://edu.sina.com.cn/" target="_blank">教育</a></li>
<li><a href="https://fashion.sina.com.cn/" target="_blank">时尚</a></li>
<li><a href="https://games.sina.com.cn/" target="_blank">游戏</a></li>
<li><a href="https://travel.sina.com.cn/" target="_blank">旅游</a></li>
<li><a href="https://finance.sina.com.cn/stock/" target="_blank">股票</a></li>
<li><a href="https://finance.sina.com.cn/fund/" target="_blank">基金</a></li>
</ul></div>
<div class="sina-client"><ul class="dropdown" id="mobileclient">
<li><a href="https://finance.sina.com.cn/mobile/comfinanceweb.shtml" target="_blank">新浪财经客户端</a></li>
<li><a href="https://m.sina.com.cn/m/sinahome.shtml" target="_blank">新浪新闻客户端</a></li>
<li><a href="https://m.sina.com.cn/m/weibo.shtml" target="_blank">新浪微博</a></li>
</ul></div></div></div>"""

STAT_SCRIPT = (
    "(function(){var _s=window.SUDA||{};_s.uid='';_s.lid='';_s.pid='finance_article';"
    "function track(k,v){(_s.q=_s.q||[]).push([k,v,+new Date()]);}"
    "document.addEventListener('click',function(e){var t=e.target;while(t&&t!==document){"
    "if(t.getAttribute&&t.getAttribute('suda-uatrack')){track('ua',t.getAttribute('suda-uatrack'));break;}"
    "t=t.parentNode;}},false);window.SUDA=_s;})();"
)


def _feed(article: Generated) -> str:
    rng = random.Random(article.url)
    items = []
    for url, title in article.related[48:RELATED]:
        items.append(
            f'<div class="feed-card-item"><h2><a href="{url}" target="_blank">{html.escape(title)}</a></h2>'
            f'<p class="feed-card-txt">{html.escape(sentence(rng))}</p>'
            f'<div class="feed-card-info"><span class="feed-card-time">{rng.randint(1, 59)}分钟前</span>'
            f'<a class="feed-card-comment" href="{url}#comment">评论</a></div></div>'
        )
    return (
        '<div class="feed-card" id="feedCard"><div class="feed-card-tit">猜你喜欢</div>\n'
        + "\n".join(items)
        + "</div>"
    )


def _side(title: str, pairs: list[tuple[str, str]], css: str) -> str:
    return (
        f'<div class="{css}"><div class="tit"><h3>{title}</h3></div>'
        f'<div class="botData"><ul class="list-a">\n{_links(pairs)}\n</ul></div></div>'
    )


def _date_line(article: Generated) -> str:
    return f"{article.published.astimezone(BEIJING):%Y年%m月%d日 %H:%M}"


def _page_2018(article: Generated, body: str) -> str:
    moment = article.published.astimezone(BEIJING)
    image = article.images[0] if article.images else ""
    related = article.related
    config = json.dumps(
        {
            "docid": article.doc_id[1:],
            "channel": "cj",
            "related": [{"url": u, "title": t} for u, t in related],
        },
        ensure_ascii=False,
    )
    title = html.escape(article.title)
    return f"""<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<meta http-equiv="X-UA-Compatible" content="IE=edge">
<title>{title}_新浪财经_新浪网</title>
<meta name="keywords" content="{html.escape(article.channel.name)},{html.escape(article.outlet)}">
<meta name="description" content="{html.escape(article.paragraphs[0][:80])}……">
<meta property="og:type" content="news">
<meta property="og:title" content="{title}">
<meta property="og:url" content="{article.url}">
<meta property="og:image" content="{image}">
<meta name="weibo: article:create_at" content="{moment:%Y-%m-%d %H:%M:%S}">
<meta property="article:published_time" content="{moment.isoformat()}">
<meta property="article:author" content="{html.escape(article.outlet)}">
<meta name="mediaid" content="{html.escape(article.outlet)}">
<meta name="publishid" content="{article.doc_id[1:]}">
<meta name="comment" content="cj:comos-{article.doc_id[1:]}">
<link rel="canonical" href="{article.url}">
<link rel="stylesheet" type="text/css" href="//n.sinaimg.cn/finance/page/css/article.css">
<script type="text/javascript" src="//n.sinaimg.cn/finance/page/js/fin.js"></script>
<style>.main-content{{width:1240px;margin:0 auto}}.article p{{font-size:16px;line-height:28px}}</style>
</head>
<body>
<script>{STAT_SCRIPT}</script>
{HEADER}
<div class="main-content w1240">
    <div class="path-search"><div class="channel-path"><a href="{article.channel.list_url}">{html.escape(article.channel.name)}</a></div>
    <div class="search ent-search" id="ent_search"><form id="all_search" action="https://search.sina.com.cn/" method="get" target="_blank">
    <input type="text" name="q" value="" class="search-input"><input type="submit" value="搜索" class="search-submit"></form></div></div>
    <h1 class="main-title">{title}</h1>
    <div class="top-bar-wrap" id="top_bar_wrap"><div class="top-bar ani" id="top_bar"><div class="top-bar-inner clearfix">
<div class="date-source">
    <span class="date">{_date_line(article)}</span>
    <a href="https://finance.sina.com.cn/" target="_blank" class="source ent-source" rel="nofollow">{html.escape(article.outlet)}</a></div>
    <div class="page-tools"><span class="tool-icon" suda-uatrack="key=finance_article&value=share">分享</span>
    <a href="https://comment5.news.sina.com.cn/comment/skin/default.html?channel=cj&newsid=comos-{article.doc_id[1:]}" target="_blank">评论</a></div>
    </div></div></div>
    <div class="article-content clearfix" id="article_content">
        <div class="article-content-left">
            <div class="ad top-ad"><ins class="sinaads" data-ad-pdps="PDPS000000060745"></ins>
            <script>(sinaads = window.sinaads || []).push({{}})</script></div>
            <!-- 正文 start -->
				<div class="article" id="artibody" data-sudaclick="blk_content">

{body}<!-- news_keyword_pub,stock, -->

<!-- 正文下iframe -->
            <div class="clearfix appendQr_wrap">
                <div class="appendQr_normal"><img src="//n.sinaimg.cn/finance/cece9e13/20200514/343233024.png"></div>
                <div class="appendQr_normal_txt">海量资讯、精准解读，尽在新浪财经APP</div>
            </div>
<!-- 编辑姓名及工作代码 -->

<p class="article-editor">责任编辑：{html.escape(article.editor)} </p>
  </div>
            <!-- 正文 end -->
            <div class="article-bottom clearfix" id="article-bottom"><div class="keywords">
            <a href="https://tags.finance.sina.com.cn/{html.escape(article.channel.key)}" target="_blank">{html.escape(article.channel.name)}</a></div></div>
            <div class="blk-related clearfix" id="tab_related"><div class="tab-cont-related"><ul>
{_links(related[:8])}
            </ul></div></div>
            <div id="left_hzh_ad"></div>
{_feed(article)}
        </div>
        <div class="article-content-right">
{_side("为你推荐", related[8:18], "news-box")}
{_side("热门排行", related[18:28], "news-read-comment")}
{_side("图片新闻", related[28:36], "img-news")}
{_side("财经头条", related[36:48], "pic-news")}
        <div class="nav-link-box"><ul>
<li><a href="https://finance.sina.com.cn/china/">国内财经</a></li><li><a href="https://finance.sina.com.cn/world/">国际财经</a></li>
<li><a href="https://finance.sina.com.cn/stock/">股票</a></li><li><a href="https://finance.sina.com.cn/fund/">基金</a></li>
</ul></div>
        </div>
    </div>
</div>
<div class="page-right-bar"><a href="#" class="go-top">返回顶部</a></div>
<script>var ARTICLE_DATA = {config};</script>
<script>var sinaads_ck = document.cookie; (sinaads = window.sinaads || []).push({{params:{{"sinaads_ck":sinaads_ck}}}});</script>
</body>
</html>
"""


def _page_2016(article: Generated, body: str) -> str:
    moment = article.published.astimezone(BEIJING)
    title = html.escape(article.title)
    return f"""<!DOCTYPE html>
<html>
<head>
<meta http-equiv="X-UA-Compatible" content="IE=edge">
<meta charset="utf-8">
<title>{title}_新浪财经_新浪网</title>
<meta name="keywords" content="{html.escape(article.channel.name)}">
<meta property="og:type" content="news">
<meta property="og:title" content="{title}">
<meta property="og:url" content="{article.url}">
<meta name="weibo: article:create_at" content="{moment:%Y-%m-%d %H:%M:%S}">
<meta name="publishid" content="{article.doc_id[1:]}">
<meta name="mediaid" content="{html.escape(article.outlet)}">
<meta property="article:published_time" content="{moment.isoformat()}">
<meta property="article:author" content="{html.escape(article.outlet)}">
</head>
<body>
<script>{STAT_SCRIPT}</script>
{HEADER}
<div class="wrap-outer clearfix"><div class="wrap-inner">
<div class="page-header"><h1 id="artibodyTitle" cid="56982" docid="{article.doc_id[1:]}">{title}</h1>
<div class="page-info"><span class="time-source">
    {moment:%Y年%m月%d日%H:%M}
<span data-sudaclick="media_name"><a href="https://finance.sina.com.cn/" target="_blank" rel="nofollow">{html.escape(article.outlet)}</a></span>
      </span></div></div>
<div class="page-content clearfix"><div class="article article_16" id="artibody">
    <!-- 原始正文start -->
{body}
    <!-- 原始正文end -->
<p class="article-editor">责任编辑：{html.escape(article.editor)}</p>
</div>
<div class="blk-related"><ul>
{_links(article.related[:10])}
</ul></div></div>
<div class="page-side">
{_side("热门推荐", article.related[10:30], "side-box")}
{_side("财经排行", article.related[30:48], "side-box")}
</div></div></div>
</body>
</html>
"""


def page(article: Generated) -> str:
    """The article's page in its template."""
    rng = random.Random(article.doc_id)
    body = _body_html(article, rng)
    return _page_2016(article, body) if article.template == "2016" else _page_2018(article, body)


def roll_entry(article: Generated) -> dict[str, object]:
    """The roll API's description of one article."""
    stamp = str(int(article.published.timestamp()))
    return {
        "docid": f"comos:{article.doc_id[1:]}",
        "url": article.url,
        "wapurl": article.url.replace("finance.sina.com.cn", "finance.sina.cn").replace("/doc-", "/detail-"),
        "title": article.title,
        "intro": article.paragraphs[0][:60],
        "media_name": article.outlet,
        "author": article.editor,
        "ctime": stamp,
        "intime": stamp,
        "mtime": stamp,
        "img": {"u": ("https:" + article.images[0]) if article.images else ""},
    }


def list_pages(made: list[Generated]) -> Iterator[tuple[str, str]]:
    """The HTML list page of each channel without a roll API, linking the newest articles of the others."""
    newest = sorted(made, key=lambda a: a.published, reverse=True)[:LIST_PAGE_SIZE]
    for channel in CHANNELS:
        if channel.roll_url(1) is None:
            items = "\n".join(
                f'<li><a href="{a.url}" target="_blank">{html.escape(a.title)}</a>'
                f"<span>({a.published.astimezone(BEIJING):%m月%d日 %H:%M})</span></li>"
                for a in newest
            )
            yield (
                channel.list_url,
                (
                    f'<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8">\n'
                    f"<title>{html.escape(channel.name)}_新浪网</title>\n</head>\n<body>\n{HEADER}\n"
                    f'<div class="main-content w1240"><div class="listBlk"><ul class="list_009">\n{items}\n'
                    f"</ul></div></div>\n</body>\n</html>\n"
                ),
            )


def roll_pages(made: list[Generated]) -> Iterator[tuple[str, str]]:
    """Each roll-API channel's pages, newest first, then the empty page past the end (only that one for a
    channel without articles)."""
    for channel in (channel for channel in CHANNELS if channel.roll_url(1)):
        listed = sorted((a for a in made if a.channel == channel), key=lambda a: a.published, reverse=True)
        pages = [listed[n : n + ROLL_PAGE_SIZE] for n in range(0, len(listed), ROLL_PAGE_SIZE)] + [[]]
        for number, chunk in enumerate(pages, start=1):
            result = {
                "status": {"code": 0, "msg": "succ"},
                "timestamp": datetime.now(UTC).strftime("%a %b %d %H:%M:%S +0800 %Y"),
                "lid": str(channel.lid),
                "total": len(listed),
                "data": [roll_entry(article) for article in chunk],
            }
            yield channel.roll_url(number, ROLL_PAGE_SIZE), json.dumps({"result": result}, ensure_ascii=False)


def write_snapshot(folder: Path, count: int, seed: int = 2022) -> list[Generated]:
    """Write a snapshot of ``count`` generated articles and their roll-API pages; return the articles."""
    made = articles(count, seed)
    (folder / "pages").mkdir(parents=True, exist_ok=True)
    manifest: dict[str, dict[str, object]] = {}

    def put(url: str, text: str, headers: dict[str, str], suffix: str) -> None:
        name = f"pages/{hashlib.sha256(url.encode()).hexdigest()[:20]}{suffix}"
        (folder / name).write_text(text, encoding="utf-8")
        manifest[url] = {"file": name, "status": 200, "headers": headers}

    for host in ("https://finance.sina.com.cn", "https://feed.mix.sina.com.cn"):
        put(f"{host}/robots.txt", ROBOTS, {"Content-Type": "text/plain"}, ".txt")
    for url, text in roll_pages(made):
        put(url, text, JSON_HEADERS, ".json")
    for url, text in list_pages(made):
        put(url, text, HTML_HEADERS, ".html")
    for article in made:
        put(article.url, page(article), HTML_HEADERS, ".html")
    (folder / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    with (folder / TRUTH).open("w", encoding="utf-8") as truth:
        for article in made:
            truth.write(json.dumps(truth_of(article), ensure_ascii=False) + "\n")
    return made


def truth_of(article: Generated) -> dict[str, str]:
    """What an extractor should find on the article's page."""
    return {
        "url": article.url,
        "doc_id": article.doc_id,
        "title": article.title,
        "published": article.published.isoformat(),
        "text": article.text,
    }


def read_truth(folder: Path) -> list[dict[str, str]]:
    """The generated articles of a snapshot folder written by ``write_snapshot``."""
    lines = (folder / TRUTH).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=2022)
    args = parser.parse_args()
    made = write_snapshot(args.folder, args.count, args.seed)
    size = sum(path.stat().st_size for path in (args.folder / "pages").iterdir())
    print(f"{len(made)} articles, {size / len(made) / 1024:.1f} KiB per file on average, in {args.folder}")


if __name__ == "__main__":
    main()
