"""The sina-finance spider against Sina's roll API as the site serves it, through snapshot servers on 127.0.0.1."""

from __future__ import annotations

import gzip
import json
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from warcio.archiveiterator import ArchiveIterator

from newsbot.index.backends import index_locations
from newsbot.snapshot_server import BUNDLED_SNAPSHOT, MANIFEST, SnapshotServer
from newsbot.sources.sina_finance import ROLL_API, channel_by_key
from newsbot.spiders.sina_finance import RUNNING_MARKER, discard_killed_job
from tests.conftest import SEED_PAGE, SEED_URL, is_seed_post, needs_shared
from tests.servers import ROOT, run_newsbot, serve
from tests.test_crawl import crawl

BUNDLED = json.loads((BUNDLED_SNAPSHOT / MANIFEST).read_text(encoding="utf-8"))
CORRECTED = BUNDLED_SNAPSHOT.parent / "sina-finance-corrected"
CHINA, MACRO, WORLD = channel_by_key("china"), channel_by_key("macro"), channel_by_key("world")
A = "https://finance.sina.com.cn/china/gncj/2025-11-20/doc-infwqrta5120384.shtml"
B = "https://finance.sina.com.cn/china/2025-11-19/doc-infwmkzs8830621.shtml"
C = "https://finance.sina.com.cn/china/gncj/2025-11-18/doc-infvxtcq3391058.shtml"
D = "https://finance.sina.com.cn/world/gjcj/2025-11-20/doc-infwqrtc6613092.shtml"
E = "https://finance.sina.com.cn/world/2025-11-19/doc-infwmkzt1178346.shtml"
F = "https://finance.sina.com.cn/roll/2025-11-20/doc-infwqrtf4406627.shtml"
MOBILE = "https://finance.sina.cn/china/gncj/2025-11-18/detail-infvxtcq4402769.d.html"
NEWS = "https://news.sina.com.cn/c/2025-11-20/doc-infwqrtb2287415.shtml"


def page(url: str, **staging) -> dict:
    """The bundled snapshot's entry for an article ``url``, its file made absolute, plus ``staging``."""
    entry = dict(BUNDLED[url])
    entry["file"] = str(BUNDLED_SNAPSHOT / entry["file"])
    return {**entry, **staging}


def item(url: str, intime: int | str, mtime: int | str | None = None, title: str = "标题", **more) -> dict:
    """One roll-API item with the real field set, times as the API gives them."""
    fields = {
        "docid": "comos:" + url.rsplit("-", 1)[-1].split(".")[0][1:],
        "url": url,
        "wapurl": url,
        "title": title,
        "intro": "",
        "media_name": "新浪财经",
        "ctime": str(intime),
        "intime": intime,
        **({} if mtime is None else {"mtime": mtime}),
    }
    return {**fields, **more}


def roll(*items: dict, jsonp: str | None = None) -> dict:
    """A roll-API page entry holding ``items`` as JSON, or as JSONP with the callback ``jsonp``."""
    body = json.dumps(
        {"result": {"status": {"code": 0, "msg": "succ"}, "data": list(items)}}, ensure_ascii=False
    )
    if jsonp:
        body = f"try{{{jsonp}({body});}}catch(e){{}};"
    return {"body": body, "headers": {"Content-Type": "application/json; charset=utf-8"}}


def posts(out: Path) -> dict[str, bytes]:
    """The current posts under ``out`` by relative path (previous versions left out)."""
    return {
        path.relative_to(out).as_posix(): path.read_bytes()
        for path in out.rglob("*.md")
        if ".history" not in path.parts
    }


def history(out: Path) -> list[str]:
    """The previous versions kept under ``out/.history``."""
    return sorted(path.name for path in (out / ".history").rglob("*.md"))


def front(post: bytes, field: str) -> str:
    """One front-matter line's value (the first category line for ``categories``)."""
    lines = post.decode("utf-8").splitlines()
    if field == "categories":
        return lines[lines.index("categories: ") + 3].strip(" -")
    return next(line.split(": ", 1)[1] for line in lines if line.startswith(f"{field}: "))


