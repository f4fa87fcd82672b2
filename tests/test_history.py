"""The run history: the runs table, rows from a run's stats, and runs recorded across real crawls."""

import sqlite3
from datetime import UTC, datetime, timedelta

from newsbot.history import Run, RunHistory, open_history, run_from_stats, utc_text
from newsbot.index import index_path
from tests.servers import run_newsbot, serve
from tests.test_crawl import CHINA, A, B, page, roll

T0 = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)


def at(hours: float) -> str:
    return utc_text(T0 + timedelta(hours=hours))


def test_runs_are_recorded_and_read_back_newest_first(tmp_path, index_settings):
    with open_history(tmp_path, index_settings) as history:
        first = history.record(Run("sina-finance", at(0), at(0.1), 0, new=3, alarm_messages=("a", "b")))
        history.record(Run("caixin", at(1), at(1.1), 1, failed=2, alarms=1, alarm_messages=("caixin: x",)))
        history.record(Run("sina-finance", at(24), at(24.1), 0, new=1, updated=1, newest=at(23)))
    with open_history(tmp_path, index_settings, create=False) as history:
        assert history.sources() == ["caixin", "sina-finance"]
        latest, earliest = history.last_runs("sina-finance", 5)
        assert (latest.new, latest.updated, latest.newest) == (1, 1, at(23))
        assert earliest.id == first
        assert earliest.alarm_messages == ("a", "b")
        assert history.archived_since("sina-finance", T0 + timedelta(hours=12)) == 1
        assert history.archived_since("sina-finance", T0 - timedelta(days=1)) == 4
        assert history.ever_archived("sina-finance") == 4
        assert history.newest_post("sina-finance") == at(23)
        assert history.newest_post("caixin") is None
        assert history.archived_per_day(T0) == {
            "caixin": {"2026-11-20": 0},
            "sina-finance": {"2026-11-20": 3, "2026-11-21": 1},
        }


def test_reading_a_folder_without_history_creates_nothing(tmp_path, index_settings):
    with open_history(tmp_path, index_settings, create=False) as history:
        assert history.sources() == []
        assert history.last_runs("sina-finance", 3) == []
        assert history.archived_since("sina-finance", T0) == 0
    assert not index_path(tmp_path).exists()
    index_path(tmp_path).parent.mkdir(parents=True)
    sqlite3.connect(index_path(tmp_path)).close()
    with RunHistory(tmp_path, create=False) as history:
        assert history.sources() == []


def test_a_run_from_its_final_stats():
    stats = {
        "start_time": T0,
        "finish_time": T0 + timedelta(minutes=2),
        "finish_reason": "finished",
        "newsbot/new": 2,
        "newsbot/updated": 1,
        "newsbot/failed": 3,
        "newsbot/failed/not_an_article": 2,
        "newsbot/failed/listing": 1,
        "newsbot/alarms": 1,
        "newsbot/alarm_messages": ["sina-finance: sina: body found on 0 of 5 article pages"],
    }
    run = run_from_stats("sina-finance", stats, 0.25, newest=at(-1))
    assert run == Run(
        "sina-finance",
        "2026-11-20T06:00:00+00:00",
        "2026-11-20T06:02:00+00:00",
        1,
        new=2,
        updated=1,
        refused=2,
        failed=4,
        alarms=1,
        alarm_messages=("sina-finance: sina: body found on 0 of 5 article pages",),
        newest=at(-1),
    )
    assert run_from_stats("sina-finance", {**stats, "newsbot/alarms": 0}, 1.0).exit_status == 0


def crawl(snapshot, out, *settings: str):
    return run_newsbot(
        "crawl",
        "sina-finance",
        "--channels",
        "china",
        "--max-pages",
        "1",
        "-s",
        f"NEWSBOT_OUTPUT_DIR={out}",
        "-s",
        f"NEWSBOT_SNAPSHOT_ADDRESS={snapshot.address}",
        "-s",
        "DOWNLOAD_DELAY=0",
        "-s",
        "NEWSBOT_MAX_RUNS_WITHOUT_NEW=3",
        *settings,
    )


def test_runs_without_new_articles_raise_the_streak_alarm_on_the_nth(tmp_path):
    out = tmp_path / "archive"
    with serve({CHINA.roll_url(1): roll(A, B), A: page(A), B: page(B)}, tmp_path) as snapshot:
        statuses = [crawl(snapshot, out).returncode for _ in range(4)]
        fifth = crawl(snapshot, out, "-s", "NEWSBOT_MAX_RUNS_WITHOUT_NEW=0")
    assert statuses == [0, 0, 0, 1]
    assert fifth.returncode == 0
    with RunHistory(out, create=False) as history:
        runs = history.last_runs("sina-finance", 10)
    assert [run.new for run in reversed(runs)] == [2, 0, 0, 0, 0]
    assert [run.exit_status for run in reversed(runs)] == [0, 0, 0, 1, 0]
    (message,) = runs[1].alarm_messages
    assert message.startswith("sina-finance: no new article in 3 consecutive runs (since ")
    assert "earlier runs archived 2" in message
    assert runs[-1].newest is not None and runs[0].newest is None
    assert all(run.started <= run.finished for run in runs)
