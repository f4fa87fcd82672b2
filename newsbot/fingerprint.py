"""Body fingerprints: visible text, an exact hash of its normalised form and a 64-bit SimHash.

The SimHash runs over overlapping two-character shingles, which suits Chinese without word segmentation, each
hashed with XXH3 (64 bits; https://xxhash.com) as 8 bytes of UTF-32-LE. XXH3 of 4 to 8 bytes is a few integer
operations, so every shingle of a text is hashed at once with numpy (``shingle_hashes``, checked bit for bit
against the ``xxhash`` library in the tests), and the per-bit counts come from a histogram of the hashes' bytes.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

import numpy as np
from lxml import etree

from newsbot.body import parse_fragment

SHINGLE = 2
BITS = 64
_INVISIBLE = ("script", "style", "noscript", "template")
_SPACE = re.compile(r"\s+")
_NOT_WORD = re.compile(r"[\W_]+")
# Full-width forms of ASCII and the ideographic space: each one ASCII character in NFKC (UAX #15, <wide>).
_WIDE = re.compile("[\uff01-\uff5e\u3000]")
_NARROWED = {chr(code): unicodedata.normalize("NFKC", chr(code)) for code in (*range(0xFF01, 0xFF5F), 0x3000)}
# xxhash.h, XXH3_len_4to8_64b with the default secret and seed 0: bytes 8-15 and 16-23 of XXH3's default secret
# (kSecret) read little-endian and XORed, then XXH3_rrmxmx's multiplier.
_XXH3_BITFLIP = np.uint64(0x1CAD21F72C81017C ^ 0xDB979083E96DD4DE)
_XXH3_MX2 = np.uint64(0x9FB21C651E98DF25)
_BYTE_OFFSETS = 256 * np.arange(8, dtype=np.intp)
_BITS_OF_BYTE = (np.arange(256)[:, None] >> np.arange(8)) & 1


def body_text(html: str) -> str:
    """The visible text of body HTML: no tags, scripts or styles, whitespace collapsed to single spaces."""
    root = parse_fragment(html)
    for element in list(root.iter(*_INVISIBLE, etree.Comment, etree.ProcessingInstruction)):
        element.drop_tree()
    return _SPACE.sub(" ", root.text_content()).strip()


def normalise_text(text: str) -> str:
    """``text`` in NFKC, lower case, with punctuation, symbols and whitespace removed."""
    return _NOT_WORD.sub("", nfkc(text).lower())


def nfkc(text: str) -> str:
    """``unicodedata.normalize("NFKC", text)``, sooner for Chinese text: its full-width forms of ASCII
    (U+FF01-U+FF5E, UAX #15's ``<wide>`` decompositions, one ASCII character each) and the ideographic space go
    to their ASCII character first, which leaves NFKD and so NFKC unchanged and most Chinese text already in
    NFKC, which ``normalize`` then sees at once."""
    return unicodedata.normalize("NFKC", _WIDE.sub(_narrowed, text))


def _narrowed(match: re.Match[str]) -> str:
    return _NARROWED[match.group()]


def exact_fingerprint(text: str) -> str:
    """32 hex digits identifying the normalised text: equal for texts differing only in spacing or punctuation."""
    return _exact(normalise_text(text))


def fingerprints(text: str) -> tuple[str, int]:
    """``exact_fingerprint`` and ``simhash`` of ``text``, normalising it once."""
    normalised = normalise_text(text)
    return _exact(normalised), _simhash(normalised)


def _exact(normalised: str) -> str:
    return hashlib.blake2b(normalised.encode("utf-8"), digest_size=16).hexdigest()


def _rotate_left(values: np.ndarray, bits: int) -> np.ndarray:
    return (values << np.uint64(bits)) | (values >> np.uint64(BITS - bits))


def shingle_hashes(text: str) -> np.ndarray:
    """The XXH3-64 hash of each two-character shingle of ``text`` read as 8 bytes of UTF-32-LE (of its one
    character for a one-character text), as ``xxhash.xxh3_64_intdigest`` gives it: a uint64 array of
    ``len(text) - 1`` hashes (one for one character, none for none)."""
    chars = np.frombuffer(text.encode("utf-32-le"), dtype="<u4").astype(np.uint64)
    if len(chars) == 1:
        first, last, length = chars, chars, 4
    else:
        first, last, length = chars[:-1], chars[1:], 4 * SHINGLE
    keyed = (last + (first << np.uint64(32))) ^ _XXH3_BITFLIP
    hashes = keyed ^ _rotate_left(keyed, 49) ^ _rotate_left(keyed, 24)
    hashes *= _XXH3_MX2
    hashes ^= (hashes >> np.uint64(35)) + np.uint64(length)
    hashes *= _XXH3_MX2
    return hashes ^ (hashes >> np.uint64(28))


def simhash(text: str) -> int:
    """The unsigned 64-bit SimHash of the normalised text's character shingles (0 for empty text)."""
    return _simhash(normalise_text(text))


def _simhash(normalised: str) -> int:
    """Bit ``8k + j`` of the SimHash is set when most shingle hashes have bit ``j`` of byte ``k`` of their
    big-endian digest set (the bit order of every SimHash stored since 0.3.0)."""
    hashes = shingle_hashes(normalised)
    if not len(hashes):
        return 0
    digest_bytes = hashes.astype(">u8").view(np.uint8).reshape(-1, 8)
    histogram = np.bincount((digest_bytes + _BYTE_OFFSETS).ravel(), minlength=8 * 256).reshape(8, 256)
    counts = (histogram @ _BITS_OF_BYTE).ravel()
    return sum(1 << bit for bit in np.flatnonzero(2 * counts > len(hashes)).tolist())


def hamming(a: int, b: int) -> int:
    """The number of differing bits of two 64-bit hashes (signed or unsigned)."""
    return ((a ^ b) & ((1 << BITS) - 1)).bit_count()
