"""The archive post format (``shared/format/SPEC.md``): front matter, then the article HTML."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from functools import lru_cache

import yaml
from frontmatter.default_handlers import SafeLoader

WRAPPER_OPEN = "<div>   \n"
WRAPPER_CLOSE = "\n</div>\n" + " " * 12

_NON_PRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_PLAIN_UNSAFE = re.compile(r"""^[\s\-?:,\[\]{}#&*!|>'"%@`]|: | #|\s$|^$""")
# What YAML 1.2's core schema and js-yaml (Hexo's front-matter loader: its int with ``_`` and ``0b``, timestamp and
# merge types) read as another type than a string, where PyYAML (YAML 1.1) reads a string: ``0o17``, ``1e3``.
_YAML_12_TYPED = re.compile(
    r"""(?x)^(?:
    ~|null|true|false|<<
    |[-+]?(?:0b[01_]+|0o[0-7_]+|0x[0-9a-f_]+|[0-9][0-9_]*)
    |[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9][0-9_]*)(?:e[-+]?[0-9]+)?
    |[-+]?\.inf|\.nan
    |[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:(?:[Tt]|[ \t]+)[0-9].*)?
    )$""",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Post:
    """Everything one archived article writes into its post."""

    title: str
    categories: tuple[str, str, str]
    author: str
    published: datetime
    body_html: str
    image: str | None


def clean_line(text: str) -> str:
    """Collapse all whitespace (line breaks included) to single spaces and drop what YAML cannot hold."""
    return " ".join(_NON_PRINTABLE.sub("", text).split())


def single_quoted(text: str) -> str:
    """A YAML single-quoted scalar: ``'`` doubles, nothing else is escaped."""
    return "'" + clean_line(text).replace("'", "''") + "'"


@lru_cache(maxsize=1024)
def reads_back_plain(text: str) -> bool:
    """Whether ``text`` as a plain sequence item reads back as the same ``str`` in PyYAML (python-frontmatter's
    loader, YAML 1.1) and is no other type in YAML 1.2 or js-yaml (Hexo's loader)."""
    if _PLAIN_UNSAFE.search(text) or _YAML_12_TYPED.match(text):
        return False
    try:
        return yaml.load(f"- {text}\n", Loader=SafeLoader) == [text]
    except yaml.YAMLError:
        return False


def plain_or_quoted(text: str) -> str:
    """A YAML plain scalar where the text reads back unchanged as one (``reads_back_plain``), else single-quoted."""
    text = clean_line(text)
    return text if reads_back_plain(text) else single_quoted(text)


def quoted_url(url: str) -> str:
    """A URL as a YAML single-quoted scalar with any ``'`` percent-encoded (``%27``), since the format's
    readers take a URL up to the next ``'`` (SPEC.md's headimg and thumbnail lines)."""
    return single_quoted(url.replace("'", "%27"))


def http_date(moment: datetime) -> str:
    """RFC 1123 in UTC with ``GMT``: ``Fri, 21 Jan 2022 14:23:33 GMT``."""
    if moment.tzinfo is None:
        raise ValueError("publication time must be timezone-aware")
    return format_datetime(moment.astimezone(UTC).replace(microsecond=0), usegmt=True)


def render(post: Post) -> str:
    """The post's text, byte for byte as SPEC.md lays it out."""
    lines = [
        "",
        "---",
        f"title: {single_quoted(post.title)}",
        "categories: ",
        *(f" - {plain_or_quoted(name)}" for name in post.categories),
    ]
    if post.image:
        lines.append(f"headimg: {quoted_url(post.image)}")
    lines += [
        f"author: {plain_or_quoted(post.author)}",
        "comments: false",
        f"date: {http_date(post.published)}",
    ]
    if post.image:
        lines.append(f"thumbnail: {quoted_url(post.image)}")
    lines += ["---", "", ""]
    return "\n".join(lines) + WRAPPER_OPEN + post.body_html.lstrip() + WRAPPER_CLOSE


def split(text: str) -> tuple[str, str]:
    """Split a post into its front matter block and the inner HTML of its wrapper."""
    if not text.startswith("\n---\n"):
        raise ValueError("post does not start with a newline and '---'")
    end = text.index("\n---\n\n", 4)
    body = text[end + 6 :]
    if not body.startswith(WRAPPER_OPEN) or not body.endswith(WRAPPER_CLOSE):
        raise ValueError("post body is not in the <div> wrapper")
    return text[: end + 5], body[len(WRAPPER_OPEN) : -len(WRAPPER_CLOSE)]
