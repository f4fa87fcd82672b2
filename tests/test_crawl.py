"""``newsbot crawl sina-finance`` with the real Scrapy downloader against snapshot servers on 127.0.0.1."""

import json
import os
import re
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import frontmatter
import pytest

from newsbot.fingerprint import body_text, simhash
from newsbot.items import Article
from newsbot.ledger import open_ledger
from newsbot.post import http_date
from newsbot.settings import ITEM_PIPELINES
from newsbot.snapshot_server import BUNDLED_SNAPSHOT, MANIFEST, SnapshotServer
from newsbot.sources.sina_finance import channel_by_key
from newsbot.validate import validate_tree
from tests.conftest import SEED_URL, SHARED, is_seed_post, needs_shared
from tests.raising_pipeline import RAISE_FOR_SETTING
from tests.servers import ROOT, run_newsbot, serve

BUNDLED = json.loads((BUNDLED_SNAPSHOT / MANIFEST).read_text(encoding="utf-8"))
ARTICLES = sorted(url for url, entry in BUNDLED.items() if entry.get("file", "").startswith("pages/"))
CHINA = channel_by_key("china")
WORLD = channel_by_key("world")
A, B, C, D = (
    "https://finance.sina.com.cn/china/gncj/2025-11-20/doc-infwqrta5120384.shtml",
    "https://finance.sina.com.cn/china/2025-11-19/doc-infwmkzs8830621.shtml",
    "https://finance.sina.com.cn/china/gncj/2025-11-18/doc-infvxtcq3391058.shtml",
    "https://finance.sina.com.cn/world/gjcj/2025-11-20/doc-infwqrtc6613092.shtml",
)


def page(url: str, **staging) -> dict:
    """The bundled snapshot's entry for an article ``url``, its file made absolute, plus ``staging``."""
    entry = dict(BUNDLED[url])
    entry["file"] = str(BUNDLED_SNAPSHOT / entry["file"])
    return {**entry, **staging}


def roll(*urls: str) -> dict:
    """A roll-API page entry listing ``urls``."""
    data = [{"url": url, "title": "", "ctime": "1763600000", "docid": url.rsplit("-", 1)[-1]} for url in urls]
    body = json.dumps({"result": {"status": {"code": 0, "msg": "succ"}, "data": data}})
    return {"body": body, "headers": {"Content-Type": "application/json; charset=utf-8"}}


def crawl(
    server: SnapshotServer, out: Path, *args: str, exit_status: int = 0, tracebacks: int = 0
) -> tuple[subprocess.CompletedProcess, dict]:
    """Crawl through ``server`` into ``out``, expecting ``exit_status`` and ``tracebacks`` logged tracebacks (of
    a faulty component); the finished process and its summary."""
    summary = out.parent / f"{out.name}-summary.json"
    done = run_newsbot(
        "crawl",
        "sina-finance",
        "-s",
        f"NEWSBOT_OUTPUT_DIR={out}",
        "-s",
        f"NEWSBOT_SNAPSHOT_ADDRESS={server.address}",
        "-s",
        "DOWNLOAD_DELAY=0",
        "-s",
        "AUTOTHROTTLE_ENABLED=False",
        "-s",
        f"NEWSBOT_SUMMARY_FILE={summary}",
        *args,
    )
    assert done.stderr.count("Traceback") == tracebacks, done.stderr[-3000:]
    assert done.returncode == exit_status, done.stderr[-3000:]
    return done, json.loads(summary.read_text(encoding="utf-8"))


def posts(out: Path) -> dict[str, bytes]:
    """Every post written under ``out`` by relative path, after checking none is partial or invalid."""
    assert not [path for path in out.rglob("*.tmp")]
    problems = {str(path): found for path, found in validate_tree(out) if found}
    assert not problems
    return {
        str(path.relative_to(out)): path.read_bytes()
        for path in out.rglob("*.md")
        if ".history" not in path.parts
    }


