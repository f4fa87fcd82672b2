"""``newsbot renormalise``: posts derived again from WARC recordings, unchanged posts left untouched."""

from __future__ import annotations

import json
import os
import random
import shutil
import sqlite3
from pathlib import Path

from newsbot.warc import WarcFile
from tests.servers import run_newsbot
from tests.test_crawl import ARTICLES

ARTICLE = "https://finance.sina.com.cn/china/gncj/2022-01-21/doc-ikyamrmz6500542.shtml"
OTHER = "https://finance.sina.com.cn/stock/marketresearch/2022-01-21/doc-ikyamrmz6511111.shtml"
HTML = [("Content-Type", "text/html; charset=utf-8")]


def sina_page(
    title: str, date: str, paragraphs: list[str], outlet: str = "上海证券报", editor: str = "王晓"
) -> str:
    """A page in Sina Finance's 2018+ article template (``h1.main-title``, ``span.date``, ``#artibody``)."""
    body = "\n".join(f"<p>　　{text}</p>" for text in paragraphs)
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{title}_新浪财经_新浪网</title>
<meta property="og:title" content="{title}"><meta name="mediaid" content="{outlet}"></head>
<body><div class="main-content w1240">
<h1 class="main-title">{title}</h1>
<div class="top-bar-wrap"><div class="date-source"><span class="date">{date}</span>
<a href="https://www.cnstock.com/" class="source ent-source" rel="nofollow">{outlet}</a></div></div>
<div class="article-content clearfix"><div class="article-content-left">
<div class="article" id="artibody">
<!-- 行情图 -->
{body}
<p class="article-editor">责任编辑：{editor} </p>
</div></div></div></div></body></html>"""


FIRST = sina_page(
    "央行开展1000亿元MLF操作",
    "2022年01月21日 08:15",
    ["中国人民银行21日开展1000亿元中期借贷便利操作。", "此举旨在维护银行体系流动性合理充裕。"],
)
SECOND = sina_page(
    "沪指午后翻红 券商板块领涨",
    "2022年01月21日 13:40",
    ["沪指午后震荡走高，截至收盘上涨0.5%。", "券商、保险板块涨幅居前，两市成交额超万亿元。"],
)


def record(path: Path, *pages: tuple[str, str]) -> None:
    warc = WarcFile(path)
    warc.write_warcinfo({"software": "tests"})
    for url, html in pages:
        warc.write_exchange(url, "GET", [], b"", 200, HTML, html.encode())
    warc.close()


def posts(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every post under ``folder`` (hidden folders left out): relative path -> (bytes, mtime in ns)."""
    return {
        str(path.relative_to(folder)): (path.read_bytes(), path.stat().st_mtime_ns)
        for path in sorted(folder.rglob("*.md"))
        if not any(part.startswith(".") for part in path.relative_to(folder).parts)
    }


def renormalise(*args: str) -> str:
    done = run_newsbot("renormalise", *args, "-s", "LOG_LEVEL=WARNING")
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_renormalise_writes_each_recorded_article_once(tmp_path):
    warc = tmp_path / "crawl.warc.gz"
    record(
        warc,
        (ARTICLE, FIRST),
        (OTHER, SECOND),
        ("https://finance.sina.com.cn/", "<html><body></body></html>"),
    )
    out = renormalise(str(warc), "-s", f"NEWSBOT_OUTPUT_DIR={tmp_path / 'out'}")
    assert "new=2 " in out
    written = posts(tmp_path / "out")
    assert sorted(written) == ["sina/2022/01/ikyamrmz6500542.md", "sina/2022/01/ikyamrmz6511111.md"]
    text = written["sina/2022/01/ikyamrmz6500542.md"][0].decode()
    assert "央行开展1000亿元MLF操作" in text.splitlines()[2]
    assert "中期借贷便利" in text


def test_a_second_pass_leaves_every_post_untouched(tmp_path):
    warc = tmp_path / "crawl.warc.gz"
    record(warc, (ARTICLE, FIRST), (OTHER, SECOND))
    out = tmp_path / "out"
    renormalise(str(warc), "-s", f"NEWSBOT_OUTPUT_DIR={out}")
    before = posts(out)
    again = renormalise(str(warc), "-s", f"NEWSBOT_OUTPUT_DIR={out}")
    assert "new=0 updated=0 unchanged=2 " in again
    assert posts(out) == before


