"""Field coverage, the alarm rules, and the spidermon monitors at the close of real crawls on 127.0.0.1."""

import json
import re
import shutil
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from scrapy.utils.test import get_crawler

from newsbot.charset import decode_html
from newsbot.extraction import article_from_page
from newsbot.history import Run
from newsbot.monitors import checks
from newsbot.monitors.coverage import count_page, found_fields, refused_fields, site_coverage
from newsbot.sites import sina
from newsbot.sites.base import Extracted, NotAnArticle
from newsbot.snapshot_server import BUNDLED_SNAPSHOT, MANIFEST
from newsbot.validate import validate_tree
from tests.conftest import PAGES, needs_shared
from tests.servers import run_newsbot, serve
from tests.test_crawl import ARTICLES, BUNDLED, CHINA, roll

DEFAULTS = {"title": 0.9, "date": 0.9, "body": 0.9, "image": 0.0}
# Every headline and body class or id newsbot.sites.sina reads, as a redesign would rename them.
SINA_HEADLINES = ("main-title", "artibodyTitle", "art_tit_h1")
SINA_BODIES = ("artibody", "article", "art_content", "l17")
_CLASS_OR_ID = re.compile(rb"""\b(class|id)\s*=\s*(["']?)([^"'>]*)\2""")


def renamed(html: bytes, names: tuple[str, ...]) -> bytes:
    """``html`` with each of ``names`` among its class and id values renamed (``main-title-2027``...)."""
    wanted = {name.encode() for name in names}

    def rename(match: re.Match) -> bytes:
        tokens = [token + b"-2027" if token in wanted else token for token in match.group(3).split()]
        return match.group(1) + b"=" + match.group(2) + b" ".join(tokens) + match.group(2)

    return _CLASS_OR_ID.sub(rename, html)


def stats_of(counts: dict) -> dict:
    return {f"newsbot/coverage/{name}": value for name, value in counts.items()}


# Field coverage -----------------------------------------------------------------------------------------


def test_found_fields_of_an_extracted_page():
    dated = datetime(2025, 11, 20, 8, 0, tzinfo=UTC)
    with_image = Extracted(title="T", body_html='<p>text</p><img src="a.jpg">', published=dated)
    assert found_fields(with_image) == {"title", "date", "body", "image"}
    assert found_fields(Extracted(title="T", body_html='<p>text <img src=" "></p>')) == {"title", "body"}


def test_a_refused_page_had_the_fields_read_before_the_one_it_lacked():
    assert refused_fields("sina", "no article body: https://finance.sina.com.cn/x") == {"title"}
    assert refused_fields("sina", "no title: https://finance.sina.com.cn/x") == set()
    assert refused_fields("netease", "no article body") == {"title"}
    assert refused_fields("generic", "no title found") == {"body"}
    assert refused_fields("sina", "unparsable page: x: Document is empty") == set()


def test_every_page_read_is_counted_per_site_refused_or_not():
    crawler = get_crawler()
    stats = crawler.stats
    url = ARTICLES[0]
    html = decode_html((BUNDLED_SNAPSHOT / BUNDLED[url]["file"]).read_bytes(), None)
    article_from_page(html, url, stats=stats)
    with pytest.raises(NotAnArticle):
        article_from_page(renamed(html.encode(), SINA_BODIES).decode(), url, stats=stats)
    counts = site_coverage(stats.get_stats())["sina"]
    assert counts["pages"] == 2
    assert counts["refused"] == 1
    assert counts["title"] == 2
    assert counts["body"] == counts["date"] == 1
    assert stats.get_value("newsbot/coverage/pages") == 2


def test_count_page_without_fields_counts_the_page_only():
    stats = get_crawler().stats
    count_page(stats, "qq", [], refused=True)
    assert site_coverage(stats.get_stats()) == {
        "qq": {"pages": 1, "refused": 1, "title": 0, "date": 0, "body": 0, "image": 0}
    }


# Nothing garbage stored -----------------------------------------------------------------------------------


@needs_shared
def test_real_sina_pages_with_a_renamed_template_keep_their_title_or_are_refused():
    pages = sorted((PAGES / "sina").glob("*.htm*"))
    assert pages
    url = "https://finance.sina.com.cn/china/2025-11-20/doc-infwqrta5120384.shtml"
    for path in pages:
        raw = path.read_bytes()
        original = sina.extract(decode_html(raw, None), url)
        retitled = sina.extract(decode_html(renamed(raw, SINA_HEADLINES), None), url)
        assert retitled.title == original.title, path.name
        with pytest.raises(NotAnArticle):
            sina.extract(decode_html(renamed(raw, SINA_BODIES), None), url)


# Alarm rules ----------------------------------------------------------------------------------------------


