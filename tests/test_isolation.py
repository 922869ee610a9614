"""Another team's records, and a colleague's private contact, are never reachable.

Charlie (another team) must get 404 (never 403, which would confirm the record exists,
and never 200) for every page and API path that takes the id of one of Alice's records;
Alice must get the same for Bob's private contact and everything hanging off it. After
such an attempt nothing has changed. Lists, searches, the dashboard and the audit log
never show those records either, while the same pages do show them to someone allowed,
so a page that shows nothing at all cannot pass for a safe one.

To check a new page or API path, add it to PAGES or API_PATHS."""

from __future__ import annotations

import datetime as dt
import html
import json
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, reverse
from django.urls.converters import IntConverter
from django.utils import timezone

from rapport import urls as site_urls
from rapport.accounts.models import ApiToken, AuditEntry
from rapport.accounts.services import token_create
from rapport.agreements.models import Agreement, Clause, Obligation
from rapport.agreements.services import agreement_create, agreement_sign
from rapport.api import api as rapport_api
from rapport.commitments.models import (
    Commitment,
    Decision,
    Meeting,
    Milestone,
    Renegotiation,
    Risk,
)
from rapport.commitments.services import (
    commitment_close,
    commitment_create,
    decision_add,
    milestone_add,
    risk_add,
)
from rapport.deals.investments import investment_log
from rapport.deals.models import Deal, DealSettings, Pipeline, Stage, StageChange
from rapport.deals.services import deal_create, pipelines_ensure
from rapport.gifts.models import Gift, GiftPolicy
from rapport.gifts.services import gift_create
from rapport.interactions.models import Interaction, Participation
from rapport.interactions.services import interaction_create
from rapport.network.models import Referral, Tie
from rapport.network.services import referral_create, tie_create
from rapport.people.models import Channel, DistinctPair, Fact, Organisation, Person, Role, Tag
from rapport.people.services import fact_create, person_create, person_update, role_create
from rapport.portal.models import CalendarFeed, ShareLink
from rapport.portal.services import calendar_feed_create, share_link_create, survey_create
from rapport.transfer import jobs
from rapport.transfer.models import ImportJob
from rapport.trust.models import Claim, Evidence, EvidenceShown, Survey
from rapport.trust.services import claim_create, evidence_create, evidence_show
from rapport.value.models import ValueItem, ValueReport
from rapport.value.services import value_item_create, value_report_create
from tests.conftest import api_for, client_for

# The world: what each scenario's intruder tries to reach


@pytest.fixture
def world(book: dict[str, Any], alice: Any, bob: Any, charlie: Any) -> dict[str, Any]:
    """Besides the book: a fact and a role on Bob's private contact, a private lunch of
    Bob's with Wang (a shared client), a shared call and dinner, a token each, an import
    each, birthdays that put Anna and Bob's private contact on their dashboards, a
    private spare contact each (to merge into a target), and an old card of Wang's that
    shares one email with Wang and another with Bob's spare (so the duplicate review
    has pairs to show, one of them Bob's alone)."""
    soon = timezone.localdate() + dt.timedelta(days=3)
    for person, actor in [(book["anna"], alice), (book["bobs_secret"], bob)]:
        person_update(
            actor=actor,
            person=person,
            birth_month=soon.month,
            birth_day=soon.day,
            birth_year=None,
            contact_cadence_days=1,
        )
    bobs_fact = fact_create(
        actor=bob, person=book["bobs_secret"], category="hobby", value="Bob's secret hobby"
    )
    bobs_role = role_create(
        actor=bob,
        person=book["bobs_secret"],
        organisation=book["huawei"],
        title="Bob's secret role",
    )
    bobs_lunch = interaction_create(
        actor=bob,
        participants=[book["bobs_secret"], book["wang"]],
        kind="meal",
        occurred_at=dt.datetime(2026, 11, 5, 12, 0, tzinfo=dt.UTC),
        summary="Bob's secret lunch",
    )
    interaction_create(
        actor=alice,
        participants=[book["wang"]],
        kind="call",
        summary="Alice's call",
        occurred_at=dt.datetime(2026, 11, 6, 9, 0, tzinfo=dt.UTC),
    )
    interaction_create(
        actor=bob,
        participants=[book["anna"]],
        kind="meal",
        summary="Team dinner",
        occurred_at=dt.datetime(2026, 11, 7, 19, 0, tzinfo=dt.UTC),
    )
    alices_token, _ = token_create(user=alice, name="alice's laptop")
    bobs_token, _ = token_create(user=bob, name="bob's laptop")
    alices = _promises(alice, book["wang"], "Alice's promise to Wang", book["meeting"])
    bobs_meeting = interaction_create(
        actor=bob,
        participants=[book["bobs_secret"]],
        kind="meeting",
        occurred_at=dt.datetime(2026, 11, 8, 9, 0, tzinfo=dt.UTC),
        summary="Bob's secret meeting",
    )
    bobs = _promises(bob, book["bobs_secret"], "Bob's secret promise", bobs_meeting)
    alices["import_job"] = _import_job(alice)
    bobs["import_job"] = _import_job(bob)
    spares = {
        user: person_create(
            actor=user,
            display_name=f"{user.username.capitalize()}'s spare contact",
            visibility="private",
            channels=[{"kind": "email", "value": f"spare@{user.username}.example"}],
        )
        for user in (alice, bob, charlie)
    }
    person_create(
        actor=alice,
        display_name="Xiaoming Wang (old card)",
        channels=[
            {"kind": "email", "value": "xiaoming.wang@huawei.example"},
            {"kind": "email", "value": "spare@bob.example"},
        ],
    )
    alices |= _trust_records(alice, book["wang"], "Alice's promise to Wang")
    bobs |= _trust_records(bob, book["bobs_secret"], "Bob's secret promise")
    alices |= _network(alice, book["wang"], book["anna"])
    alices |= _deals(alice, book["wang"], book["huawei"])
    bobs |= _deals(bob, book["bobs_secret"], book["huawei"])
    alices |= _crossed_deal(alice, book["huawei"])
    bobs |= _crossed_deal(bob, book["huawei"])
    alices |= _agreements(alice, book["wang"], book["huawei"], alices["deal"])
    bobs |= _agreements(bob, book["bobs_secret"], book["huawei"], bobs["deal"])
    alices |= _gifts(alice, book["wang"], "Alice's gift to Wang")
    bobs |= _gifts(bob, book["bobs_secret"], "Bob's secret gift")
    bobs |= _network(bob, book["bobs_secret"], book["wang"])
    alices |= _value(alice, book["wang"], "Alice's value for Wang")
    bobs |= _value(bob, book["bobs_secret"], "Bob's secret value")
    bobs_meeting_with_wang = interaction_create(
        actor=bob,
        participants=[book["bobs_secret"], book["wang"]],
        kind="meeting",
        occurred_at=dt.datetime(2026, 11, 9, 9, 0, tzinfo=dt.UTC),
        summary="Bob's secret meeting with Wang",
    )
    decision_with_wang = decision_add(
        actor=bob, interaction=bobs_meeting_with_wang, text="Bob's secret decision with Wang"
    )
    return {
        **book,
        "bobs_fact": bobs_fact,
        "bobs_role": bobs_role,
        "bobs_lunch": bobs_lunch,
        "scenarios": {
            # Charlie, of another team, after Alice's records.
            "other_team": {
                "intruder": charlie,
                "rightful": alice,
                "targets": {
                    "person": book["wang"].pk,
                    "fact": book["fact"].pk,
                    "role": Role.objects.get(person=book["wang"]).pk,
                    "organisation": book["huawei"].pk,
                    "interaction": book["meeting"].pk,
                    "token": alices_token.pk,
                    **alices,
                },
            },
            # Alice, Bob's colleague, after Bob's private contact and private interactions.
            "private_contact": {
                "intruder": alice,
                "rightful": bob,
                "targets": {
                    "person": book["bobs_secret"].pk,
                    "fact": bobs_fact.pk,
                    "role": bobs_role.pk,
                    "interaction": book["bobs_private_call"].pk,
                    "token": bobs_token.pk,
                    **bobs,
                },
            },
            # Alice, after Bob's private lunch with Wang, a client she shares.
            "private_interaction": {
                "intruder": alice,
                "rightful": bob,
                "targets": {
                    "interaction": bobs_lunch.pk,
                    "meeting": bobs_meeting_with_wang.pk,
                    "decision": decision_with_wang.pk,
                },
            },
        },
        "org_of": {alice: book["huawei"], bob: book["huawei"], charlie: book["charlies_org"]},
        "spare_of": spares,
    }


