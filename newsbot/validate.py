"""Check posts against the archive format (SPEC.md) with newsbot's own reading of it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import frontmatter
import lxml.html
from lxml import etree

from newsbot.body import KEPT_ELEMENTS, first_own_image, kept_block_xpath, script_capable
from newsbot.post import WRAPPER_CLOSE, WRAPPER_OPEN
from newsbot.sites import all_kept_blocks

FRONT_MATTER = re.compile(
    r"\A\n---\n"
    r"title: '(?P<title>(?:[^'\n]|'')*)'\n"
    r"categories: \n(?P<categories>(?: - [^\n]+\n){3})"
    r"(?:headimg: '(?P<headimg>[^'\n]+)'\n)?"
    r"author: (?P<author>[^\n]+)\n"
    r"comments: false\n"
    r"date: (?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"\d{4} \d\d:\d\d:\d\d GMT\n"
    r"(?:thumbnail: '(?P<thumbnail>[^'\n]+)'\n)?"
    r"---\n\n"
)


_KEPT_BLOCKS = kept_block_xpath(all_kept_blocks())


def _body_problems(inner: str, headimg: str | None) -> Iterator[str]:
    if inner[:1].isspace():
        yield "body starts with whitespace"
    blank = [number for number, line in enumerate(inner.split("\n"), 1) if not line.strip(" \t")]
    if blank:
        yield f"{len(blank)} blank line(s) in the body, the first at body line {blank[0]}"
    if "{" in inner or "}" in inner:
        yield "unescaped brace in body"
    root = lxml.html.fragment_fromstring(inner, create_parent="div")
    if root.xpath(".//script"):
        yield "<script> in body"
    elements = list(root.iter(etree.Element))
    if any(name.lower().startswith("on") for element in elements for name in element.attrib):
        yield "on* attribute in body"
    if any("javascript:" in value.lower() for element in elements for value in element.attrib.values()):
        yield "javascript: URL in body"
    if any(script_capable(name, value, el.tag) for el in elements for name, value in el.attrib.items()):
        yield "an attribute that runs code or loads a document in body"
    foreign = sorted({el.tag for el in elements if el.tag not in KEPT_ELEMENTS} - {"div"})
    if foreign:
        yield "elements the sanitiser removes in body: " + ", ".join(foreign)
    images = root.xpath(".//img")
    if any(image.get("referrerpolicy") != "no-referrer" for image in images):
        yield "img without referrerpolicy=no-referrer"
    if any(image.get("src", "").startswith("//") for image in images):
        yield "protocol-relative img src"
    own = first_own_image(root, _KEPT_BLOCKS)
    if own is not None and headimg != own:
        yield "headimg is not the body's first image outside site blocks"
    if own is None and headimg is not None and headimg in {image.get("src") for image in images}:
        yield "headimg is an image of a site block, not the article's"


def problems(text: str) -> list[str]:
    """Every way ``text`` departs from the post format; empty when it is a valid post."""
    match = FRONT_MATTER.match(text)
    if match is None:
        return ["front matter does not follow the byte layout"]
    found = []
    if match["headimg"] != match["thumbnail"]:
        found.append("headimg and thumbnail differ")
    rest = text[match.end() :]
    if not rest.startswith(WRAPPER_OPEN) or not rest.endswith(WRAPPER_CLOSE):
        return [*found, "body is not in the '<div>   ' wrapper ending with twelve spaces"]
    found += _body_problems(rest[len(WRAPPER_OPEN) : -len(WRAPPER_CLOSE)], match["headimg"])
    try:
        loaded = frontmatter.loads(text)
    except Exception as error:
        return [*found, f"python-frontmatter cannot load it: {error}"]
    if loaded.get("title") != match["title"].replace("''", "'"):
        found.append("python-frontmatter reads another title")
    if len(loaded.get("categories") or []) != 3:
        found.append("python-frontmatter does not read three categories")
    elif not all(isinstance(name, str) for name in [*loaded["categories"], loaded.get("author")]):
        found.append("python-frontmatter reads a category or the author as another type than text")
    return found


def posts_under(folder: Path) -> Iterator[Path]:
    """Every Markdown file below ``folder`` (each must be a post: Hexo renders them all), previous versions in
    ``.history`` included, in name order."""
    yield from sorted(folder.rglob("*.md"))


def validate_tree(folder: Path) -> Iterator[tuple[Path, list[str]]]:
    """Each post under ``folder`` with its problems; one that cannot be read (a folder named ``*.md``, a broken
    link, no permission) has that as its problem."""
    for path in posts_under(folder):
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            yield path, ["not UTF-8"]
            continue
        except OSError as error:
            yield path, [f"cannot be read: {error.strerror}"]
            continue
        yield path, problems(text)
