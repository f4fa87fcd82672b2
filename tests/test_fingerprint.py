from __future__ import annotations

import random
import unicodedata

import xxhash

from newsbot.fingerprint import (
    body_text,
    exact_fingerprint,
    hamming,
    nfkc,
    normalise_text,
    shingle_hashes,
    simhash,
)
from tests.conftest import SEED_PAGE, SEED_URL, needs_shared
from tests.postmaking import article_from_file


def test_body_text_keeps_visible_text_only():
    html = "<p>上证报讯  记者\n宋薇萍</p><script>var x = 1;</script><style>p{}</style><!-- note --><p>李强指出</p>"
    assert body_text(html) == "上证报讯 记者 宋薇萍李强指出"


def test_normalised_text_folds_width_case_spacing_and_punctuation():
    assert normalise_text("ＡＢＣ，ａｂｃ！ 1２3。“引领区”") == "abcabc123引领区"


def test_nfkc_is_unicodedatas_on_wide_forms_combining_marks_and_compatibility_characters():
    wide = [chr(code) for code in range(0xFF00, 0xFF70)] + ["\u3000"]
    others = list(
        "\u0300\u0301\u0323\u0327eAa，。“”\u2474\u3231\uf900\u4e00\u1100\u1161\u11a8\uac00\u212b\u1e9b"
    )
    rng = random.Random("nfkc")
    texts = wide + others
    texts += ["".join(rng.choice(wide + others) for _ in range(rng.randrange(0, 16))) for _ in range(20_000)]
    for text in texts:
        assert nfkc(text) == unicodedata.normalize("NFKC", text), ascii(text)


@needs_shared
def test_nfkc_is_unicodedatas_on_real_articles():
    text = body_text(article_from_file(SEED_PAGE, SEED_URL)["body_html"])
    assert "，" in text
    assert nfkc(text) == unicodedata.normalize("NFKC", text)


def test_exact_fingerprint_ignores_spacing_and_punctuation_but_not_words():
    assert exact_fingerprint("李强指出，开放是上海的最大优势。") == exact_fingerprint(
        "李强指出 开放是上海的最大优势"
    )
    assert exact_fingerprint("李强指出，开放是上海的最大优势。") != exact_fingerprint(
        "李强指出，开放是北京的最大优势。"
    )
    assert len(exact_fingerprint("")) == 32


def test_simhash_is_64_bits_stable_and_zero_for_empty_text():
    text = "要围绕服务构建新发展格局，从畅通经济循环抓改革集成。" * 20
    assert 0 <= simhash(text) < 2**64
    assert simhash(text) == simhash(text)
    assert simhash("") == 0
    assert simhash("李") == simhash("李")


def test_hamming_counts_differing_bits_of_signed_or_unsigned_hashes():
    assert hamming(0, 0b1011) == 3
    assert hamming(-1, 2**64 - 1) == 0
    assert hamming(0, -1) == 64


@needs_shared
def test_a_few_changed_characters_move_the_simhash_a_little_and_another_text_far():
    text = body_text(article_from_file(SEED_PAGE, SEED_URL)["body_html"])
    rng = random.Random(1)
    letters = list(text)
    for position in rng.sample(range(len(letters)), 5):
        letters[position] = "某"
    shuffled = list(text)
    rng.shuffle(shuffled)
    assert hamming(simhash(text), simhash("".join(letters))) <= 6
    assert hamming(simhash(text), simhash("".join(shuffled))) > 16


def _reference_simhash(normalised: str) -> int:
    """The SimHash as 0.5.1 computed it, one ``xxhash`` call per shingle (bit 8k + j: bit j of digest byte k)."""
    data = normalised.encode("utf-32-le")
    if not data:
        return 0
    digests = (
        [xxhash.xxh3_64_digest(data)]
        if len(data) <= 8
        else [xxhash.xxh3_64_digest(data[start : start + 8]) for start in range(0, len(data) - 4, 4)]
    )
    counts = [sum(digest[bit // 8] >> (bit % 8) & 1 for digest in digests) for bit in range(64)]
    return sum(1 << bit for bit, count in enumerate(counts) if 2 * count > len(digests))


def _random_text(rng: random.Random, length: int) -> str:
    ranges = [(0x20, 0x7F), (0x4E00, 0x9FFF), (0xAC00, 0xD7A3), (0x10000, 0x10FFFF)]
    return "".join(chr(rng.randrange(*rng.choice(ranges))) for _ in range(length))


def test_shingle_hashes_are_the_xxhash_librarys_xxh3_of_each_shingle():
    rng = random.Random("xxh3")
    for length in [0, 1, 2, 3, *range(4, 400, 37)]:
        text = _random_text(rng, length)
        data = text.encode("utf-32-le")
        expected = (
            [xxhash.xxh3_64_intdigest(data)]
            if len(data) in (4, 8)
            else [xxhash.xxh3_64_intdigest(data[start : start + 8]) for start in range(0, len(data) - 4, 4)]
        )
        assert shingle_hashes(text).tolist() == (expected if data else [])


@needs_shared
def test_simhash_is_the_same_as_one_xxhash_call_per_shingle_gave_on_random_and_real_texts():
    rng = random.Random("simhash")
    texts = [_random_text(rng, rng.randrange(0, 3000)) for _ in range(200)]
    texts.append(normalise_text(body_text(article_from_file(SEED_PAGE, SEED_URL)["body_html"])))
    for text in texts:
        assert simhash(text) == _reference_simhash(normalise_text(text))