def _value(owner: Any, client: Person, title: str) -> dict[str, int]:
    """What the owner did for the client, and a report link to tell them."""
    today = timezone.localdate()
    item = value_item_create(
        actor=owner,
        person=client,
        kind="saving",
        title=title,
        delivered_on=today,
        amount="1200.00",
        currency="USD",
    )
    report, _token = value_report_create(
        actor=owner, person=client, period_from=today, period_to=today
    )
    return {"value_item": item.pk, "value_report": report.pk}


def _import_job(owner: Any) -> int:
    """An import the owner started (queued, its file long gone)."""
    return jobs.job_create(
        actor=owner,
        file_name="contacts.vcf",
        stored_name="0" * 32 + ".vcf",
        file_size=0,
        file_format="vcard",
        options={},
        enqueue=False,
    ).pk


def _promises(owner: Any, client: Person, title: str, meeting: Interaction) -> dict[str, int]:
    """Someone's promises to a client, with everything that hangs off them: an open one
    with a milestone and an undisclosed risk, a closed one not yet reported back, a
    decision of one of their meetings, a share link for the client and a calendar feed."""
    due = timezone.localdate() + dt.timedelta(days=30)
    promise = commitment_create(actor=owner, title=title, person=client, due_on=due)
    closed = commitment_create(actor=owner, title=f"{title} (closed)", person=client, due_on=due)
    commitment_close(actor=owner, commitment=closed, status="broken")
    milestone = milestone_add(actor=owner, commitment=promise, title=f"{title}: milestone")
    risk = risk_add(actor=owner, commitment=promise, title=f"{title}: risk")
    decision = decision_add(actor=owner, interaction=meeting, text=f"{title}: decision")
    link, _token = share_link_create(actor=owner, person=client)
    survey, _token = survey_create(actor=owner, person=client)
    feed, _token = calendar_feed_create(actor=owner)
    return {
        "commitment": promise.pk,
        "closed_commitment": closed.pk,
        "milestone": milestone.pk,
        "risk": risk.pk,
        "meeting": meeting.pk,
        "decision": decision.pk,
        "link": link.pk,
        "survey": survey.pk,
        "feed": feed.pk,
    }


def _network(owner: Any, first: Person, second: Person) -> dict[str, int]:
    """A tie between two people and a referral of one by the other."""
    tie = tie_create(actor=owner, person_a=first, person_b=second, kind="friend")
    referral = referral_create(actor=owner, referrer=first, referred=second)
    return {"tie": tie.pk, "referral": referral.pk}


def _deals(owner: Any, client: Person, organisation: Any) -> dict[str, int]:
    """The team's pipeline and a deal of the owner's with the client and organisation."""
    pipeline = pipelines_ensure(actor=owner)
    deal = deal_create(
        actor=owner,
        pipeline=pipeline,
        title=f"{owner.username}'s deal",
        organisation=organisation,
        people=[client],
        amount="1000",
        next_step="Call",
        next_step_on=timezone.localdate() + dt.timedelta(days=1),
    )
    return {"deal": deal.pk, "pipeline": pipeline.pk}


def _crossed_deal(owner: Any, organisation: Any) -> dict[str, int]:
    """A deal of the owner's past its stop-loss, waiting for a decision."""
    deal = deal_create(
        actor=owner,
        pipeline=pipelines_ensure(actor=owner),
        title=f"{owner.username}'s deal past its stop-loss",
        organisation=organisation,
        amount="1000",
        next_step="Decide",
        next_step_on=timezone.localdate() + dt.timedelta(days=1),
        stoploss_money="100",
    )
    investment_log(actor=owner, deal=deal, kind="expense", amount="100")
    return {"crossed_deal": deal.pk}


def _agreements(owner: Any, client: Person, organisation: Any, deal: int) -> dict[str, Any]:
    """A draft agreement of the owner's with the client (ready to sign: an obligation on
    each side) and a signed one."""
    due = timezone.localdate() + dt.timedelta(days=30)

    def one(title: str) -> Agreement:
        return agreement_create(
            actor=owner,
            title=title,
            effective_on=timezone.localdate(),
            deal=deal,
            client_organisation=organisation,
            client_person=client,
            our_signatory=owner,
            clauses=[
                {
                    "heading": f"{title}: clause",
                    "obligations": [
                        {
                            "side": "ours",
                            "owner": owner.pk,
                            "what": f"{title}: ours",
                            "due_on": due,
                        },
                        {
                            "side": "client",
                            "owner": client.pk,
                            "what": f"{title}: theirs",
                            "due_on": due,
                        },
                    ],
                }
            ],
        )

    name = f"{owner.username.capitalize()}'s {'secret ' if owner.username == 'bob' else ''}"
    draft = one(name + "agreement")
    signed = agreement_sign(actor=owner, agreement=one(name + "signed agreement"))
    clause = draft.clauses.get()
    return {
        "agreement": draft.pk,
        "signed_agreement": signed.pk,
        "clause": clause.pk,
        "obligation": clause.obligations.first().pk,
    }


def _gifts(owner: Any, client: Person, description: str) -> dict[str, int]:
    """A gift the owner recorded for the client."""
    gift = gift_create(
        actor=owner,
        person=client,
        direction="given",
        description=description,
        occasion="mid_autumn",
        given_on=dt.date(2026, 9, 25),
        value="300",
    )
    return {"gift": gift.pk}


def _another_stage(deal_id: int) -> int:
    """An open stage of the deal's pipeline other than the one it is in."""
    deal = Deal.objects.get(pk=deal_id)
    return (
        Stage.objects.filter(pipeline_id=deal.pipeline_id, outcome="open")
        .exclude(pk=deal.stage_id)
        .values_list("pk", flat=True)
        .first()
    )


def _trust_records(owner: Any, client: Person, title: str) -> dict[str, int]:
    """Evidence (with an attachment) in the owner's team library, shown to the client,
    and a claim made to them. The library is the team's, so its title names no secret."""
    evidence = evidence_create(
        actor=owner,
        kind="award",
        title=f"Evidence kept by {owner.username}",
        verified_on=timezone.localdate(),
        attachment=SimpleUploadedFile("award.pdf", b"%PDF-1.4", "application/pdf"),
    )
    showing = evidence_show(actor=owner, evidence=evidence, person=client)
    claim = claim_create(actor=owner, person=client, statement=f"{title}: claim")
    return {"evidence": evidence.pk, "showing": showing.pk, "claim": claim.pk}


