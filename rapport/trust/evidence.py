# ruff: noqa: S608 (SQL below interpolates only fixed column names and snippets; values are parameters)
"""The evidence behind a trust score, read from the records: one relationship's events
one by one (for its explanation), or every relationship's sums at once with set-based
SQL (for a full recompute).

Both paths share the rules below that turn a record into a kind of event, and count
only what every viewer of the person may see: records shared with the team, and for
someone's private contact everything (only its owner sees that person at all).
An organisation pools its shared people (weighted by influence) and the promises,
claims and evidence made to it directly.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from rapport.accounts.models import Member
from rapport.commitments.models import Commitment
from rapport.core.links import links
from rapport.gifts.rules import trust_kinds as gift_kinds
from rapport.interactions.models import Interaction, Signal, moment_kinds
from rapport.people.models import Organisation, Person, Role, Visibility
from rapport.portal.survey import question_text
from rapport.trust import equation, ledger
from rapport.trust import weights as W
from rapport.trust.equation import Event, Sums
from rapport.trust.models import Claim, HistoryLedger

SIGNAL_KINDS = {k.value for k in Signal.Kind}
OPENING = {Signal.Kind.THEY_OPENED_UP.value, Signal.Kind.WE_OPENED_UP.value}

# ---------------------------------------------------------------------------------------
# Record → kind of event. Shared by both paths so they cannot disagree.


FOCUS_KINDS: dict[str, tuple[str, ...]] = {
    Interaction.Focus.OURS: ("contact", "our_agenda"),
    Interaction.Focus.CLIENT: ("contact", "their_agenda"),
    Interaction.Focus.MUTUAL: ("contact", "mutual_agenda"),
    Interaction.Focus.PERSONAL: ("contact", "personal_talk"),
}


def focus_kinds(focus: str) -> tuple[str, ...]:
    """Every contact builds a little intimacy; its focus tells whose agenda it served."""
    return FOCUS_KINDS.get(focus, ("contact",))


def signal_kind(kind: str, partner: bool) -> str | None:
    """Openness offered and returned in one conversation counts once, as reciprocal."""
    if kind in OPENING and partner:
        return "reciprocal_openness" if kind == Signal.Kind.THEY_OPENED_UP else None
    return kind if kind in SIGNAL_KINDS else None


STATUS_KINDS: dict[str, str] = {
    Commitment.Status.KEPT: "promise_kept",
    Commitment.Status.KEPT_LATE: "promise_late",
    Commitment.Status.BROKEN: "promise_broken",
}
MATCH_KINDS: dict[str, str] = {
    Commitment.Match.EXCEEDED: "delivered_exceeded",
    Commitment.Match.MET: "delivered_met",
    Commitment.Match.SHORT: "delivered_short",
}
CLAIM_KINDS: dict[str, str] = {
    Claim.Status.ACCURATE: "claim_accurate",
    Claim.Status.EXAGGERATED: "claim_exaggerated",
    Claim.Status.FALSE: "claim_false",
}


@functools.cache
def moment_events(bits: int) -> tuple[str, ...]:
    """The event kinds of a conversation whose signals are `bits`
    (Participation.moments), in the order of their signal kinds."""
    kinds = moment_kinds(bits)
    found = []
    for kind in sorted(kinds):
        event_kind = signal_kind(kind, bool(OPENING & (kinds - {kind})))
        if event_kind:
            found.append(event_kind)
    return tuple(found)


def shown_kind(was_expired: bool, was_verified: bool) -> str:
    if was_expired:
        return "evidence_expired"
    return "evidence_verified" if was_verified else "evidence_unverified"


def renegotiation_kind(in_time: bool) -> str:
    return "renegotiated_in_time" if in_time else "renegotiated_late"


def disclosure_kind(prompt: bool) -> str:
    return "risk_disclosed" if prompt else "risk_disclosed_late"


def cadence_event(
    last: dt.datetime | None, cadence_days: int | None, now: dt.datetime
) -> Event | None:
    """Contact kept to the wanted rhythm, or a silence that has run past it (weighing
    more the longer it runs). Nothing when no rhythm is wanted or no contact happened."""
    if not cadence_days or last is None:
        return None
    silence = (now - last).total_seconds() / 86400.0
    if silence <= cadence_days:
        return Event(
            "in_touch",
            now,
            label=_("last contact %(days)s days ago; wanted every %(cadence)s days")
            % {"days": int(silence), "cadence": cadence_days},
        )
    cap = W.QUIET_WEIGHT_CAP / W.RULES["gone_quiet"].weight
    scale = min(silence / cadence_days, cap)
    return Event(
        "gone_quiet",
        now,
        scale=scale,
        label=_("%(days)s days without contact; wanted every %(cadence)s days")
        % {"days": int(silence), "cadence": cadence_days},
    )


# ---------------------------------------------------------------------------------------
# One relationship, event by event.


def _visible(person: Person) -> Q:
    return Q() if person.visibility == Visibility.PRIVATE else Q(visibility=Visibility.TEAM)


def team_members(team_id: int) -> Any:
    """The team's own people (each member's Person): not relationships, so they have no
    trust of their own and add nothing to their organisation's."""
    return Member.objects.filter(team_id=team_id, person__isnull=False).values("person_id")


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


# A person's newest conversations are itemised in the explanation; older ones (a client
# of ten years may have thousands) are read as one summed event per kind, which gives
# the same score at a fraction of the cost. A hundred is months of weekly contact: the
# card shows five lines a component and its own page the rest, so more would be scrolled
# past, and each itemised conversation costs the heaviest cards about 0.05 ms.
ITEMISED = 100


def person_events(
    person: Person, now: dt.datetime, *, scale: float = 1.0, itemised: int = ITEMISED
) -> list[Event]:
    """Every event that bears on our trust with `person`, up to `now`."""
    return people_events([(person, scale)], now, itemised=itemised)[person.pk]


def people_events(
    people: Sequence[tuple[Person, float]], now: dt.datetime, *, itemised: int = ITEMISED
) -> dict[int, list[Event]]:
    """Each person's events, scaled by the weight given with them, read for all of them
    at once: about a dozen queries whatever the number of people (an organisation's
    card and refresh read every member)."""
    out: dict[int, list[Event]] = {person.pk: [] for person, _scale in people}
    groups: dict[bool, list[tuple[Person, float]]] = defaultdict(list)
    for person, scale in people:
        groups[person.visibility == Visibility.PRIVATE].append((person, scale))
    for private, group in groups.items():
        _read_events(group, now, private, itemised, out)
    return out