def test_a_changed_post_is_rewritten_and_the_others_left_alone(tmp_path):
    warc = tmp_path / "crawl.warc.gz"
    record(warc, (ARTICLE, FIRST), (OTHER, SECOND))
    out = tmp_path / "out"
    renormalise(str(warc), "-s", f"NEWSBOT_OUTPUT_DIR={out}")
    target = out / "sina/2022/01/ikyamrmz6500542.md"
    good = target.read_bytes()
    target.write_bytes(good.replace("央行开展".encode(), "旧的提取结果".encode()))
    os.utime(target, ns=(1, 1))
    before = posts(out)
    again = renormalise(str(warc), "-s", f"NEWSBOT_OUTPUT_DIR={out}")
    assert "new=0 updated=1 unchanged=1 " in again
    after = posts(out)
    assert after["sina/2022/01/ikyamrmz6500542.md"][0] == good
    assert after["sina/2022/01/ikyamrmz6511111.md"] == before["sina/2022/01/ikyamrmz6511111.md"]


def test_the_latest_recording_of_a_page_wins_across_files(tmp_path):
    older, newer = tmp_path / "a.warc.gz", tmp_path / "b.warc.gz"
    record(older, (ARTICLE, FIRST))
    edited = FIRST.replace("合理充裕", "合理充裕，稳定市场预期")
    record(newer, (ARTICLE, edited))
    renormalise(str(newer), str(older), "-s", f"NEWSBOT_OUTPUT_DIR={tmp_path / 'out'}")
    text = (tmp_path / "out/sina/2022/01/ikyamrmz6500542.md").read_text()
    assert "稳定市场预期" in text


def test_a_file_that_is_no_warc_fails_in_one_line(tmp_path):
    page = tmp_path / "page.warc.gz"
    page.write_text(FIRST)
    done = run_newsbot("renormalise", str(page), "-s", f"NEWSBOT_OUTPUT_DIR={tmp_path / 'out'}")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1].startswith("newsbot: error: ")
    assert not (tmp_path / "out").exists()


def test_an_archived_post_keeps_the_filing_its_crawl_gave_it(tmp_path):
    warc = tmp_path / "crawl.warc.gz"
    record(warc, (ARTICLE, FIRST))
    out = tmp_path / "out"
    renormalise(str(warc), "-s", f"NEWSBOT_OUTPUT_DIR={out}")
    target = out / "sina/2022/01/ikyamrmz6500542.md"
    filed = target.read_text(encoding="utf-8").replace("新浪财经－国內", "新浪财经－宏观")
    target.write_text(filed.replace("央行开展", "旧的提取结果"), encoding="utf-8")
    again = renormalise(str(warc), "-s", f"NEWSBOT_OUTPUT_DIR={out}")
    assert "updated=1 " in again
    assert target.read_text(encoding="utf-8") == filed


WORDS = "沪指收涨上证综指深证成指创业板指成交额北向资金净买入半导体新能源汽车券商板块银行保险地产医药消费"


def paragraphs(seed: int) -> list[str]:
    """Three paragraphs of text no other seed's comes near."""
    rng = random.Random(seed)
    return ["".join(rng.choice(WORDS) for _ in range(120)) + "。" for _ in range(3)]


def doc_url(number: int) -> str:
    return f"https://finance.sina.com.cn/china/gncj/2022-01-21/doc-ikyamrmz{number:07d}.shtml"


def mixed_recording(path: Path) -> None:
    """Articles with an exact and a near copy in the other half of the recording, one with an image and the
    editor's line alone, and a page that is no article."""
    texts = [paragraphs(seed) for seed in range(4)]
    near = [*texts[1][:2], texts[1][2][:60] + "涨" + texts[1][2][61:]]
    record(
        path,
        (doc_url(1), sina_page("第一篇", "2022年01月21日 08:15", texts[0])),
        (doc_url(2), sina_page("第二篇", "2022年01月21日 09:15", texts[1])),
        (doc_url(3), sina_page("第三篇", "2022年01月21日 10:15", texts[2])),
        (
            doc_url(4),
            sina_page("只有图片", "2022年01月21日 10:45", ['<img src="https://n.sinaimg.cn/a.jpg">']),
        ),
        ("https://finance.sina.com.cn/", "<html><body><p>首页</p></body></html>"),
        (doc_url(5), sina_page("第一篇转载", "2022年01月21日 11:15", texts[0])),
        (doc_url(6), sina_page("第四篇", "2022年01月21日 12:15", texts[3])),
        (doc_url(7), sina_page("第二篇转载", "2022年01月21日 13:15", near)),
    )


def index_rows(folder: Path) -> tuple[list, list]:
    with sqlite3.connect(folder / ".newsbot" / "index.sqlite3") as db:
        entries = db.execute("SELECT key, path, url, body_hash, simhash, published FROM entries ORDER BY key")
        aliases = db.execute("SELECT alias, key FROM aliases ORDER BY alias")
        return entries.fetchall(), aliases.fetchall()


def contents(folder: Path) -> dict[str, bytes]:
    return {name: data for name, (data, _) in posts(folder).items()}


