"""A user's calendar feed (iCalendar): due promises, milestones and birthdays.

The secret address is the credential, so there is no login: a token that is unknown,
revoked or belongs to a disabled user answers the same plain 404. The calendar is built
with the icalendar library for Google, Apple and Outlook alike:

- a promise due on a day is an all-day event on that day; one due at a time is a short
  event at that time in the zone it was agreed in (with its VTIMEZONE), at exactly the
  instant `Commitment.due_at` names;
- progress (milestones) of those promises from the last 90 days are short events;
- a solar birthday is one yearly event (29 February falls on the last day of February
  in common years); a lunar one cannot be a rule, so its next three solar dates are
  separate events.

UIDs are built from the record's kind and id and the site's host name, so a client that
re-fetches the feed updates its events instead of duplicating them. Every list is read
in one query of plain values, so the feed stays fast with thousands of people.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import zoneinfo
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.core.cache import caches
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Count, Max, Q, QuerySet
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseNotFound,
    HttpResponseNotModified,
)
from django.http.request import split_domain_port
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from icalendar import STATUS, TRANSP, Calendar, Event, vDuration, vRecur

from rapport.commitments.models import Commitment, Milestone, Side
from rapport.commitments.queries import _mine, visible_commitments
from rapport.people import birthdays
from rapport.people.models import Person
from rapport.people.queries import visible_people
from rapport.portal.models import CalendarFeed
from rapport.portal.services import calendar_feed_resolve

PRODID = "-//Rapport//Calendar feed//EN"
RECENT = dt.timedelta(days=90)  # closed promises and milestones are kept this long
REFRESH = dt.timedelta(hours=1)
DUE_LENGTH = dt.timedelta(minutes=30)
MILESTONE_LENGTH = dt.timedelta(minutes=15)
LUNAR_OCCURRENCES = 3
TIMEZONE_MARGIN = dt.timedelta(days=366)
# The first year of a solar birthday's rule when the birth year is unknown; a leap year,
# so that 29 February is a real first date.
UNKNOWN_BIRTH_YEAR = 2000
CACHE_CONTROL = "private, max-age=900"
_SENTINEL_ID = 987654321

COMMITMENT_FIELDS = (
    "id",
    "title",
    "side",
    "status",
    "due_on",
    "due_time",
    "time_zone",
    "due_at",
    "updated_at",
    "person__display_name",
    "organisation__name",
    "promised_by__display_name",
)
PERSON_FIELDS = ("id", "display_name", "birth_calendar", "birth_month", "birth_day", "birth_year")


# Bump when the feed's format changes, so cached bodies of the old format are not served.
FEED_VERSION = 1


def _not_found() -> HttpResponse:
    """One answer for every token that does not open a feed."""
    response = HttpResponseNotFound("Not found\n", content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response


def _fingerprint(request: HttpRequest, feed: CalendarFeed, member: Any) -> str:
    """What the feed's content depends on, as a digest: the user's promises, their
    recent milestones and their people (counts and latest changes), the language, time
    zone and host, and the day (the 90-day window and the lunar dates move with it).
    A change to any of them gives a new fingerprint, so a cached body is never stale."""
    user = feed.user
    mine = visible_commitments(user).filter(_mine(user)).order_by()
    promises = mine.aggregate(n=Count("id"), changed=Max("updated_at"))
    progress = Milestone.objects.filter(commitment__in=mine.values("pk")).aggregate(
        n=Count("id"), last=Max("id")
    )
    people = (
        Person.objects.filter(team_id=member.team_id, owner_id=user.pk)
        .order_by()
        .aggregate(n=Count("id"), changed=Max("updated_at"))
    )
    parts = [
        FEED_VERSION,
        feed.pk,
        member.language,
        member.time_zone,
        request.get_host(),
        request.is_secure(),
        timezone.now().date().isoformat(),
        sorted(promises.items()),
        sorted(progress.items()),
        sorted(people.items()),
    ]
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


@require_safe
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    feed = calendar_feed_resolve(token)
    if feed is None:
        return _not_found()
    try:
        member = feed.user.member
    except ObjectDoesNotExist:
        return _not_found()
    etag = f'"{_fingerprint(request, feed, member)}"'
    if etag in {t.strip() for t in request.headers.get("If-None-Match", "").split(",")}:
        not_modified = HttpResponseNotModified()
        not_modified["ETag"] = etag
        return not_modified
    cache = caches["feeds"]
    body = cache.get(etag)
    if body is None:
        with translation.override(member.language):
            body = FeedBuilder(request, feed).calendar().to_ical()
        cache.set(etag, body)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["ETag"] = etag
    disposition = content_disposition_header(
        as_attachment=False, filename=f"rapport-{feed.user.get_username()}.ics"
    )
    if disposition:
        response["Content-Disposition"] = disposition
    response["Cache-Control"] = CACHE_CONTROL
    response["Content-Language"] = member.language
    return response


def _zone(name: str) -> zoneinfo.ZoneInfo | None:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def _url_maker(request: HttpRequest, url_name: str) -> Callable[[int], str]:
    """An absolute URL for a record id, reversed once rather than once per row."""
    template = request.build_absolute_uri(reverse(url_name, args=[_SENTINEL_ID]))
    head, _sep, tail = template.rpartition(str(_SENTINEL_ID))
    return lambda pk: f"{head}{pk}{tail}"


def _wall_time(instant: dt.datetime, zone: zoneinfo.ZoneInfo | None) -> dt.datetime:
    """The instant as a wall time in `zone`, which a client reads back as that instant;
    in UTC when no zone is known or the wall time would not name the instant again (the
    second 01:30 of a night the clocks go back is read as the first)."""
    utc = instant.astimezone(dt.UTC)
    if zone is None:
        return utc
    local = utc.astimezone(zone).replace(fold=0)
    return local if local.astimezone(dt.UTC) == utc else utc


def commitment_start(
    due_on: dt.date, due_time: dt.time | None, time_zone: str, due_at: dt.datetime
) -> dt.date | dt.datetime:
    """When a promise's event starts: its day, or its deadline instant (`due_at`, which
    every overdue test reads) as a wall time in the zone the promise was agreed in."""
    if due_time is None:
        return due_on
    return _wall_time(due_at, _zone(time_zone))


class FeedBuilder:
    """Builds one user's calendar. Texts are in the active language."""

    def __init__(self, request: HttpRequest, feed: CalendarFeed, now: dt.datetime | None = None):
        self.feed = feed
        self.user = feed.user
        self.member = feed.user.member
        self.now = now or timezone.now()
        user_zone = _zone(self.member.time_zone) or dt.UTC
        self.today = self.now.astimezone(user_zone).date()
        self.site = (split_domain_port(request.get_host())[0] or "rapport").lower()
        self.commitment_url = _url_maker(request, "commitment_detail")
        self.person_url = _url_maker(request, "person_detail")
        self._lunar_cache: dict[tuple[int, int], list[tuple[int, dt.date]]] = {}
        self._encoded: dict[tuple[str, Any], Any] = {}

    def uid(self, *parts: object) -> str:
        return "-".join(str(p) for p in parts) + f"@{self.site}"

    def event(
        self,
        uid: str,
        start: dt.date,
        end: dt.date,
        summary: str,
        lines: list[str],
        url: str,
        categories: list[str],
    ) -> Event:
        """One VEVENT that does not block the user's time, with its link also in the
        description (Google and Outlook do not show URL). Built property by property:
        Event.new checks each value through its descriptors, which takes twice as long
        and shows when a book has thousands of birthdays."""
        event = Event()
        event.add("UID", uid)
        event.add("DTSTAMP", self._shared("DTSTAMP", self.now))
        event.add("DTSTART", start)
        event.add("DTEND", end)
        event.add("SUMMARY", summary)
        event.add("DESCRIPTION", "\n".join([*lines, url]))
        event.add("URL", url)
        event.add("CATEGORIES", self._shared("CATEGORIES", tuple(categories)))
        event.add("TRANSP", self._shared("TRANSP", TRANSP.TRANSPARENT))
        return event

    def _shared(self, name: str, value: Any) -> Any:
        """A property value encoded once and carried by every event that has it (icalendar
        keeps an encoded value as it is)."""
        key = (name, value)
        if key not in self._encoded:
            holder = Event()
            holder.add(name, list(value) if isinstance(value, tuple) else value)
            self._encoded[key] = holder[name]
        return self._encoded[key]

    def calendar(self) -> Calendar:
        name = _("Rapport – %(user)s") % {"user": self.user.get_username()}
        cal = Calendar.new(
            prodid=PRODID,
            calscale="GREGORIAN",
            method="PUBLISH",
            name=name,
            description=_("Your promises, their progress and your people's birthdays."),
            refresh_interval=REFRESH,
            uid=self.uid("calendar", self.feed.pk),
        )
        cal.add("X-WR-TIMEZONE", self.member.time_zone)
        cal.add("X-PUBLISHED-TTL", vDuration(REFRESH))
        commitments = self.commitments()
        rows = list(commitments.values(*COMMITMENT_FIELDS))
        events = [self.commitment_event(row) for row in rows]
        by_id = {row["id"]: row for row in rows}
        events += [self.milestone_event(row, by_id) for row in self.milestones(commitments)]
        events += self.birthday_events()
        for event in events:
            cal.add_component(event)
        timed = [r["due_on"] for r in rows if r["due_time"] is not None]
        if timed:
            # Each zone's rules from a year before the first date used to a year after
            # the last, rather than icalendar's default 1970-2038: a small feed whose
            # zones still hold if a client shows the event a little off its date.
            cal.add_missing_timezones(
                first_date=min(*timed, self.today) - TIMEZONE_MARGIN,
                last_date=max(timed) + TIMEZONE_MARGIN,
            )
        return cal

    # Promises and progress

    def commitments(self) -> QuerySet[Commitment]:
        """The user's promises (recorded or made by them, and visible to them): open ones,
        and those closed in the last 90 days."""
        since = self.now - RECENT
        return (
            visible_commitments(self.user)
            .filter(_mine(self.user))
            .filter(Q(status=Commitment.Status.OPEN) | Q(closed_at__gte=since))
            .order_by("due_at", "id")
        )

    def milestones(self, commitments: QuerySet[Commitment]) -> Iterable[Mapping[str, Any]]:
        return (
            Milestone.objects.filter(
                commitment__in=commitments.values("pk"), at__gte=self.now - RECENT
            )
            .order_by("at", "id")
            .values("id", "title", "at", "commitment_id")
        )

    def commitment_event(self, row: dict[str, Any]) -> Event:
        statuses = dict(Commitment.Status.choices)
        status = str(statuses.get(row["status"], row["status"]))
        client = " · ".join(
            n for n in (row["person__display_name"], row["organisation__name"]) if n
        )
        if row["side"] == Side.CLIENT:
            summary = _("Due from the client: %(title)s (%(client)s)")
        else:
            summary = _("Due: %(title)s (%(client)s)")
        summary = summary % {"title": row["title"], "client": client}
        if row["status"] != Commitment.Status.OPEN:
            summary = _("%(summary)s [%(status)s]") % {"summary": summary, "status": status}
        url = self.commitment_url(row["id"])
        lines = [
            _("Status: %(status)s") % {"status": status},
            _("Client: %(client)s") % {"client": client},
        ]
        if row["promised_by__display_name"]:
            lines.append(_("Promised by: %(name)s") % {"name": row["promised_by__display_name"]})
        start = commitment_start(row["due_on"], row["due_time"], row["time_zone"], row["due_at"])
        if isinstance(start, dt.datetime):
            # Half an hour later as an instant, also on a night the clocks change.
            end: dt.date = _wall_time(
                start.astimezone(dt.UTC) + DUE_LENGTH, _zone(row["time_zone"])
            )
        else:
            end = start + dt.timedelta(days=1)
        event = self.event(
            self.uid("commitment", row["id"]),
            start,
            end,
            summary,
            lines,
            url,
            [_("Promise"), status],
        )
        cancelled = row["status"] == Commitment.Status.CANCELLED
        event.add("STATUS", STATUS.CANCELLED if cancelled else STATUS.CONFIRMED)
        event.add("LAST-MODIFIED", row["updated_at"])
        return event

    def milestone_event(
        self, row: Mapping[str, Any], commitments: Mapping[int, Mapping[str, Any]]
    ) -> Event:
        commitment = commitments.get(row["commitment_id"], {})
        url = self.commitment_url(row["commitment_id"])
        start = row["at"].astimezone(dt.UTC)
        summary = _("Progress: %(title)s (%(promise)s)") % {
            "title": row["title"],
            "promise": commitment.get("title", ""),
        }
        return self.event(
            self.uid("milestone", row["id"]),
            start,
            start + MILESTONE_LENGTH,
            summary,
            [],
            url,
            [_("Progress")],
        )

    # Birthdays

    def birthday_events(self) -> list[Event]:
        people = (
            visible_people(self.user)
            .filter(owner_id=self.user.pk, birth_month__isnull=False, birth_day__isnull=False)
            .order_by("id")
            .values_list(*PERSON_FIELDS)
        )
        events: list[Event] = []
        for pk, name, kind, month, day, year in people:
            if kind == Person.Calendar.LUNAR:
                events.extend(self.lunar_birthday_events(pk, name, month, day, year))
            else:
                event = self.solar_birthday_event(pk, name, month, day, year)
                if event is not None:
                    events.append(event)
        return events

    def _birthday_event(
        self, uid: str, start: dt.date, summary: str, lines: list[str], person_id: int
    ) -> Event:
        return self.event(
            uid,
            start,
            start + dt.timedelta(days=1),
            summary,
            lines,
            self.person_url(person_id),
            [_("Birthday")],
        )

    def solar_birthday_event(
        self, pk: int, name: str, month: int, day: int, year: int | None
    ) -> Event | None:
        """One all-day event repeating every year; 29 February is kept on the last day of
        February, so common years show it on the 28th."""
        try:
            birthdays.validate(birthdays.Birthday("solar", month, day))
        except birthdays.BirthdayError:
            return None
        first_year = year if year and 1900 <= year <= self.today.year else UNKNOWN_BIRTH_YEAR
        try:
            start = dt.date(first_year, month, day)
        except ValueError:  # 29 February in a recorded year that was not a leap year
            start = dt.date(UNKNOWN_BIRTH_YEAR, month, day)
        lines = [_("Born %(year)s") % {"year": year}] if year else []
        event = self._birthday_event(
            self.uid("birthday", pk), start, _("Birthday: %(name)s") % {"name": name}, lines, pk
        )
        leap_day = (month, day) == (2, 29)
        event.add(
            "RRULE",
            vRecur(freq="YEARLY", bymonth=month, bymonthday=-1 if leap_day else day),
        )
        return event

    def lunar_dates(self, month: int, day: int) -> list[tuple[int, dt.date]]:
        """The next lunar years' (lunar year, solar date) on which a lunar birthday on
        month/day is kept, from today; computed once per month/day in a feed."""
        key = (month, day)
        if key not in self._lunar_cache:
            found: list[tuple[int, dt.date]] = []
            birthday = birthdays.Birthday("lunar", month, day)
            lunar_year = max(self.today.year - 1, birthdays.LUNAR_FIRST_YEAR)
            while len(found) < LUNAR_OCCURRENCES and lunar_year <= birthdays.LUNAR_LAST_YEAR:
                try:
                    when = birthdays.occurrence_in(birthday, lunar_year)
                except ValueError:
                    when = None
                if when is not None and when >= self.today:
                    found.append((lunar_year, when))
                lunar_year += 1
            self._lunar_cache[key] = found
        return self._lunar_cache[key]

    def lunar_birthday_events(
        self, pk: int, name: str, month: int, day: int, year: int | None
    ) -> list[Event]:
        """A lunar birthday moves in the solar calendar, so no rule can hold it: one
        event for each of its next occurrences, named by its lunar year."""
        if not (1 <= month <= 12 and 1 <= day <= 30):
            return []
        summary = _("Birthday (lunar calendar): %(name)s") % {"name": name}
        lunar_day = _("Chinese lunar calendar: month %(month)s, day %(day)s") % {
            "month": month,
            "day": day,
        }
        events = []
        for lunar_year, when in self.lunar_dates(month, day):
            lines = [lunar_day]
            if year and lunar_year > year:
                lines.append(_("Turns %(age)s") % {"age": lunar_year - year})
            uid = self.uid("birthday", pk, lunar_year)
            events.append(self._birthday_event(uid, when, summary, lines, pk))
        return events
