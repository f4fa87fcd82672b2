"""The archive post format (``shared/format/SPEC.md``): front matter, then the article HTML."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime

WRAPPER_OPEN = "<div>   \n"
WRAPPER_CLOSE = "\n</div>\n" + " " * 12

_NON_PRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_PLAIN_UNSAFE = re.compile(r"""^[\s\-?:,\[\]{}#&*!|>'"%@`]|: | #|\s$|^$""")


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


def plain_or_quoted(text: str) -> str:
    """A YAML plain scalar where the text reads back unchanged as one, else single-quoted."""
    text = clean_line(text)
    if _PLAIN_UNSAFE.search(text) or text.lower() in {"true", "false", "null", "yes", "no", "on", "off", "~"}:
        return single_quoted(text)
    return text


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
        lines.append(f"headimg: {single_quoted(post.image)}")
    lines += [
        f"author: {plain_or_quoted(post.author)}",
        "comments: false",
        f"date: {http_date(post.published)}",
    ]
    if post.image:
        lines.append(f"thumbnail: {single_quoted(post.image)}")
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