def test_renormalise_over_worker_processes_writes_what_one_process_writes(tmp_path):
    warc = tmp_path / "crawl.warc.gz"
    mixed_recording(warc)
    lines = {}
    for workers in ("1", "2", "3"):
        out = tmp_path / f"out-{workers}"
        done = run_newsbot("renormalise", str(warc), "--archive", str(out), "--workers", workers)
        assert done.returncode == 0, done.stderr[-3000:]
        summary, rate = done.stdout.strip().splitlines()[-2:]
        assert f"on {workers} process(es)" in rate and "floor (reading and parsing" in rate
        lines[workers] = summary
        assert "not an article: https://finance.sina.com.cn/" in done.stderr
    assert lines["1"] == lines["2"] == lines["3"]
    assert "new=5 updated=0 unchanged=0 skipped=0 duplicates=2 failed=0 " in lines["1"]
    one = tmp_path / "out-1"
    assert len(contents(one)) == 5
    for workers in ("2", "3"):
        assert contents(tmp_path / f"out-{workers}") == contents(one)
        assert index_rows(tmp_path / f"out-{workers}") == index_rows(one)


def test_renormalise_over_worker_processes_updates_what_one_process_updates(tmp_path):
    warc = tmp_path / "crawl.warc.gz"
    mixed_recording(warc)
    first = tmp_path / "first"
    assert run_newsbot("renormalise", str(warc), "--archive", str(first)).returncode == 0
    for workers in ("1", "2"):
        out = tmp_path / f"out-{workers}"
        shutil.copytree(first, out)
        target = out / "sina/2022/01/ikyamrmz0000003.md"
        target.write_text(target.read_text(encoding="utf-8").replace("。", "，", 1), encoding="utf-8")
        done = run_newsbot("renormalise", str(warc), "--archive", str(out), "--workers", workers)
        assert done.returncode == 0, done.stderr[-3000:]
        assert "new=0 updated=1 unchanged=5 skipped=0 duplicates=1 " in done.stdout
    assert contents(tmp_path / "out-2") == contents(tmp_path / "out-1") == contents(first)
    assert index_rows(tmp_path / "out-2") == index_rows(tmp_path / "out-1")
    assert sorted((tmp_path / "out-2/.history").rglob("*.md")) != []


def test_renormalise_of_a_recorded_crawl_files_every_post_as_the_crawl_did(tmp_path):
    warc, crawled = tmp_path / "crawl.warc.gz", tmp_path / "crawled"
    done = run_newsbot("crawl", "sina-finance", "--snapshot", "--archive", str(crawled), "--record", str(warc))
    assert done.returncode == 0, done.stderr[-3000:]
    assert any("//news.sina.com.cn/" in url for url in ARTICLES), "news-site articles a finance channel lists"
    for workers in ("1", "2"):
        out = tmp_path / f"out-{workers}"
        renormalise(str(warc), "--archive", str(out), "--workers", workers)
        assert contents(out) == contents(crawled)


def test_renormalise_refuses_no_workers(tmp_path):
    warc = tmp_path / "crawl.warc.gz"
    record(warc, (ARTICLE, FIRST))
    done = run_newsbot("renormalise", str(warc), "--archive", str(tmp_path / "out"), "--workers", "0")
    assert done.returncode == 2
    assert "--workers must be at least 1" in done.stderr.strip().splitlines()[-1]


def test_status_lists_renormalise_runs_as_renormalise_and_a_warc_replay_as_warc(tmp_path):
    warc = tmp_path / "crawl.warc.gz"
    record(warc, (ARTICLE, FIRST), (OTHER, SECOND))
    out = tmp_path / "out"
    for workers in ("1", "2"):
        done = run_newsbot("renormalise", str(warc), "--archive", str(out), "--workers", workers)
        assert done.returncode == 0, done.stderr[-3000:]
        assert "renormalise: ok: " in done.stderr and "warc: ok" not in done.stderr
    replayed = run_newsbot("replay", str(warc), "--archive", str(tmp_path / "replayed"))
    assert replayed.returncode == 0, replayed.stderr[-3000:]
    status = run_newsbot("status", str(out), "--json")
    assert status.returncode == 0, status.stderr
    (row,) = json.loads(status.stdout)["sources"]
    assert row["source"] == "renormalise"
    assert (row["outcome"], row["archived_day"]) == ("ok", 2)
    assert row["newest_post"].startswith("2022-01-21")
    table = run_newsbot("status", str(out)).stdout.splitlines()
    assert [line.split()[0] for line in table[1:]] == ["renormalise"]
    (other,) = json.loads(run_newsbot("status", str(tmp_path / "replayed"), "--json").stdout)["sources"]
    assert other["source"] == "warc"
