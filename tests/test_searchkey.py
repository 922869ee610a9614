"""The search text people are found by, and how queries are read."""

from hypothesis import given
from hypothesis import strategies as st

from rapport.people.searchkey import build, fold, normalise_query, pinyin_forms


def test_a_chinese_name_is_found_by_characters_pinyin_and_initials():
    text = build(names=["王小明"])
    for query in ["王小明", "小明", "wangxiaoming", "xiaoming", "wang xiao", "wxm"]:
        assert all(term in text for term in normalise_query(query)), query


def test_accents_and_case_do_not_matter():
    text = build(names=["Zoë Müller"])
    assert all(t in text for t in normalise_query("ZOE muller"))


def test_a_phone_number_is_found_by_its_digits_however_it_is_typed():
    text = build(names=["X"], phones=["+86 138 0013 8000"])
    for query in ["13800138000", "138-0013-8000", "+86 138 0013 8000", "8000"]:
        assert all(t in text for t in normalise_query(query)), query


def test_latin_text_has_no_pinyin_forms():
    assert pinyin_forms("Anna Lee") == []


@given(st.text())
def test_fold_is_idempotent(text):
    assert fold(fold(text)) == fold(text)


@given(st.lists(st.text(min_size=1, max_size=30), min_size=1, max_size=4))
def test_every_word_of_every_name_finds_the_person(names):
    text = build(names=names)
    for name in names:
        for term in normalise_query(name):
            if term.isdigit():
                continue  # digit runs in names are not phone numbers; covered above
            assert term in text


@given(st.text(max_size=60))
def test_query_terms_never_contain_whitespace(query):
    assert all(term and not any(c.isspace() for c in term) for term in normalise_query(query))
