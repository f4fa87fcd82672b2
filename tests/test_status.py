"""``newsbot status``: empty folders, the bundled snapshot's archive, the ledger's failures, JSON and HTML."""

import json
import re
import shutil
import sqlite3
from datetime import UTC, datetime

import lxml.html
import pytest

from newsbot.history import Run, RunHistory
from newsbot.index import index_path
from newsbot.snapshot_server import BUNDLED_SNAPSHOT
from newsbot.status import SourceStatus, chart_svg, report_days, source_statuses, status_table
from tests.servers import run_newsbot
from tests.test_crawl import ARTICLES

LEDGER_SCHEMA = (
    "CREATE TABLE failures (key TEXT PRIMARY KEY, url TEXT, source TEXT, context TEXT, attempts INTEGER,"
    " last_error TEXT, first_failed TEXT, last_failed TEXT, next_try TEXT, given_up INTEGER)"
)


@pytest.fixture(scope="module")
def snapshot_archive(tmp_path_factory):
    out = tmp_path_factory.mktemp("status") / "archive"
    done = run_newsbot("crawl", "sina-finance", "--snapshot", "-s", f"NEWSBOT_OUTPUT_DIR={out}")
    assert done.returncode == 0, done.stderr[-3000:]
    return out


def test_status_of_an_empty_folder(tmp_path):
    done = run_newsbot("status", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"no runs recorded in {tmp_path}"
    as_json = run_newsbot("status", str(tmp_path), "--json", "--html", str(tmp_path / "report.html"))
    assert json.loads(as_json.stdout) == {"sources": [], "uncounted_posts": 0}
    assert "no runs recorded" in (tmp_path / "report.html").read_text(encoding="utf-8")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["report.html"]


def test_status_of_a_missing_folder_is_one_usage_line(tmp_path):
    done = run_newsbot("status", str(tmp_path / "nowhere"))
    assert done.returncode == 2, "the same mistake as in validate, retry and reindex"
    assert done.stderr.strip() == f"newsbot status: error: no such folder: {tmp_path / 'nowhere'} (see: newsbot status -h)"


def test_status_of_the_snapshot_archive(snapshot_archive):
    done = run_newsbot("status", "-s", f"NEWSBOT_OUTPUT_DIR={snapshot_archive}")
    assert done.returncode == 0, done.stderr
    header, row = done.stdout.splitlines()
    assert header.split()[:3] == ["source", "last", "run"]
    cells = row.split()
    assert cells[0] == "sina-finance"
    assert cells[3] == "ok"
    assert cells[4:6] == [str(len(ARTICLES))] * 2
    assert cells[8:] == ["0", "0", "0"]


def test_status_json(snapshot_archive):
    done = run_newsbot("status", str(snapshot_archive), "--json")
    report = json.loads(done.stdout)
    (row,) = report["sources"]
    assert report["uncounted_posts"] == 0
    assert row["source"] == "sina-finance"
    assert (row["outcome"], row["exit_status"], row["alarms"]) == ("ok", 0, [])
    assert row["archived_day"] == row["archived_week"] == len(ARTICLES)
    assert datetime.fromisoformat(row["last_run"]) <= datetime.now(UTC)
    assert row["newest_post"].startswith("20")


def test_a_corrected_article_is_not_counted_as_archived_again(snapshot_archive, tmp_path):
    out = tmp_path / "archive"
    shutil.copytree(snapshot_archive, out)
    corrected = BUNDLED_SNAPSHOT.parent / "sina-finance-corrected"
    done = run_newsbot("crawl", "sina-finance", "--snapshot", str(corrected), "--archive", str(out))
    assert done.returncode == 0, done.stderr[-3000:]
    assert "1 updated" in done.stderr
    (row,) = json.loads(run_newsbot("status", str(out), "--json").stdout)["sources"]
    posts = len(list(out.glob("sina/*/*/*.md")))
    assert row["archived_day"] == row["archived_week"] == posts == len(ARTICLES)


def test_a_post_deleted_by_hand_and_restored_is_not_counted_as_archived_again(snapshot_archive, tmp_path):
    out = tmp_path / "archive"
    shutil.copytree(snapshot_archive, out)
    deleted = sorted(out.glob("sina/*/*/*.md"))[0]
    deleted.unlink()
    done = run_newsbot("crawl", "sina-finance", "--snapshot", "--archive", str(out))
    assert done.returncode == 0, done.stderr[-3000:]
    assert deleted.is_file()
    assert "sina-finance: ok: 0 new, 1 restored, 0 updated" in done.stderr
    assert re.search(r"^new +0\nrestored +1\nupdated +0$", done.stderr, re.MULTILINE), done.stderr[-2000:]
    text = run_newsbot("status", str(out))
    (row,) = json.loads(run_newsbot("status", str(out), "--json").stdout)["sources"]
    posts = len(list(out.glob("sina/*/*/*.md")))
    assert row["archived_day"] == row["archived_week"] == posts == len(ARTICLES)
    assert text.stdout.splitlines()[1].split()[4:6] == [str(posts)] * 2
    assert "archived by no finished run" not in text.stdout


def test_the_newest_post_is_the_archives_also_when_no_finished_run_met_it(snapshot_archive, tmp_path):
    out = tmp_path / "archive"
    shutil.copytree(snapshot_archive, out)
    with sqlite3.connect(index_path(out)) as db:
        (newest,) = db.execute("SELECT MAX(published) FROM entries").fetchone()
        db.execute("UPDATE runs SET newest = '2016-01-01T00:00:00+00:00'")  # its post came from a killed run
    (row,) = json.loads(run_newsbot("status", str(out), "--json").stdout)["sources"]
    assert row["newest_post"] == newest
    assert newest.startswith("2025-")


def test_status_json_gives_the_posts_no_finished_run_counted(snapshot_archive, tmp_path):
    out = tmp_path / "archive"
    shutil.copytree(snapshot_archive, out)
    with sqlite3.connect(index_path(out)) as db:
        db.execute("DELETE FROM runs WHERE id = (SELECT MAX(id) FROM runs)")
    posts = len(list(out.glob("sina/*/*/*.md")))
    text = run_newsbot("status", str(out)).stdout
    report = json.loads(run_newsbot("status", str(out), "--json").stdout)
    assert report == {"sources": [], "uncounted_posts": posts}
    assert text.splitlines()[-1].startswith(f"{posts} posts archived by no finished run")


def test_status_html_is_self_contained_with_a_chart(snapshot_archive, tmp_path):
    report = tmp_path / "status.html"
    done = run_newsbot("status", str(snapshot_archive), "--html", str(report), "--days", "7")
    assert done.returncode == 0, done.stderr
    text = report.read_text(encoding="utf-8")
    page = lxml.html.fromstring(text)
    assert page.xpath("//table//td")[0].text_content() == "sina-finance"
    assert len(page.xpath("//svg")) == 1
    assert not page.xpath("//script | //link | //*[@src]")
    svg = text[text.index("<svg") :]
    assert "sina-finance" in svg
    assert "Articles archived per day" in text


def test_the_ledger_failures_and_open_alarms_show(tmp_path):
    with RunHistory(tmp_path) as history:
        history.record(
            Run(
                "sina-finance",
                "2026-11-30T06:00:00+00:00",
                "2026-11-30T06:01:00+00:00",
                1,
                alarms=1,
                alarm_messages=("sina-finance: sina: body found on 0 of 9 article pages (0 %)",),
            )
        )
    with sqlite3.connect(index_path(tmp_path)) as db:
        db.execute(LEDGER_SCHEMA)
        db.executemany(
            "INSERT INTO failures (key, source, given_up) VALUES (?, ?, ?)",
            [
                ("a", "sina-finance", 0),
                ("b", "sina-finance", 0),
                ("c", "sina-finance", 1),
                ("d", "caixin", 0),
            ],
        )
    now = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    rows = source_statuses(tmp_path, now)
    assert [(row.source, row.retrying, row.given_up, row.outcome) for row in rows] == [
        ("caixin", 1, 0, "-"),
        ("sina-finance", 2, 1, "FAILED"),
    ]
    table = status_table(rows)
    assert table.endswith("open alarms:\n  sina-finance: sina: body found on 0 of 9 article pages (0 %)")
    done = run_newsbot("status", str(tmp_path))
    assert done.returncode == 1
    assert "FAILED" in done.stdout


def test_chart_has_a_bar_group_per_source_and_no_script():
    days = report_days(datetime(2026, 11, 30, 8, 0, tzinfo=UTC), 3)
    assert days == ["2026-11-28", "2026-11-29", "2026-11-30"]
    svg = chart_svg({"sina-finance": {"2026-11-29": 25}, "caixin": {"2026-11-30": 3}}, days)
    assert "<script" not in svg
    assert ">caixin</text>" in svg and ">sina-finance</text>" in svg
    assert "11-29" in svg


def test_a_row_without_runs_has_no_outcome():
    assert SourceStatus("caixin").outcome == "-"
