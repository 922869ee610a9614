"""Each participation carries copies of its interaction (time, kind, focus, visibility)
and the bits of its signals, which the trust card sums a long history from. Whatever
writes an interaction, its people or its signals, the copies must stay equal to the
records: a stale copy would show a private conversation's weight to the team, or
count a note as contact."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rapport.interactions.models import (
    MOMENT_BITS,
    Interaction,
    Participation,
    Signal,
    moment_bits,
    moment_kinds,
)
from rapport.interactions.services import interaction_create, interaction_update
from rapport.people.services import person_create, person_update
from rapport.trust import evidence

WHEN = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)


def stale() -> list[tuple[Any, ...]]:
    """Participations whose copies differ from their interaction and its signals."""
    rows = []
    for p in Participation.objects.select_related("interaction"):
        x = p.interaction
        kinds = Signal.objects.filter(interaction=x).values_list("kind", flat=True)
        mine = (p.occurred_at, p.kind, p.focus, p.visibility, p.moments)
        theirs = (x.occurred_at, x.kind, x.focus, x.visibility, moment_bits(kinds))
        if mine != theirs:
            rows.append((p.pk, mine, theirs))
    return rows


@given(st.sets(st.sampled_from(sorted(MOMENT_BITS))))
def test_the_signal_bits_read_back_as_the_same_kinds(kinds: set[str]) -> None:
    assert moment_kinds(moment_bits(kinds)) == kinds
    assert 0 <= moment_bits(kinds) < 1 << len(MOMENT_BITS)


def test_every_signal_kind_has_its_own_bit() -> None:
    assert set(MOMENT_BITS) == set(Signal.Kind.values)
    bits = list(MOMENT_BITS.values())
    assert len(set(bits)) == len(bits) and all(b & (b - 1) == 0 for b in bits)


def test_logging_and_editing_a_conversation_keeps_its_copies(alice: Any) -> None:
    wang = person_create(actor=alice, display_name="王小明")
    anna = person_create(actor=alice, display_name="Anna Lee")
    talk = interaction_create(
        actor=alice,
        participants=[wang],
        kind="call",
        occurred_at=WHEN,
        focus="client",
        summary="Budget call",
        signals=["summarised_first", "they_opened_up"],
    )
    assert stale() == []
    assert Participation.objects.get(interaction=talk).moments == 1 | 16
    interaction_update(
        actor=alice,
        interaction=talk,
        participants=[wang, anna],
        kind="meal",
        focus="personal",
        occurred_at=WHEN + dt.timedelta(days=1),
        signals=["we_opened_up", "they_opened_up"],
    )
    assert stale() == []
    assert set(Participation.objects.values_list("kind", flat=True)) == {"meal"}
    interaction_update(actor=alice, interaction=talk, signals=[])
    assert stale() == []
    # A signal written on its own (as a test or an admin would) and one deleted alone.
    Signal.objects.create(interaction=talk, kind="price_pressure")
    assert stale() == [] and Participation.objects.filter(moments=4).count() == 2
    Signal.objects.filter(interaction=talk).delete()
    assert stale() == []


def test_a_contact_made_private_takes_the_copies_of_their_conversations_along(
    alice: Any,
) -> None:
    """The team must not see a private contact's conversations through the copies."""
    lee = person_create(actor=alice, display_name="Lee Wei")
    talk = interaction_create(
        actor=alice, participants=[lee], kind="email", occurred_at=WHEN, summary="Hello"
    )
    person_update(actor=alice, person=lee, visibility="private")
    talk.refresh_from_db()
    assert talk.visibility == "private"
    assert stale() == []
    # And the card reads nothing of it as shared.
    shared = evidence.people_events([(lee, 1.0)], WHEN + dt.timedelta(days=1))
    assert lee.pk in shared


def test_a_participation_saved_alone_takes_its_interactions_copies(alice: Any) -> None:
    wang = person_create(actor=alice, display_name="王小明")
    anna = person_create(actor=alice, display_name="Anna Lee")
    talk = interaction_create(
        actor=alice,
        participants=[wang],
        kind="video",
        occurred_at=WHEN,
        focus="ours",
        summary="Demo",
        signals=["unsolicited_upsell"],
    )
    Participation.objects.create(interaction=talk, person=anna)
    assert stale() == []


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    edits=st.lists(
        st.tuples(
            st.sampled_from(list(Interaction.Kind.values)),
            st.sampled_from(list(Interaction.Focus.values)),
            st.sets(st.sampled_from(sorted(MOMENT_BITS))),
            st.integers(min_value=1, max_value=3),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_any_run_of_edits_leaves_no_stale_copy(alice: Any, edits: list[Any]) -> None:
    people = [person_create(actor=alice, display_name=f"Client {n}") for n in range(3)]
    talk = interaction_create(
        actor=alice, participants=people[:1], kind="call", occurred_at=WHEN, summary="First"
    )
    for n, (kind, focus, kinds, count) in enumerate(edits):
        interaction_update(
            actor=alice,
            interaction=talk,
            participants=people[:count],
            kind=kind,
            focus=focus,
            occurred_at=WHEN + dt.timedelta(hours=n),
            signals=sorted(kinds),
        )
        assert stale() == []


def test_a_participation_written_in_bulk_without_its_copies_is_refused(alice: Any) -> None:
    from django.db import IntegrityError, transaction

    wang = person_create(actor=alice, display_name="王小明")
    talk = interaction_create(
        actor=alice, participants=[wang], kind="call", occurred_at=WHEN, summary="Call"
    )
    anna = person_create(actor=alice, display_name="Anna Lee")
    with pytest.raises(IntegrityError), transaction.atomic():
        Participation.objects.bulk_create(
            [Participation(interaction=talk, person=anna, occurred_at=WHEN)]
        )