# Evidence is the team's: only another team is kept from it.
TRUST_KINDS = {"showing", "claim"}
NETWORK_KINDS = {"tie", "referral"}
# Deals and pipelines are the team's: only another team is kept from them.
DEAL_KINDS = {"deal", "pipeline", "crossed_deal"}
VALUE_KINDS = {"value_item", "value_report"}
# An agreement with a private contact is its owner's alone.
AGREEMENT_KINDS = {"agreement", "signed_agreement", "clause", "obligation"}
# A gift is seen by whoever sees its person.
GIFT_KINDS = {"gift"}
PROMISE_KINDS = {
    "commitment",
    "closed_commitment",
    "milestone",
    "risk",
    "meeting",
    "decision",
    "link",
    "survey",
    "feed",
}
# Which kinds of record each scenario has a target of (organisations are never private).
SCENARIOS = {
    "other_team": {"person", "fact", "role", "organisation", "interaction", "token"}
    | PROMISE_KINDS
    | TRUST_KINDS
    | NETWORK_KINDS
    | DEAL_KINDS
    | VALUE_KINDS
    | AGREEMENT_KINDS
    | GIFT_KINDS
    | {"evidence", "import_job"},
    "private_contact": {"person", "fact", "role", "interaction", "token", "import_job"}
    | PROMISE_KINDS
    | TRUST_KINDS
    | NETWORK_KINDS
    | VALUE_KINDS
    | AGREEMENT_KINDS
    | GIFT_KINDS,
    "private_interaction": {"interaction", "meeting", "decision"},
}

# Strings from Alice's team that Charlie must never meet, and Bob's private ones that
# Alice must never meet.
ALPHA_STRINGS = [
    "王小明",
    "Wang Xiaoming",
    "Anna Lee",
    "Alice Adams",
    "Bob Brown",
    "Alice's Private Contact",
    "Bob's Private Contact",
    "华为技术",
    "Northwind Logistics",
    "Quarterly review",
    "Bob's secret call",
    "Bob's secret lunch",
    "Calligraphy",
    "xiaoming.wang@huawei.example",
    "Alice's call",
    "Team dinner",
    "Head of Procurement",
    "Alice's promise to Wang",
    "Alice's gift to Wang",
]
BOBS_SECRETS = [
    "Bob's Private Contact",
    "Bob's secret call",
    "Bob's secret lunch",
    "Bob's secret hobby",
    "Bob's secret role",
    "Bob's secret promise",
    "Bob's secret meeting",
    "Bob's secret decision",
    "Bob's spare contact",
    "Bob's secret agreement",
    "Bob's secret gift",
]


def everything() -> dict[str, list[dict[str, Any]]]:
    """Every row a request could change, to compare before and after."""
    rows = {
        model.__name__: list(model.objects.order_by("pk").values())
        for model in [
            Person,
            Channel,
            Tag,
            Organisation,
            Role,
            Fact,
            Interaction,
            Participation,
            AuditEntry,
            Person.tags.through,
            Commitment,
            Milestone,
            Risk,
            Renegotiation,
            Meeting,
            Decision,
            Evidence,
            EvidenceShown,
            Claim,
            ShareLink,
            Survey,
            DistinctPair,
            ImportJob,
            Tie,
            Referral,
            DealSettings,
            Pipeline,
            Stage,
            Deal,
            Deal.people.through,
            StageChange,
            ValueItem,
            ValueReport,
            Agreement,
            Clause,
            Obligation,
            Gift,
            GiftPolicy,
        ]
    }
    # Using a token stamps it; revoking it is what must not happen.
    rows["ApiToken"] = list(ApiToken.objects.order_by("pk").values("pk", "user", "revoked_at"))
    rows["CalendarFeed"] = list(
        CalendarFeed.objects.order_by("pk").values("pk", "user", "digest", "revoked_at")
    )
    return rows


def text_of(response: Any) -> str:
    """What the user reads: the page's text, or the JSON with its characters unescaped."""
    if response["Content-Type"].startswith("application/json"):
        return json.dumps(response.json(), ensure_ascii=False)
    return html.unescape(response.content.decode())


# Pages that take an id


PERSON_FORM = {
    "display_name": "Hijacked",
    "given_name": "",
    "family_name": "",
    "name_order": "given_first",
    "romanised_name": "",
    "headline": "",
    "visibility": "team",
    "birth_calendar": "solar",
    "birth_year": "",
    "birth_month": "",
    "birth_day": "",
    "how_we_met": "",
    "contact_cadence_days": "",
    "notes": "",
    "tags": "",
    "introduced_by_id": "",
    "introduced_by_name": "",
    "channels-TOTAL_FORMS": "0",
    "channels-INITIAL_FORMS": "0",
    "channels-MIN_NUM_FORMS": "0",
    "channels-MAX_NUM_FORMS": "1000",
}
INTERACTION_FORM = {
    "kind": "call",
    "occurred_at": "2026-11-20T10:00",
    "initiated_by": "us",
    "focus": "mutual",
    "summary": "Hijacked call",
    "notes": "",
    "topics_text": "",
    "duration_minutes": "",
}


VALUE_FORM = {
    "kind": "advice",
    "title": "Hijacked advice",
    "delivered_on": "2026-01-05",
    "amount": "",
    "currency": "",
    "hours": "2",
}
VALUE_REPORT_FORM = {
    "period_from": "2026-01-01",
    "period_to": "2026-01-31",
    "language": "en",
    "days": "30",
}


@dataclass(frozen=True)
class Page:
    """A request to a named URL of rapport/urls.py about one record of `kind`."""

    name: str
    method: str
    kind: str
    data: dict[str, Any] = field(default_factory=dict)
    query: str = ""
    by_query: str = ""  # the id goes in this query parameter instead of the path
    with_own_organisation: bool = False
    param: str = ""  # the path parameter, when it is not `<kind>_id`
    confirm_name: bool = False  # the form confirms by typing the person's name
    another_stage: bool = False  # the form names another stage of the deal's pipeline

    @property
    def id(self) -> str:
        extra = self.query or (f"by-{self.by_query}" if self.by_query else "")
        return f"{self.method}-{self.name}{'-' + extra if extra else ''}"

    def url(self, pk: int) -> str:
        if self.by_query:
            return f"{reverse(self.name)}?{self.by_query}={pk}"
        url = reverse(self.name, kwargs={self.param or f"{self.kind}_id": pk})
        return f"{url}?{self.query}" if self.query else url

    def send(self, client: Client, pk: int, requester: Any, world: dict[str, Any]) -> Any:
        data = dict(self.data)
        if self.with_own_organisation:
            data["organisation_id"] = world["org_of"][requester].pk
            data["organisation_name"] = world["org_of"][requester].name
        if self.confirm_name:
            data["confirm_name"] = Person.objects.get(pk=pk).display_name
        if self.another_stage:
            data["stage"] = _another_stage(pk)
        return getattr(client, self.method)(self.url(pk), data)