def _read_events(
    people: Sequence[tuple[Person, float]],
    now: dt.datetime,
    private: bool,
    itemised: int,
    out: dict[int, list[Event]],
) -> None:
    """Read the events of people of one visibility: a private person's records all
    count (only the owner sees that person), a shared person's shared records only."""
    scales = {person.pk: scale for person, scale in people}
    ids = list(scales)
    person_url = links("person_detail")
    timelines = {pk: person_url(pk) for pk in ids}
    meeting_url = links("meeting_detail")

    def add(
        person_id: int,
        kind: str,
        at: dt.datetime | None,
        label: str = "",
        url: str = "",
        key: tuple[str, int] = ("", 0),
        value: float | None = None,
    ) -> None:
        if at is not None and at <= now:
            out[person_id].append(
                Event(kind, at, scale=scales[person_id], value=value, label=label, url=url, key=key)
            )

    last = _conversation_events(people, now, private, timelines, itemised, out)
    for person, scale in people:
        quiet = cadence_event(last.get(person.pk), person.contact_cadence_days, now)
        if quiet is not None:
            out[person.pk].append(
                Event(
                    quiet.kind,
                    now,
                    scale=scale * quiet.scale,
                    label=quiet.label,
                    url=timelines[person.pk],
                    key=("cadence", person.pk),
                )
            )

    shared = "" if private else "AND visibility = 'team'"
    marks = _marks(ids)
    found = _promise_events(f"person_id IN ({marks}) {shared}", ids, now, scales, "person_id")
    for person_id, events in found.items():
        out[person_id].extend(events)

    # Meetings and decisions in their conversations.
    for person_id, at, interaction_id, summary, agenda, materials in _in_conversations(
        "commitments_meeting",
        "t.interaction_id, x.summary, t.agenda_shared_at, t.materials_sent_at",
        ids,
        private,
    ):
        url = meeting_url(interaction_id)
        key = ("meeting", interaction_id)
        if agenda and (agenda := _as_datetime(agenda)) < at:
            add(person_id, "agenda_ahead", agenda, summary, url, key)
        if materials and (materials := _as_datetime(materials)) < at:
            add(person_id, "materials_ahead", materials, summary, url, key)
    cut = now - dt.timedelta(days=W.DECISION_GRACE_DAYS)
    for (
        person_id,
        _at,
        decision_id,
        interaction_id,
        text,
        decided_at,
        commitment_id,
        no_follow_up,
    ) in _in_conversations(
        "commitments_decision",
        "t.id, t.interaction_id, t.text, t.decided_at, t.commitment_id, t.no_follow_up",
        ids,
        private,
        "AND t.decided_at IS NOT NULL",
    ):
        url = meeting_url(interaction_id)
        key = ("decision", decision_id)
        decided_at = _as_datetime(decided_at)
        if commitment_id:
            add(person_id, "decision_followed_up", decided_at, text, url, key)
        elif not no_follow_up and decided_at <= cut:
            add(person_id, "decision_dropped", decided_at, text, url, key)

    for fact_id, person_id, value, created_at in _rows(
        f"SELECT id, person_id, value, created_at FROM people_fact WHERE person_id IN ({marks})",
        ids,
    ):
        at = _as_datetime(created_at)
        add(person_id, "fact_known", at, value, timelines[person_id], ("fact", fact_id))
    gift_url = links("gift_edit")
    for gift_id, person_id, over_limit, occasion, given_on, description in _rows(
        f"""SELECT id, person_id, over_limit, occasion, given_on, description
            FROM gifts_gift WHERE person_id IN ({marks})""",
        ids,
    ):
        at = _midnight(_as_date(given_on))
        for kind in gift_kinds(bool(over_limit), occasion):
            add(person_id, kind, at, description, gift_url(gift_id), ("gift", gift_id))
    where = f"s.person_id IN ({marks}) {shared.replace('visibility', 's.visibility')}"
    for person_id, events in _shown_events(where, ids, now, scales).items():
        out[person_id].extend(events)
    for person_id, events in _claim_events(
        f"person_id IN ({marks}) {shared}", ids, now, scales, "person_id"
    ).items():
        out[person_id].extend(events)
    for person_id, events in _value_events(
        f"person_id IN ({marks})", ids, now, scales, "person_id"
    ).items():
        out[person_id].extend(events)
    for answer_id, person_id, component, answer, question, answered_at in _rows(
        f"""SELECT a.id, v.person_id, a.component, a.answer, a.question, v.answered_at
            FROM trust_surveyanswer a JOIN trust_survey v ON v.id = a.survey_id
            WHERE v.person_id IN ({marks}) AND v.answered_at IS NOT NULL""",
        ids,
    ):
        add(
            person_id,
            f"survey_{component}",
            _as_datetime(answered_at),
            question_text(question),
            "",
            ("survey", answer_id),
            value=equation.survey_value(component, answer),
        )


