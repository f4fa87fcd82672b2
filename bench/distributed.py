"""Crawl workers sharing one frontier (Redis) and one index (PostgreSQL): articles/s and peak memory by workers.

One generated snapshot (``bench.pages``) served once on 127.0.0.1, delays off. First the single-process crawl
with its SQLite index (the default), then 1, 2, 3... workers with ``REDIS_URL`` and ``NEWSBOT_INDEX_URL``,
each run into an empty folder, a flushed Redis and a new database. Each line: articles archived, wall time
from the first start to the last exit, articles/s, the peak RSS of the largest worker and of all together.
``--kill redis|postgres`` instead kills that server once two workers have stored ``--kill-after`` posts and
prints what the workers did (exit status, finish reason, first error line), then restarts the server (Redis
empty: it keeps nothing on disk here) and what one more worker archives then.

``python -m bench.distributed [--count 5000] [--workers 1,2,3] [--kill redis|postgres]``
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

from bench.faults import posts
from bench.pages import read_truth, write_snapshot
from newsbot.snapshot_server import SnapshotServer
from tests.services import PostgresServer, RedisServer, start_postgres, start_redis

ROOT = Path(__file__).resolve().parents[1]


def command(address: str, output: Path, workers: int) -> list[str]:
    return [
        *(sys.executable, "-c", "from newsbot.cli import main; main()", "crawl", "sina-finance"),
        *(
            "--max-pages",
            "10000",
            "-s",
            f"NEWSBOT_SNAPSHOT_ADDRESS={address}",
            "-s",
            f"NEWSBOT_OUTPUT_DIR={output}",
        ),
        *("-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "LOG_LEVEL=INFO"),
        *("-s", f"NEWSBOT_WORKERS={workers}", "-s", "NEWSBOT_WORKER_TIMEOUT=10"),
    ]


def launch(
    address: str, output: Path, workers: int, env: dict[str, str], logs: Path
) -> list[subprocess.Popen]:
    environment = {**os.environ, **env, "PYTHONPATH": str(ROOT)}
    environment.pop("SCRAPY_SETTINGS_MODULE", None)
    logs.mkdir(parents=True, exist_ok=True)
    return [
        subprocess.Popen(
            command(address, output, workers),
            cwd=ROOT,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=(logs / f"worker{n}.log").open("w"),
        )
        for n in range(workers)
    ]


def reap(processes: list[subprocess.Popen]) -> list[tuple[int, int]]:
    """Wait for every process: (exit status, peak RSS in KiB) each."""
    done = []
    for process in processes:
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        done.append((process.returncode, usage.ru_maxrss))
    return done


def run(address: str, output: Path, workers: int, env: dict[str, str], logs: Path) -> str:
    started = time.perf_counter()
    ended = reap(launch(address, output, workers, env, logs))
    seconds = time.perf_counter() - started
    archived = len(posts(output))
    statuses = ",".join(str(status) for status, _ in ended)
    largest, together = max(rss for _, rss in ended) / 1024, sum(rss for _, rss in ended) / 1024
    return (
        f"{archived:,} articles in {seconds:.1f} s = {archived / seconds:.1f} articles/s;"
        f" peak RSS {largest:.0f} MiB largest worker, {together:.0f} MiB together; exit {statuses}"
    )


def first_error(log: Path) -> str:
    lines = [line for line in log.read_text(errors="replace").splitlines() if " ERROR: " in line]
    return lines[0][:200] if lines else "(no error line)"


def kill_server(
    which: str, address: str, folder: Path, redis_server: RedisServer, postgres: PostgresServer, after: int
) -> None:
    """Two workers; kill ``which`` once ``after`` posts are stored; report; restart it and run one worker."""
    env = {"REDIS_URL": redis_server.url, "NEWSBOT_INDEX_URL": postgres.new_database()}
    output, logs = folder / f"kill-{which}", folder / f"kill-{which}-logs"
    processes = launch(address, output, 2, env, logs)
    while len(posts(output) if output.is_dir() else []) < after:
        time.sleep(0.01)
    killed_at = len(posts(output))
    (redis_server if which == "redis" else postgres).stop()
    print(f"killed {which} at {killed_at} posts", flush=True)
    for number, (status, _) in enumerate(reap(processes)):
        log = logs / f"worker{number}.log"
        reason = re.search(r"'finish_reason': '(\w+)'", log.read_text(errors="replace"))
        print(
            f"  worker {number}: exit {status}, finish reason {reason[1] if reason else '(none logged)'},"
            f" first error: {first_error(log)}"
        )
    print(f"  {len(posts(output)):,} posts in the folder when the workers had stopped")
    if which == "redis":
        redis_server.restart(folder / "redis")
    else:
        postgres.restart()
        database = urlsplit(env["NEWSBOT_INDEX_URL"]).path.lstrip("/")
        env["NEWSBOT_INDEX_URL"] = postgres.server.get_uri(database)
    ((status, _),) = reap(launch(address, output, 1, env, folder / f"kill-{which}-rerun"))
    truth = read_truth(folder / "snapshot")
    names = Counter(path.stem for path in posts(output))
    doubled = sum(1 for count in names.values() if count > 1)
    lost = sum(1 for article in truth if article["doc_id"] not in names)
    print(
        f"  after restarting {which}, one worker: exit {status} ({first_error(folder / f'kill-{which}-rerun' / 'worker0.log')}); {len(names):,} of {len(truth):,} articles"
        f" archived, {lost} missing, {doubled} stored twice"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=5000, help="generated article pages")
    parser.add_argument("--workers", default="1,2,3", help="comma-separated worker counts")
    parser.add_argument("--kill", choices=("redis", "postgres"), help="kill this server mid-crawl instead")
    parser.add_argument("--kill-after", type=int, default=200, help="posts stored before the kill")
    parser.add_argument(
        "--keep", action="store_true", help="keep the folder (snapshot, archives, worker logs)"
    )
    options = parser.parse_args()
    kept = contextlib.nullcontext(tempfile.mkdtemp(prefix="newsbot-distributed-")) if options.keep else None
    with kept or tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        if options.keep:
            print(f"folder: {folder}")
        write_snapshot(folder / "snapshot", options.count)
        print(
            f"{len(read_truth(folder / 'snapshot')):,} generated articles; {os.cpu_count()} cores", flush=True
        )
        redis_server, postgres = start_redis(folder / "redis"), start_postgres()
        try:
            with SnapshotServer(folder / "snapshot") as server:
                if options.kill:
                    kill_server(
                        options.kill, server.address, folder, redis_server, postgres, options.kill_after
                    )
                    return
                alone = run(
                    server.address,
                    folder / "alone",
                    1,
                    {"REDIS_URL": "", "NEWSBOT_INDEX_URL": ""},
                    folder / "l0",
                )
                print(f"single process, SQLite index, no Redis: {alone}", flush=True)
                for workers in map(int, options.workers.split(",")):
                    redis_server.client().flushall()
                    env = {"REDIS_URL": redis_server.url, "NEWSBOT_INDEX_URL": postgres.new_database()}
                    figures = run(
                        server.address, folder / f"w{workers}", workers, env, folder / f"l{workers}"
                    )
                    print(f"{workers} worker(s), Redis frontier, PostgreSQL index: {figures}", flush=True)
        finally:
            redis_server.stop()
            postgres.cleanup()


if __name__ == "__main__":
    main()
