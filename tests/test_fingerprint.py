from __future__ import annotations

import random

from newsbot.fingerprint import body_text, exact_fingerprint, hamming, normalise_text, simhash
from tests.conftest import SEED_PAGE, SEED_URL, needs_shared
from tests.postmaking import article_from_file


def test_body_text_keeps_visible_text_only():
    html = "<p>上证报讯  记者\n宋薇萍</p><script>var x = 1;</script><style>p{}</style><!-- note --><p>李强指出</p>"
    assert body_text(html) == "上证报讯 记者 宋薇萍李强指出"


def test_normalised_text_folds_width_case_spacing_and_punctuation():
    assert normalise_text("ＡＢＣ，ａｂｃ！ 1２3。“引领区”") == "abcabc123引领区"


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