PAGES = [
    Page("person_detail", "get", "person"),
    Page("person_detail", "get", "person", query="format=json"),
    Page("person_edit", "get", "person"),
    Page("person_edit", "post", "person", data=PERSON_FORM),
    Page("person_delete", "post", "person"),
    Page("fact_add", "post", "person", data={"category": "hobby", "value": "Hijacked fact"}),
    Page(
        "role_add",
        "post",
        "person",
        data={"title": "Hijacked role", "influence": "3"},
        with_own_organisation=True,
    ),
    Page("person_interaction_add", "post", "person", data=INTERACTION_FORM),
    Page("person_timeline", "get", "person", query="before=2030-01-01T00:00:00%2B00:00"),
    Page("person_trust", "get", "person"),
    Page("person_trust", "get", "person", query="format=json"),
    Page("organisation_trust", "get", "organisation"),
    Page("network_person", "get", "person"),
    Page("network_person_graph", "get", "person"),
    Page("network_organisation", "get", "organisation"),
    Page("network_organisation_graph", "get", "organisation"),
    Page("person_ties", "get", "person"),
    Page("tie_add", "post", "person", data={"other_name": "Alice Adams", "kind": "friend"}),
    Page("tie_edit_form", "get", "tie"),
    Page("tie_edit", "post", "tie", data={"kind": "colleague", "note": "Hijacked tie"}),
    Page("tie_strength", "post", "tie", data={"strength": "40"}),
    Page("tie_delete", "post", "tie"),
    Page("person_referrals", "get", "person"),
    Page("referral_add", "post", "person", data={"referrer_name": "Alice Adams"}),
    Page("referral_thank", "post", "referral"),
    Page("person_interaction_form", "get", "person"),
    Page("role_form", "get", "person"),
    Page("interaction_create", "get", "person", by_query="person"),
    Page("fact_delete", "post", "fact"),
    Page("role_delete", "post", "role"),
    Page("organisation_detail", "get", "organisation"),
    Page("organisation_edit", "get", "organisation"),
    Page("organisation_edit", "post", "organisation", data={"name": "Hijacked Org"}),
    Page("organisation_delete", "post", "organisation"),
    Page("interaction_delete", "post", "interaction"),
    Page("token_revoke", "post", "token"),
    Page("commitment_detail", "get", "commitment"),
    Page("commitment_edit", "get", "commitment"),
    Page("commitment_edit", "post", "commitment", data={"title": "Hijacked promise"}),
    Page("commitment_close", "post", "commitment", data={"status": "cancelled"}),
    Page("commitment_renegotiate", "post", "commitment", data={"new_due_on": "2099-01-01"}),
    Page("commitment_report_back", "post", "closed_commitment", param="commitment_id"),
    Page("commitment_delete", "post", "commitment"),
    Page("milestone_add", "post", "commitment", data={"title": "Hijacked milestone"}),
    Page("risk_add", "post", "commitment", data={"title": "Hijacked risk", "severity": "low"}),
    Page("milestone_delete", "post", "milestone"),
    Page("risk_disclose", "post", "risk"),
    Page("risk_resolve", "post", "risk"),
    Page("commitment_create", "get", "person", by_query="person"),
    Page("commitment_create", "get", "organisation", by_query="organisation"),
    Page("commitment_create", "get", "decision", by_query="decision"),
    Page("meeting_detail", "get", "meeting", param="interaction_id"),
    Page(
        "meeting_detail",
        "post",
        "meeting",
        data={"agenda_shared_at": "2026-11-01T09:00"},
        param="interaction_id",
    ),
    Page("decision_add", "post", "meeting", data={"text": "Hijacked"}, param="interaction_id"),
    Page("decision_dismiss", "post", "decision"),
    Page("person_share_create", "post", "person", data={"language": "en", "days": "30"}),
    Page(
        "organisation_share_create",
        "post",
        "organisation",
        data={"language": "en", "days": "30"},
    ),
    Page("share_link_revoke", "post", "link", param="link_id"),
    Page("calendar_feed_revoke", "post", "feed", param="feed_id"),
    Page("evidence_detail", "get", "evidence"),
    Page("evidence_edit", "get", "evidence"),
    Page("evidence_edit", "post", "evidence", data={"kind": "award", "title": "Hijacked"}),
    Page("evidence_delete", "post", "evidence"),
    Page("evidence_attachment", "get", "evidence"),
    Page("person_evidence_show", "get", "person"),
    Page("organisation_evidence_show", "get", "organisation"),
    Page("showing_delete", "post", "showing"),
    Page("person_claim_create", "get", "person"),
    Page(
        "person_claim_create", "post", "person", data={"kind": "statement", "statement": "Hijack"}
    ),
    Page("organisation_claim_create", "get", "organisation"),
    Page(
        "organisation_claim_create",
        "post",
        "organisation",
        data={"kind": "statement", "statement": "Hijack"},
    ),
    Page("claim_detail", "get", "claim"),
    Page("claim_assess", "post", "claim", data={"status": "false"}),
    Page("claim_delete", "post", "claim"),
    Page("person_survey_create", "post", "person", data={"language": "en", "days": "30"}),
    Page("survey_revoke", "post", "survey"),
    Page("person_export", "get", "person"),
    Page("person_erase", "get", "person"),
    Page("person_erase", "post", "person", data={"reason": "request"}, confirm_name=True),
    Page("import_job", "get", "import_job", param="job_id"),
    Page("import_again", "post", "import_job", data={"skip_bad": "on"}, param="job_id"),
    Page("pipeline_board", "get", "pipeline"),
    Page("pipeline_table", "get", "pipeline"),
    Page("deal_create", "get", "pipeline", by_query="pipeline"),
    Page("deal_detail", "get", "deal"),
    Page("deal_edit", "get", "deal"),
    Page(
        "deal_edit",
        "post",
        "deal",
        data={
            "title": "Hijacked deal",
            "currency": "USD",
            "amount": "1",
            "next_step": "Hijack",
            "next_step_on": "2099-01-01",
        },
    ),
    Page(
        "deal_next_step", "post", "deal", data={"next_step": "Hijack", "next_step_on": "2099-01-01"}
    ),
    Page("deal_move", "post", "deal", another_stage=True),
    Page(
        "deal_invest", "post", "deal", data={"kind": "expense", "on": "2026-01-02", "amount": "9"}
    ),
    Page(
        "deal_stoploss_decide",
        "post",
        "crossed_deal",
        data={"choice": "walk_away", "reason": "Hijacked"},
        param="deal_id",
    ),
    Page("deal_tender", "get", "deal"),
    Page("deal_tender", "get", "deal", query="edit=1"),
    Page("deal_tender", "post", "deal", data={"bidders": "5", "competitor_name": "Hijack Co"}),
    Page("deal_tender", "post", "deal", data={"remove": "1"}),
    Page("person_value", "get", "person"),
    Page("person_value_add", "post", "person", data=VALUE_FORM),
    Page("person_value_report_create", "post", "person", data=VALUE_REPORT_FORM),
    Page("organisation_value", "get", "organisation"),
    Page("organisation_value_add", "post", "organisation", data=VALUE_FORM),
    Page("organisation_value_report_create", "post", "organisation", data=VALUE_REPORT_FORM),
    Page("value_item_edit", "get", "value_item", param="item_id"),
    Page("value_item_edit", "post", "value_item", data=VALUE_FORM, param="item_id"),
    Page("value_item_delete", "post", "value_item", param="item_id"),
    Page("value_report_revoke", "post", "value_report", param="report_id"),
    Page("value_report_send", "post", "value_report", param="report_id"),
    Page("value_report_pdf", "get", "value_report", param="report_id"),
    Page("agreement_create", "get", "deal", by_query="deal"),
    Page("agreement_detail", "get", "agreement"),
    Page("agreement_detail", "get", "signed_agreement", param="agreement_id"),
    Page("agreement_edit", "get", "agreement"),
    Page(
        "agreement_edit",
        "post",
        "agreement",
        data={"title": "Hijacked agreement", "language": "en", "effective_on": "2026-01-01"},
    ),
    Page("agreement_pdf", "get", "signed_agreement", param="agreement_id"),
    Page("agreement_sign", "post", "agreement"),
    Page("agreement_amend", "post", "signed_agreement", param="agreement_id"),
    Page("agreement_delete", "post", "agreement"),
    Page("clause_add", "post", "agreement", data={"heading": "Hijacked clause"}),
    Page("clause_edit", "post", "clause", data={"heading": "Hijacked clause"}),
    Page("clause_move", "post", "clause", data={"direction": "down"}),
    Page("clause_delete", "post", "clause"),
    Page("obligation_add", "post", "clause", data={"side": "ours", "what": "Hijacked"}),
    Page("obligation_edit", "post", "obligation", data={"side": "ours", "what": "Hijacked"}),
    Page("obligation_delete", "post", "obligation"),
    Page("person_gifts", "get", "person"),
    Page("gift_create", "get", "person", by_query="person"),
    Page("gift_edit", "get", "gift"),
    Page(
        "gift_edit",
        "post",
        "gift",
        data={
            "direction": "given",
            "kind": "gift",
            "description": "Hijacked gift",
            "occasion": "other",
            "given_on": "2026-01-01",
            "value": "1",
            "currency": "USD",
        },
    ),
    Page("gift_delete", "post", "gift"),
]