def test_the_roll_api_as_served_json_or_jsonp_strings_or_numbers_seconds_or_milliseconds(tmp_path):
    out = tmp_path / "archive"
    entries = {
        CHINA.roll_url(1): roll(
            item(A.replace("https://", "http://"), 1763604700),
            item("", "1763435111000", "1763435111000", wapurl=MOBILE),
            item("javascript:void(0)", 1763604700),
            item(B, "99999999999999999999"),
            "not an object",
            jsonp="feedCardJsonpCallback",
        ),
        CHINA.roll_url(2): roll(),
        WORLD.roll_url(1): {"body": "<html>系统繁忙</html>", "headers": {"Content-Type": "text/html"}},
        A: page(A),
        MOBILE: page(MOBILE),
        B: page(B),
    }
    warc = tmp_path / "crawl.warc.gz"
    with serve(entries, tmp_path) as server:
        _, summary = crawl(server, out, "--channels", "china,world", "--record", str(warc), exit_status=1)
    stats = summary["stats"]
    assert summary["new"] == 2 and B not in server.hits
    assert (stats["newsbot/failed/item"], stats["newsbot/failed/listing"], stats["newsbot/listings"]) == (
        3,
        1,
        3,
    )
    assert stats["newsbot/failed/item/no_url"] == 1
    assert stats["newsbot/failed/item/bad_time"] == 1
    assert stats["newsbot/failed/item/not_an_object"] == 1
    assert stats["newsbot/failed"] == 3
    written = posts(out)
    assert front(written["sina/2025/11/infwqrta5120384.md"], "date") == "Thu, 20 Nov 2025 02:11:40 GMT"
    assert front(written["sina/2025/11/infvxtcq4402769.md"], "date") == "Tue, 18 Nov 2025 03:05:11 GMT"

    roll_requests = []
    with gzip.open(warc, "rb") as stream:
        for record in ArchiveIterator(stream):
            uri = record.rec_headers.get_header("WARC-Target-URI")
            if record.rec_type == "request" and uri.startswith(ROLL_API):
                roll_requests.append(
                    (parse_qs(urlsplit(uri).query), record.http_headers.get_header("Referer"))
                )
    assert len(roll_requests) == 3
    for query, referer in roll_requests:
        assert referer == "https://news.sina.com.cn/"
        assert set(query) >= {"pageid", "lid", "num", "page", "r", "_"}
        assert 0 <= float(query["r"][0]) < 1 and abs(int(query["_"][0]) / 1000 - time.time()) < 600
    assert len({query["r"][0] for query, _ in roll_requests}) == 3


@needs_shared
def test_one_article_one_post_whatever_url_and_a_later_fetch_never_moves_its_date(tmp_path):
    out = tmp_path / "archive"
    seed_file = {"file": str(SEED_PAGE), "headers": {"Content-Type": "text/html; charset=utf-8"}}
    variants = [
        SEED_URL,
        SEED_URL.replace("https://", "http://"),
        "https://finance.sina.cn/2022-01-21/detail-ikyamrmz6500542.d.html",
        SEED_URL + "?cre=tianyi&mod=pcpager_fin&loc=1&r=0&rfunc=64&tj=cxvertical_pc_pager_spt&tr=174",
    ]
    entries = {
        CHINA.roll_url(1): roll(item(SEED_URL, "1642775013", "1642775013", wapurl=variants[2])),
        CHINA.roll_url(2): roll(),
        **dict.fromkeys(variants, seed_file),
    }
    with serve(entries, tmp_path) as server:
        _, summary = crawl(server, out, "--channels", "china")
        assert summary["new"] == 1
        stored = posts(out)
        assert list(stored) == ["sina/2022/01/ikyamrmz6500542.md"]
        assert is_seed_post(out / "sina/2022/01/ikyamrmz6500542.md")
        for url in variants:
            # The seed page shows 22:23 Beijing time; the archive keeps the listing's intime, 14:23:33 UTC.
            fetched = run_newsbot(
                "fetch",
                url,
                "-s",
                f"NEWSBOT_OUTPUT_DIR={out}",
                "-s",
                f"NEWSBOT_SNAPSHOT_ADDRESS={server.address}",
            )
            assert fetched.returncode == 0, fetched.stderr
            assert "already archived: " in fetched.stdout + fetched.stderr, url
            assert posts(out) == stored, url
            assert not (out / ".history").exists(), url
    assert [server.hits[url] for url in variants] == [2, 1, 1, 1]


