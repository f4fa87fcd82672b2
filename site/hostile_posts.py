"""Write the posts newsbot makes of Sina article pages whose bodies hold the hostile corpus (tests/hostile_corpus.py),
40 entries a page (a broken entry can swallow what follows it in the page), for make site-check.

usage: PYTHONPATH=. python site/hostile_posts.py SEED_SOURCE_PAGE ARCHIVE_DIR
Each page goes through the extraction and normalisation the crawl runs (``article_from_page``, the normalise
pipeline, ``render``) and its post is written to ``ARCHIVE_DIR/sina/2022/01/ihostileNN.md``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from itemadapter import ItemAdapter
from scrapy.utils.test import get_crawler

from newsbot.extraction import article_from_page
from newsbot.pipelines.normalise import NormalisePipeline
from newsbot.pipelines.store import post_of
from newsbot.post import render
from newsbot.settings import NEWSBOT_PLACEHOLDER_IMAGE
from tests.hostile_corpus import HOSTILE_HTML, LIBXML2_MISREAD, MARKDOWN_TEXT

OPENING = '<div class="article" id="artibody" data-sudaclick="blk_content">'
URL = "https://finance.sina.com.cn/china/gncj/2022-01-21/doc-ihostile{:02d}.shtml"
PER_PAGE = 40


def main(argv: list[str]) -> int:
    page = Path(argv[1]).read_text(encoding="utf-8")
    folder = Path(argv[2]) / "sina" / "2022" / "01"
    folder.mkdir(parents=True, exist_ok=True)
    normalise = NormalisePipeline.from_crawler(
        get_crawler(settings_dict={"NEWSBOT_PLACEHOLDER_IMAGE": NEWSBOT_PLACEHOLDER_IMAGE})
    )
    corpus = [*HOSTILE_HTML.values(), *LIBXML2_MISREAD.values(), *MARKDOWN_TEXT]
    for number, start in enumerate(range(0, len(corpus), PER_PAGE)):
        body = "".join(f"<p>第{start + n}条</p>{fragment}" for n, fragment in enumerate(corpus[start : start + PER_PAGE]))
        article = article_from_page(page.replace(OPENING, OPENING + body, 1), URL.format(number))
        text = render(post_of(ItemAdapter(normalise.process_item(article))))
        (folder / f"ihostile{number:02d}.md").write_text(text, encoding="utf-8")
    print(f"hostile_posts: {len(corpus)} hostile constructs in {number + 1} posts under {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
