"""The store's index batches under a real reactor: written in a thread of their own, grown while one is
written, and a batch the index refuses refused article by article as retryable."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import needs_shared
from tests.servers import ROOT

DRIVE_STORE = """
import json, sqlite3, sys, threading, time
from pathlib import Path
from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler
from twisted.internet import defer, task
from newsbot.ledger import RetryLater
from newsbot.pipelines.store import StorePipeline
from tests.conftest import SEED_PAGE, SEED_URL
from tests.postmaking import article_from_file

out, refused_batch = Path(sys.argv[1]), int(sys.argv[2])
seed = article_from_file(SEED_PAGE, SEED_URL)
batches = []

async def main(reactor):
    crawler = get_crawler(settings_dict={
        "NEWSBOT_OUTPUT_DIR": str(out), "NEWSBOT_INDEX_BATCH_SIZE": 4, "NEWSBOT_INDEX_BATCH_DELAY": 0.05,
    })
    crawler.stats.open_spider()
    store = StorePipeline.from_crawler(crawler)
    store.open_spider()
    record_many = store.index.record_many

    def recorded(entries, also=None):
        entries = list(entries)
        batches.append({"size": len(entries), "thread": threading.current_thread().name})
        time.sleep(0.3 if len(batches) == 1 else 0)
        if len(batches) == refused_batch:
            raise sqlite3.OperationalError("database is locked")
        return record_many(entries, also)

    store.index.record_many = recorded

    async def stored(number):
        item = seed.copy()
        item["key"] = f"{seed['key']}-{number}"
        item["url"] = f"{seed['url']}?copy={number}"
        item["body_hash"] = f"{number:032x}"
        item["simhash"] = number << 40
        await task.deferLater(reactor, number * 0.01, lambda: None)
        try:
            return ItemAdapter(await store.process_item(item))["status"]
        except RetryLater:
            return "retry later"
        except DropItem:
            return "dropped"

    outcomes = await defer.gatherResults([defer.ensureDeferred(stored(n)) for n in range(40)])
    await defer.maybeDeferred(store.close_spider)
    print(json.dumps({
        "outcomes": outcomes, "batches": batches, "main": threading.current_thread().name,
        "failed": crawler.stats.get_value("newsbot/failed/index", 0), "new": crawler.stats.get_value("newsbot/new", 0),
        "indexed": len(list(store.index.__class__(out).entries())),
        "threads": sorted(thread.name for thread in threading.enumerate()),
    }))

task.react(lambda reactor: defer.ensureDeferred(main(reactor)))
"""


def drive_store(out: Path, refused_batch: int) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", DRIVE_STORE, str(out), str(refused_batch)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])


@needs_shared
def test_index_batches_are_written_in_their_own_thread_and_grow_while_one_is_written(tmp_path):
    found = drive_store(tmp_path / "archive", refused_batch=0)
    assert found["outcomes"] == ["new"] * 40 and found["new"] == 40 and found["indexed"] == 40
    assert {batch["thread"] for batch in found["batches"]} == {"PoolThread-newsbot-store-0"}
    assert sum(batch["size"] for batch in found["batches"]) == 40
    assert found["batches"][0]["size"] == 4
    assert max(batch["size"] for batch in found["batches"][1:]) > 4
    assert "PoolThread-newsbot-store-0" not in found["threads"]


@needs_shared
def test_a_batch_the_index_refuses_is_refused_article_by_article_as_retryable_and_the_rest_stored(tmp_path):
    found = drive_store(tmp_path / "archive", refused_batch=2)
    refused = found["batches"][1]["size"]
    assert found["outcomes"].count("retry later") == refused == found["failed"]
    assert found["outcomes"].count("new") == 40 - refused == found["new"] == found["indexed"]
    assert "PoolThread-newsbot-store-0" not in found["threads"]
