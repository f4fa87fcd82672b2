"""Page bytes to text: the declared encoding when the bytes bear it out, never a blind guess first.

Chinese sites declare GB2312 and serve GBK, declare UTF-8 and serve GBK, or the other way round. Each
candidate is tried strictly, in order: a byte-order mark, the declared encoding (Scrapy's reading of the
header and page), the ``<meta>`` charset of the first 4 KiB, UTF-8, GB18030; only when none fits does
charset_normalizer guess. The GB family is read as GB18030, its superset. Since GB18030 accepts nearly any
byte string while UTF-8 rejects nearly all that are not UTF-8, bytes that are valid UTF-8 are read as UTF-8
even where a GB encoding is declared (pages saved from a browser keep the old ``<meta>``).
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

SNIFF_BYTES = 4096
GB_SUPERSET = "gb18030"
_GB_FAMILY = frozenset(
    {
        "gb2312",
        "gb-2312",
        "gb-2312-80",
        "csgb2312",
        "euc-cn",
        "euccn",
        "gbk",
        "x-gbk",
        "cp936",
        "ms936",
        "windows-936",
        "chinese",
        "iso-ir-58",
        "gb18030",
    }
)
# Server defaults that say nothing of the page: any byte sequence fits them.
_WEAK = frozenset({"latin-1", "iso8859-1", "cp1252", "ascii"})
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_META_CHARSET = re.compile(
    rb"""<meta\b[^>]*?\bcharset\s*=\s*["']?\s*([\w.:-]+)|<\?xml\b[^>]*?\bencoding\s*=\s*["']([\w.:-]+)""",
    re.IGNORECASE,
)


def normalise_encoding(name: str | None) -> str | None:
    """Python's codec name for an encoding label, GB2312 and GBK as GB18030; ``None`` when unknown."""
    if not name:
        return None
    label = name.strip().strip("\"'").lower().replace("_", "-")
    if label in _GB_FAMILY:
        return GB_SUPERSET
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def meta_charset(body: bytes) -> str | None:
    """The charset a page names in a ``<meta>`` (or XML declaration) within its first 4 KiB."""
    match = _META_CHARSET.search(body[:SNIFF_BYTES])
    if match is None:
        return None
    return (match.group(1) or match.group(2)).decode("ascii")


def _candidates(body: bytes, declared: str | None) -> list[str]:
    named = [normalise_encoding(declared), normalise_encoding(meta_charset(body))]
    strong = [name for name in named if name and name not in _WEAK]
    weak = [name for name in named if name in _WEAK]
    if GB_SUPERSET in strong:
        strong.insert(strong.index(GB_SUPERSET), "utf-8")
    ordered = [*strong, "utf-8", GB_SUPERSET, *weak]
    return list(dict.fromkeys(ordered))


def decode_html(body: bytes, declared: str | None) -> str:
    """The text of an HTML page whose bytes came with ``declared`` as their encoding (may be wrong)."""
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            try:
                return body[len(bom) :].decode(encoding)
            except UnicodeDecodeError:
                break
    for encoding in _candidates(body, declared):
        try:
            return body.decode(encoding)
        except UnicodeDecodeError:
            continue
    best = from_bytes(body).best()
    return str(best) if best is not None else body.decode("utf-8", errors="replace")