def _conversation_events(
    people: Sequence[tuple[Person, float]],
    now: dt.datetime,
    private: bool,
    timelines: Mapping[int, str],
    itemised: int,
    out: dict[int, list[Event]],
) -> dict[int, dt.datetime]:
    """Conversations and their moments: each of a person's newest `itemised`
    conversations as events, the older ones summed per kind. Returns when each person
    was last spoken to."""
    scales = {person.pk: scale for person, scale in people}
    ids = list(scales)
    if itemised <= 0:
        return _conversation_totals(scales, now, private, timelines, out)
    q = _Sql(now, half_life_days())

    # Where each long history is cut: the time of its newest conversation not itemised.
    # One statement; each person's probe walks at most `itemised` index entries.
    cut: dict[int, dt.datetime] = {
        person_id: _as_datetime(when)
        for person_id, when in _rows(
            f"""SELECT p.id, (SELECT pa.occurred_at FROM interactions_participation pa
                              WHERE pa.person_id = p.id AND pa.occurred_at <= %s
                              ORDER BY pa.occurred_at DESC LIMIT 1 OFFSET %s)
                FROM people_person p WHERE p.id IN ({_marks(ids)})""",
            [q.now_db, itemised, *ids],
        )
        if when is not None
    }
    whole = [pk for pk in ids if pk not in cut]
    recent = [f"pa.person_id IN ({_marks(whole)})"] if whole else []
    recent += ["(pa.person_id = %s AND pa.occurred_at > %s)"] * len(cut)
    recent_params: list[Any] = [*whole]
    for person_id, when in cut.items():
        recent_params += [person_id, q.db(when)]
    shared = "" if private else "AND pa.visibility = 'team'"
    talks = _rows(
        f"""SELECT pa.person_id, pa.interaction_id, pa.occurred_at, pa.focus, pa.moments,
                   x.summary
            FROM interactions_participation pa
            JOIN interactions_interaction x ON x.id = pa.interaction_id
            WHERE ({" OR ".join(recent)}) AND pa.occurred_at <= %s
            AND pa.kind <> 'note' {shared}""",
        [*recent_params, q.now_db],
    )
    contacts: dict[int, dict[int, tuple[dt.datetime, str]]] = defaultdict(dict)
    last: dict[int, dt.datetime] = {}

    def event(person_id: int, kind: str, at: dt.datetime, label: str, key: tuple[str, int]) -> None:
        scale = scales[person_id]
        out[person_id].append(Event(kind, at, scale, None, label, timelines[person_id], key))

    moments: list[tuple[int, int, int]] = []
    for person_id, interaction_id, at, focus, bits, summary in talks:
        at = _as_datetime(at)
        contacts[person_id][interaction_id] = (at, summary)
        if person_id not in last or at > last[person_id]:
            last[person_id] = at
        for kind in focus_kinds(focus):
            event(person_id, kind, at, summary, ("interaction", interaction_id))
        if bits:
            moments.append((person_id, interaction_id, bits))
    # Their moments, from the signal bits each participation carries.
    for person_id, interaction_id, bits in sorted(moments):
        at, summary = contacts[person_id][interaction_id]
        for kind in moment_events(bits):
            event(person_id, kind, at, summary, ("interaction", interaction_id))

    # Older conversations and their moments, summed per kind: kept in each long
    # history's ledger, plus what aged out of the itemised window since it was built.
    older: dict[int, dict[str, list[float]]] = defaultdict(lambda: defaultdict(lambda: [0.0, 0]))
    ledgers = _ledgers(list(cut), private, q) if cut else {}
    for person_id, when in cut.items():
        groups = _older_groups(q, person_id, when, private, itemised, ledgers.get(person_id))
        for focus, bits, weight, n, latest in groups:
            last[person_id] = max(last.get(person_id, latest), latest)
            for kind in (*focus_kinds(focus), *moment_events(bits)):
                older[person_id][kind][0] += weight
                older[person_id][kind][1] += n

    for person_id, summed in older.items():
        when = cut[person_id]
        before = formats.date_format(timezone.localtime(when), "DATE_FORMAT")
        for kind, (decayed, count) in sorted(summed.items()):
            label = ngettext(
                "%(count)d earlier conversation, up to %(date)s",
                "%(count)d earlier conversations, up to %(date)s",
                count,
            ) % {"count": count, "date": before}
            out[person_id].append(
                _summed(
                    kind,
                    decayed,
                    int(count),
                    now=now,
                    scale=scales[person_id],
                    label=label,
                    url=timelines[person_id],
                    key=("earlier", person_id),
                    dated=when,
                )
            )
    return last


# A history this much longer than its itemised part keeps a ledger of its older sums.
LEDGER_FROM = 500
# The ledger stops this many conversations short of the cut, so the few conversations
# deleted or moved in a day do not make it unusable.
LEDGER_MARGIN = 50
# Ledgers are rebuilt at least daily: the triggers catch every write, but a card that
# read the history just before a write could store sums from before it.
LEDGER_MAX_AGE = dt.timedelta(days=1)

Group = tuple[str, int, float, int, dt.datetime]


def _ledgers(ids: Sequence[int], private: bool, q: _Sql) -> dict[int, list[Any]]:
    """The usable ledgers of these people: taken over the same conversations (shared
    only, or all for a private person) with the same half-life, and recent."""
    if not ledger.usable(connection):
        return {}
    fresh = timezone.now() - LEDGER_MAX_AGE
    found: dict[int, list[Any]] = {}
    for person_id, was_private, rate, upto, groups, built_at in _rows(
        f"""SELECT person_id, private, rate, upto, groups, built_at FROM trust_historyledger
            WHERE person_id IN ({_marks(ids)})""",
        list(ids),
    ):
        if (
            bool(was_private) == private
            and math.isclose(rate, q.rate, rel_tol=1e-12)
            and _as_datetime(built_at) >= fresh
        ):
            found[person_id] = [_as_datetime(upto), _json_value(groups)]
    return found