def test_a_newer_mtime_revisits_and_updates_keeping_the_date_and_the_previous_version(tmp_path):
    out = tmp_path / "archive"
    corrected = tmp_path / "corrected.html"
    original = Path(page(A)["file"]).read_text(encoding="utf-8")
    corrected.write_text(original.replace("加快0.3个百分点", "加快0.1个百分点"), encoding="utf-8")

    def state(mtime: int, title: str = "统计局数据", file: Path | None = None) -> dict:
        entries = {CHINA.roll_url(1): roll(item(A, 1763604700, mtime, title)), A: page(A)}
        if file is not None:
            entries[A]["file"] = str(file)
        return entries

    with serve(state(1763604700), tmp_path / "1") as server:
        _, first = crawl(server, out, "--channels", "china", "--max-pages", "1")
    with serve(state(1763604700), tmp_path / "2") as server:
        _, same = crawl(server, out, "--channels", "china", "--max-pages", "1")
        assert A not in server.hits
    with serve(state(1763610000, file=corrected), tmp_path / "3") as server:
        _, newer = crawl(server, out, "--channels", "china", "--max-pages", "1")
        assert server.hits[A] == 1
    with serve(state(1763610000, "统计局数据（更正）", file=corrected), tmp_path / "4") as server:
        _, retitled = crawl(server, out, "--channels", "china", "--max-pages", "1")
        assert server.hits[A] == 1
    assert first["new"] == 1
    assert (same["stats"].get("newsbot/revisited", 0), same["updated"]) == (0, 0)
    assert (newer["stats"]["newsbot/revisited"], newer["updated"]) == (1, 1)
    assert (retitled["stats"]["newsbot/revisited"], retitled["updated"]) == (1, 0)
    post = posts(out)["sina/2025/11/infwqrta5120384.md"]
    assert "加快0.1个百分点" in post.decode() and front(post, "date") == "Thu, 20 Nov 2025 02:11:40 GMT"
    assert history(out) == ["infwqrta5120384.v1.md"]


def test_without_mtime_recent_articles_are_revisited_at_most_every_interval(tmp_path):
    out = tmp_path / "archive"
    yesterday = int((datetime.now(UTC) - timedelta(days=1)).timestamp())
    last_week = int((datetime.now(UTC) - timedelta(days=7)).timestamp())
    entries = {CHINA.roll_url(1): roll(item(A, yesterday), item(B, last_week)), A: page(A), B: page(B)}
    every_time = ("-s", "NEWSBOT_REVISIT_INTERVAL_HOURS=0")
    with serve(entries, tmp_path) as server:
        _, first = crawl(server, out, "--channels", "china", "--max-pages", "1")
        _, soon = crawl(server, out, "--channels", "china", "--max-pages", "1")
        _, later = crawl(server, out, "--channels", "china", "--max-pages", "1", *every_time)
        _, not_recent = crawl(
            server, out, "--channels", "china", "--max-pages", "1", *every_time,
            "-s", "NEWSBOT_REVISIT_RECENT_DAYS=0.5",
        )  # fmt: skip
    assert first["new"] == 2
    assert soon["stats"].get("newsbot/revisited", 0) == 0
    assert (later["stats"]["newsbot/revisited"], later["updated"], later["stats"]["newsbot/unchanged"]) == (
        1,
        0,
        1,
    )
    assert not_recent["stats"].get("newsbot/revisited", 0) == 0
    assert (server.hits[A], server.hits[B]) == (2, 1)


def test_an_article_listed_by_two_channels_gets_one_category_whatever_the_order(tmp_path):
    def entries(first: dict, second: dict) -> dict:
        return {
            CHINA.roll_url(1): roll(*first),
            CHINA.roll_url(2): roll(),
            WORLD.roll_url(1): roll(*second),
            WORLD.roll_url(2): roll(),
            D: page(D),
            NEWS: page(NEWS),
        }

    listed = [item(D, 1763596699), item(NEWS, 1763599531)]
    archives = []
    for number, (china, world) in enumerate([(listed, listed[::-1]), (listed[::-1], listed)]):
        out = tmp_path / f"archive-{number}"
        with serve(entries(china, world), tmp_path / str(number)) as server:
            crawl(server, out, "--channels", "world,china")
        archives.append(posts(out))
    assert archives[0] == archives[1]
    assert front(archives[0]["sina/2025/11/infwqrtc6613092.md"], "categories") == "新浪财经－全球市场"
    assert front(archives[0]["sina/2025/11/infwqrtb2287415.md"], "categories") == "新浪财经－国內"


