import random

import pytest

from newsbot.schedule import RunResult, exclusive, next_delay, parse_duration, schedule


@pytest.mark.parametrize(
    ("text", "seconds"), [("90", 90), ("90s", 90), ("15m", 900), ("1.5h", 5400), ("1d", 86400)]
)
def test_parse_duration(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "0", "-5m", "15 minutes", "m"])
def test_parse_duration_refuses(text):
    with pytest.raises(ValueError):
        parse_duration(text)


def test_next_delay_stays_within_jitter_and_counts_run_time():
    rng = random.Random(1)
    delays = [next_delay(100, 0.1, 0, rng) for _ in range(200)]
    assert min(delays) >= 90 and max(delays) <= 110 and len(set(delays)) > 100
    assert next_delay(100, 0.0, 30, rng) == 70
    assert next_delay(100, 0.0, 130, rng) == 0


def test_schedule_runs_one_at_a_time_and_survives_failed_run():
    outcomes = iter([RunResult(1, 0.5, {}), RunResult(0, 0.5, {"new": 2}), RunResult(0, 0.5, {"new": 0})])
    running = []
    sleeps = []

    def run(number):
        assert number == len(sleeps) + 1
        assert not running
        running.append(1)
        try:
            return next(outcomes)
        finally:
            running.pop()

    results = schedule(run, 10, jitter=0, runs=3, sleep=sleeps.append)
    assert [r.ok for r in results] == [False, True, True]
    assert sleeps == [9.5, 9.5]
    assert results[0].line(1) == "run 1: FAILED (exit 1) after 0.5s: no summary, no error logged"
    assert results[1].line(2).startswith("run 2: new=2 updated=0 skipped=0")


def test_exclusive_lock_refuses_a_second_holder(tmp_path):
    lock = tmp_path / ".newsbot" / "schedule.lock"
    with exclusive(lock), pytest.raises(BlockingIOError), exclusive(lock):
        pass
    with exclusive(lock):
        pass
