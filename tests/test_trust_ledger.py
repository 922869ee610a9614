"""A long history's older conversations are summed once and kept (HistoryLedger), so a
trust card does not read thousands of them again. Whatever is written afterwards, a
card must read exactly what it would read without the ledger: database triggers forget
a ledger when a row it covers changes, and the carried decay must be exact."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rapport.interactions.models import Interaction, Participation
from rapport.interactions.services import (
    interaction_create,
    interaction_delete,
    interaction_update,
)
from rapport.people.services import person_create
from rapport.transfer.merge import merge_people
from rapport.trust import evidence, ledger
from rapport.trust.models import HistoryLedger

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
ITEMISED = 6


@pytest.fixture(autouse=True)
def small_ledgers(monkeypatch: pytest.MonkeyPatch) -> None:
    """The ledger's thresholds at a test's scale: a history of 20 is "long"."""
    monkeypatch.setattr(evidence, "LEDGER_FROM", 8)
    monkeypatch.setattr(evidence, "LEDGER_MARGIN", 3)


def history(actor: Any, person: Any, n: int, *, start: dt.datetime = NOW) -> list[Interaction]:
    focuses = list(Interaction.Focus.values)
    signals = [[], ["they_opened_up"], ["price_pressure"], [], ["summarised_first"]]
    return [
        interaction_create(
            actor=actor,
            participants=[person],
            kind="call" if k % 3 else "meeting",
            occurred_at=start - dt.timedelta(days=3 * k + 1, hours=k % 5),
            focus=focuses[k % len(focuses)],
            summary=f"Talk {k}",
            signals=signals[k % len(signals)],
        )
        for k in range(n)
    ]


def read(person: Any, now: dt.datetime) -> list[tuple[Any, ...]]:
    events = evidence.people_events([(person, 1.0)], now, itemised=ITEMISED)[person.pk]
    return sorted((e.kind, e.at, e.key, e.count, e.label, e.dated, e.scale) for e in events)


def same(a: list[tuple[Any, ...]], b: list[tuple[Any, ...]]) -> bool:
    """The same events, their weights equal but for float rounding (sums carried by a
    factor differ from sums taken afresh in the last bits)."""
    return len(a) == len(b) and all(
        x[:-1] == y[:-1] and math.isclose(x[-1], y[-1], rel_tol=1e-9, abs_tol=1e-12)
        for x, y in zip(a, b, strict=True)
    )


def without_ledger(person: Any, now: dt.datetime, monkeypatch: pytest.MonkeyPatch) -> Any:
    with monkeypatch.context() as m:
        m.setattr(ledger, "usable", lambda _connection: False)
        return read(person, now)


def test_a_long_history_reads_the_same_from_its_ledger(
    alice: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    wang = person_create(actor=alice, display_name="王小明")
    history(alice, wang, 30)
    expected = without_ledger(wang, NOW, monkeypatch)
    assert not HistoryLedger.objects.exists()
    assert same(read(wang, NOW), expected)  # builds the ledger
    kept = HistoryLedger.objects.get(person=wang)
    assert sum(g[3] for g in kept.groups) == 30 - ITEMISED - 3
    assert same(read(wang, NOW), expected)  # reads it
    # Weeks later the kept sums are carried forward exactly.
    later = NOW + dt.timedelta(days=45)
    assert same(read(wang, later), without_ledger(wang, later, monkeypatch))
    assert HistoryLedger.objects.get(person=wang).built_at == kept.built_at


def test_a_short_history_keeps_no_ledger(alice: Any) -> None:
    lee = person_create(actor=alice, display_name="Lee Wei")
    history(alice, lee, ITEMISED + 5)
    read(lee, NOW)
    assert not HistoryLedger.objects.exists()


def test_editing_an_old_conversation_forgets_the_ledger_and_the_card_shows_the_edit(
    alice: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    wang = person_create(actor=alice, display_name="王小明")
    talks = history(alice, wang, 30)
    before = read(wang, NOW)
    oldest = talks[-1]
    interaction_update(
        actor=alice, interaction=oldest, focus="ours", signals=["unsolicited_upsell"]
    )
    assert not HistoryLedger.objects.filter(person=wang).exists()
    after = read(wang, NOW)
    assert not same(after, before)
    assert same(after, without_ledger(wang, NOW, monkeypatch))


def test_a_new_conversation_leaves_the_ledger_in_place(alice: Any) -> None:
    wang = person_create(actor=alice, display_name="王小明")
    history(alice, wang, 30)
    read(wang, NOW)
    interaction_create(
        actor=alice, participants=[wang], kind="call", occurred_at=NOW, summary="Today"
    )
    assert HistoryLedger.objects.filter(person=wang).exists()


def test_merging_two_people_forgets_both_ledgers(alice: Any) -> None:
    wang = person_create(actor=alice, display_name="王小明")
    twin = person_create(actor=alice, display_name="Wang Xiaoming")
    history(alice, wang, 30)
    history(alice, twin, 30, start=NOW - dt.timedelta(days=7))
    read(wang, NOW), read(twin, NOW)
    assert HistoryLedger.objects.count() == 2
    merge_people(actor=alice, keep=wang, other=twin)
    assert not HistoryLedger.objects.exists()
    assert Participation.objects.filter(person=wang).count() == 60


def test_rows_written_by_plain_sql_are_caught_too(alice: Any) -> None:
    wang = person_create(actor=alice, display_name="王小明")
    history(alice, wang, 30)
    read(wang, NOW)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE interactions_participation SET moments = 0 WHERE person_id = %s",
            [wang.pk],
        )
    assert not HistoryLedger.objects.exists()


OPS = st.one_of(
    st.tuples(st.just("edit"), st.integers(0, 29), st.sampled_from(Interaction.Focus.values)),
    st.tuples(st.just("signal"), st.integers(0, 29), st.sampled_from(["price_pressure", ""])),
    st.tuples(st.just("delete"), st.integers(0, 29), st.none()),
    st.tuples(st.just("add"), st.integers(0, 120), st.sampled_from(Interaction.Focus.values)),
    st.tuples(st.just("later"), st.integers(1, 400), st.none()),
)


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=st.lists(OPS, min_size=1, max_size=6))
def test_whatever_is_written_the_card_reads_as_if_there_were_no_ledger(
    alice: Any, monkeypatch: pytest.MonkeyPatch, ops: list[tuple[str, int, Any]]
) -> None:
    HistoryLedger.objects.all().delete()
    wang = person_create(actor=alice, display_name="王小明")
    talks: list[Interaction | None] = list(history(alice, wang, 30))
    now = NOW
    read(wang, now)
    for op, n, arg in ops:
        talk = talks[n] if op in ("edit", "signal", "delete") else None
        if op == "edit" and talk is not None:
            interaction_update(actor=alice, interaction=talk, focus=arg)
        elif op == "signal" and talk is not None:
            interaction_update(actor=alice, interaction=talk, signals=[arg] if arg else [])
        elif op == "delete" and talk is not None:
            interaction_delete(actor=alice, interaction=talk)
            talks[n] = None
        elif op == "add":
            talks.append(
                interaction_create(
                    actor=alice,
                    participants=[wang],
                    kind="email",
                    occurred_at=now - dt.timedelta(days=n),
                    focus=arg,
                    summary="Added",
                )
            )
        elif op == "later":
            now += dt.timedelta(days=n)
        assert same(read(wang, now), without_ledger(wang, now, monkeypatch))