def test_coverage_alarm_names_source_site_rules_and_field():
    stats = stats_of({"sina/pages": 25, "sina/title": 4, "sina/date": 25, "sina/body": 25, "sina/image": 3})
    (alarm,) = checks.coverage_alarms("sina-finance", stats, DEFAULTS, 5)
    assert alarm.startswith("sina-finance: sina: title found on 4 of 25 article pages (16 %")
    assert "its page layout may have changed" in alarm
    assert "newsbot/sites/sina.py" in alarm


def test_coverage_is_not_judged_on_too_few_pages():
    stats = stats_of({"sina/pages": 4, "sina/title": 0, "sina/body": 4})
    assert checks.coverage_alarms("sina-finance", stats, DEFAULTS, 5) == []
    assert checks.coverage_alarms("sina-finance", stats, DEFAULTS, 4)


def test_date_and_image_coverage_count_the_pages_read_in_full():
    stats = stats_of({"qq/pages": 20, "qq/refused": 10, "qq/title": 20, "qq/body": 10, "qq/date": 8})
    alarms = checks.coverage_alarms("qq-finance", stats, DEFAULTS, 5)
    assert [alarm.split(": ", 2)[2].split(" (")[0] for alarm in alarms] == [
        "date found on 8 of 10 article pages read in full",
        "body found on 10 of 20 article pages",
    ]
    assert all("newsbot/sites/qq.py" in alarm for alarm in alarms)


def test_a_site_module_sets_its_own_thresholds(monkeypatch):
    stats = stats_of({"sina/pages": 10, "sina/title": 10, "sina/body": 10, "sina/date": 10, "sina/image": 1})
    assert checks.coverage_alarms("sina-finance", stats, DEFAULTS, 5) == []
    monkeypatch.setattr(sina, "MIN_COVERAGE", {"image": 0.5}, raising=False)
    (alarm,) = checks.coverage_alarms("sina-finance", stats, DEFAULTS, 5)
    assert "image found on 1 of 10" in alarm
    assert checks.site_thresholds("sina", DEFAULTS)["image"] == 0.5
    assert checks.site_thresholds("generic", DEFAULTS) == DEFAULTS


def test_refusal_alarm_above_the_share():
    stats = stats_of({"pages": 10, "refused": 3, "sina/pages": 10, "sina/refused": 3})
    (alarm,) = checks.refusal_alarms("sina-finance", stats, 0.2, 5)
    assert alarm.startswith("sina-finance: 3 of 10 article pages refused as not an article (30 %")
    assert "sina (newsbot/sites/sina.py) 3" in alarm
    assert checks.refusal_alarms("sina-finance", stats, 0.3, 5) == []


def test_listing_alarm_above_the_share_of_counted_listings():
    assert checks.listing_alarms("feed-x", {"newsbot/listings": 4, "newsbot/failed/listing": 3}, 0.5)
    assert checks.listing_alarms("feed-x", {"newsbot/listings": 4, "newsbot/failed/listing": 2}, 0.5) == []
    assert checks.listing_alarms("feed-x", {"newsbot/failed/listing": 1}, 0.5) == []


def test_download_alarm_lists_the_reasons():
    stats = {
        "newsbot/article_requests": 20,
        "newsbot/failed/download": 6,
        "newsbot/failed/download/http_404": 4,
        "newsbot/failed/download/timeout": 2,
    }
    (alarm,) = checks.download_alarms("sina-finance", stats, 0.2, 5)
    assert alarm == (
        "sina-finance: 6 of 20 article downloads failed (30 %, at most 20 % expected): http_404 4, timeout 2"
    )
    assert checks.download_alarms("sina-finance", {**stats, "newsbot/article_requests": 40}, 0.2, 5) == []


def run(new: int, started: str = "2026-11-29T06:00:00+00:00") -> Run:
    return Run("sina-finance", started, started, 0, new=new)


def test_streak_alarm_after_n_runs_without_new():
    earlier = [run(0, "2026-11-29T06:00:00+00:00"), run(0, "2026-11-28T06:00:00+00:00")]
    (alarm,) = checks.streak_alarms("sina-finance", 0, earlier, 40, 3)
    assert alarm.startswith("sina-finance: no new article in 3 consecutive runs (since 2026-11-28T06:00")
    assert checks.streak_alarms("sina-finance", 1, earlier, 40, 3) == []
    assert checks.streak_alarms("sina-finance", 0, earlier[:1], 40, 3) == []
    assert checks.streak_alarms("sina-finance", 0, [run(0), run(2)], 40, 3) == []
    assert checks.streak_alarms("sina-finance", 0, earlier, 0, 3) == []
    assert checks.streak_alarms("sina-finance", 0, earlier, 40, 0) == []


# Monitors at the close of real crawls ---------------------------------------------------------------------


