"""End-to-end crawl speed on generated Sina pages, against the floor and the peers, with a profile by stage.

One snapshot server (``bench.pages``, served on 127.0.0.1 from a process of its own) answers every run. Each run
is its own process, so its peak memory is its own (``VmHWM``, the peak resident set the kernel keeps per process
image: ``ru_maxrss`` of a child would also count the parent's pages from before its ``exec``; the crawl's page
workers apart) and its CPU time that of the process and the page workers it ran: the ``sina-finance`` spider with
newsbot's settings, as ``newsbot crawl sina-finance`` runs it, through the whole path (download, extract,
normalise, dedupe, store); a bare Scrapy spider that downloads the same listings and pages with the same settings
and does nothing else; ``lxml.html.fromstring`` of each page alone; the crawl again
in-process under pyinstrument, its time split by stage; and newsbot's extraction beside trafilatura's and
newspaper4k's on a sample of the pages, scored against the generated text.

``python -m bench.throughput [--count 5000] [--snapshot DIR] [--peer-sample 300] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import scrapy
from scrapy.http import Response

from bench.pages import ROLL_PAGE_SIZE, read_truth, write_snapshot
from newsbot.snapshot_server import MANIFEST, SnapshotServer
from newsbot.sources.sina_finance import CHANNELS, Channel

ROOT = Path(__file__).resolve().parents[1]
SAME_PACE = {"DOWNLOAD_DELAY": "0", "AUTOTHROTTLE_ENABLED": "False", "LOG_LEVEL": "WARNING"}
STAGES = (
    (
        "extract",
        ("newsbot/extraction.py", "newsbot/sites/", "newsbot/charset.py", "newsbot/dates.py", "newsbot/trees.py"),
    ),
    ("normalise", ("newsbot/pipelines/normalise.py", "newsbot/body.py")),
    (
        "dedupe",
        ("newsbot/pipelines/dedupe.py", "newsbot/fingerprint.py", "newsbot/identity.py", "newsbot/index/"),
    ),
    ("store", ("newsbot/pipelines/store.py", "newsbot/storage.py", "newsbot/post.py")),
    ("listing", ("newsbot/spiders/", "newsbot/sources/")),
)


def settings_args(settings: dict[str, str]) -> list[str]:
    return [arg for name, value in settings.items() for arg in ("-s", f"{name}={value}")]


def run_child(args: list[str]) -> tuple[float, str]:
    """Run a child process: wall seconds and its standard output."""
    started = time.perf_counter()
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{args[2:5]} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return time.perf_counter() - started, done.stdout


def peak_memory_mib() -> float:
    """This process's peak resident memory since it started its program, in MiB."""
    status = Path("/proc/self/status").read_text()
    return int(status.split("VmHWM:", 1)[1].split()[0]) / 1024


def report(result: dict[str, Any]) -> None:
    """A child's result as the last line of its output, with its peak memory and CPU seconds (the whole process,
    start-up included, and the page worker processes it ran)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = time.process_time() + children.ru_utime + children.ru_stime
    print(json.dumps({**result, "peak_mib": peak_memory_mib(), "cpu": cpu}))


def crawl_settings(address: str, output: Path) -> dict[str, str]:
    return {"NEWSBOT_SNAPSHOT_ADDRESS": address, "NEWSBOT_OUTPUT_DIR": str(output), **SAME_PACE}


class BareDownloadSpider(scrapy.Spider):
    """Download the roll-API pages and the article pages they list; keep nothing."""

    name = "bare-download"

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for channel in CHANNELS:
            if channel.roll_url(1):
                yield self.listing(channel, 1)

    def listing(self, channel: Channel, page: int) -> scrapy.Request:
        return scrapy.Request(
            channel.roll_url(page, ROLL_PAGE_SIZE), cb_kwargs={"channel": channel, "page": page}
        )

    def parse(self, response: Response, channel: Channel, page: int) -> Iterator[scrapy.Request]:
        data = json.loads(response.text)["result"]["data"]
        for entry in data:
            yield scrapy.Request(entry["url"], callback=self.downloaded)
        if data:
            yield self.listing(channel, page + 1)

    def downloaded(self, response: Response) -> None:
        self.crawler.stats.inc_value("bench/articles")


def in_process_crawl(spider: type[scrapy.Spider] | str, settings: dict[str, Any], **kwargs: Any) -> dict:
    """Run one spider with newsbot's settings in this process; its final stats."""
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "newsbot.settings")
    project = get_project_settings()
    project.setdict(settings, priority="cmdline")
    process = CrawlerProcess(project, install_root_handler=False)
    crawler = process.create_crawler(spider)
    process.crawl(crawler, **kwargs)
    process.start()
    return crawler.stats.get_stats()


