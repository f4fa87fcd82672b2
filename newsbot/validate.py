"""Check posts against the archive format (SPEC.md) with newsbot's own reading of it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import frontmatter
import lxml.html
from lxml import etree

from newsbot.post import WRAPPER_CLOSE, WRAPPER_OPEN

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


def _body_problems(inner: str, headimg: str | None) -> Iterator[str]:
    if inner[:1].isspace():
        yield "body starts with whitespace"
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
    images = root.xpath(".//img")
    if any(image.get("referrerpolicy") != "no-referrer" for image in images):
        yield "img without referrerpolicy=no-referrer"
    if any(image.get("src", "").startswith("//") for image in images):
        yield "protocol-relative img src"
    sources = [image.get("src") for image in images if image.get("src", "").startswith(("http:", "https:"))]
    if sources and headimg != sources[0]:
        yield "headimg is not the body's first image"


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
    return found


def posts_under(folder: Path) -> Iterator[Path]:
    """Every post file below ``folder``, previous versions in ``.history`` included, in name order."""
    yield from sorted(path for path in folder.rglob("*.md") if path.name != "README.md")


def validate_tree(folder: Path) -> Iterator[tuple[Path, list[str]]]:
    """Each post under ``folder`` with its problems."""
    for path in posts_under(folder):
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            yield path, ["not UTF-8"]
            continue
        yield path, problems(text)