def cases(items: list[Any]) -> list[Any]:
    """Every item in every scenario that has a record of its kind."""
    return [
        pytest.param(scenario, item, id=f"{scenario}-{item.id}")
        for scenario, kinds in SCENARIOS.items()
        for item in items
        if item.kind in kinds
    ]


@pytest.mark.parametrize(("scenario", "page"), cases(PAGES))
def test_a_page_about_someone_else_s_record_is_404_and_changes_nothing(world, scenario, page):
    s = world["scenarios"][scenario]
    client = client_for(s["intruder"])
    before = everything()

    response = page.send(client, s["targets"][page.kind], s["intruder"], world)

    assert response.status_code == 404
    assert everything() == before


@pytest.mark.parametrize(("scenario", "page"), cases(PAGES))
def test_the_same_page_works_for_someone_allowed(world, scenario, page):
    # Without this, a request that is merely malformed would pass the test above.
    s = world["scenarios"][scenario]
    client = client_for(s["rightful"])

    response = page.send(client, s["targets"][page.kind], s["rightful"], world)

    assert response.status_code in (200, 302), response.content[:500]


def _site_patterns(patterns: list[Any]) -> list[Any]:
    """The patterns, with those of the site's own included modules (rapport.deals.urls)
    in place of the include; the API's and the admin's are left as they are."""
    found = []
    for p in patterns:
        if isinstance(p, URLResolver) and isinstance(p.urlconf_name, ModuleType):
            found += _site_patterns(p.url_patterns)
        else:
            found.append(p)
    return found


def test_every_page_that_takes_an_id_is_checked():
    # The site's own pages; the API and the admin are included, not listed, here. Pages
    # addressed by a secret token rather than an id (/p/<token>/, /feed/<token>.ics,
    # /p/survey/<token>/) are tested with their own tokens in test_commitment_pages,
    # test_calendar_feed and test_survey.
    taking_an_id = {
        p.name
        for p in _site_patterns(site_urls.urlpatterns)
        if isinstance(p, URLPattern)
        and any(isinstance(c, IntConverter) for c in p.pattern.converters.values())
    }

    assert taking_an_id == {page.name for page in PAGES if not page.by_query}


# API paths that take an id


@dataclass(frozen=True)
class ApiPath:
    """An operation of the API, by its URL name, about one record of `kind`."""

    name: str
    method: str
    kind: str
    body: dict[str, Any] | None = None
    param: str = ""  # the path parameter, when it is not `<kind>_id`
    with_own_organisation: bool = False  # the body names the requester's organisation
    with_own_person: bool = False  # the body names a spare person of the requester's
    another_stage: bool = False  # the body names another stage of the deal's pipeline

    @property
    def id(self) -> str:
        return self.name

    def send(self, client: Client, pk: int, requester: Any, world: dict[str, Any]) -> Any:
        url = reverse(f"api-v1:{self.name}", kwargs={self.param or f"{self.kind}_id": pk})
        if self.body is None:
            return getattr(client, self.method)(url)
        body = dict(self.body)
        if self.with_own_organisation:
            body["organisation_id"] = world["org_of"][requester].pk
        if self.with_own_person:
            body["other"] = world["spare_of"][requester].pk
        if self.another_stage:
            body["stage"] = _another_stage(pk)
        return getattr(client, self.method)(url, body, content_type="application/json")


