"""The duplicate finder alone: plain records in, scored pairs with reasons out."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from rapport.transfer.duplicates import (
    MAX_SHARED_KEY,
    PersonRecord,
    find_candidates,
    name_forms,
    name_similarity,
    phone_key,
)

ACME = ((1, "Acme"),)


def person(pk: int, name: str, **extra) -> PersonRecord:
    return PersonRecord(id=pk, display_name=name, **extra)


def pairs(people: list[PersonRecord]) -> set[tuple[int, int]]:
    return {c.pair for c in find_candidates(people)}


def test_the_same_email_in_another_case_is_one_person_with_the_address_as_reason():
    found = find_candidates(
        [
            person(1, "Anna Lee", emails=("anna@northwind.example",)),
            person(2, "A. Lee", emails=("Anna@Northwind.example",)),
        ]
    )
    assert [c.pair for c in found] == [(1, 2)]
    assert [str(r) for r in found[0].reasons] == ["same email anna@northwind.example"]
    assert found[0].score >= 90


def test_the_same_phone_written_two_ways_is_found():
    found = find_candidates(
        [
            person(1, "王小明", phones=("+86 138 0013 8000",)),
            person(2, "Wang", phones=("(+86) 13800138000",)),
        ]
    )
    assert [str(r) for r in found[0].reasons] == ["same phone +86 138 0013 8000"]


def test_chinese_and_latin_spellings_of_one_name_at_one_organisation_are_found():
    wang = person(1, "王小明", given_name="小明", family_name="王", organisations=ACME)
    spellings = ["Wang Xiaoming", "Xiaoming Wang", "Xiao-Ming Wang", "WANG Xiao Ming"]
    for pk, spelling in enumerate(spellings, start=2):
        found = find_candidates([wang, person(pk, spelling, organisations=ACME)])
        assert [c.pair for c in found] == [(1, pk)], spelling
        assert str(found[0].reasons[0]) == f"names 王小明 / {spelling} sound alike at Acme"


def test_close_latin_names_at_one_organisation_are_found_but_not_at_two():
    jon = person(1, "Jon Smith", organisations=ACME)
    assert pairs([jon, person(2, "John Smith", organisations=ACME)]) == {(1, 2)}
    assert pairs([jon, person(2, "John Smith", organisations=((2, "Globex"),))]) == set()


def test_different_short_chinese_names_are_not_confused():
    people = [
        person(1, "王伟", organisations=ACME),
        person(2, "王文", organisations=ACME),
        person(3, "李娜", organisations=ACME),
    ]
    assert pairs(people) == set()


def test_a_middle_name_does_not_hide_a_duplicate():
    assert (
        name_similarity(
            name_forms(person(1, "John F. Kennedy")), name_forms(person(2, "John Kennedy"))
        )
        == 100
    )


def test_a_pair_found_by_email_mentions_alike_names_as_a_further_reason():
    found = find_candidates(
        [
            person(1, "王小明", emails=("xm@huawei.example",)),
            person(2, "Xiaoming Wang", emails=("xm@huawei.example",)),
        ]
    )
    assert [r.kind for r in found[0].reasons] == ["email", "name"]
    assert found[0].score > 95


def test_a_switchboard_number_shared_by_many_is_no_evidence():
    many = [person(i, f"Person {i}", phones=("+44 20 7946 0000",)) for i in range(40)]
    assert pairs(many) == set()


def test_dismissed_pairs_are_left_out_in_either_order():
    people = [person(1, "A", emails=("a@x.example",)), person(2, "B", emails=("a@x.example",))]
    assert find_candidates(people, excluded=[(2, 1)]) == []


def test_phone_keys_agree_for_stored_and_typed_forms():
    assert phone_key("+86 138 0013 8000") == phone_key("+8613800138000") == "+8613800138000"
    assert phone_key("020 7946 0958", "GB") == phone_key("+44 20 7946 0958")
    assert phone_key("12") is None


# Properties -------------------------------------------------------------------------

NAMES = st.sampled_from(
    [
        "王小明",
        "Wang Xiaoming",
        "Xiaoming Wang",
        "李娜",
        "Li Na",
        "Anna Lee",
        "Anne Lee",
        "Jon Smith",
        "John Smith",
        "欧阳娜娜",
    ]
)
EMAILS = st.sampled_from(["a@x.example", "b@x.example", "A@X.example", "c@y.example"])
PHONES = st.sampled_from(["+86 138 0013 8000", "+8613800138000", "+44 20 7946 0958"])
ORGS = st.sampled_from([(1, "Acme"), (2, "Globex"), (3, "华为")])


@st.composite
def books(draw):
    size = draw(st.integers(min_value=0, max_value=12))
    return [
        PersonRecord(
            id=pk,
            display_name=draw(NAMES),
            emails=tuple(draw(st.lists(EMAILS, max_size=2))),
            phones=tuple(draw(st.lists(PHONES, max_size=2))),
            organisations=tuple(draw(st.lists(ORGS, max_size=2))),
        )
        for pk in draw(st.lists(st.integers(1, 10_000), min_size=size, max_size=size, unique=True))
    ]


@given(books())
@settings(max_examples=150, deadline=None)
def test_nobody_is_their_own_duplicate_and_pairs_are_ordered_and_unique(people):
    found = find_candidates(people)
    assert all(c.first < c.second for c in found)
    assert len({c.pair for c in found}) == len(found)
    assert all(1 <= c.score <= 100 and c.reasons for c in found)


@given(books(), st.randoms(use_true_random=False))
@settings(max_examples=100, deadline=None)
def test_the_pairs_do_not_depend_on_the_order_people_come_in(people, random):
    shuffled = list(people)
    random.shuffle(shuffled)
    assert find_candidates(people) == find_candidates(shuffled)


@given(books())
@settings(max_examples=100, deadline=None)
def test_similarity_is_symmetric(people):
    for a in people:
        for b in people:
            assert name_similarity(name_forms(a), name_forms(b)) == name_similarity(
                name_forms(b), name_forms(a)
            )


@given(books())
@settings(max_examples=150, deadline=None)
def test_two_people_with_the_same_email_are_always_found(people):
    holders: dict[str, set[int]] = {}
    for p in people:
        for e in p.emails:
            holders.setdefault(e.casefold(), set()).add(p.id)
    found = pairs(people)
    for ids in holders.values():
        if len(ids) <= MAX_SHARED_KEY:
            ordered = sorted(ids)
            for i, a in enumerate(ordered):
                for b in ordered[i + 1 :]:
                    assert (a, b) in found


def test_a_crowd_with_one_name_key_at_one_employer_is_compared_by_exact_name_only():
    letters = "abcdefghijklmnopqrstuvwxyz"
    crowd = [
        person(i, f"Wang Xi{letters[i // 26]}{letters[i % 26]}", organisations=ACME)
        for i in range(450)
    ]
    crowd.append(person(1000, "Wang Xiab", organisations=ACME))  # the same as person 1
    assert pairs(crowd) == {(1, 1000)}
