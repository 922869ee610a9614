"""The evidence library, evidence shown to clients, and claims, as users meet them on
the web pages, and what they do to credibility."""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import formats, timezone, translation
from django_tasks_db.models import DBTaskResult
from hypothesis import given
from hypothesis import strategies as st

from rapport.accounts.models import AuditEntry
from rapport.interactions.services import interaction_create
from rapport.people.services import person_update
from rapport.trust import library, scoring
from rapport.trust.models import Claim, Evidence, EvidenceShown, TrustScore
from rapport.trust.services import (
    claim_assess,
    claim_create,
    claim_delete,
    evidence_create,
    evidence_delete,
    evidence_show,
    evidence_shown_delete,
    evidence_update,
    industries_clean,
    split_industries,
    trust_records_refresh_visibility,
)
from rapport.trust.tasks import refresh_trust
from tests.conftest import client_for

TODAY = timezone.localdate()
DAY = dt.timedelta(days=1)


def _day(day):
    """A date as the English pages write it."""
    with translation.override("en"):
        return formats.date_format(day, "DATE_FORMAT")


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> Path:
    """Each test keeps its uploads in a folder of its own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def text(response: Any) -> str:
    return html.unescape(response.content.decode())


def _evidence(actor: Any, title: str, **fields: Any) -> Evidence:
    defaults: dict[str, Any] = {
        "kind": "certification",
        "verified_on": TODAY - 30 * DAY,
        "expires_on": TODAY + 365 * DAY,
    }
    return evidence_create(actor=actor, title=title, **{**defaults, **fields})


@pytest.fixture
def shelf(alice: Any) -> dict[str, Evidence]:
    """Alice's team's library: sound, expired, never verified, and expiring soon."""
    return {
        "sound": _evidence(alice, "ISO 27001", issuer="BSI", industries=["Banking", "Logistics"]),
        "expired": _evidence(
            alice,
            "Bank licence",
            kind="licence",
            verified_on=TODAY - 400 * DAY,
            expires_on=TODAY - 10 * DAY,
            industries=["Banking"],
        ),
        "unverified": _evidence(
            alice, "Port of Rotterdam reference", kind="reference", verified_on=None
        ),
        "soon": _evidence(alice, "Best Advisor Award", kind="award", expires_on=TODAY + 5 * DAY),
    }


# ---------------------------------------------------------------------------------------
# The library page


def test_the_library_flags_expired_and_unverified_evidence(shelf, alice):
    page = text(client_for(alice).get(reverse("evidence_list")))

    assert f"expired on {_day(TODAY - 10 * DAY)}" in page
    assert "never verified" in page
    assert f"expires on {_day(TODAY + 5 * DAY)}" in page
    assert page.count('data-testid="flag-expired"') == 1
    assert page.count('data-testid="flag-unverified"') == 1
    assert page.count('data-testid="evidence-row"') == 4


def test_the_needs_attention_filter_keeps_only_expired_or_unverified_evidence(shelf, alice):
    page = text(client_for(alice).get(reverse("evidence_list"), {"attention": "on"}))

    assert "Bank licence" in page
    assert "Port of Rotterdam reference" in page
    assert "ISO 27001" not in page
    assert "Best Advisor Award" not in page  # expiring soon is a reminder, not a fault


def test_the_library_filters_by_kind_and_by_industry_ignoring_case(shelf, alice):
    web = client_for(alice)

    licences = text(web.get(reverse("evidence_list"), {"kind": "licence"}))
    banking = text(web.get(reverse("evidence_list"), {"industry": "Banking"}))

    assert "Bank licence" in licences and "ISO 27001" not in licences
    assert "Bank licence" in banking and "ISO 27001" in banking
    assert "Port of Rotterdam reference" not in banking
    assert [e.title for e in library.evidence_search(alice, industry="bAnKiNg")] == [
        "Bank licence",
        "ISO 27001",
    ]


def test_the_library_page_needs_a_constant_number_of_queries(
    shelf, alice, book, django_assert_max_num_queries
):
    for n in range(30):
        e = _evidence(alice, f"Case study {n}", kind="case_study")
        evidence_show(actor=alice, evidence=e, person=book["wang"])
    web = client_for(alice)

    with django_assert_max_num_queries(10):
        response = web.get(reverse("evidence_list"))

    assert text(response).count('data-testid="evidence-row"') == 34


def test_evidence_added_on_the_web_parses_its_industries(alice):
    response = client_for(alice).post(
        reverse("evidence_create"),
        {
            "kind": "case_study",
            "title": "Warehouse roll-out",
            "industries": " Logistics, retail ,logistics，物流、物流;; ",
            "verified_on": (TODAY - DAY).isoformat(),
        },
    )

    evidence = Evidence.objects.get(title="Warehouse roll-out")
    assert response.status_code == 302
    assert evidence.industries == ["Logistics", "retail", "物流"]
    assert AuditEntry.objects.filter(action="evidence.create", object_id=evidence.pk).exists()


@given(st.lists(st.text(max_size=12), max_size=8))
def test_industries_come_out_trimmed_unique_and_non_empty(parts):
    cleaned = industries_clean(parts)

    assert all(name and name == " ".join(name.split()) for name in cleaned)
    assert len({name.casefold() for name in cleaned}) == len(cleaned)
    assert {n.casefold() for n in cleaned} == {
        " ".join(p.split()).casefold() for p in parts if p.split()
    }


@given(st.lists(st.text(alphabet="abc XY物", min_size=1, max_size=6), max_size=6))
def test_industries_typed_with_commas_come_back_as_typed(names):
    wanted = industries_clean(names)

    assert split_industries(", ".join(names)) == wanted
    assert split_industries("，".join(names)) == wanted


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {"verified_on": (TODAY + 2 * DAY).isoformat()},
            "verified_on",
            "it cannot be verified in the future",
        ),
        (
            {
                "verified_on": (TODAY - 10 * DAY).isoformat(),
                "expires_on": (TODAY - 20 * DAY).isoformat(),
            },
            "expires_on",
            "it cannot expire before it was verified",
        ),
        ({"industries": "x" * 61}, "industries", "an industry name has at most 60 characters"),
        ({"title": ""}, "title", "This field is required."),
    ],
)
def test_evidence_with_bad_values_is_refused_with_a_reason(alice, fields, field, message):
    response = client_for(alice).post(
        reverse("evidence_create"), {"kind": "award", "title": "Award", **fields}
    )

    assert response.status_code == 422
    assert message in " ".join(response.context["form"].errors[field])
    assert not Evidence.objects.exists()


def test_an_attachment_over_10_mb_is_refused_and_nothing_is_stored(alice, _media):
    big = SimpleUploadedFile("scan.pdf", b"x" * (10 * 1024 * 1024 + 1), "application/pdf")

    response = client_for(alice).post(
        reverse("evidence_create"), {"kind": "award", "title": "Award", "attachment": big}
    )

    assert response.status_code == 422
    assert "attachments may be at most 10 MB" in " ".join(
        response.context["form"].errors["attachment"]
    )
    assert not Evidence.objects.exists()
    assert not list(Path(_media).rglob("*.pdf"))


def test_an_attachment_is_served_to_the_team_only_and_never_from_a_public_address(
    alice, bob, charlie
):
    upload = SimpleUploadedFile("letter.html", b"<script>alert(1)</script>", "text/html")
    response = client_for(alice).post(
        reverse("evidence_create"),
        {"kind": "testimonial", "title": "Thanks from Wang", "attachment": upload},
    )
    evidence = Evidence.objects.get(title="Thanks from Wang")
    url = reverse("evidence_attachment", args=[evidence.pk])

    page = text(client_for(bob).get(reverse("evidence_detail", args=[evidence.pk])))
    by_bob = client_for(bob).get(url)

    assert response.status_code == 302
    assert url in page and "/media/" not in page
    assert by_bob.status_code == 200
    assert b"".join(by_bob.streaming_content) == b"<script>alert(1)</script>"
    # A web page uploaded as evidence is downloaded, never run as one of ours.
    assert by_bob["Content-Disposition"].startswith("attachment")
    assert by_bob["Content-Type"] == "application/octet-stream"
    assert "sandbox" in by_bob["Content-Security-Policy"]
    assert client_for(charlie).get(url).status_code == 404
    assert client_for(alice).get(f"/media/{evidence.attachment.name}").status_code == 404
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]


def test_editing_evidence_replaces_or_removes_its_attachment(
    alice, _media, django_capture_on_commit_callbacks
):
    web = client_for(alice)
    web.post(
        reverse("evidence_create"),
        {
            "kind": "award",
            "title": "Award",
            "attachment": SimpleUploadedFile("a.pdf", b"%PDF-old", "application/pdf"),
        },
    )
    evidence = Evidence.objects.get()
    old = Path(evidence.attachment.path)
    form = {"kind": "award", "title": "Award 2026", "industries": "Retail"}

    with django_capture_on_commit_callbacks(execute=True):  # the old file goes on commit
        web.post(
            reverse("evidence_edit", args=[evidence.pk]),
            {**form, "attachment": SimpleUploadedFile("b.pdf", b"%PDF-new", "application/pdf")},
        )
    evidence.refresh_from_db()
    served = client_for(alice).get(reverse("evidence_attachment", args=[evidence.pk]))

    assert evidence.title == "Award 2026"
    assert b"".join(served.streaming_content) == b"%PDF-new"
    assert served["Content-Disposition"].startswith("inline")
    assert not old.exists()

    web.post(reverse("evidence_edit", args=[evidence.pk]), {**form, "remove_attachment": "on"})
    evidence.refresh_from_db()

    assert not evidence.attachment
    assert (
        client_for(alice).get(reverse("evidence_attachment", args=[evidence.pk])).status_code == 404
    )


# ---------------------------------------------------------------------------------------
# Showing evidence to a client


def test_stale_evidence_is_flagged_in_the_show_form_before_it_is_chosen(shelf, book, alice):
    page = text(client_for(alice).get(reverse("person_evidence_show", args=[book["wang"].pk])))

    assert f"⚠ Bank licence (Licence): expired on {_day(TODAY - 10 * DAY)}" in page
    assert "⚠ Port of Rotterdam reference (Reference client): never verified" in page
    assert "⚠ ISO 27001" not in page


def test_showing_stale_evidence_asks_for_confirmation_first(shelf, book, alice):
    web = client_for(alice)
    url = reverse("person_evidence_show", args=[book["wang"].pk])
    before = AuditEntry.objects.count()

    refused = web.post(url, {"evidence": shelf["expired"].pk})

    assert refused.status_code == 422
    message = " ".join(refused.context["form"].errors["evidence"])
    assert f"This evidence expired on {_day(TODAY - 10 * DAY)}." in message
    assert "counts against our credibility" in message
    assert 'data-testid="confirm-stale"' in text(refused)
    assert not EvidenceShown.objects.exists()
    assert AuditEntry.objects.count() == before

    confirmed = web.post(url, {"evidence": shelf["expired"].pk, "confirm_stale": "on"})
    showing = EvidenceShown.objects.get()

    assert confirmed.status_code == 302
    assert (showing.was_expired, showing.was_verified) == (True, True)
    page = text(web.get(reverse("person_detail", args=[book["wang"].pk])))
    assert "Bank licence" in page and "was expired" in page


def test_sound_evidence_is_shown_without_a_warning(shelf, book, alice):
    web = client_for(alice)
    when = timezone.localtime() - dt.timedelta(hours=2)

    response = web.post(
        reverse("person_evidence_show", args=[book["wang"].pk]),
        {
            "evidence": shelf["sound"].pk,
            "shown_at": when.strftime("%Y-%m-%dT%H:%M"),
            "note": "Left a copy",
            "interaction": book["meeting"].pk,
        },
    )

    showing = EvidenceShown.objects.get()
    assert response.status_code == 302
    assert (showing.was_expired, showing.was_verified) == (False, True)
    assert showing.shown_by == alice and showing.interaction == book["meeting"]
    assert showing.shown_at == when.replace(second=0, microsecond=0)
    detail = text(web.get(reverse("evidence_detail", args=[shelf["sound"].pk])))
    assert "王小明" in detail and "Left a copy" in detail


def test_never_verified_evidence_shown_anyway_is_recorded_as_unverified(shelf, book, alice):
    with pytest.raises(ValidationError) as refused:
        evidence_show(actor=alice, evidence=shelf["unverified"], person=book["wang"])
    showing = evidence_show(
        actor=alice, evidence=shelf["unverified"], person=book["wang"], confirm_stale=True
    )

    assert refused.value.message_dict["evidence"] == [
        "This evidence has never been verified. Showing it anyway counts against our "
        "credibility with this client: renew or verify it first, or confirm that it was "
        "shown as it is."
    ]
    assert (showing.was_expired, showing.was_verified) == (False, False)


def test_what_was_shown_keeps_its_state_when_the_evidence_is_renewed(shelf, book, alice):
    showing = evidence_show(
        actor=alice, evidence=shelf["expired"], person=book["wang"], confirm_stale=True
    )

    renewed = evidence_update(
        actor=alice, evidence=shelf["expired"], verified_on=TODAY, expires_on=TODAY + 365 * DAY
    )
    showing.refresh_from_db()

    assert showing.was_expired is True
    assert evidence_show(actor=alice, evidence=renewed, person=book["wang"]).was_expired is False


def test_evidence_counts_as_expired_only_if_it_had_expired_on_the_day_it_was_shown(
    shelf, book, alice
):
    before_expiry = dt.datetime.combine(TODAY - 20 * DAY, dt.time(12), tzinfo=dt.UTC)

    showing = evidence_show(
        actor=alice, evidence=shelf["expired"], person=book["wang"], shown_at=before_expiry
    )

    assert showing.was_expired is False


def test_evidence_cannot_be_shown_in_the_future(shelf, book, alice):
    web = client_for(alice)
    later = timezone.localtime() + dt.timedelta(days=2)

    response = web.post(
        reverse("person_evidence_show", args=[book["wang"].pk]),
        {"evidence": shelf["sound"].pk, "shown_at": later.strftime("%Y-%m-%dT%H:%M")},
    )

    assert response.status_code == 422
    assert response.context["form"].errors["shown_at"] == ["this cannot be in the future"]
    assert not EvidenceShown.objects.exists()


def test_a_showing_can_only_name_a_conversation_the_person_was_in(shelf, book, alice):
    with pytest.raises(ValidationError) as refused:
        evidence_show(
            actor=alice,
            evidence=shelf["sound"],
            person=book["anna"],
            interaction=interaction_create(
                actor=alice,
                participants=[book["wang"]],
                kind="call",
                occurred_at=timezone.now() - DAY,
                summary="Only Wang",
            ),
        )

    assert refused.value.message_dict == {
        "interaction": ["this person was not in that conversation"]
    }


def test_evidence_shown_to_an_organisation_appears_on_its_page(shelf, book, alice):
    web = client_for(alice)

    response = web.post(
        reverse("organisation_evidence_show", args=[book["huawei"].pk]),
        {"evidence": shelf["sound"].pk},
    )
    evidence_show(actor=alice, evidence=shelf["soon"], person=book["wang"])  # Wang is at Huawei
    page = text(web.get(reverse("organisation_detail", args=[book["huawei"].pk])))

    assert response.status_code == 302
    assert response["Location"].endswith("#evidence-claims")
    assert EvidenceShown.objects.get(organisation=book["huawei"]).person is None
    assert "ISO 27001" in page and "Best Advisor Award" in page


def test_a_showing_recorded_by_mistake_can_be_removed(shelf, book, alice):
    showing = evidence_show(actor=alice, evidence=shelf["sound"], person=book["wang"])

    response = client_for(alice).post(reverse("showing_delete", args=[showing.pk]))

    assert response.status_code == 302
    assert not EvidenceShown.objects.exists()
    assert AuditEntry.objects.filter(action="evidence.unshow", object_id=showing.pk).exists()


def test_deleting_evidence_removes_the_record_of_showing_it(shelf, book, alice):
    evidence_show(actor=alice, evidence=shelf["sound"], person=book["wang"])

    response = client_for(alice).post(reverse("evidence_delete", args=[shelf["sound"].pk]))

    assert response.status_code == 302
    assert not Evidence.objects.filter(pk=shelf["sound"].pk).exists()
    assert not EvidenceShown.objects.exists()


# ---------------------------------------------------------------------------------------
# Private contacts and other teams


def test_a_showing_or_claim_for_a_private_contact_is_private_to_its_owner(shelf, book, bob, alice):
    showing = evidence_show(actor=bob, evidence=shelf["sound"], person=book["bobs_secret"])
    claim = claim_create(
        actor=bob, person=book["bobs_secret"], statement="Bob's secret claim of 24/7 support"
    )

    by_alice = text(client_for(alice).get(reverse("evidence_detail", args=[shelf["sound"].pk])))
    by_bob = text(client_for(bob).get(reverse("evidence_detail", args=[shelf["sound"].pk])))
    claims_by_alice = text(client_for(alice).get(reverse("claim_list")))

    assert showing.visibility == claim.visibility == "private"
    assert "Bob's Private Contact" in by_bob
    assert "Bob's Private Contact" not in by_alice
    assert "Bob's secret claim" not in claims_by_alice
    assert "Bob's secret claim" in text(client_for(bob).get(reverse("claim_list")))
    assert client_for(alice).get(reverse("claim_detail", args=[claim.pk])).status_code == 404
    assert client_for(alice).post(reverse("showing_delete", args=[showing.pk])).status_code == 404


def test_a_colleague_s_private_contact_can_never_be_the_client(shelf, book, alice):
    with pytest.raises(ValidationError) as shown:
        evidence_show(actor=alice, evidence=shelf["sound"], person=book["bobs_secret"])
    with pytest.raises(ValidationError) as claimed:
        claim_create(actor=alice, person=book["bobs_secret"], statement="Probe")
    web = client_for(alice)
    show_page = web.post(
        reverse("person_evidence_show", args=[book["bobs_secret"].pk]),
        {"evidence": shelf["sound"].pk},
    )
    claim_page = web.post(
        reverse("person_claim_create", args=[book["bobs_secret"].pk]),
        {"kind": "statement", "statement": "Probe"},
    )

    assert shown.value.message_dict == {"person": ["no such person"]}
    assert claimed.value.message_dict == {"person": ["no such person"]}
    assert (show_page.status_code, claim_page.status_code) == (404, 404)
    assert not EvidenceShown.objects.exists() and not Claim.objects.exists()


def test_another_team_s_evidence_and_claims_are_404(shelf, book, alice, charlie):
    claim = claim_create(actor=alice, person=book["wang"], statement="We have 40 engineers")
    web = client_for(charlie)

    for url in [
        reverse("evidence_detail", args=[shelf["sound"].pk]),
        reverse("evidence_edit", args=[shelf["sound"].pk]),
        reverse("claim_detail", args=[claim.pk]),
    ]:
        assert web.get(url).status_code == 404, url
    assert (
        web.post(reverse("claim_assess", args=[claim.pk]), {"status": "false"}).status_code == 404
    )
    assert "ISO 27001" not in text(web.get(reverse("evidence_list")))
    assert "We have 40 engineers" not in text(web.get(reverse("claim_list")))
    with pytest.raises(ValidationError) as refused:
        evidence_show(actor=charlie, evidence=shelf["sound"], person=book["charlies"])
    assert refused.value.message_dict == {"evidence": ["no such evidence"]}


def test_another_team_s_evidence_cannot_be_picked_in_the_show_form(shelf, book, charlie):
    response = client_for(charlie).post(
        reverse("person_evidence_show", args=[book["charlies"].pk]),
        {"evidence": shelf["sound"].pk},
    )

    assert response.status_code == 422
    assert not EvidenceShown.objects.exists()


# ---------------------------------------------------------------------------------------
# Claims


def test_a_claim_is_recorded_from_a_person_page_and_checked_later(book, alice):
    web = client_for(alice)
    made = timezone.localtime() - 3 * DAY

    created = web.post(
        reverse("person_claim_create", args=[book["wang"].pk]),
        {
            "kind": "capability",
            "statement": "We can go live in six weeks",
            "made_at": made.strftime("%Y-%m-%dT%H:%M"),
            "interaction": book["meeting"].pk,
        },
    )
    claim = Claim.objects.get()
    assessed = web.post(
        reverse("claim_assess", args=[claim.pk]),
        {"status": "exaggerated", "assessment": "Took ten weeks"},
    )
    reassessed = web.post(
        reverse("claim_assess", args=[claim.pk]),
        {"status": "false", "assessment": "Never went live"},
    )
    claim.refresh_from_db()
    page = text(web.get(reverse("claim_detail", args=[claim.pk])))

    assert (created.status_code, assessed.status_code, reassessed.status_code) == (302, 302, 302)
    assert (claim.kind, claim.owner, claim.interaction) == ("capability", alice, book["meeting"])
    assert (claim.status, claim.assessment) == ("false", "Never went live")
    assert "Took ten weeks" in page and "Never went live" in page and "(was Exaggerated)" in page
    assert list(
        AuditEntry.objects.filter(object_type="claim", object_id=claim.pk)
        .order_by("id")
        .values_list("action", flat=True)
    ) == ["claim.create", "claim.assess", "claim.assess"]
    person_page = text(web.get(reverse("person_detail", args=[book["wang"].pk])))
    assert "We can go live in six weeks" in person_page and "⚠ False" in person_page


def test_a_claim_can_be_recorded_for_an_organisation(book, alice):
    response = client_for(alice).post(
        reverse("organisation_claim_create", args=[book["huawei"].pk]),
        {"kind": "statement", "statement": "We audit three banks"},
    )

    claim = Claim.objects.get()
    assert response.status_code == 302
    assert (claim.organisation, claim.person, claim.visibility) == (book["huawei"], None, "team")
    page = text(client_for(alice).get(reverse("organisation_detail", args=[book["huawei"].pk])))
    assert "We audit three banks" in page


@pytest.mark.parametrize(
    ("made", "checked", "field", "message"),
    [
        (2 * DAY, None, "made_at", "this cannot be in the future"),
        (-DAY, -2 * DAY, "assessed_at", "a claim cannot be checked before it was made"),
        (-DAY, 2 * DAY, "assessed_at", "this cannot be in the future"),
    ],
)
def test_claim_dates_must_make_sense(book, alice, made, checked, field, message):
    web = client_for(alice)
    now = timezone.localtime()
    form = {"kind": "statement", "statement": "We are ISO certified"}
    if checked is None:
        response = web.post(
            reverse("person_claim_create", args=[book["wang"].pk]),
            {**form, "made_at": (now + made).strftime("%Y-%m-%dT%H:%M")},
        )
    else:
        claim = claim_create(
            actor=alice, person=book["wang"], statement="We are ISO certified", made_at=now + made
        )
        response = web.post(
            reverse("claim_assess", args=[claim.pk]),
            {"status": "accurate", "assessed_at": (now + checked).strftime("%Y-%m-%dT%H:%M")},
        )

    assert response.status_code == 422
    assert response.context["form"].errors[field] == [message]
    assert not Claim.objects.exclude(status="pending").exists()


def test_the_claims_list_filters_by_status_and_by_waiting_too_long(book, alice):
    now = timezone.now()
    claim_create(
        actor=alice, person=book["wang"], statement="Forgotten claim", made_at=now - 40 * DAY
    )
    claim_create(actor=alice, person=book["wang"], statement="Fresh claim", made_at=now - 5 * DAY)
    checked = claim_create(
        actor=alice, person=book["anna"], statement="Checked claim", made_at=now - 50 * DAY
    )
    claim_assess(actor=alice, claim=checked, status="accurate")
    web = client_for(alice)

    everything = text(web.get(reverse("claim_list")))
    waiting = text(web.get(reverse("claim_list"), {"waiting": "on"}))
    accurate = text(web.get(reverse("claim_list"), {"status": "accurate"}))

    assert all(s in everything for s in ["Forgotten claim", "Fresh claim", "Checked claim"])
    assert everything.count('data-testid="waiting"') == 1
    assert "Forgotten claim" in waiting
    assert "Fresh claim" not in waiting and "Checked claim" not in waiting
    assert "Checked claim" in accurate and "Forgotten claim" not in accurate


def test_a_claim_recorded_by_mistake_can_be_deleted(book, alice):
    claim = claim_create(actor=alice, person=book["wang"], statement="Typo claim")

    response = client_for(alice).post(reverse("claim_delete", args=[claim.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("person_detail", args=[book["wang"].pk]) + (
        "#evidence-claims"
    )
    assert not Claim.objects.exists()
    assert AuditEntry.objects.filter(action="claim.delete", object_id=claim.pk).exists()


# ---------------------------------------------------------------------------------------
# Credibility


def _c(person: Any) -> float:
    return scoring.person_views(person).blended.c.value


def test_a_false_claim_lowers_credibility_and_an_accurate_one_raises_it(book, alice):
    wang, anna = book["wang"], book["anna"]
    before_wang, before_anna = _c(wang), _c(anna)
    made = timezone.now() - 2 * DAY

    claim_assess(
        actor=alice,
        claim=claim_create(actor=alice, person=wang, statement="We never miss", made_at=made),
        status="false",
    )
    claim_assess(
        actor=alice,
        claim=claim_create(actor=alice, person=anna, statement="Team of 12", made_at=made),
        status="accurate",
    )

    assert _c(wang) < before_wang
    assert _c(anna) > before_anna


def test_an_unchecked_claim_moves_nothing_until_it_is_checked(book, alice):
    before = _c(book["wang"])

    claim = claim_create(actor=alice, person=book["wang"], statement="We are the biggest")

    assert _c(book["wang"]) == before
    claim_assess(actor=alice, claim=claim, status="exaggerated")
    assert _c(book["wang"]) < before
    claim_delete(actor=alice, claim=Claim.objects.get())
    assert _c(book["wang"]) == before


def test_verified_evidence_shown_raises_credibility_and_expired_evidence_lowers_it(
    shelf, book, alice
):
    wang, anna = book["wang"], book["anna"]
    before_wang, before_anna = _c(wang), _c(anna)

    evidence_show(actor=alice, evidence=shelf["sound"], person=wang)
    showing = evidence_show(actor=alice, evidence=shelf["expired"], person=anna, confirm_stale=True)

    assert _c(wang) > before_wang
    assert _c(anna) < before_anna
    evidence_shown_delete(actor=alice, showing=showing)
    assert _c(anna) == before_anna


def test_the_stored_score_is_refreshed_once_the_write_is_committed(
    shelf, book, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        evidence_show(actor=alice, evidence=shelf["sound"], person=book["wang"])
    # One refresh is queued for the committed write; run it as the worker would.
    queued = DBTaskResult.objects.get(task_path__endswith="refresh_trust", status="READY")
    assert book["wang"].pk in queued.args_kwargs["kwargs"]["person_ids"]
    refresh_trust.call(**queued.args_kwargs["kwargs"])

    stored = TrustScore.objects.get(person=book["wang"])
    assert stored.c == pytest.approx(_c(book["wang"]), abs=0.01)
    # Wang's organisation follows him.
    assert TrustScore.objects.filter(organisation=book["huawei"]).exists()


def test_every_write_is_audited(shelf, book, alice):
    showing = evidence_show(actor=alice, evidence=shelf["sound"], person=book["wang"])
    evidence_shown_delete(actor=alice, showing=showing)
    evidence_update(actor=alice, evidence=shelf["sound"], title="ISO 27001:2022")
    evidence_delete(actor=alice, evidence=shelf["sound"])

    actions = list(
        AuditEntry.objects.filter(action__startswith="evidence.")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        *["evidence.create"] * 4,
        "evidence.show",
        "evidence.unshow",
        "evidence.update",
        "evidence.delete",
    ]


def test_showings_and_claims_follow_their_person_when_made_private(shelf, book, alice, bob):
    showing = evidence_show(actor=alice, evidence=shelf["sound"], person=book["anna"])
    claim = claim_create(actor=alice, person=book["anna"], statement="Anna's claim")
    person_update(actor=alice, person=book["anna"], visibility="private")

    trust_records_refresh_visibility(person=book["anna"])
    showing.refresh_from_db()
    claim.refresh_from_db()

    assert showing.visibility == claim.visibility == "private"
    assert "Anna's claim" not in text(client_for(bob).get(reverse("claim_list")))
    assert "Anna's claim" in text(client_for(alice).get(reverse("claim_list")))


def test_stale_evidence_picked_from_its_page_is_warned_about_before_the_form_is_sent(
    shelf, book, alice
):
    url = reverse("person_evidence_show", args=[book["wang"].pk])

    stale = text(client_for(alice).get(url, {"evidence": shelf["unverified"].pk}))
    sound = text(client_for(alice).get(url, {"evidence": shelf["sound"].pk}))

    assert 'data-testid="stale-warning"' in stale and 'data-testid="confirm-stale"' in stale
    assert "This evidence has never been verified." in stale
    assert 'data-testid="stale-warning"' not in sound and 'data-testid="confirm-stale"' not in sound
