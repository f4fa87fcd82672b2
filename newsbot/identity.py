"""Article identity: canonical URLs, one key per article whatever URL served it, and post file names."""

from __future__ import annotations

import hashlib
from functools import cache
from importlib import import_module
from pathlib import PurePath
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from w3lib.url import canonicalize_url as w3lib_canonicalize_url

from newsbot.sites import SITE_MODULES, site_for_url
from newsbot.storage import safe_component

TRACKING_PARAMETERS = frozenset(
    {
        "from",
        "cre",
        "mod",
        "loc",
        "r",
        "tj",
        "tr",
        "spm",
        "rfunc",
        "doct",
        "vt",
        "pos",
        "wm",
        "sudaref",
        "dpc",
        "fr",
        "share_token",
        "fbclid",
        "gclid",
        "yclid",
        "_ga",
    }
)
TRACKING_PREFIXES = ("utm_",)
# Query parameters that only defeat caches, a new value each request, by host: Sina's roll API gets
# ``r=<random>&_=<ms>`` from the site's own pages (and from DIYgod/RSSHub lib/routes/sina/utils.ts).
CACHE_BUSTERS = {"feed.mix.sina.com.cn": frozenset({"r", "_"})}
DEFAULT_PORTS = {"http": 80, "https": 443}
URL_KEY_PREFIX = "url"


def _is_tracking(name: str) -> bool:
    name = name.lower()
    return name in TRACKING_PARAMETERS or name.startswith(TRACKING_PREFIXES)


def canonicalize_url(url: str) -> str:
    """``url`` without fragment, tracking parameters or default port; scheme and host lower-cased, query sorted."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    netloc = host
    if parts.port is not None and parts.port != DEFAULT_PORTS.get(scheme):
        netloc = f"{host}:{parts.port}"
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    query = urlencode(
        [
            (name, value)
            for name, value in parse_qsl(parts.query, keep_blank_values=True)
            if not _is_tracking(name)
        ]
    )
    return w3lib_canonicalize_url(urlunsplit((scheme, netloc, parts.path or "/", query, "")))


def without_cache_busters(url: str) -> str:
    """``url`` without the cache-busting query parameters of its host (``CACHE_BUSTERS``), the rest untouched;
    ``url`` itself where it has none.

    Recorded and snapshot responses are looked up by this, so a request sent with fresh cache busters finds
    the response recorded for the same listing.
    """
    parts = urlsplit(url)
    busters = CACHE_BUSTERS.get((parts.hostname or "").lower())
    if not busters:
        return url
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    kept = [(name, value) for name, value in pairs if name not in busters]
    if len(kept) == len(pairs):
        return url
    return urlunsplit(parts._replace(query=urlencode(kept)))


def _url_hash(url: str) -> str:
    without_scheme = canonicalize_url(url).split(":", 1)[1]
    return hashlib.sha256(without_scheme.encode("utf-8")).hexdigest()[:16]


def article_key(url: str, canonical_url: str | None = None) -> str:
    """``<site>:<doc id>`` where the site module finds one, else a hash of the canonical link or the URL.

    The hash form is ``<site>:<16 hex>`` for URLs of a known site and ``url:<16 hex>`` otherwise; http and
    https count as one URL.
    """
    for candidate in (url, canonical_url):
        site = site_for_url(candidate) if candidate else None
        if site is not None and (doc_id := site.doc_id(candidate)):
            return f"{site.NAME}:{doc_id}"
    source = canonical_url if canonical_url and urlsplit(canonical_url).scheme in DEFAULT_PORTS else url
    site = site_for_url(source)
    return f"{site.NAME if site else URL_KEY_PREFIX}:{_url_hash(source)}"


def post_name(key: str) -> str:
    """The file stem of a key's post: the doc id or URL hash after the ``<site>:`` prefix."""
    return safe_component(key.partition(":")[2] or key)


@cache
def site_names() -> frozenset[str]:
    """The ``NAME`` of every site module, the folders keyed by ``<site>:``."""
    return frozenset(import_module(name).NAME for name in SITE_MODULES)


def key_from_post_path(relpath: str | PurePath) -> str:
    """The key of the post at ``<site>/<YYYY>/<MM>/<name>.md`` (relative to the output folder)."""
    path = PurePath(relpath)
    site = path.parts[0] if len(path.parts) > 1 else ""
    return f"{site if site in site_names() else URL_KEY_PREFIX}:{path.stem}"