API_PATHS = [
    ApiPath("get_person", "get", "person"),
    ApiPath("patch_person", "patch", "person", {"display_name": "Hijacked", "visibility": "team"}),
    ApiPath("put_person", "put", "person", {"display_name": "Hijacked", "visibility": "team"}),
    ApiPath("delete_person", "delete", "person"),
    ApiPath("get_organisation", "get", "organisation"),
    ApiPath("patch_organisation", "patch", "organisation", {"name": "Hijacked Org"}),
    ApiPath("delete_organisation", "delete", "organisation"),
    ApiPath("get_role", "get", "role"),
    ApiPath("patch_role", "patch", "role", {"title": "Hijacked role"}),
    ApiPath("delete_role", "delete", "role"),
    ApiPath("get_fact", "get", "fact"),
    ApiPath("patch_fact", "patch", "fact", {"value": "Hijacked fact"}),
    ApiPath("delete_fact", "delete", "fact"),
    ApiPath("get_interaction", "get", "interaction"),
    ApiPath("patch_interaction", "patch", "interaction", {"summary": "Hijacked call"}),
    ApiPath("delete_interaction", "delete", "interaction"),
    ApiPath("get_commitment", "get", "commitment"),
    ApiPath("patch_commitment", "patch", "commitment", {"title": "Hijacked promise"}),
    ApiPath("delete_commitment", "delete", "commitment"),
    ApiPath("close_commitment", "post", "commitment", {"status": "cancelled"}),
    ApiPath("renegotiate_commitment", "post", "commitment", {"new_due_on": "2099-01-01"}),
    ApiPath("report_back_commitment", "post", "closed_commitment", {}, param="commitment_id"),
    ApiPath("add_milestone", "post", "commitment", {"title": "Hijacked milestone"}),
    ApiPath("add_risk", "post", "commitment", {"title": "Hijacked risk"}),
    ApiPath("delete_milestone", "delete", "milestone"),
    ApiPath("disclose_risk", "post", "risk", {}),
    ApiPath("resolve_risk", "post", "risk", {}),
    ApiPath("get_meeting", "get", "meeting", param="interaction_id"),
    ApiPath(
        "put_meeting",
        "put",
        "meeting",
        {"agenda_shared_at": "2026-11-01T09:00:00Z"},
        param="interaction_id",
    ),
    ApiPath(
        "add_decision", "post", "meeting", {"text": "Hijacked decision"}, param="interaction_id"
    ),
    ApiPath("follow_up_decision", "post", "decision", {"side": "ours", "due_on": "2099-01-01"}),
    ApiPath("dismiss_decision", "post", "decision"),
    ApiPath("revoke_share_link", "post", "link"),
    ApiPath("revoke_calendar_feed", "post", "feed"),
    ApiPath("get_person_trust", "get", "person"),
    ApiPath("get_organisation_trust", "get", "organisation"),
    ApiPath("get_evidence", "get", "evidence"),
    ApiPath("patch_evidence", "patch", "evidence", {"title": "Hijacked evidence"}),
    ApiPath("delete_evidence", "delete", "evidence"),
    ApiPath("show_evidence", "post", "evidence", {}, with_own_organisation=True),
    ApiPath("delete_showing", "delete", "showing"),
    ApiPath("get_claim", "get", "claim"),
    ApiPath("assess_claim", "post", "claim", {"status": "false"}),
    ApiPath("delete_claim", "delete", "claim"),
    ApiPath("list_person_surveys", "get", "person"),
    ApiPath("create_survey", "post", "person", {"days": 30}),
    ApiPath("revoke_survey", "post", "survey"),
    ApiPath("export_person", "get", "person"),
    ApiPath("erase_person", "post", "person", {}),
    ApiPath("get_import", "get", "import_job", param="job_id"),
    ApiPath("merge_person", "post", "person", {}, with_own_person=True),
    ApiPath("patch_tie", "patch", "tie", {"note": "Hijacked tie", "manual_strength": 1}),
    ApiPath("delete_tie", "delete", "tie"),
    ApiPath("person_ties", "get", "person"),
    ApiPath("thank_referral", "post", "referral"),
    ApiPath("get_deal", "get", "deal"),
    ApiPath("patch_deal", "patch", "deal", {"title": "Hijacked deal"}),
    ApiPath("move_deal", "post", "deal", {}, another_stage=True),
    ApiPath("list_investments", "get", "deal"),
    ApiPath("log_investment", "post", "deal", {"kind": "expense", "amount": "9"}),
    ApiPath(
        "decide_stoploss",
        "post",
        "crossed_deal",
        {"choice": "walk_away", "reason": "Hijacked"},
        param="deal_id",
    ),
    ApiPath("get_tender", "get", "deal"),
    ApiPath("put_tender", "put", "deal", {"bidders": 5, "competitors": [{"name": "Hijack Co"}]}),
    ApiPath("get_value_item", "get", "value_item", param="item_id"),
    ApiPath("patch_value_item", "patch", "value_item", {"title": "Hijacked"}, param="item_id"),
    ApiPath("delete_value_item", "delete", "value_item", param="item_id"),
    ApiPath("revoke_value_report", "post", "value_report", param="report_id"),
    ApiPath("send_value_report", "post", "value_report", param="report_id"),
    ApiPath("value_report_pdf", "get", "value_report", param="report_id"),
    ApiPath("get_agreement", "get", "agreement"),
    ApiPath("get_agreement", "get", "signed_agreement", param="agreement_id"),
    ApiPath("patch_agreement", "patch", "agreement", {"title": "Hijacked agreement"}),
    ApiPath("sign_agreement", "post", "agreement", {}),
    ApiPath("agreement_pdf", "get", "signed_agreement", param="agreement_id"),
    ApiPath("get_gift", "get", "gift"),
    ApiPath("patch_gift", "patch", "gift", {"description": "Hijacked gift"}),
    ApiPath("delete_gift", "delete", "gift"),
]


@pytest.mark.parametrize(("scenario", "path"), cases(API_PATHS))
def test_an_api_path_to_someone_else_s_record_is_404_and_changes_nothing(world, scenario, path):
    s = world["scenarios"][scenario]
    client = api_for(s["intruder"])
    before = everything()

    response = path.send(client, s["targets"][path.kind], s["intruder"], world)

    assert response.status_code == 404
    assert response.json()["detail"]
    assert everything() == before


@pytest.mark.parametrize(("scenario", "path"), cases(API_PATHS))
def test_the_same_api_path_works_for_someone_allowed(world, scenario, path):
    s = world["scenarios"][scenario]

    response = path.send(api_for(s["rightful"]), s["targets"][path.kind], s["rightful"], world)

    assert response.status_code in (200, 201, 204), response.content[:500]


def test_every_api_path_that_takes_an_id_is_checked():
    patterns, _, _ = rapport_api.urls
    with_id = {p.name for p in patterns if "<" in str(p.pattern)}

    assert with_id == {path.name for path in API_PATHS}


# Merging or dismissing with someone out of reach named in the body or the form

PERSON_SCENARIOS = [name for name, kinds in SCENARIOS.items() if "person" in kinds]


def _merge_and_dismiss(api: Client, web: Client, spare: int, target: int) -> list[Any]:
    """Every way to merge one's spare contact with the target, or to say the two are
    different people, through the API and on the duplicate review page."""
    return [
        api.post(
            f"/api/v1/people/{spare}/merge", {"other": target}, content_type="application/json"
        ),
        api.post(
            "/api/v1/people/duplicates/dismiss",
            {"first": spare, "second": target},
            content_type="application/json",
        ),
        web.post(reverse("duplicate_merge"), {"keep": spare, "other": target}),
        web.post(reverse("duplicate_merge"), {"keep": target, "other": spare}),
        web.post(reverse("duplicate_dismiss"), {"first": spare, "second": target}),
    ]


@pytest.mark.parametrize("scenario", PERSON_SCENARIOS)
def test_someone_out_of_reach_cannot_be_merged_into_or_dismissed_with_one_s_own_contact(
    world, scenario
):
    s = world["scenarios"][scenario]
    api, web = api_for(s["intruder"]), client_for(s["intruder"])
    spare = world["spare_of"][s["intruder"]].pk
    before = everything()

    merged, dismissed, *on_the_web = _merge_and_dismiss(api, web, spare, s["targets"]["person"])
    # The same answers as for someone who does not exist: nothing is confirmed.
    nobody = _merge_and_dismiss(api, web, spare, 999_999_999)

    assert (merged.status_code, merged.json()["field"]) == (422, "other")
    assert (dismissed.status_code, dismissed.json()["field"]) == (422, "second")
    assert [r.status_code for r in on_the_web] in ([404] * 3, [422] * 3)
    assert [text_of(r) for r in [merged, dismissed, *on_the_web]] == [text_of(r) for r in nobody]
    assert everything() == before


@pytest.mark.parametrize("scenario", PERSON_SCENARIOS)
@pytest.mark.parametrize("where", ["api", "web"])
def test_the_same_merge_and_dismissal_work_for_someone_allowed(world, scenario, where):
    s = world["scenarios"][scenario]
    target, spare = s["targets"]["person"], world["spare_of"][s["rightful"]].pk

    if where == "api":
        client = api_for(s["rightful"])
        dismissed = client.post(
            "/api/v1/people/duplicates/dismiss",
            {"first": spare, "second": target},
            content_type="application/json",
        )
        recorded = DistinctPair.objects.count()
        merged = client.post(
            f"/api/v1/people/{target}/merge", {"other": spare}, content_type="application/json"
        )
    else:
        client = client_for(s["rightful"])
        dismissed = client.post(reverse("duplicate_dismiss"), {"first": spare, "second": target})
        recorded = DistinctPair.objects.count()
        merged = client.post(reverse("duplicate_merge"), {"keep": target, "other": spare})

    assert (dismissed.status_code, recorded) in [(201, 1), (302, 1)]
    assert merged.status_code == 200
    assert not Person.objects.filter(pk=spare).exists()


