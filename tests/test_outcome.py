"""The exit status and headline of a run, from its stats alone."""

from newsbot.outcome import EXIT_FAILED, EXIT_OK, run_outcome


def test_a_healthy_run_with_new_articles_is_ok():
    outcome = run_outcome({"newsbot/new": 3, "newsbot/updated": 1, "finish_reason": "finished"})
    assert outcome.exit_status == EXIT_OK
    assert outcome.headline("sina-finance") == "sina-finance: ok: 3 new, 1 updated"


def test_a_run_with_nothing_new_and_nothing_failed_is_ok():
    outcome = run_outcome({"newsbot/skipped_known": 25, "finish_reason": "finished"})
    assert (outcome.exit_status, outcome.reason) == (EXIT_OK, "nothing new")


def test_every_listing_failed_is_a_failure_even_with_nothing_else_counted():
    outcome = run_outcome({"newsbot/listings": 4, "newsbot/failed/listing": 4, "finish_reason": "finished"})
    assert outcome.exit_status == EXIT_FAILED
    assert outcome.headline("feed") == "feed: FAILED: every listing failed (4 of 4)"


def test_failures_with_nothing_archived_fail_the_run():
    outcome = run_outcome({"newsbot/failed": 2, "newsbot/unchanged": 5})
    assert (outcome.exit_status, outcome.reason) == (EXIT_FAILED, "nothing archived, 2 failed")


def test_failures_above_the_share_fail_the_run_and_below_it_do_not():
    stats = {"newsbot/new": 6, "newsbot/failed": 3}
    assert run_outcome(stats, max_failure_share=0.25).exit_status == EXIT_FAILED
    assert run_outcome(stats, max_failure_share=0.5).exit_status == EXIT_OK


def test_an_alarm_or_an_early_stop_fails_an_otherwise_good_run():
    assert run_outcome({"newsbot/new": 9, "newsbot/alarms": 1}).reason == "1 monitor alarm"
    stopped = run_outcome({"newsbot/new": 9, "finish_reason": "shutdown"})
    forced = run_outcome({"newsbot/new": 9, "start_time": "2026-11-30T18:00:00"})
    assert (forced.exit_status, forced.reason) == (EXIT_FAILED, "the crawl did not finish (a forced shutdown)")
    assert (stopped.exit_status, stopped.reason) == (EXIT_FAILED, "the crawl stopped early (shutdown)")


def test_refused_listing_items_do_not_count_towards_the_share_but_do_when_nothing_was_archived():
    one_bad_item = {"newsbot/new": 2, "newsbot/failed": 1, "newsbot/failed/item": 1}
    assert run_outcome(one_bad_item).exit_status == EXIT_OK
    only_bad_items = {"newsbot/failed": 3, "newsbot/failed/item": 3}
    assert run_outcome(only_bad_items).reason == "nothing archived, 3 failed"