def backfill_site() -> dict:
    """The china channel over five roll-API pages, one article a page, dated 2025 back to 2023."""
    dated = [(A, "2025-11-20"), (B, "2024-11-19"), (C, "2024-06-18"), (F, "2024-01-02"), (E, "2023-12-31")]
    entries = {}
    for number, (url, day) in enumerate(dated, start=1):
        stamp = int(datetime.fromisoformat(day).replace(hour=12, tzinfo=UTC).timestamp())
        entries[CHINA.roll_url(number)] = roll(item(url, str(stamp), str(stamp)))
        entries[url] = page(url)
    entries[CHINA.roll_url(6)] = roll()
    return entries


def test_since_pages_back_until_the_items_are_older_and_max_pages_caps_it(tmp_path):
    with serve(backfill_site(), tmp_path) as server:
        _, capped = crawl(
            server, tmp_path / "capped", "--channels", "china", "--since", "2024-01-01", "--max-pages", "2"
        )
        assert [server.hits[CHINA.roll_url(n)] for n in range(1, 4)] == [1, 1, 0]
        _, summary = crawl(server, tmp_path / "full", "--channels", "china", "--since", "2024-01-01")
        assert [server.hits[CHINA.roll_url(n)] for n in range(1, 7)] == [2, 2, 1, 1, 1, 0]
        _, again = crawl(server, tmp_path / "full", "--channels", "china", "--since", "2024-01-01")
    assert capped["new"] == 2
    assert summary["new"] == 4 and E not in server.hits
    assert (again["new"], again["articles requested"], again["stats"]["newsbot/listings"]) == (0, 0, 5)
    assert sorted(Path(path).stem for path in posts(tmp_path / "full")) == sorted(
        url.rsplit("-", 1)[-1].split(".")[0] for url in (A, B, C, F)
    )


def test_a_backfill_stops_where_the_feed_repeats_its_last_page(tmp_path):
    stamp = str(int(datetime(2025, 11, 20, tzinfo=UTC).timestamp()))
    entries = {CHINA.roll_url(1): roll(item(A, stamp)), A: page(A)}
    entries.update({CHINA.roll_url(n): roll(item(B, stamp)) for n in range(2, 6)})
    entries[B] = page(B)
    with serve(entries, tmp_path) as server:
        _, summary = crawl(server, tmp_path / "archive", "--channels", "china", "--since", "2024-01-01")
    assert summary["new"] == 2
    assert [server.hits[CHINA.roll_url(n)] for n in range(1, 5)] == [1, 1, 1, 0]


def long_backfill() -> tuple[list[str], dict]:
    """Every bundled article on a roll-API page of its own, each page answered a little late: its URLs and
    the snapshot entries."""
    urls = [url for url, entry in BUNDLED.items() if entry.get("file", "").startswith("pages/")]
    start = int(datetime(2025, 11, 20, tzinfo=UTC).timestamp())
    entries = {}
    for number, url in enumerate(urls, start=1):
        stamp = str(start - number * 3600)
        entries[CHINA.roll_url(number)] = roll(item(url, stamp, stamp))
        entries[url] = page(url, delay=0.15)
    entries[CHINA.roll_url(len(urls) + 1)] = roll()
    return urls, entries