def readme_tree() -> dict[str, list[str]]:
    """The README's tree of the snapshot crawl's output folder: each folder (``output``, ``.newsbot``, ``sina``)
    with the names listed under it, and ``months``, every ``YYYY/MM`` it names."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme[readme.index("```\noutput/\n") + 4 :].split("```", 1)[0].splitlines()
    tree: dict[str, list[str]] = {"output": [], "months": re.findall(r"\b(\d{4}/\d{2})/", "\n".join(block))}
    parents = ["output"]
    for line in block[1:]:
        if "── " not in line:
            continue
        depth, name = line.index("── ") // 4, line.split("── ", 1)[1].split()[0].rstrip(",")
        del parents[depth + 1 :]
        tree[parents[depth]].append(name.rstrip("/"))
        if name.endswith("/"):
            parents.append(name.rstrip("/"))
            tree[parents[-1]] = []
    return tree


def test_bundled_snapshot_crawl_writes_one_valid_post_per_article(tmp_path):
    out = tmp_path / "archive"
    first = run_newsbot("crawl", "sina-finance", "--snapshot", "-s", f"NEWSBOT_OUTPUT_DIR={out}")
    assert first.returncode == 0, first.stderr[-3000:]
    tree = readme_tree()
    assert sorted(tree["output"]) == sorted(path.name for path in out.iterdir())
    assert sorted(tree[".newsbot"]) == sorted(path.name for path in (out / ".newsbot").iterdir())
    months = {"/".join(path.parts[-3:-1]) for path in (out / "sina").rglob("*.md")}
    assert set(tree["months"]) == months
    written = posts(out)
    assert len(written) == len(ARTICLES) > 0 and SEED_URL in ARTICLES
    assert {Path(path).stem for path in written} == {url.rsplit("-", 1)[-1].split(".")[0] for url in ARTICLES}
    assert f"sina-finance: ok: {len(ARTICLES)} new, 0 updated" in first.stderr
    validated = run_newsbot("validate", str(out))
    assert validated.returncode == 0, validated.stdout + validated.stderr

    second = run_newsbot("crawl", "sina-finance", "--snapshot", "-s", f"NEWSBOT_OUTPUT_DIR={out}")
    assert second.returncode == 0, second.stderr[-3000:]
    assert "sina-finance: ok: nothing new" in second.stderr
    assert posts(out) == written


def hexo_site(tmp_path: Path) -> Path:
    """A Hexo site of this test's own, reusing the shared site's installed packages when there are some."""
    site = tmp_path / "hexo-site"
    site.mkdir()
    installed = Path.home() / ".cache" / "archive-hexo-site" / "node_modules"
    if installed.is_dir() and (installed.parent / "package.json").is_file():
        (site / "node_modules").symlink_to(installed)
        shutil.copy(installed.parent / "package.json", site / "package.json")
    return site


@needs_shared
def test_bundled_snapshot_gives_back_the_seed_and_builds_with_hexo(tmp_path):
    out = tmp_path / "archive"
    with SnapshotServer(BUNDLED_SNAPSHOT) as server:
        crawl(server, out)
    post = out / "sina" / "2022" / "01" / "ikyamrmz6500542.md"
    assert is_seed_post(post), "not the seed's front matter and tree"
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed: the Hexo build of the archive cannot run")
    built = subprocess.run(
        ["bash", str(SHARED / "tools" / "hexo_build.sh"), str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "HEXO_SITE": str(hexo_site(tmp_path))},
    )
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]


def test_second_run_requests_no_article_and_stops_at_the_first_known_page(tmp_path):
    out = tmp_path / "archive"
    with SnapshotServer(BUNDLED_SNAPSHOT) as server:
        _, first = crawl(server, out)
        after_first = server.hits.copy()
        written = posts(out)
        _, second = crawl(server, out)
    assert (first["new"], first["articles requested"], first["failed"]) == (len(ARTICLES), len(ARTICLES), 0)
    assert all(after_first[url] == 1 for url in ARTICLES)
    assert after_first[CHINA.roll_url(2)] == after_first[CHINA.roll_url(3)] == 1
    assert (second["new"], second["updated"], second["articles requested"]) == (0, 0, 0)
    assert second["skipped"] > 0
    assert all(server.hits[url] == 1 for url in ARTICLES)
    assert server.hits[CHINA.roll_url(1)] == 2
    assert server.hits[CHINA.roll_url(2)] == 1
    assert posts(out) == written


def test_pagination_goes_on_while_a_page_holds_new_articles(tmp_path):
    out = tmp_path / "archive"
    first = {
        CHINA.roll_url(1): roll(A),
        CHINA.roll_url(2): roll(B),
        CHINA.roll_url(3): roll(),
        A: page(A),
        B: page(B),
    }
    with serve(first, tmp_path / "first") as server:
        _, summary = crawl(server, out, "--channels", "china")
    assert [server.hits[CHINA.roll_url(n)] for n in (1, 2, 3, 4)] == [1, 1, 1, 0]
    assert summary["new"] == 2
    later = {CHINA.roll_url(1): roll(C, A), CHINA.roll_url(2): roll(B), CHINA.roll_url(3): roll(), C: page(C)}
    with serve(later, tmp_path / "later") as server:
        _, summary = crawl(server, out, "--channels", "china")
    assert [server.hits[CHINA.roll_url(n)] for n in (1, 2, 3)] == [1, 1, 0]
    assert (summary["new"], summary["skipped"], summary["articles requested"]) == (1, 2, 1)
    assert len(posts(out)) == 3


def test_a_missing_article_is_counted_and_the_others_stored(tmp_path):
    out = tmp_path / "archive"
    missing = "https://finance.sina.com.cn/china/2025-11-20/doc-inotthere0000001.shtml"
    entries = {CHINA.roll_url(1): roll(A, missing, B), A: page(A), B: page(B)}
    with serve(entries, tmp_path) as server:
        done, summary = crawl(server, out, "--channels", "china", "--max-pages", "1", exit_status=1)
    assert server.hits[missing] == 1
    assert "sina-finance: FAILED: 1 failed of 3 tried (33%)" in done.stderr
    assert (summary["new"], summary["failed"]) == (2, 1)
    assert summary["stats"]["newsbot/failed/download/http_404"] == 1
    assert len(posts(out)) == 2


def test_a_server_error_then_success_is_retried(tmp_path):
    out = tmp_path / "archive"
    entries = {CHINA.roll_url(1): roll(A), A: page(A, fail_first=2)}
    with serve(entries, tmp_path) as server:
        _, summary = crawl(server, out, "--channels", "china", "--max-pages", "1")
    assert server.hits[A] == 3
    assert (summary["new"], summary["failed"], summary["retries"]) == (1, 0, 2)
    assert len(posts(out)) == 1


def test_a_timeout_fails_one_article_only(tmp_path):
    out = tmp_path / "archive"
    entries = {CHINA.roll_url(1): roll(A, B), A: page(A, delay=3), B: page(B)}
    with serve(entries, tmp_path) as server:
        _, summary = crawl(
            server,
            out,
            "--channels",
            "china",
            "--max-pages",
            "1",
            "-s",
            "DOWNLOAD_TIMEOUT=1",
            "-s",
            "RETRY_TIMES=0",
            "-s",
            "NEWSBOT_MAX_FAILURE_SHARE=0.5",
        )
    assert (summary["new"], summary["failed"]) == (1, 1)
    assert summary["stats"]["newsbot/failed/download/timeout"] == 1
    assert [Path(path).stem for path in posts(out)] == ["infwmkzs8830621"]


def test_a_redirected_article_is_stored_under_its_listed_identity(tmp_path):
    out = tmp_path / "archive"
    old = "https://finance.sina.com.cn/china/2025-11-20/doc-infwqrta5120384.shtml"
    entries = {CHINA.roll_url(1): roll(old), old: {"redirect": A}, A: page(A)}
    with serve(entries, tmp_path) as server:
        _, summary = crawl(server, out, "--channels", "china", "--max-pages", "1")
    assert server.hits[old] == server.hits[A] == 1
    assert summary["new"] == 1 and summary["stats"]["downloader/response_status_count/301"] == 1
    assert [Path(path).stem for path in posts(out)] == ["infwqrta5120384"]


def test_an_article_that_moved_channel_is_stored_once(tmp_path):
    out = tmp_path / "archive"
    moved = "https://finance.sina.com.cn/world/2025-11-20/doc-infwqrta5120384.shtml"
    entries = {
        CHINA.roll_url(1): roll(A),
        WORLD.roll_url(1): roll(moved, D),
        A: page(A),
        moved: page(A),
        D: page(D),
    }
    with serve(entries, tmp_path) as server:
        _, first = crawl(server, out, "--channels", "china,world", "--max-pages", "1")
        _, second = crawl(server, out, "--channels", "world", "--max-pages", "1")
    assert server.hits[A] + server.hits[moved] == 1
    assert (first["new"], first["articles requested"]) == (2, 2)
    assert (second["new"], second["articles requested"], second["skipped"]) == (0, 0, 2)
    assert sorted(Path(path).stem for path in posts(out)) == ["infwqrta5120384", "infwqrtc6613092"]


def test_a_malformed_api_page_fails_its_channel_only(tmp_path):
    out = tmp_path / "archive"
    entries = {
        CHINA.roll_url(1): roll(A),
        WORLD.roll_url(1): {"body": '{"result": {"status": {"code": 0}, "data": [{"url": ', "status": 200},
        A: page(A),
    }
    with serve(entries, tmp_path) as server:
        _, summary = crawl(server, out, "--channels", "china,world", "--max-pages", "1", exit_status=1)
    assert (summary["new"], summary["listings failed"], summary["failed"]) == (1, 1, 0)
    assert summary["headline"] == "sina-finance: FAILED: 1 failed of 2 tried (50%)"
    assert len(posts(out)) == 1


def test_robots_txt_keeps_a_disallowed_article_unrequested(tmp_path):
    out = tmp_path / "archive"
    usstock = channel_by_key("usstock")
    kept = "https://finance.sina.com.cn/stock/usstock/c/2025-11-20/doc-infwqrth1207749.shtml"
    also = "https://finance.sina.com.cn/stock/usstock/c/2025-11-19/doc-infwmkzw6690312.shtml"
    barred = "https://finance.sina.com.cn/stock/usstock/c/2016-06-02/doc-ifxsvenv6352210.shtml"
    entries = {
        "https://finance.sina.com.cn/robots.txt": {
            "body": "User-agent: *\nDisallow: /stock/usstock/c/2016-\n"
        },
        usstock.roll_url(1): roll(kept, also, barred),
        usstock.roll_url(2): roll(),
        kept: page(kept),
        also: page(also),
        barred: page(barred),
    }
    with serve(entries, tmp_path) as server:
        _, summary = crawl(server, out, "--channels", "usstock")
    assert barred not in server.hits
    assert server.hits[kept] == 1 and server.hits["https://finance.sina.com.cn/robots.txt"] == 1
    assert (summary["robots forbidden"], summary["failed"]) == (1, 0)
    assert summary["new"] == 2
    assert sorted(Path(path).stem for path in posts(out)) == ["infwmkzw6690312", "infwqrth1207749"]


def test_robots_txt_holds_for_requests_sent_while_it_downloads(tmp_path):
    out = tmp_path / "archive"
    entries = {
        "https://finance.sina.com.cn/robots.txt": {"body": "User-agent: *\nDisallow: /china/2025-11-19/\n"},
        CHINA.roll_url(1): roll(B, A, C),
        A: page(A),
        B: page(B),
        C: page(C),
    }
    with serve(entries, tmp_path) as server:
        _, summary = crawl(server, out, "--channels", "china", "--max-pages", "1")
    assert B not in server.hits
    assert (summary["robots forbidden"], summary["new"]) == (1, 2)


def test_a_missing_snapshot_folder_is_a_one_line_usage_error(tmp_path):
    done = run_newsbot(
        "crawl", "sina-finance", "--snapshot", str(tmp_path / "nowhere"), "-s", f"NEWSBOT_OUTPUT_DIR={tmp_path / 'out'}"
    )
    assert done.returncode == 2
    assert done.stderr.startswith(f"newsbot crawl: error: no snapshot at {tmp_path / 'nowhere'}")
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert not (tmp_path / "out").exists()


def test_o_and_big_o_are_scrapy_feed_exports_of_the_stored_articles(tmp_path):
    out, items = tmp_path / "archive", tmp_path / "items.jsonl"
    first = run_newsbot("crawl", "sina-finance", "--snapshot", "-s", f"NEWSBOT_OUTPUT_DIR={out}", "-O", str(items))
    assert first.returncode == 0, first.stderr[-3000:]
    exported = [json.loads(line) for line in items.read_text(encoding="utf-8").splitlines()]
    written = posts(out)
    assert sorted(item["path"] for item in exported) == sorted(written) and len(exported) == len(ARTICLES)
    for item in exported:
        assert set(item) == set(Article.fields)
        assert re.fullmatch(r"[0-9a-f]{16}", item["simhash"])
        assert int(item["simhash"], 16) == simhash(body_text(item["body_html"]))
        published = datetime.fromisoformat(item["published"])
        assert published.utcoffset() is not None
        post = frontmatter.loads(written[item["path"]].decode("utf-8"))
        assert post["date"] == http_date(published)
        assert item["status"] == "new"
    again = run_newsbot("crawl", "sina-finance", "--snapshot", "-s", f"NEWSBOT_OUTPUT_DIR={out}", "-o", str(items))
    assert again.returncode == 0
    assert len(items.read_text(encoding="utf-8").splitlines()) == len(exported)
    over = run_newsbot("crawl", "sina-finance", "--snapshot", "-s", f"NEWSBOT_OUTPUT_DIR={out}", "-O", str(items))
    assert over.returncode == 0
    assert items.read_text(encoding="utf-8") == ""


def test_the_readme_lists_every_field_of_the_item():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## The item", 1)[1].split("\n## ", 1)[0]
    assert {name for name in re.findall(r"^\| `(\w+)` \|", section, re.M)} == set(Article.fields)


def test_scrapy_crawl_o_in_the_project_exports_items_and_does_not_make_a_folder(tmp_path):
    out, items = tmp_path / "archive", tmp_path / "items.jsonl"
    environment = {name: value for name, value in os.environ.items() if name != "SCRAPY_SETTINGS_MODULE"}
    done = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "sina-finance", "--snapshot", "-s", f"NEWSBOT_OUTPUT_DIR={out}",
         "-o", str(items)],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert items.is_file()
    assert len(items.read_text(encoding="utf-8").splitlines()) == len(posts(out)) == len(ARTICLES)


@pytest.mark.parametrize("position", [350, 450], ids=["before-dedupe", "between-dedupe-and-store"])
def test_an_article_a_pipeline_raises_on_fails_the_run_stays_in_the_ledger_and_is_archived_next_run(
    tmp_path, position
):
    out = tmp_path / "archive"
    entries = {CHINA.roll_url(1): roll(A, B, C), A: page(A), B: page(B), C: page(C)}
    pipelines = {**ITEM_PIPELINES, "tests.raising_pipeline.RaisingPipeline": position}
    raising = ("-s", f"ITEM_PIPELINES={json.dumps(pipelines)}", "-s", f"{RAISE_FOR_SETTING}={B}")
    with serve(entries, tmp_path) as server:
        done, summary = crawl(
            server, out, "--channels", "china", "--max-pages", "1", *raising, exit_status=1, tracebacks=1
        )
        assert "sina-finance: FAILED: 1 failed of 3 tried (33%)" in done.stderr
        assert "[scrapy.core.scraper] ERROR: Error processing" in done.stderr
        assert f"tests.raising_pipeline.PipelineFault: test fault on {B}" in done.stderr
        assert summary["stats"]["newsbot/failed/item_error"] == 1
        assert (summary["new"], summary["failed"], summary["exit_status"]) == (2, 1, 1)
        assert sorted(posts(out)) == sorted(post_path(url) for url in (A, C))
        with open_ledger(out) as ledger:
            (entry,) = ledger.entries()
        assert (entry.url, entry.attempts, entry.given_up) == (B, 1, False)
        assert entry.next_try is not None and entry.last_error.startswith("error while storing: PipelineFault(")
        status = run_newsbot("status", str(out), "--json")
        (row,) = json.loads(status.stdout)["sources"]
        assert (row["source"], row["outcome"], row["retrying"], row["given_up"]) == ("sina-finance", "FAILED", 1, 0)

        again, summary = crawl(server, out, "--channels", "china", "--max-pages", "1")
    assert (server.hits[A], server.hits[B], server.hits[C]) == (1, 2, 1)
    assert "sina-finance: ok: 1 new, 0 updated" in again.stderr
    assert (summary["new"], summary["failed"], summary["stats"]["newsbot/ledger/retried"]) == (1, 0, 1)
    assert sorted(posts(out)) == sorted(post_path(url) for url in (A, B, C))
    with open_ledger(out) as ledger:
        assert ledger.entries() == []


def test_a_pipeline_after_the_store_that_raises_counts_the_article_once_and_fails_the_run(tmp_path):
    out = tmp_path / "archive"
    entries = {CHINA.roll_url(1): roll(A, B, C), A: page(A), B: page(B), C: page(C)}
    pipelines = {**ITEM_PIPELINES, "tests.raising_pipeline.RaisingPipeline": 600}
    raising = ("-s", f"ITEM_PIPELINES={json.dumps(pipelines)}", "-s", f"{RAISE_FOR_SETTING}={B}")
    with serve(entries, tmp_path) as server:
        done, summary = crawl(
            server, out, "--channels", "china", "--max-pages", "1", *raising, exit_status=1, tracebacks=0
        )
        assert (
            "sina-finance: FAILED: 3 new, 0 updated, but a pipeline after the store raised on 1 of them"
            in done.stderr
        )
        assert "Error processing" not in done.stderr and done.stderr.count(f"test fault on {B}") == 1
        assert (
            f"ERROR: {B} was stored as {post_path(B)}, then a pipeline after the store raised on it:"
            f" PipelineFault('test fault on {B}')" in done.stderr
        )
        assert (summary["new"], summary["failed"], summary["failed after store"]) == (3, 0, 1)
        assert sorted(posts(out)) == sorted(post_path(url) for url in (A, B, C))
        with open_ledger(out) as ledger:
            assert ledger.entries() == []
        (row,) = json.loads(run_newsbot("status", str(out), "--json").stdout)["sources"]
        assert (row["outcome"], row["archived_day"], row["retrying"]) == ("FAILED", 3, 0)

        again, summary = crawl(server, out, "--channels", "china", "--max-pages", "1")
    assert (server.hits[A], server.hits[B], server.hits[C]) == (1, 1, 1)
    assert "sina-finance: ok: nothing new" in again.stderr


def post_path(url: str) -> str:
    """Where the bundled snapshot's article ``url`` is filed under the archive (``sina/YYYY/MM/ID.md``)."""
    year, month = re.search(r"/(\d{4})-(\d{2})-\d{2}/", url).groups()
    return f"sina/{year}/{month}/{url.rsplit('-', 1)[-1].split('.')[0]}.md"