def child_crawl(address: str, output: str) -> None:
    stats = in_process_crawl("sina-finance", crawl_settings(address, Path(output)), max_pages=10**6)
    seconds = (stats["finish_time"] - stats["start_time"]).total_seconds()
    dropped = {
        name: value for name, value in stats.items() if name.startswith(("newsbot/failed", "newsbot/dup"))
    }
    report({"articles": stats.get("newsbot/new", 0), "seconds": seconds, "dropped": dropped})


def child_bare(address: str) -> None:
    settings = {**crawl_settings(address, Path(tempfile.mkdtemp())), "ITEM_PIPELINES": {}}
    stats = in_process_crawl(BareDownloadSpider, settings)
    seconds = (stats["finish_time"] - stats["start_time"]).total_seconds()
    report({"articles": stats.get("bench/articles", 0), "seconds": seconds})


def child_parse(folder: str) -> None:
    import lxml.html

    manifest = json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))
    spent = 0.0
    pages = 0
    for url in (entry["url"] for entry in read_truth(Path(folder))):
        data = (Path(folder) / manifest[url]["file"]).read_bytes()
        started = time.perf_counter()
        lxml.html.fromstring(data)
        spent += time.perf_counter() - started
        pages += 1
    report({"articles": pages, "seconds": spent})


def stage_of(path: str | None) -> str | None:
    path = (path or "").replace(os.sep, "/")
    for stage, parts in STAGES:
        if any(part in path for part in parts):
            return stage
    return None


def package_of(path: str | None) -> str:
    """Where code outside newsbot's stages comes from: a site-packages package, the standard library, or other."""
    path = (path or "").replace(os.sep, "/")
    if "/site-packages/" in path:
        return path.split("/site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    if path.startswith(sys.base_prefix) or path.startswith("<frozen"):
        return "standard library"
    if path.startswith("<built-in"):
        return "C built-ins"
    return "other"


def own_times(root: Any) -> Iterator[tuple[Any, str | None, float]]:
    """Each real frame of a pyinstrument tree with its nearest stage (its own or a caller's) and its own time."""
    stack = [(root, None)]
    while stack:
        frame, inherited = stack.pop()
        stage = stage_of(frame.file_path) or inherited
        children = [child for child in frame.children if not child.is_synthetic]
        yield frame, stage, frame.time - sum(child.time for child in children)
        stack.extend((child, stage) for child in children)


def split_by_stage(root: Any) -> Counter[str]:
    """Seconds by stage; time outside newsbot's stages by package, the event loop's wait on sockets apart."""
    seconds: Counter[str] = Counter()
    for frame, stage, own in own_times(root):
        waiting = frame.function == "select" and (frame.file_path or "").endswith("selectors.py")
        if waiting or (frame.function.endswith(".poll") and (frame.file_path or "").startswith("<built-in")):
            seconds["idle (event loop waiting on sockets)"] += own
        else:
            seconds[stage or f"framework: {package_of(frame.file_path)}"] += own
    total = sum(seconds.values())
    small = [name for name, spent in seconds.items() if name.startswith("framework") and spent < total / 100]
    for name in small:
        seconds["framework: other libraries"] += seconds.pop(name)
    return seconds


def hottest(root: Any, count: int = 12) -> list[tuple[str, str, float]]:
    """The functions with the most time of their own: stage (or package), function, seconds."""
    seconds: Counter[tuple[str, str]] = Counter()
    for frame, stage, own in own_times(root):
        name = f"{frame.function} ({frame.file_path_short}:{frame.line_no})"
        seconds[(stage or package_of(frame.file_path), name)] += own
    return [(stage, name, spent) for (stage, name), spent in seconds.most_common(count)]


def child_profile(address: str) -> None:
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.001, async_mode="disabled")
    profiler.start()
    stats = in_process_crawl(
        "sina-finance", crawl_settings(address, Path(tempfile.mkdtemp())), max_pages=10**6
    )
    root = profiler.stop().root_frame()
    posts = stats.get("newsbot/new", 0)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    workers = children.ru_utime + children.ru_stime
    print(
        json.dumps(
            {"stages": dict(split_by_stage(root)), "posts": posts, "hot": hottest(root), "workers": workers}
        )
    )