def stop_mid_backfill(
    server: SnapshotServer,
    out: Path,
    args: list[str],
    how: signal.Signals,
    indexed: int = 5,
    settings: dict[str, str] | None = None,
) -> None:
    """Start a crawl (a backfill, with ``--since`` in ``args``) through ``server`` into ``out`` with the index
    ``settings``; send it ``how`` once ``indexed`` articles are indexed (posts are indexed in batches after they
    are written)."""
    process = subprocess.Popen(
        [
            sys.executable, "-c", "from newsbot.cli import main; main()", "crawl", "sina-finance",
            "-s", f"NEWSBOT_OUTPUT_DIR={out}", "-s", f"NEWSBOT_SNAPSHOT_ADDRESS={server.address}",
            "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", *args,
            *(f"-s{name}={value}" for name, value in (settings or {}).items()),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while (
            time.monotonic() < deadline
            and len(index_locations(out, settings) if out.is_dir() else []) < indexed
        ):
            time.sleep(0.05)
    finally:
        process.send_signal(how)
        process.wait(timeout=60)


def test_a_killed_backfill_resumes_with_its_jobdir_without_requesting_what_it_archived(tmp_path):
    urls, entries = long_backfill()
    jobdir, out, whole = tmp_path / "job", tmp_path / "archive", tmp_path / "whole"
    args = [
        "--channels",
        "china",
        "--since",
        "2024-01-01",
        "-s",
        f"JOBDIR={jobdir}",
        "-s",
        "CONCURRENT_REQUESTS=2",
    ]
    with serve(entries, tmp_path) as server:
        stop_mid_backfill(server, out, args, signal.SIGKILL)
        assert 5 <= len(posts(out)) < len(urls)
        archived = [path for _, path, _ in index_locations(out)]  # a post written as the kill came is not yet
        assert archived, "some were indexed before the kill"  # indexed: that one is rightly asked for again
        before = server.hits.copy()
        resumed, _ = crawl(server, out, *args)
        requested_again = {url for url in urls if server.hits[url] > before[url]}
        crawl(server, whole, "--channels", "china", "--since", "2024-01-01")
    archived_urls = {url for url in urls if any(Path(path).stem in url for path in archived)}
    asked_twice = sorted(requested_again & archived_urls)
    assert not asked_twice, "\n".join([*asked_twice, *resumed.stderr.splitlines()[-400:]])
    assert posts(out) == posts(whole) and len(posts(whole)) == len(urls)


def test_a_backfill_stopped_cleanly_takes_up_its_jobdir_queue_and_asks_nothing_twice(tmp_path):
    urls, entries = long_backfill()
    jobdir, out, whole = tmp_path / "job", tmp_path / "archive", tmp_path / "whole"
    args = [
        "--channels",
        "china",
        "--since",
        "2024-01-01",
        "-s",
        f"JOBDIR={jobdir}",
        "-s",
        "CONCURRENT_REQUESTS=2",
    ]
    with serve(entries, tmp_path) as server:
        stop_mid_backfill(server, out, args, signal.SIGINT)
        assert 5 <= len(posts(out)) < len(urls)
        _, resumed = crawl(server, out, *args)
        asked = server.hits.copy()
        crawl(server, whole, "--channels", "china", "--since", "2024-01-01")
    assert resumed["new"] + 5 <= len(urls)
    assert {url: n for url, n in asked.items() if n > 1 and not url.endswith("/robots.txt")} == {}
    assert posts(out) == posts(whole) and len(posts(whole)) == len(urls)


def test_the_bundled_snapshot_then_its_corrected_state_shows_one_update(tmp_path):
    out = tmp_path / "archive"
    first = run_newsbot("crawl", "sina-finance", "--snapshot", "-s", f"NEWSBOT_OUTPUT_DIR={out}")
    assert first.returncode == 0, first.stderr[-3000:]
    written = posts(out)
    summary = tmp_path / "summary.json"
    second = run_newsbot(
        "crawl", "sina-finance", "--snapshot", str(CORRECTED),
        "-s", f"NEWSBOT_OUTPUT_DIR={out}", "-s", f"NEWSBOT_SUMMARY_FILE={summary}",
    )  # fmt: skip
    assert second.returncode == 0, second.stderr[-3000:]
    stats = json.loads(summary.read_text(encoding="utf-8"))
    assert (stats["new"], stats["updated"], stats["stats"]["newsbot/revisited"]) == (0, 1, 1)
    changed = {path for path, data in posts(out).items() if written[path] != data}
    assert changed == {"sina/2025/11/infwqrta5120384.md"}
    assert "已更正" in posts(out)["sina/2025/11/infwqrta5120384.md"].decode()
    assert history(out) == ["infwqrta5120384.v1.md"]


def bundled_with_last_pages_late(delay: float) -> dict:
    """The bundled snapshot's entries, files made absolute, each channel's last roll-API page past the first
    answered ``delay`` seconds late: a crawl has indexed every article long before it can finish."""
    entries = {url: page(url) if "file" in entry else entry for url, entry in BUNDLED.items()}
    last: dict[tuple[str, str], tuple[int, str]] = {}
    for url in entries:
        if url.startswith(ROLL_API):
            query = parse_qs(urlsplit(url).query)
            feed, number = (query["pageid"][0], query["lid"][0]), int(query["page"][0])
            last[feed] = max(last.get(feed, (0, url)), (number, url))
    for number, url in last.values():
        if number > 1:
            entries[url] = {**entries[url], "delay": delay}
    return entries


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_crawl_killed_after_indexing_its_posts_still_takes_the_corrections_of_the_next_listing(
    tmp_path, request, backend
):
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    settings: dict[Path, dict[str, str]] = {whole: {}, killed: {}}
    if backend == "postgresql":
        databases = request.getfixturevalue("postgres_server")
        settings = {out: {"NEWSBOT_INDEX_URL": databases.new_database()} for out in settings}
    options = {out: [f"-s{name}={value}" for name, value in settings[out].items()] for out in (whole, killed)}
    with serve(bundled_with_last_pages_late(0), tmp_path / "on time") as server:
        crawl(server, whole, *options[whole])
    archived = len(index_locations(whole, settings[whole]))
    with serve(bundled_with_last_pages_late(30), tmp_path / "late") as server:
        stop_mid_backfill(server, killed, [], signal.SIGKILL, indexed=archived, settings=settings[killed])
    assert len(index_locations(killed, settings[killed])) == archived and posts(killed) == posts(whole)
    counts = {}
    for out in (whole, killed):
        summary = out.parent / f"{out.name}-corrected.json"
        done = run_newsbot(
            "crawl", "sina-finance", "--snapshot", str(CORRECTED), *options[out],
            "-s", f"NEWSBOT_OUTPUT_DIR={out}", "-s", f"NEWSBOT_SUMMARY_FILE={summary}",
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
        stats = json.loads(summary.read_text(encoding="utf-8"))
        counts[out.name] = (stats["new"], stats["updated"], stats["revisited"])
    assert counts["killed"] == counts["whole"] and counts["whole"][1] >= 1
    assert posts(killed) == posts(whole)


def test_a_killed_runs_torn_queue_and_state_are_dropped_a_clean_ones_kept(tmp_path):
    (tmp_path / "requests.queue").mkdir()
    (tmp_path / "requests.queue" / "p0").write_bytes(b"\x00\x00")
    (tmp_path / "spider.state").write_bytes(b"saved")
    assert not discard_killed_job(tmp_path)
    assert (tmp_path / "requests.queue" / "p0").exists() and (tmp_path / "spider.state").exists()
    (tmp_path / RUNNING_MARKER).touch()
    assert discard_killed_job(tmp_path)
    assert not (tmp_path / "requests.queue").exists() and not (tmp_path / "spider.state").exists()


def test_since_keeps_a_list_page_s_links_whose_url_day_is_not_over_before_it(tmp_path):
    futures = channel_by_key("futures")
    links = "".join(f'<li><a href="{url}">{url[-12:]}</a></li>' for url in (A, B, C))
    listing = {"body": f"<html><body><ul>{links}</ul></body></html>", "headers": {"Content-Type": "text/html"}}
    entries = {futures.list_url: listing, A: page(A), B: page(B), C: page(C)}
    with serve(entries, tmp_path) as server:
        _, summary = crawl(server, tmp_path / "archive", "--channels", "futures", "--since", "2025-11-19")
        assert (server.hits[futures.list_url], server.hits[A], server.hits[B], server.hits[C]) == (1, 1, 1, 0)
        assert (summary["new"], summary["articles requested"]) == (2, 2)
        _, everything = crawl(server, tmp_path / "archive", "--channels", "futures")
    assert (server.hits[C], everything["new"]) == (1, 1)
    assert sorted(Path(path).stem for path in posts(tmp_path / "archive")) == sorted(
        url.rsplit("-", 1)[-1].split(".")[0] for url in (A, B, C)
    )