# Lists, searches, the dashboard and the audit log

# (url, something Alice does see there, something only Bob sees there or None). What
# Alice and Bob see proves the page lists such records, so that a page showing nothing
# at all cannot pass for a safe one. {wang} and {huawei} are filled in with their ids.
LISTS = [
    ("/", "Anna Lee", "Bob's Private Contact"),
    ("/people/", "王小明", "Bob's Private Contact"),
    ("/people/?q=a", "Anna Lee", "Bob's Private Contact"),
    ("/people/?q=王", "王小明", None),
    ("/people/?q=wang", "王小明", None),
    ("/people/?q=private", "Alice's Private Contact", "Bob's Private Contact"),
    ("/people/?q=bob", "Bob Brown", "Bob's Private Contact"),
    ("/people/?organisation={huawei}", "王小明", "Bob's Private Contact"),
    ("/people/?format=json", "王小明", "Bob's Private Contact"),
    ("/people/?format=json&q=private", "Alice's Private Contact", "Bob's Private Contact"),
    ("/people/suggest/?q=wang", "王小明", None),
    ("/people/suggest/?q=private", "Alice's Private Contact", "Bob's Private Contact"),
    ("/people/suggest/?q=bob", "Bob Brown", "Bob's Private Contact"),
    ("/organisations/", "华为技术", None),
    ("/organisations/?q=hua", "华为技术", None),
    ("/interactions/", "Quarterly review", "Bob's secret call"),
    ("/interactions/?kind=call", "Alice's call", "Bob's secret call"),
    ("/interactions/?kind=meal", "Team dinner", "Bob's secret lunch"),
    ("/interactions/?topic=golf", "Quarterly review", None),
    ("/audit/", "王小明", "Bob's Private Contact"),
    ("/api/v1/people?limit=500", "王小明", "Bob's Private Contact"),
    ("/api/v1/people?q=wang", "王小明", None),
    ("/api/v1/people?q=private", "Alice's Private Contact", "Bob's Private Contact"),
    ("/api/v1/people?q=bob", "Bob Brown", "Bob's Private Contact"),
    ("/api/v1/people?tag=vip", "王小明", None),
    ("/api/v1/people?organisation_id={huawei}", "王小明", "Bob's Private Contact"),
    ("/api/v1/organisations?limit=500", "华为技术", None),
    ("/api/v1/roles?limit=500", "Head of Procurement", "Bob's secret role"),
    ("/api/v1/roles?organisation_id={huawei}", "CFO", "Bob's secret role"),
    ("/api/v1/roles?person_id={wang}", "CFO", None),
    ("/api/v1/facts?limit=500", "Calligraphy", "Bob's secret hobby"),
    ("/api/v1/facts?person_id={wang}", "Calligraphy", None),
    ("/api/v1/interactions?limit=500", "Quarterly review", "Bob's secret call"),
    ("/api/v1/interactions?person_id={wang}", "Quarterly review", "Bob's secret lunch"),
    ("/api/v1/interactions?kind=call", "Alice's call", "Bob's secret call"),
    ("/api/v1/interactions?kind=meal", "Team dinner", "Bob's secret lunch"),
    ("/api/v1/commitments?limit=500", "Alice's promise to Wang", "Bob's secret promise"),
    ("/api/v1/commitments?status=broken", "Alice's promise to Wang", "Bob's secret promise"),
    ("/api/v1/commitments?person_id={wang}", "Alice's promise to Wang", None),
    ("/api/v1/agenda", "Alice's promise to Wang: risk", "Bob's secret promise: risk"),
    ("/claims/", "Alice's promise to Wang: claim", "Bob's secret promise: claim"),
    ("/claims/?status=pending", "Alice's promise to Wang: claim", "Bob's secret promise: claim"),
    ("/evidence/", "Evidence kept by alice", None),
    ("/api/v1/evidence?limit=500", "Evidence kept by alice", None),
    ("/api/v1/claims?limit=500", "Alice's promise to Wang: claim", "Bob's secret promise: claim"),
    ("/api/v1/claims?person_id={wang}", "Alice's promise to Wang: claim", None),
    ("/api/v1/share-links?limit=500", "王小明", "Bob's Private Contact"),
    ("/people/duplicates/", "Xiaoming Wang (old card)", "Bob's spare contact"),
    ("/deals/", "华为技术", None),
    ("/agreements/", "Alice's agreement", "Bob's secret agreement"),
    ("/api/v1/agreements?limit=500", "Alice's agreement", "Bob's secret agreement"),
    ("/api/v1/deals?limit=500", "王小明", "Bob's Private Contact"),
    ("/gifts/", "Alice's gift to Wang", "Bob's secret gift"),
    ("/gifts/?direction=given&year=2026", "Alice's gift to Wang", "Bob's secret gift"),
    ("/api/v1/gifts", "Alice's gift to Wang", "Bob's secret gift"),
    ("/api/v1/people/duplicates?limit=100", "Xiaoming Wang (old card)", "Bob's spare contact"),
]
# Pages of shared records that might mention Bob's private ones.
SHARED_RECORD_PAGES = [
    ("/people/{wang}/", "Quarterly review", "Bob's secret lunch"),
    ("/people/{wang}/?format=json", "华为技术", None),
    ("/organisations/{huawei}/", "王小明", "Bob's Private Contact"),
    ("/api/v1/people/{wang}", "华为技术", None),
    ("/api/v1/organisations/{huawei}", "华为技术", None),
    ("/api/v1/trust/people/{wang}", "王小明", None),
    ("/api/v1/trust/organisations/{huawei}", "华为技术", None),
    ("/api/v1/people/{wang}/surveys", "王小明", None),
    ("/gifts/people/{wang}/", "Alice's gift to Wang", None),
]


def _read(world: dict[str, Any], viewer: Any, url: str) -> str:
    url = url.format(wang=world["wang"].pk, huawei=world["huawei"].pk)
    client = api_for(viewer) if url.startswith("/api/") else client_for(viewer)
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return text_of(response)


@pytest.mark.parametrize(("url", "alice_sees", "bob_sees"), LISTS, ids=[u for u, _, _ in LISTS])
def test_another_team_s_records_never_show_in_a_list_or_search(
    world, alice, charlie, url, alice_sees, bob_sees
):
    seen_by_charlie = _read(world, charlie, url)

    assert [s for s in ALPHA_STRINGS if s in seen_by_charlie] == []
    assert alice_sees in _read(world, alice, url)


@pytest.mark.parametrize(
    ("url", "alice_sees", "bob_sees"),
    LISTS + SHARED_RECORD_PAGES,
    ids=[u for u, _, _ in LISTS + SHARED_RECORD_PAGES],
)
def test_a_colleague_s_private_contact_never_shows_anywhere(
    world, alice, bob, url, alice_sees, bob_sees
):
    seen_by_alice = _read(world, alice, url)

    assert [s for s in BOBS_SECRETS if s in seen_by_alice] == []
    assert alice_sees in seen_by_alice
    if bob_sees is not None:
        assert bob_sees in _read(world, bob, url)


