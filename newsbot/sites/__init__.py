"""Site modules: one per site, each holding that site's URL rules, categories and extraction.

A site module defines ``NAME`` (the folder its posts go to), ``HOSTS`` (host names it serves, a leading
dot matching any subdomain), ``categories(url)``, ``doc_id(url)`` and ``extract(html, url)``.
"""

from __future__ import annotations

from importlib import import_module
from types import ModuleType
from urllib.parse import urlsplit

SITE_MODULES = ("newsbot.sites.sina",)


def _host_matches(host: str, pattern: str) -> bool:
    if pattern.startswith("."):
        return host == pattern[1:] or host.endswith(pattern)
    return host == pattern


def site_for_url(url: str) -> ModuleType | None:
    """The site module serving ``url``'s host, or ``None`` where no module does."""
    host = (urlsplit(url).hostname or "").lower()
    for name in SITE_MODULES:
        module = import_module(name)
        if any(_host_matches(host, pattern) for pattern in module.HOSTS):
            return module
    return None
