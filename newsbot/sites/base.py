"""What every site module provides: categories, extraction results and the refusal for non-articles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

FINANCE = "金融"


class NotAnArticle(ValueError):
    """The page is not an article page this extractor can read (no title or no body)."""


@dataclass(frozen=True, slots=True)
class Categories:
    """The post's three categories: group, site display name, channel display name."""

    group: str
    site: str
    channel: str

    def as_tuple(self) -> tuple[str, str, str]:
        return (self.group, self.site, self.channel)


@dataclass(frozen=True, slots=True)
class Extracted:
    """What an extractor reads off one article page; ``body_html`` is the body element's inside as served."""

    title: str
    body_html: str
    published: datetime | None = None
    outlet: str | None = None
    editor: str | None = None
    canonical_url: str | None = None
