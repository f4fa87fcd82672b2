"""Body fingerprints: visible text, an exact hash of its normalised form and a 64-bit SimHash.

The SimHash runs over overlapping character shingles, which suits Chinese without word segmentation, each
hashed with XXH3 (64 bits; https://xxhash.com), a non-cryptographic hash about five times cheaper than blake2b.
Per-bit counts come from big integers: byte ``k`` of every shingle hash side by side, so
``(column_k & mask_j).bit_count()`` counts the hashes with bit ``8k + j`` set, the work staying in C.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

import xxhash
from lxml import etree

from newsbot.body import parse_fragment

SHINGLE = 2
BITS = 64
_CHUNK = 1024
_INVISIBLE = ("script", "style", "noscript", "template")
_SPACE = re.compile(r"\s+")
_NOT_WORD = re.compile(r"[\W_]+")
_MASKS = tuple(int.from_bytes(bytes([1 << bit]) * _CHUNK, "little") for bit in range(8))


def body_text(html: str) -> str:
    """The visible text of body HTML: no tags, scripts or styles, whitespace collapsed to single spaces."""
    root = parse_fragment(html)
    for element in list(root.iter(*_INVISIBLE, etree.Comment, etree.ProcessingInstruction)):
        element.drop_tree()
    return _SPACE.sub(" ", root.text_content()).strip()


def normalise_text(text: str) -> str:
    """``text`` in NFKC, lower case, with punctuation, symbols and whitespace removed."""
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", text).lower())


def exact_fingerprint(text: str) -> str:
    """32 hex digits identifying the normalised text: equal for texts differing only in spacing or punctuation."""
    return _exact(normalise_text(text))


def fingerprints(text: str) -> tuple[str, int]:
    """``exact_fingerprint`` and ``simhash`` of ``text``, normalising it once."""
    normalised = normalise_text(text)
    return _exact(normalised), _simhash(normalised)


def _exact(normalised: str) -> str:
    return hashlib.blake2b(normalised.encode("utf-8"), digest_size=16).hexdigest()


def _shingle_hashes(text: str) -> bytes:
    data = text.encode("utf-32-le")
    width = 4 * SHINGLE
    digest = xxhash.xxh3_64_digest
    if len(data) <= width:
        return digest(data) if data else b""
    return b"".join([digest(data[i : i + width]) for i in range(0, len(data) - width + 4, 4)])


def simhash(text: str) -> int:
    """The unsigned 64-bit SimHash of the normalised text's character shingles (0 for empty text)."""
    return _simhash(normalise_text(text))


def _simhash(normalised: str) -> int:
    hashes = _shingle_hashes(normalised)
    total = len(hashes) // 8
    counts = [0] * BITS
    for start in range(0, len(hashes), 8 * _CHUNK):
        chunk = hashes[start : start + 8 * _CHUNK]
        for byte in range(8):
            column = int.from_bytes(chunk[byte::8], "little")
            for bit, mask in enumerate(_MASKS):
                counts[8 * byte + bit] += (column & mask).bit_count()
    return sum(1 << bit for bit, count in enumerate(counts) if 2 * count > total)


def hamming(a: int, b: int) -> int:
    """The number of differing bits of two 64-bit hashes (signed or unsigned)."""
    return ((a ^ b) & ((1 << BITS) - 1)).bit_count()