def redesigned_snapshot(tmp_path: Path) -> Path:
    """The bundled snapshot with Sina's headline and body classes renamed in every article page."""
    folder = tmp_path / "redesigned"
    shutil.copytree(BUNDLED_SNAPSHOT, folder)
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    for url, entry in manifest.items():
        if entry.get("file", "").startswith("pages/"):
            path = folder / entry["file"]
            path.write_bytes(renamed(path.read_bytes(), SINA_HEADLINES + SINA_BODIES))
            with pytest.raises(NotAnArticle):
                sina.extract(decode_html(path.read_bytes(), None), url)
    return folder


class Hook(BaseHTTPRequestHandler):
    """A webhook on 127.0.0.1 that keeps the JSON bodies posted to it."""

    received: list

    def do_POST(self) -> None:
        self.received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def webhook():
    Hook.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", Hook.received
    server.shutdown()
    server.server_close()


def test_a_sina_redesign_fails_the_run_names_the_fields_stores_nothing_and_notifies(tmp_path, webhook):
    url, received = webhook
    out = tmp_path / "archive"
    done = run_newsbot(
        "crawl",
        "sina-finance",
        "--snapshot",
        str(redesigned_snapshot(tmp_path)),
        "-s",
        f"NEWSBOT_OUTPUT_DIR={out}",
        "-s",
        "NEWSBOT_ALARM_ACTIONS=spidermon.contrib.actions.discord.notifiers.SendDiscordMessageSpiderFinished",
        "-s",
        f"SPIDERMON_DISCORD_WEBHOOK_URL={url}",
    )
    assert done.returncode == 1, done.stderr[-3000:]
    errors = [line for line in done.stderr.splitlines() if "[newsbot.monitors.suite] ERROR:" in line]
    pages = len([entry for entry in BUNDLED.values() if entry.get("file", "").startswith("pages/")])
    assert any(f"sina-finance: sina: body found on 0 of {pages} article pages" in line for line in errors)
    assert any(f"{pages} of {pages} article pages refused as not an article" in line for line in errors)
    assert not any("title found" in line for line in errors), "the title still comes from og:title"
    assert not list(out.rglob("*.md"))
    assert not [found for _, found in validate_tree(out) if found]
    assert received and "Field coverage" in json.dumps(received, ensure_ascii=False)

    status = run_newsbot("status", str(out))
    assert status.returncode == 1
    assert "FAILED" in status.stdout
    assert f"sina-finance: sina: body found on 0 of {pages} article pages" in status.stdout


def test_a_healthy_run_raises_no_alarm_and_sends_nothing(tmp_path, webhook):
    url, received = webhook
    out = tmp_path / "archive"
    done = run_newsbot(
        "crawl",
        "sina-finance",
        "--snapshot",
        "-s",
        f"NEWSBOT_OUTPUT_DIR={out}",
        "-s",
        "NEWSBOT_ALARM_ACTIONS=spidermon.contrib.actions.discord.notifiers.SendDiscordMessageSpiderFinished",
        "-s",
        f"SPIDERMON_DISCORD_WEBHOOK_URL={url}",
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "[newsbot.monitors.suite] ERROR" not in done.stderr
    assert "'newsbot/alarms'" not in done.stderr
    assert received == []


def test_failed_downloads_raise_an_alarm_by_reason(tmp_path):
    missing = [f"https://finance.sina.com.cn/china/2025-11-20/doc-infmissing{n:04d}.shtml" for n in range(6)]
    with serve({CHINA.roll_url(1): roll(*missing)}, tmp_path) as snapshot:
        done = run_newsbot(
            "crawl",
            "sina-finance",
            "--channels",
            "china",
            "-s",
            f"NEWSBOT_OUTPUT_DIR={tmp_path / 'archive'}",
            "-s",
            f"NEWSBOT_SNAPSHOT_ADDRESS={snapshot.address}",
            "-s",
            "DOWNLOAD_DELAY=0",
        )
    assert done.returncode == 1
    assert (
        "sina-finance: 6 of 6 article downloads failed (100 %, at most 20 % expected): http_404 6"
        in done.stderr
    )


def test_an_action_that_cannot_load_is_an_alarm_not_a_crash(tmp_path):
    out = tmp_path / "archive"
    done = run_newsbot(
        "crawl",
        "sina-finance",
        "--snapshot",
        "-s",
        f"NEWSBOT_OUTPUT_DIR={out}",
        "-s",
        "NEWSBOT_ALARM_ACTIONS=newsbot.no_such_module.Notify",
    )
    assert done.returncode == 1
    assert "ERROR: NEWSBOT_ALARM_ACTIONS: cannot load 'newsbot.no_such_module.Notify'" in done.stderr
    assert "Traceback" not in done.stderr
    assert "Spider.log() is deprecated" not in done.stderr
    assert len(list(out.rglob("*.md"))) == len(ARTICLES)