def child_serve(folder: str) -> None:
    with SnapshotServer(folder) as server:
        print(server.address, flush=True)
        sys.stdin.read()


@contextmanager
def snapshot_process(folder: Path) -> Iterator[str]:
    """The snapshot served from a process of its own (its memory and CPU apart from the measured runs)."""
    child = subprocess.Popen(
        me("--child", "serve", str(folder)),
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        yield child.stdout.readline().strip()
    finally:
        child.stdin.close()
        child.wait()


def _chars(text: str) -> Counter[str]:
    return Counter("".join(text.split()))


def score(found: str, expected: str) -> tuple[float, float]:
    """Character-level precision and recall of extracted text against the expected text, whitespace aside."""
    got, want = _chars(found), _chars(expected)
    common = sum((got & want).values())
    return common / max(1, sum(got.values())), common / max(1, sum(want.values()))


def newsbot_extract(html: str, url: str) -> tuple[str, str, datetime | None]:
    from newsbot import body
    from newsbot.extraction import article_from_page
    from newsbot.fingerprint import body_text
    from newsbot.sites import site_for_url

    article = article_from_page(html, url, site_for_url(url))
    normalised, _ = body.normalise(article["body_html"], url)
    return article["title"], body_text(normalised), article["published"]


def trafilatura_extract(html: str, url: str) -> tuple[str, str, datetime | None]:
    import trafilatura

    document = trafilatura.bare_extraction(html, url=url, with_metadata=True, as_dict=True)
    if not document:
        return "", "", None
    date = document.get("date")
    return document.get("title") or "", document.get("text") or "", _day(date)


def newspaper_extract(html: str, url: str) -> tuple[str, str, datetime | None]:
    import newspaper

    article = newspaper.Article(url, language="zh", fetch_images=False)
    article.download(input_html=html)
    article.parse()
    return article.title or "", article.text or "", article.publish_date


def _day(text: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


PEERS: dict[str, Callable[[str, str], tuple[str, str, datetime | None]]] = {
    "newsbot": newsbot_extract,
    "trafilatura": trafilatura_extract,
    "newspaper4k": newspaper_extract,
}


def child_peers(folder: str, sample: str) -> None:
    import logging

    logging.disable(logging.WARNING)
    root = Path(folder)
    manifest = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
    truths = read_truth(root)[: int(sample)]
    results = {}
    for name, extract in PEERS.items():
        spent, precision, recall, titles, days, minutes = [], [], [], 0, 0, 0
        for truth in truths:
            html = (root / manifest[truth["url"]]["file"]).read_text(encoding="utf-8")
            started = time.perf_counter()
            try:
                title, text, published = extract(html, truth["url"])
            except Exception:
                title, text, published = "", "", None
            spent.append(time.perf_counter() - started)
            p, r = score(text, truth["text"])
            precision.append(p)
            recall.append(r)
            titles += title.strip() == truth["title"]
            expected = datetime.fromisoformat(truth["published"])
            if published is not None and published.tzinfo is None:
                published = published.replace(tzinfo=expected.tzinfo)
            if published is not None:
                days += published.astimezone(expected.tzinfo).date() == expected.date()
                minutes += published.replace(second=0) == expected.replace(second=0)
        results[name] = {
            "ms_per_page": 1000 * statistics.mean(spent),
            "precision": statistics.mean(precision),
            "recall": statistics.mean(recall),
            "titles": titles / len(truths),
            "days": days / len(truths),
            "minutes": minutes / len(truths),
        }
    print(json.dumps({"pages": len(truths), "results": results}))


def me(*args: str) -> list[str]:
    return [sys.executable, "-m", "bench.throughput", *args]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5000, help="generated article pages")
    parser.add_argument(
        "--snapshot", type=Path, help="a snapshot written by bench.pages (else one is generated)"
    )
    parser.add_argument("--peer-sample", type=int, default=300, help="pages each extractor is timed on")
    parser.add_argument("--repeat", type=int, default=3, help="crawl and bare download pairs; medians shown")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        {
            "serve": child_serve,
            "crawl": child_crawl,
            "bare": child_bare,
            "parse": child_parse,
            "profile": child_profile,
        }.get(kind, child_peers)(*rest)
        return
    with tempfile.TemporaryDirectory(prefix="newsbot-throughput-") as scratch:
        work = Path(scratch)
        folder = args.snapshot or work / "snapshot"
        if args.snapshot is None:
            write_snapshot(folder, args.count)
        run(folder, work, args.peer_sample, args.repeat)


def measured(args: list[str]) -> tuple[float, float, int, float, dict[str, int], float]:
    """Wall seconds, inside seconds, articles, peak MiB, drop counts and CPU seconds of one measured child."""
    wall, out = run_child(args)
    result = json.loads(out.splitlines()[-1])
    return (
        wall,
        result["seconds"],
        result["articles"],
        result["peak_mib"],
        result.get("dropped", {}),
        result["cpu"],
    )


def load() -> str:
    """The load averages over 1, 5 and 15 minutes, as ``uptime`` gives them."""
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def median_run(runs: list[tuple]) -> tuple:
    """The run with the median time from spider open to close."""
    return sorted(runs, key=lambda one: one[1])[len(runs) // 2]


def run(folder: Path, work: Path, peer_sample: int, repeat: int) -> None:
    pages = len(read_truth(folder))
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, {pages} generated article pages")
    crawls, bares = [], []
    with snapshot_process(folder) as address:
        for number in range(repeat):
            before = load()
            crawls.append(measured(me("--child", "crawl", address, str(work / f"crawl-{number}"))))
            bares.append(measured(me("--child", "bare", address)))
            print(
                f"pair {number + 1}: crawl {crawls[-1][1]:.2f} s, bare {bares[-1][1]:.2f} s,"
                f" {crawls[-1][1] / bares[-1][1]:.2f}x; load {before} -> {load()}",
                flush=True,
            )
        parse = measured(me("--child", "parse", str(folder)))
        profile = json.loads(run_child(me("--child", "profile", address))[1].splitlines()[-1])
    crawl, bare = median_run(crawls), median_run(bares)
    print()
    print(
        f"{'':38}{'wall s':>8}{'crawl s':>9}{'CPU s':>7}{'articles':>10}{'articles/s':>12}{'peak MiB':>10}"
        f"{'x bare':>8}"
    )
    rows = (
        ("newsbot crawl (end to end)", crawl),
        ("bare Scrapy spider (download only)", bare),
        ("lxml.html.fromstring only", parse),
    )
    for label, (wall_s, inner, articles, peak, _, cpu) in rows:
        print(
            f"{label:38}{wall_s:8.2f}{inner:9.2f}{cpu:7.2f}{articles:10d}{articles / inner:12.1f}{peak:10.0f}"
            f"{inner / bare[1]:8.2f}"
        )
    ratios = sorted(one[1] / other[1] for one, other in zip(crawls, bares, strict=True))
    print(
        f"end to end is {crawl[1] / bare[1]:.2f}x the bare download spider (medians of {repeat} pairs run back"
        f" to back, spider open to close; each pair: {', '.join(f'{ratio:.2f}' for ratio in ratios)})"
    )
    print(f"failures and duplicates in the crawl: {crawl[4] or 'none'}")
    total = sum(profile["stages"].values())
    print(
        f"\nwhere the crawl's time goes (pyinstrument, in-process run, {profile['posts']} posts, {total:.1f} s):"
    )
    for stage, seconds in sorted(profile["stages"].items(), key=lambda item: -item[1]):
        print(f"  {stage:40}{seconds:8.2f} s{100 * seconds / total:7.1f}%")
    print(
        f"  and beside it, the page worker processes (extract, normalise, fingerprint): {profile['workers']:.1f} s CPU"
    )
    print("functions with the most time of their own:")
    for stage, name, seconds in profile["hot"]:
        print(f"  {seconds:8.2f} s  {stage:28} {name}")
    if peer_sample:
        peers = json.loads(
            run_child(me("--child", "peers", str(folder), str(peer_sample)))[1].splitlines()[-1]
        )
        ours = peers["results"]["newsbot"]["ms_per_page"]
        print(f"\nextraction on {peers['pages']} of the same pages (text scored against the generated text):")
        print(
            f"  {'':14}{'ms/page':>9}{'x newsbot':>11}{'precision':>11}{'recall':>8}{'title':>7}{'day':>6}{'minute':>8}"
        )
        for name, result in peers["results"].items():
            print(
                f"  {name:14}{result['ms_per_page']:9.2f}{result['ms_per_page'] / ours:11.2f}"
                f"{result['precision']:11.3f}{result['recall']:8.3f}{result['titles']:7.2f}"
                f"{result['days']:6.2f}{result['minutes']:8.2f}"
            )


if __name__ == "__main__":
    main()
