"""Search text handling: normalisation, transliteration variants, phonetic keys and stemming."""

from __future__ import annotations

import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from knowledge.search.normalize import normalize, token_script, tokenize
from knowledge.search.stem import stem, stem_words
from knowledge.search.translit import (
    hy_key,
    hy_keys_from_latin,
    latin_to_armenian,
    latin_to_cyrillic,
    ru_key,
    ru_key_from_latin,
)


def test_nfkc_and_case_folding() -> None:
    assert normalize("ＰＡＳＳＰＯＲＴ") == "passport"
    assert normalize("ПАСПОРТ Ёлка") == "паспорт елка"
    assert normalize("ԱՆՁՆԱԳԻՐ") == "անձնագիր"


def test_armenian_marks_inside_words_are_removed() -> None:
    assert tokenize("Ինչպե՞ս ստանալ, ո՛չ, վա՜յ, բայց՝ այսպես") == ["ինչպես", "ստանալ", "ոչ", "վայ", "բայց", "այսպես"]


@pytest.mark.parametrize("spelling", ["Երևան", "Երեւան", "Երեվան", "ԵՐԵՒԱՆ"])
def test_ligature_ev_and_its_spellings_meet(spelling: str) -> None:
    assert normalize(spelling) == "երեվան"


def test_u_vowel_is_kept_while_other_yiwn_becomes_v() -> None:
    assert normalize("ՈՒՂԻ ուղի") == "ուղի ուղի"
    assert normalize("և") == "եվ"


def test_markup_links_and_staff_placeholders_are_not_words() -> None:
    text = "**Bold** _it_ [site](https://www.mfa.am) see https://e-gov.am [CENTRE: hotline number]"
    assert tokenize(text) == ["bold", "it", "site", "see"]


def test_latin_armenian_schwa_sign_stays_in_the_token() -> None:
    assert tokenize("@nker pasport@") == ["@nker", "pasport@"]


def test_look_alike_letters_of_the_other_script_are_fixed() -> None:
    # Latin "a", "o" and "p" typed inside a Russian word
    assert tokenize("пaспoрт и passport") == ["паспорт", "и", "passport"]


def test_token_script() -> None:
    assert [token_script(t) for t in ("անձնագիր", "паспорт", "pasport", "2024")] == ["hy", "cyrl", "latn", "other"]


@pytest.mark.parametrize(
    ("latin", "armenian"),
    [
        ("inchpes", "ինչպես"),
        ("vonc", "ոնց"),
        ("ashxatanq", "աշխատանք"),
        ("ashkhatank", "աշխատանք"),
        ("andznagir", "անձնագիր"),
        ("@nker", "ընկեր"),
        ("chgitem", "չգիտեմ"),
        ("4gitem", "չգիտեմ"),
        ("ughi", "ուղի"),
        ("qaghaq", "քաղաք"),
        ("zhamanak", "ժամանակ"),
        ("jamanak", "ժամանակ"),
        ("tsnndyan", "ծննդյան"),
        ("yerevan", "երեվան"),
        ("erexa", "երեխա"),
        ("voch", "ոչ"),
        ("pasporty", "պասպորտը"),
        ("ouxarkel", "ուղարկել"),
        ("wat", "շատ"),
        ("djur", "ջուր"),
    ],
)
def test_latin_to_armenian_offers_the_real_spelling(latin: str, armenian: str) -> None:
    variants = latin_to_armenian(latin)
    assert 1 <= len(variants) <= 6
    assert armenian in variants or hy_key(armenian) in hy_keys_from_latin(latin)


@pytest.mark.parametrize(
    ("latin", "armenian"),
    [
        ("ashxatanq", "աշխատանք"),
        ("ashkhatank", "աշխատանք"),
        ("kensatoshak", "կենսաթոշակ"),
        ("tsnndyan", "ծննդյան"),
        ("cnndyan", "ծննդյան"),
        ("yerexa", "երեխա"),
        ("vortegh", "որտեղ"),
        ("hayastanum", "Հայաստանում"),
        ("axjik", "աղջիկ"),
    ],
)
def test_latin_and_armenian_spellings_share_a_phonetic_key(latin: str, armenian: str) -> None:
    assert hy_key(normalize(armenian)) in hy_keys_from_latin(latin)


@pytest.mark.parametrize(
    ("latin", "cyrillic"),
    [
        ("kak", "как"),
        ("zhena", "жена"),
        ("shkola", "школа"),
        ("shchi", "щи"),
        ("chto", "что"),
        ("4to", "что"),
        ("yazyk", "язык"),
        ("jazyk", "язык"),
        ("yug", "юг"),
        ("pensiya", "пенсия"),
        ("novyj", "новый"),
        ("moy", "мой"),
        ("tsena", "цена"),
        ("khorosho", "хорошо"),
    ],
)
def test_latin_to_cyrillic(latin: str, cyrillic: str) -> None:
    assert latin_to_cyrillic(latin) == cyrillic


@pytest.mark.parametrize(("latin", "cyrillic"), [("schet", "счёт"), ("pasport", "паспорт"), ("dengi", "деньги")])
def test_russian_latin_spellings_share_a_phonetic_key(latin: str, cyrillic: str) -> None:
    assert ru_key_from_latin(latin) == ru_key(normalize(cyrillic))


def test_short_abbreviations_keep_their_letters() -> None:
    assert ru_key("ооо") == "ooo"
    assert hy_key("ապպարատ") == "aparat"


@pytest.mark.parametrize(
    ("lang", "forms"),
    [
        ("hy", ["անձնագիր", "անձնագիրը"]),
        ("hy", ["դպրոց", "դպրոցում"]),
        ("ru", ["паспорт", "паспорта", "паспортом"]),
        ("ru", ["пенсия", "пенсии"]),
        ("en", ["loan", "loans"]),
        ("en", ["renew", "renewing"]),
    ],
)
def test_snowball_stems_meet(lang: str, forms: list[str]) -> None:
    assert len(set(stem_words(lang, forms))) == 1


def test_unknown_language_is_left_unstemmed() -> None:
    assert stem("xx", "words") == "words"


def test_stemming_from_many_threads() -> None:
    errors: list[str] = []

    def work() -> None:
        for _ in range(200):
            if stem("ru", "паспорта") != "паспорт" or stem("hy", "դպրոցում") != "դպրոց":
                errors.append("bad stem")

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors


@given(st.text(max_size=60))
def test_normalisation_is_idempotent_and_tokens_are_words(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once
    for token in tokenize(text):
        assert token and not any(c.isspace() for c in token)