def _json_value(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _group_rows(
    q: _Sql, person_id: int, private: bool, after: dt.datetime | None, upto: dt.datetime
) -> list[Group]:
    """The conversations in (after, upto] summed per (focus, moments), their decay taken
    as of q.now: one aggregate over the participations' index."""
    shared = "" if private else "AND pa.visibility = 'team'"
    decay, dp = q.decay("pa.occurred_at")
    since = "AND pa.occurred_at > %s" if after is not None else ""
    params = [*dp, person_id, q.db(upto)] + ([q.db(after)] if after is not None else [])
    return [
        (focus, int(bits), float(decayed), int(count), _as_datetime(latest))
        for focus, bits, decayed, count, latest in q.rows(
            f"""SELECT pa.focus, pa.moments, SUM({decay}), COUNT(*), MAX(pa.occurred_at)
                FROM interactions_participation pa
                WHERE pa.person_id = %s AND pa.occurred_at <= %s {since}
                AND pa.kind <> 'note' {shared}
                GROUP BY pa.focus, pa.moments""",
            params,
        )
    ]


def _older_groups(
    q: _Sql,
    person_id: int,
    cut: dt.datetime,
    private: bool,
    itemised: int,
    kept: list[Any] | None,
) -> list[Group]:
    """A long history's conversations up to `cut`, summed per (focus, moments) as of
    q.now: from its ledger when it has one, else read and, if long, kept."""
    if kept is not None and kept[0] <= cut:
        upto, groups = kept
        # Every conversation in the ledger is at or before `upto`, so carrying its sums
        # from `upto` to now is one factor.
        carry = math.exp(-q.rate * max((q.now - upto).total_seconds() / 86400.0, 0.0))
        held: list[Group] = [
            (focus, bits, decayed * carry, count, _as_datetime(latest))
            for focus, bits, decayed, count, latest in groups
        ]
        return held + _group_rows(q, person_id, private, upto, cut)
    beyond = _rows(
        """SELECT occurred_at FROM interactions_participation
           WHERE person_id = %s AND occurred_at <= %s
           ORDER BY occurred_at DESC LIMIT 1 OFFSET %s""",
        [person_id, q.now_db, itemised + LEDGER_MARGIN + LEDGER_FROM],
    )
    if not beyond or not ledger.usable(connection):
        return _group_rows(q, person_id, private, None, cut)
    # Long enough to keep: sum up to a point a little before the cut, as of that point.
    upto = _as_datetime(
        _rows(
            """SELECT occurred_at FROM interactions_participation
               WHERE person_id = %s AND occurred_at <= %s
               ORDER BY occurred_at DESC LIMIT 1 OFFSET %s""",
            [person_id, q.now_db, itemised + LEDGER_MARGIN],
        )[0][0]
    )
    at_upto = _Sql(upto, q.half_life_days)
    groups = _group_rows(at_upto, person_id, private, None, upto)
    HistoryLedger.objects.bulk_create(
        [
            HistoryLedger(
                person_id=person_id,
                private=private,
                rate=q.rate,
                upto=upto,
                groups=[[f, b, d, c, latest.isoformat()] for f, b, d, c, latest in groups],
                built_at=timezone.now(),
            )
        ],
        update_conflicts=True,
        unique_fields=["person"],
        update_fields=["private", "rate", "upto", "groups", "built_at"],
    )
    return _older_groups(q, person_id, cut, private, itemised, [upto, groups])


def _summed(
    kind: str,
    decayed: float,
    count: int,
    *,
    now: dt.datetime,
    scale: float,
    label: str,
    url: str,
    key: tuple[str, int],
    dated: dt.datetime,
) -> Event:
    """Many records of one kind as one event, weighed as of `now`: its scale carries
    their summed decay (or their number, for a kind that does not fade)."""
    weight = decayed if W.RULES[kind].decays else count
    return Event(kind, now, scale * weight, None, label, url, key, count=count, dated=dated)


def _in_conversations(
    table: str,
    columns: str,
    ids: Sequence[int],
    private: bool,
    where: str = "",
    params: Sequence[Any] = (),
) -> list[tuple[Any, ...]]:
    """Rows of `table` (meetings, decisions, moments: anything with an interaction_id)
    in these people's conversations, each led by the person and when they took part
    (an aware datetime). Read outwards from the participations' covering index, which
    a CROSS JOIN keeps first on SQLite; the conversation itself (`x`) is joined only
    when `columns` name it, and then only for the rows found."""
    shared = "" if private else "AND pa.visibility = 'team'"
    conversation = "CROSS JOIN interactions_interaction x" if "x." in columns else ""
    joined = "AND x.id = pa.interaction_id" if conversation else ""
    rows: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            cursor.execute(
                f"""SELECT pa.person_id, pa.occurred_at, {columns}
                    FROM interactions_participation pa
                    CROSS JOIN {table} t {conversation}
                    WHERE pa.person_id IN ({", ".join(["%s"] * len(chunk))})
                    AND t.interaction_id = pa.interaction_id {joined}
                    {shared} {where}""",
                [*chunk, *params],
            )
            rows.extend((row[0], _as_datetime(row[1]), *row[2:]) for row in cursor.fetchall())
    return rows


def _conversation_totals(
    scales: Mapping[int, float],
    now: dt.datetime,
    private: bool,
    timelines: Mapping[int, str],
    out: dict[int, list[Event]],
) -> dict[int, dt.datetime]:
    """Every conversation of these people and its moments as one summed event per
    person and kind, in two aggregate queries whatever their number (an organisation's
    card explains its people by their totals; their own cards itemise). Returns when
    each person was last spoken to."""
    q = _Sql(now, half_life_days())
    decay, dp = q.decay("pa.occurred_at")
    shared = "" if private else "AND pa.visibility = 'team'"
    # person → kind → [summed decay, count, newest]
    totals: dict[int, dict[str, list[Any]]] = defaultdict(dict)
    last: dict[int, dt.datetime] = {}

    def total(person_id: int, kind: str, decayed: float, count: int, newest: dt.datetime) -> None:
        slot = totals[person_id].setdefault(kind, [0.0, 0, newest])
        slot[0] += decayed
        slot[1] += count
        slot[2] = max(slot[2], newest)

    ids = list(scales)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ", ".join(["%s"] * len(chunk))
        for person_id, focus, bits, decayed, count, newest in q.rows(
            f"""SELECT pa.person_id, pa.focus, pa.moments, SUM({decay}), COUNT(*),
                       MAX(pa.occurred_at)
                FROM interactions_participation pa
                WHERE pa.person_id IN ({marks}) AND pa.occurred_at <= %s
                AND pa.kind <> 'note' {shared}
                GROUP BY pa.person_id, pa.focus, pa.moments""",
            [*dp, *chunk, q.now_db],
        ):
            newest = _as_datetime(newest)
            last[person_id] = max(last.get(person_id, newest), newest)
            for kind in (*focus_kinds(focus), *moment_events(bits)):
                total(person_id, kind, decayed, int(count), newest)
    labels: dict[int, str] = {}  # (an organisation's card has hundreds; each costs)
    for person_id, kinds in totals.items():
        for kind, (decayed, count, newest) in sorted(kinds.items()):
            # (Shown dated at the newest of them.)
            label = labels.get(count) or labels.setdefault(
                count,
                ngettext("%(count)d conversation", "%(count)d conversations", count)
                % {"count": count},
            )
            out[person_id].append(
                _summed(
                    kind,
                    decayed,
                    count,
                    now=now,
                    scale=scales[person_id],
                    label=label,
                    url=timelines[person_id],
                    key=("conversations", person_id),
                    dated=newest,
                )
            )
    return last


def half_life_days() -> float:
    return float(settings.RAPPORT_TRUST_HALF_LIFE_DAYS)


def _rows(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    """Plain SQL for the card's many small reads: building a Django queryset costs about
    a millisecond each, running one of these a tenth of that."""
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return cursor.fetchall()


def _marks(values: Sequence[Any]) -> str:
    return ", ".join(["%s"] * len(values)) or "NULL"


def _when(value: object) -> dt.datetime | None:
    return None if value is None else _as_datetime(value)


def _promise_events(
    where: str, params: Sequence[Any], now: dt.datetime, scales: Mapping[int, float], by: str
) -> dict[int, list[Event]]:
    """Our promises' events per subject (the `by` column: person_id or organisation_id),
    for the promises `where` selects."""
    events: dict[int, list[Event]] = defaultdict(list)
    rows = _rows(
        f"""SELECT id, {by}, title, status, closed_at, match, reported_back_at, due_at
            FROM commitments_commitment WHERE side = 'ours' AND {where}""",
        params,
    )
    subjects = {r[0]: r[1] for r in rows}
    if not subjects:
        return events
    promise_url = links("commitment_detail")

    def add(kind: str, at: dt.datetime | None, label: str, cid: int) -> None:
        if at is not None and at <= now:
            url = promise_url(cid)
            subject = subjects[cid]
            events[subject].append(
                Event(
                    kind, at, scale=scales[subject], label=label, url=url, key=("commitment", cid)
                )
            )

    titles: dict[int, str] = {}
    for cid, _subject, title, status, closed_at, match, reported_back_at, due_at in rows:
        titles[cid] = title
        closed_at = _when(closed_at)
        closed = closed_at if closed_at is not None and closed_at <= now else None
        if closed is not None and status in STATUS_KINDS:
            add(STATUS_KINDS[status], closed, title, cid)
            if match in MATCH_KINDS:
                add(MATCH_KINDS[match], closed, title, cid)
        open_then = status == Commitment.Status.OPEN or (closed_at is not None and closed_at > now)
        due_at = _as_datetime(due_at)
        if open_then and due_at < now:
            add("promise_overdue", due_at, title, cid)
        add("reported_back", _when(reported_back_at), title, cid)
    # Their renegotiations, milestones and risks in one read.
    ids = list(subjects)
    marks = _marks(ids)
    hidden_cut = now - dt.timedelta(days=W.RISK_GRACE_DAYS)
    for what, cid, first, second, third, text in _rows(
        f"""SELECT 'n', commitment_id, at, told_client_at, old_due_at, ''
              FROM commitments_renegotiation WHERE commitment_id IN ({marks})
            UNION ALL
            SELECT 'm', commitment_id, at, NULL, NULL, title
              FROM commitments_milestone WHERE commitment_id IN ({marks})
            UNION ALL
            SELECT 'r', commitment_id, raised_at, disclosed_at, resolved_at, title
              FROM commitments_risk WHERE commitment_id IN ({marks})""",
        ids * 3,
    ):
        if what == "n":
            told, old_due = _when(second), _as_datetime(third)
            in_time = told is not None and told < old_due
            add(renegotiation_kind(in_time), _as_datetime(first), titles[cid], cid)
        elif what == "m":
            add("milestone", _as_datetime(first), text, cid)
        else:
            raised, disclosed, resolved = _as_datetime(first), _when(second), _when(third)
            if disclosed is not None and disclosed <= now:
                prompt = disclosed - raised <= dt.timedelta(days=W.RISK_GRACE_DAYS)
                add(disclosure_kind(prompt), disclosed, text, cid)
            elif (resolved is None or resolved > now) and raised <= hidden_cut:
                add("risk_hidden", raised, text, cid)
    return events


def _shown_events(
    where: str, params: Sequence[Any], now: dt.datetime, scales: Mapping[int, float]
) -> dict[int, list[Event]]:
    """Evidence shown (`s`), per subject: the person or else the organisation."""
    events: dict[int, list[Event]] = defaultdict(list)
    for (
        shown_id,
        person_id,
        organisation_id,
        shown_at,
        expired,
        verified,
        evidence_id,
        title,
    ) in _rows(
        f"""SELECT s.id, s.person_id, s.organisation_id, s.shown_at, s.was_expired,
                   s.was_verified, s.evidence_id, e.title
            FROM trust_evidenceshown s JOIN trust_evidence e ON e.id = s.evidence_id
            WHERE {where}""",
        params,
    ):
        shown_at = _as_datetime(shown_at)
        if shown_at <= now:
            subject = person_id if person_id is not None else organisation_id
            events[subject].append(
                Event(
                    shown_kind(bool(expired), bool(verified)),
                    shown_at,
                    scale=scales[subject],
                    label=title,
                    url=reverse("evidence_detail", args=[evidence_id]),
                    key=("shown", shown_id),
                )
            )
    return events


def _claim_events(
    where: str, params: Sequence[Any], now: dt.datetime, scales: Mapping[int, float], by: str
) -> dict[int, list[Event]]:
    events: dict[int, list[Event]] = defaultdict(list)
    for claim_id, subject, status, assessed_at, statement in _rows(
        f"SELECT id, {by}, status, assessed_at, statement FROM trust_claim WHERE {where}",
        params,
    ):
        assessed = _when(assessed_at)
        if status in CLAIM_KINDS and assessed is not None and assessed <= now:
            events[subject].append(
                Event(
                    CLAIM_KINDS[status],
                    assessed,
                    scale=scales[subject],
                    label=statement,
                    url=reverse("claim_detail", args=[claim_id]),
                    key=("claim", claim_id),
                )
            )
    return events


def _value_events(
    where: str, params: Sequence[Any], now: dt.datetime, scales: Mapping[int, float], by: str
) -> dict[int, list[Event]]:
    """Value delivered and told to the client (items of the value ledger marked told),
    per subject. An item is seen by whoever sees its client, so all of them count."""
    events: dict[int, list[Event]] = defaultdict(list)
    url = links("person_value" if by == "person_id" else "organisation_value")
    for item_id, subject, title, told_at in _rows(
        f"""SELECT id, {by}, title, told_at FROM value_valueitem
            WHERE told_at IS NOT NULL AND {where}""",
        params,
    ):
        told = _as_datetime(told_at)
        if told <= now:
            events[subject].append(
                Event(
                    "value_reported",
                    told,
                    scale=scales[subject],
                    label=title,
                    url=url(subject),
                    key=("value", item_id),
                )
            )
    return events


def organisation_members(organisation: Organisation) -> list[tuple[Person, float]]:
    """The shared people in an organisation's current roles, with their weight."""
    weights: dict[int, float] = {}
    roles = (
        Role.objects.filter(
            organisation=organisation, ended_on__isnull=True, person__visibility=Visibility.TEAM
        )
        .exclude(person_id__in=team_members(organisation.team_id))
        .values_list("person_id", "influence", "is_decision_maker")
    )
    for person_id, influence, decides in roles:
        weights[person_id] = max(
            weights.get(person_id, 0.0), W.influence_weight(influence, decides)
        )
    people = Person.objects.filter(pk__in=weights).order_by("pk")
    return [(p, weights[p.pk]) for p in people]


def organisation_events(
    organisation: Organisation,
    now: dt.datetime,
    members: Sequence[tuple[Person, float]] | None = None,
    *,
    itemised: int = 0,
) -> list[Event]:
    """Its people's events scaled by their influence (each marked with its person), and
    what was done for it directly. Its people's conversations are summed per person
    unless `itemised` asks for their newest ones one by one: the organisation's card
    explains it person by person, and each person's own card itemises.
    (`members`: organisation_members, when the caller has read them already.)"""
    events: list[Event] = []
    if members is None:
        members = organisation_members(organisation)
    per_person = people_events([(person, 1.0) for person, _w in members], now, itemised=itemised)
    half_life = half_life_days()
    for person, weight in members:
        theirs = per_person[person.pk]
        # Each person's evidence on a component counts for at most POOL_CAP, then their
        # influence scales it (the same as `organisation_sums`; survey answers apart).
        totals: dict[str, float] = defaultdict(float)
        for event in theirs:
            if event.kind not in W.SURVEY_KINDS and event.at <= now:
                totals[W.RULES[event.kind].component] += equation.event_weight(
                    event, now, half_life
                )
        for event in theirs:
            share = weight
            if event.kind not in W.SURVEY_KINDS:
                share *= equation.capped(totals[W.RULES[event.kind].component], W.POOL_CAP)
            label = f"{person.display_name}: {event.label}" if event.label else person.display_name
            # (Built directly: dataclasses.replace costs five times as much, per event.)
            events.append(
                Event(
                    kind=event.kind,
                    at=event.at,
                    scale=event.scale * share,
                    value=event.value,
                    label=label,
                    url=event.url,
                    key=event.key,
                    count=event.count,
                    dated=event.dated,
                    who=person.pk,
                )
            )
    direct = "organisation_id = %s AND person_id IS NULL AND visibility = 'team'"
    itself = {organisation.pk: 1.0}
    by = "organisation_id"
    shown = "s.organisation_id = %s AND s.person_id IS NULL AND s.visibility = 'team'"
    for part in (
        _promise_events(direct, [organisation.pk], now, itself, by),
        _shown_events(shown, [organisation.pk], now, itself),
        _claim_events(direct, [organisation.pk], now, itself, by),
        _value_events(
            "organisation_id = %s AND person_id IS NULL", [organisation.pk], now, itself, by
        ),
    ):
        events.extend(part.get(organisation.pk, []))
    return events


# ---------------------------------------------------------------------------------------
# Every relationship of a team at once, in a fixed number of aggregate queries.


@dataclass
class TeamSums:
    """Our evidence per person and per organisation (done for it directly), and the
    clients' survey answers per person, kept apart so the card can show both views."""

    people: dict[int, dict[str, Sums]] = field(default_factory=dict)
    organisations: dict[int, dict[str, Sums]] = field(default_factory=dict)
    surveys: dict[int, dict[str, Sums]] = field(default_factory=dict)

    def person(self, person_id: int) -> dict[str, Sums]:
        return _slot(self.people, person_id)

    def survey(self, person_id: int) -> dict[str, Sums]:
        return _slot(self.surveys, person_id)


def _slot(table: dict[int, dict[str, Sums]], key: int) -> dict[str, Sums]:
    # Called once per aggregate row (over a million at size M): look up before building.
    found = table.get(key)
    if found is None:
        found = table[key] = {n: Sums() for n in W.COMPONENTS}
    return found


@dataclass
class Pooled:
    ours: dict[int, dict[str, Sums]]
    surveys: dict[int, dict[str, Sums]]


# The team's own people: each member's Person (one parameter, the team).
_MEMBERS = "SELECT person_id FROM accounts_member WHERE team_id = %s AND person_id IS NOT NULL"


class _Sql:
    """Backend-specific pieces of the aggregate SQL (SQLite and PostgreSQL)."""

    def __init__(self, now: dt.datetime, half_life_days: float) -> None:
        self.now = now
        self.half_life_days = half_life_days
        self.rate = math.log(2) / half_life_days
        self.sqlite = connection.vendor == "sqlite"
        self.now_db = connection.ops.adapt_datetimefield_value(now) if self.sqlite else now

    def db(self, value: dt.datetime) -> Any:
        return connection.ops.adapt_datetimefield_value(value) if self.sqlite else value

    def decay(self, column: str) -> tuple[str, list[Any]]:
        if self.sqlite:
            return f"exp(-%s * max(julianday(%s) - julianday({column}), 0))", [
                self.rate,
                self.now_db,
            ]
        return (
            f"exp(-%s * greatest(extract(epoch from (%s::timestamptz - {column}))::float8"
            " / 86400.0, 0))",
            [self.rate, self.now_db],
        )

    def within_days(self, later: str, earlier: str, days: int) -> str:
        if self.sqlite:
            return f"(julianday({later}) - julianday({earlier}) <= {int(days)})"
        return f"({later} - {earlier} <= interval '{int(days)} days')"

    def rows(self, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
        return _rows(sql, params)


def _add(
    target: dict[str, Sums],
    kind: str,
    decayed: float,
    count: int,
    scale: float = 1.0,
    value: float | None = None,
) -> None:
    rule = W.RULES[kind]
    weight = rule.weight * scale * (decayed if rule.decays else count)
    target[rule.component].add(weight, rule.value if value is None else value, count)


def team_sums(team_id: int, now: dt.datetime, half_life_days: float) -> TeamSums:
    """Every person's and organisation's sums for one team, as of `now`."""
    q = _Sql(now, half_life_days)
    out = TeamSums()
    shared = "(x.visibility = 'team' OR p.visibility = 'private')"

    # Conversations: contact, whose agenda, and when we last spoke. Two statements, so
    # the millions of participations are never joined to people only to test who may
    # see them: the team's shared conversations for everyone in them, then the private
    # conversations of private people (read from those few people). The team's own
    # members take part in nearly every conversation but are not relationships: left out.
    decay, dp = q.decay("pa.occurred_at")
    last: dict[int, dt.datetime] = {}
    conversations = q.rows(
        f"""SELECT pa.person_id, x.focus, SUM({decay}), COUNT(*), MAX(pa.occurred_at)
            FROM interactions_participation pa
            JOIN interactions_interaction x ON x.id = pa.interaction_id
            WHERE x.team_id = %s AND x.kind <> 'note' AND pa.occurred_at <= %s
            AND x.visibility = 'team' AND pa.person_id NOT IN ({_MEMBERS})
            GROUP BY pa.person_id, x.focus""",
        [*dp, team_id, q.now_db, team_id],
    ) + q.rows(
        f"""SELECT pa.person_id, x.focus, SUM({decay}), COUNT(*), MAX(pa.occurred_at)
            FROM people_person p
            JOIN interactions_participation pa ON pa.person_id = p.id
            JOIN interactions_interaction x ON x.id = pa.interaction_id
            WHERE p.team_id = %s AND p.visibility = 'private' AND x.visibility <> 'team'
            AND x.kind <> 'note' AND pa.occurred_at <= %s AND p.id NOT IN ({_MEMBERS})
            GROUP BY pa.person_id, x.focus""",
        [*dp, team_id, q.now_db, team_id],
    )
    for person_id, focus, decayed, count, latest in conversations:
        for kind in focus_kinds(focus):
            _add(out.person(person_id), kind, decayed, count)
        latest = _as_datetime(latest)
        if person_id not in last or latest > last[person_id]:
            last[person_id] = latest
    for person_id, cadence in Person.objects.filter(
        team_id=team_id, contact_cadence_days__isnull=False
    ).values_list("id", "contact_cadence_days"):
        event = cadence_event(last.get(person_id), cadence, now)
        if event is not None:
            _add(out.person(person_id), event.kind, 1.0, 1, scale=event.scale)

    # Moments in those conversations. CROSS JOIN keeps SQLite's join order: from the few
    # signals out, never from the millions of participations in.
    for person_id, kind, partner, decayed, count in q.rows(
        f"""SELECT pa.person_id, s.kind,
                   EXISTS (SELECT 1 FROM interactions_signal o
                           WHERE o.interaction_id = s.interaction_id AND o.kind <> s.kind
                             AND o.kind IN ('they_opened_up', 'we_opened_up')
                             AND s.kind IN ('they_opened_up', 'we_opened_up')) AS partner,
                   SUM({decay}), COUNT(*)
            FROM interactions_signal s
            CROSS JOIN interactions_participation pa
            CROSS JOIN interactions_interaction x
            CROSS JOIN people_person p
            WHERE pa.interaction_id = s.interaction_id AND x.id = s.interaction_id
            AND p.id = pa.person_id AND x.team_id = %s AND x.kind <> 'note'
            AND pa.occurred_at <= %s AND {shared} AND pa.person_id NOT IN ({_MEMBERS})
            GROUP BY pa.person_id, s.kind, partner""",
        [*dp, team_id, q.now_db, team_id],
    ):
        event_kind = signal_kind(kind, bool(partner))
        if event_kind:
            _add(out.person(person_id), event_kind, decayed, count)

    # Promises, their delivery, renegotiations, milestones and risks: to a person, and
    # to an organisation directly.
    for subject, target in (("person_id", out.person), ("organisation_id", _org(out))):
        where = (
            "x.person_id IS NOT NULL"
            if subject == "person_id"
            else "x.person_id IS NULL AND x.organisation_id IS NOT NULL"
        )
        join = "LEFT JOIN people_person p ON p.id = x.person_id"
        vis = shared if subject == "person_id" else "x.visibility = 'team'"
        mine = f"x.team_id = %s AND x.side = 'ours' AND {where} AND {vis}"
        base = f"FROM commitments_commitment x {join} WHERE {mine}"
        decay_c, dpc = q.decay("x.closed_at")
        for subject_id, status, match, decayed, count in q.rows(
            f"""SELECT x.{subject}, x.status, x.match, SUM({decay_c}), COUNT(*) {base}
                AND x.status IN ('kept', 'kept_late', 'broken') AND x.closed_at <= %s
                GROUP BY x.{subject}, x.status, x.match""",
            [*dpc, team_id, q.now_db],
        ):
            _add(target(subject_id), STATUS_KINDS[status], decayed, count)
            if match in MATCH_KINDS:
                _add(target(subject_id), MATCH_KINDS[match], decayed, count)
        for subject_id, count in q.rows(
            f"""SELECT x.{subject}, COUNT(*) {base}
                AND x.due_at < %s AND (x.status = 'open' OR x.closed_at > %s)
                GROUP BY x.{subject}""",
            [team_id, q.now_db, q.now_db],
        ):
            _add(target(subject_id), "promise_overdue", 0.0, count)
        decay_r, dpr = q.decay("x.reported_back_at")
        for subject_id, decayed, count in q.rows(
            f"""SELECT x.{subject}, SUM({decay_r}), COUNT(*) {base}
                AND x.reported_back_at <= %s GROUP BY x.{subject}""",
            [*dpr, team_id, q.now_db],
        ):
            _add(target(subject_id), "reported_back", decayed, count)
        decay_n, dpn = q.decay("n.at")
        for subject_id, in_time, decayed, count in q.rows(
            f"""SELECT x.{subject},
                       (n.told_client_at IS NOT NULL AND n.told_client_at < n.old_due_at)
                       AS in_time,
                       SUM({decay_n}), COUNT(*)
                FROM commitments_renegotiation n
                JOIN commitments_commitment x ON x.id = n.commitment_id
                {join} WHERE {mine} AND n.at <= %s
                GROUP BY x.{subject}, in_time""",
            [*dpn, team_id, q.now_db],
        ):
            _add(target(subject_id), renegotiation_kind(bool(in_time)), decayed, count)
        decay_m, dpm = q.decay("m.at")
        for subject_id, decayed, count in q.rows(
            f"""SELECT x.{subject}, SUM({decay_m}), COUNT(*)
                FROM commitments_milestone m JOIN commitments_commitment x ON x.id = m.commitment_id
                {join} WHERE {mine} AND m.at <= %s
                GROUP BY x.{subject}""",
            [*dpm, team_id, q.now_db],
        ):
            _add(target(subject_id), "milestone", decayed, count)
        decay_k, dpk = q.decay("k.disclosed_at")
        prompt = q.within_days("k.disclosed_at", "k.raised_at", W.RISK_GRACE_DAYS)
        for subject_id, is_prompt, decayed, count in q.rows(
            f"""SELECT x.{subject}, {prompt} AS prompt, SUM({decay_k}), COUNT(*)
                FROM commitments_risk k JOIN commitments_commitment x ON x.id = k.commitment_id
                {join} WHERE {mine}
                AND k.disclosed_at <= %s
                GROUP BY x.{subject}, prompt""",
            [*dpk, team_id, q.now_db],
        ):
            _add(target(subject_id), disclosure_kind(bool(is_prompt)), decayed, count)
        hidden_cut = now - dt.timedelta(days=W.RISK_GRACE_DAYS)
        hidden_db = connection.ops.adapt_datetimefield_value(hidden_cut) if q.sqlite else hidden_cut
        for subject_id, count in q.rows(
            f"""SELECT x.{subject}, COUNT(*)
                FROM commitments_risk k JOIN commitments_commitment x ON x.id = k.commitment_id
                {join} WHERE {mine}
                AND (k.disclosed_at IS NULL OR k.disclosed_at > %s)
                AND (k.resolved_at IS NULL OR k.resolved_at > %s) AND k.raised_at <= %s
                GROUP BY x.{subject}""",
            [team_id, q.now_db, q.now_db, hidden_db],
        ):
            _add(target(subject_id), "risk_hidden", 0.0, count)

        # Evidence shown and claims checked.
        decay_s, dps = q.decay("x.shown_at")
        for subject_id, expired, verified, decayed, count in q.rows(
            f"""SELECT x.{subject}, x.was_expired, x.was_verified, SUM({decay_s}), COUNT(*)
                FROM trust_evidenceshown x {join}
                WHERE x.team_id = %s AND {where} AND {vis} AND x.shown_at <= %s
                GROUP BY x.{subject}, x.was_expired, x.was_verified""",
            [*dps, team_id, q.now_db],
        ):
            _add(target(subject_id), shown_kind(bool(expired), bool(verified)), decayed, count)
        decay_a, dpa = q.decay("x.assessed_at")
        for subject_id, status, decayed, count in q.rows(
            f"""SELECT x.{subject}, x.status, SUM({decay_a}), COUNT(*)
                FROM trust_claim x {join}
                WHERE x.team_id = %s AND {where} AND {vis}
                AND x.status IN ('accurate', 'exaggerated', 'false') AND x.assessed_at <= %s
                GROUP BY x.{subject}, x.status""",
            [*dpa, team_id, q.now_db],
        ):
            _add(target(subject_id), CLAIM_KINDS[status], decayed, count)

    # Meeting hygiene and decisions, for everyone in the meeting.
    for column, kind in (
        ("agenda_shared_at", "agenda_ahead"),
        ("materials_sent_at", "materials_ahead"),
    ):
        decay_h, dph = q.decay(f"m.{column}")
        for person_id, decayed, count in q.rows(
            f"""SELECT pa.person_id, SUM({decay_h}), COUNT(*)
                FROM commitments_meeting m
                JOIN interactions_interaction x ON x.id = m.interaction_id
                JOIN interactions_participation pa ON pa.interaction_id = m.interaction_id
                JOIN people_person p ON p.id = pa.person_id
                WHERE x.team_id = %s AND {shared}
                AND m.{column} < x.occurred_at AND m.{column} <= %s
                GROUP BY pa.person_id""",
            [*dph, team_id, q.now_db],
        ):
            _add(out.person(person_id), kind, decayed, count)
    decay_d, dpd = q.decay("d.decided_at")
    cut = now - dt.timedelta(days=W.DECISION_GRACE_DAYS)
    cut_db = connection.ops.adapt_datetimefield_value(cut) if q.sqlite else cut
    for person_id, followed, decayed, count in q.rows(
        f"""SELECT pa.person_id, (d.commitment_id IS NOT NULL) AS followed, SUM({decay_d}), COUNT(*)
            FROM commitments_decision d
            JOIN interactions_interaction x ON x.id = d.interaction_id
            JOIN interactions_participation pa ON pa.interaction_id = d.interaction_id
            JOIN people_person p ON p.id = pa.person_id
            WHERE x.team_id = %s AND {shared} AND d.decided_at IS NOT NULL
            AND (d.commitment_id IS NOT NULL AND d.decided_at <= %s
                 OR d.commitment_id IS NULL AND NOT d.no_follow_up AND d.decided_at <= %s)
            GROUP BY pa.person_id, followed""",
        [*dpd, team_id, q.now_db, cut_db],
    ):
        _add(
            out.person(person_id),
            "decision_followed_up" if followed else "decision_dropped",
            decayed,
            count,
        )

    # Common ground known.
    decay_f, dpf = q.decay("f.created_at")
    for person_id, decayed, count in q.rows(
        f"""SELECT f.person_id, SUM({decay_f}), COUNT(*)
            FROM people_fact f JOIN people_person p ON p.id = f.person_id
            WHERE p.team_id = %s AND f.created_at <= %s GROUP BY f.person_id""",
        [*dpf, team_id, q.now_db],
    ):
        _add(out.person(person_id), "fact_known", decayed, count)

    # Value told to them (the value ledger): to a person, or to an organisation directly.
    decay_w, dpw = q.decay("x.told_at")
    for column, target in (("person_id", out.person), ("organisation_id", _org(out))):
        for subject_id, decayed, count in q.rows(
            f"""SELECT x.{column}, SUM({decay_w}), COUNT(*) FROM value_valueitem x
                WHERE x.team_id = %s AND x.{column} IS NOT NULL AND x.told_at <= %s
                GROUP BY x.{column}""",
            [*dpw, team_id, q.now_db],
        ):
            _add(target(subject_id), "value_reported", decayed, count)
    # Gifts and hospitality, both ways: rapport.gifts.rules says what each one tells.
    given = "g.given_on" if q.sqlite else "(g.given_on::timestamp AT TIME ZONE 'UTC')"
    decay_g, dpg = q.decay(given)
    day = now.astimezone(dt.UTC).date()
    for person_id, over_limit, occasion, decayed, count in q.rows(
        f"""SELECT g.person_id, g.over_limit, g.occasion, SUM({decay_g}), COUNT(*)
            FROM gifts_gift g WHERE g.team_id = %s AND g.given_on <= %s
            GROUP BY g.person_id, g.over_limit, g.occasion""",
        [*dpg, team_id, day.isoformat() if q.sqlite else day],
    ):
        for kind in gift_kinds(bool(over_limit), occasion):
            _add(out.person(person_id), kind, decayed, count)

    # The client's own answers.
    decay_v, dpv = q.decay("v.answered_at")
    for person_id, component, answer, decayed, count in q.rows(
        f"""SELECT v.person_id, a.component, a.answer, SUM({decay_v}), COUNT(*)
            FROM trust_surveyanswer a JOIN trust_survey v ON v.id = a.survey_id
            WHERE v.team_id = %s AND v.answered_at <= %s
            GROUP BY v.person_id, a.component, a.answer""",
        [*dpv, team_id, q.now_db],
    ):
        value = equation.survey_value(component, answer)
        _add(out.survey(person_id), f"survey_{component}", decayed, count, value=value)
    return out


def _org(out: TeamSums):  # type: ignore[no-untyped-def]
    def target(organisation_id: int) -> dict[str, Sums]:
        return _slot(out.organisations, organisation_id)

    return target


def _as_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _as_datetime(value: object) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    parsed = dt.datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def organisation_sums(team_id: int, sums: TeamSums) -> Pooled:
    """Each organisation's pooled sums: its shared people by influence, plus what was
    done for the organisation directly."""
    members: dict[int, dict[int, float]] = defaultdict(dict)
    roles = (
        Role.objects.filter(
            organisation__team_id=team_id, ended_on__isnull=True, person__visibility=Visibility.TEAM
        )
        .exclude(person_id__in=team_members(team_id))
        .values_list("organisation_id", "person_id", "influence", "is_decision_maker")
    )
    for organisation_id, person_id, influence, decides in roles:
        weight = W.influence_weight(influence, decides)
        members[organisation_id][person_id] = max(
            members[organisation_id].get(person_id, 0.0), weight
        )
    pooled = Pooled(ours={}, surveys={})
    for organisation_id in set(members) | set(sums.organisations):
        people = members.get(organisation_id, {})
        parts = [(weight, sums.people[pid]) for pid, weight in people.items() if pid in sums.people]
        ours = equation.pool(parts, cap=W.POOL_CAP)
        if organisation_id in sums.organisations:
            ours = equation.pool([(1.0, ours), (1.0, sums.organisations[organisation_id])])
        pooled.ours[organisation_id] = ours
        asked = [
            (weight, sums.surveys[pid]) for pid, weight in people.items() if pid in sums.surveys
        ]
        pooled.surveys[organisation_id] = equation.pool(asked)
    return pooled