# Creating links into another team, or to a colleague's private contact


def test_a_role_in_another_team_s_organisation_cannot_be_added_on_the_web(world, alice):
    before = everything()

    response = client_for(alice).post(
        reverse("role_add", kwargs={"person_id": world["wang"].pk}),
        {
            "organisation_id": world["charlies_org"].pk,
            "organisation_name": "Charlie Holdings",
            "title": "Mole",
            "influence": "3",
        },
    )

    assert response.status_code == 422
    assert everything() == before


def test_a_role_in_another_team_s_organisation_cannot_be_added_through_the_api(world, alice):
    client = api_for(alice)
    before = everything()

    response = client.post(
        "/api/v1/roles",
        {
            "person_id": world["wang"].pk,
            "organisation_id": world["charlies_org"].pk,
            "title": "Mole",
        },
        content_type="application/json",
    )

    assert response.status_code == 422
    assert response.json()["field"] == "organisation_id"
    assert everything() == before


@pytest.mark.parametrize("who", ["charlies", "bobs_secret"])
def test_a_role_or_fact_for_someone_out_of_reach_cannot_be_added_through_the_api(world, alice, who):
    client = api_for(alice)
    before = everything()

    role = client.post(
        "/api/v1/roles",
        {
            "person_id": world[who].pk,
            "organisation_id": world["huawei"].pk,
        },
        content_type="application/json",
    )
    fact = client.post(
        "/api/v1/facts",
        {
            "person_id": world[who].pk,
            "category": "food",
            "value": "Noodles",
        },
        content_type="application/json",
    )

    assert (role.status_code, role.json()["field"]) == (422, "person_id")
    assert (fact.status_code, fact.json()["field"]) == (422, "person_id")
    assert everything() == before


@pytest.mark.parametrize("who", ["charlies", "bobs_secret"])
def test_an_interaction_with_someone_out_of_reach_cannot_be_logged_through_the_api(
    world, alice, who
):
    client = api_for(alice)
    before = everything()

    response = client.post(
        "/api/v1/interactions",
        {
            "kind": "call",
            "occurred_at": "2026-11-20T10:00:00Z",
            "summary": "Sneaky",
            "participant_ids": [world["wang"].pk, world[who].pk],
        },
        content_type="application/json",
    )
    moved = client.patch(
        f"/api/v1/interactions/{world['meeting'].pk}",
        {
            "participant_ids": [world[who].pk],
        },
        content_type="application/json",
    )

    assert (response.status_code, response.json()["field"]) == (422, "participant_ids")
    assert (moved.status_code, moved.json()["field"]) == (422, "participant_ids")
    assert everything() == before


@pytest.mark.parametrize("who", ["charlies", "bobs_secret"])
def test_an_interaction_with_only_someone_out_of_reach_cannot_be_logged_on_the_web(
    world, alice, who
):
    before = everything()

    response = client_for(alice).post(
        reverse("interaction_create"), {**INTERACTION_FORM, "participant_ids": [world[who].pk]}
    )

    assert response.status_code == 422
    assert everything() == before


@pytest.mark.parametrize("who", ["charlies", "bobs_secret"])
def test_someone_out_of_reach_is_never_attached_to_an_interaction_on_the_web(world, alice, who):
    client = client_for(alice)

    client.post(
        reverse("interaction_create"),
        {**INTERACTION_FORM, "participant_ids": [world["wang"].pk, world[who].pk]},
    )
    client.post(
        reverse("person_interaction_add", kwargs={"person_id": world["wang"].pk}),
        {**INTERACTION_FORM, "participant_ids": [world[who].pk]},
    )

    assert not Participation.objects.filter(person=world[who], interaction__owner=alice).exists()


@pytest.mark.parametrize("who", ["charlies", "bobs_secret"])
def test_someone_out_of_reach_cannot_be_named_as_an_introducer_through_the_api(world, alice, who):
    client = api_for(alice)
    before = everything()

    created = client.post(
        "/api/v1/people",
        {
            "display_name": "Probe",
            "introduced_by": world[who].pk,
        },
        content_type="application/json",
    )
    changed = client.patch(
        f"/api/v1/people/{world['anna'].pk}",
        {
            "introduced_by": world[who].pk,
        },
        content_type="application/json",
    )

    assert (created.status_code, created.json()["field"]) == (422, "introduced_by")
    assert (changed.status_code, changed.json()["field"]) == (422, "introduced_by")
    assert everything() == before


def test_a_colleague_s_private_contact_cannot_be_named_as_an_introducer_on_the_web(world, alice):
    response = client_for(alice).post(
        reverse("person_create"),
        {**PERSON_FORM, "display_name": "Probe", "introduced_by_id": world["bobs_secret"].pk},
        follow=True,
    )

    assert "Bob's Private Contact" not in text_of(response)
    assert not Person.objects.filter(introduced_by=world["bobs_secret"], owner=alice).exists()


def test_a_private_introducer_set_by_a_colleague_is_not_shown_on_the_web(world, alice, bob):
    client_for(bob).post(
        reverse("person_edit", kwargs={"person_id": world["anna"].pk}),
        {**PERSON_FORM, "display_name": "Anna Lee", "introduced_by_id": world["bobs_secret"].pk},
    )
    assert Person.objects.get(pk=world["anna"].pk).introduced_by == world["bobs_secret"]

    page = _read(world, alice, f"/people/{world['anna'].pk}/")
    as_json = _read(world, alice, f"/people/{world['anna'].pk}/?format=json")

    assert "Bob's Private Contact" not in page
    assert "Bob's Private Contact" not in as_json


def test_a_private_introducer_set_by_a_colleague_is_not_shown_through_the_api(world, alice, bob):
    person_update(actor=bob, person=world["anna"], introduced_by=world["bobs_secret"].pk)

    anna = json.loads(_read(world, alice, f"/api/v1/people/{world['anna'].pk}"))

    assert anna["introduced_by"] is None
    assert json.loads(_read(world, bob, f"/api/v1/people/{world['anna'].pk}"))["introduced_by"] == {
        "id": world["bobs_secret"].pk,
        "display_name": "Bob's Private Contact",
    }


def test_a_contact_made_private_later_is_no_longer_named_in_the_team_s_interactions(
    world, alice, bob
):
    later = person_create(actor=bob, display_name="Bob's Later Secret")
    interaction_create(
        actor=bob,
        participants=[later, world["wang"]],
        kind="call",
        occurred_at=dt.datetime(2026, 11, 6, 9, 0, tzinfo=dt.UTC),
        summary="Call with a later secret",
    )
    person_update(actor=bob, person=later, visibility="private")

    for url in ["/interactions/", f"/people/{world['wang'].pk}/", "/api/v1/interactions?limit=500"]:
        assert "Bob's Later Secret" not in _read(world, alice, url), url


def test_a_contact_made_private_later_is_no_longer_named_in_the_team_s_audit_log(world, alice, bob):
    later = person_create(actor=bob, display_name="Bob's Later Secret")
    interaction_create(
        actor=bob,
        participants=[later],
        kind="call",
        occurred_at=dt.datetime(2026, 11, 6, 9, 0, tzinfo=dt.UTC),
        summary="Call with a later secret",
    )
    person_update(actor=bob, person=later, visibility="private")

    seen_by_alice = _read(world, alice, "/audit/")

    assert "Bob's Later Secret" not in seen_by_alice
    assert "Call with a later secret" not in seen_by_alice
