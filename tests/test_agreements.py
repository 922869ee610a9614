"""Agreements between Party A (us) and Party B (the client): drafting from a deal,
clauses and obligations, refusals that name the field, signing into commitments on
both sides, the page and the PDF in the agreement's language, and who may see them."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from rapport.accounts.models import AuditEntry
from rapport.agreements import services
from rapport.agreements.models import Agreement, Clause, Obligation
from rapport.commitments.models import Commitment
from rapport.commitments.services import commitment_close
from rapport.deals.services import deal_create, pipelines_ensure
from rapport.trust import scoring
from rapport.trust import weights as W
from tests.conftest import client_for

TODAY = timezone.localdate()
SOON = TODAY + dt.timedelta(days=14)
LATER = TODAY + dt.timedelta(days=30)


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def field_of(exc: pytest.ExceptionInfo[ValidationError]) -> str:
    return next(iter(exc.value.message_dict))


@pytest.fixture
def deal(alice: Any, book: dict[str, Any]) -> Any:
    return deal_create(
        actor=alice,
        pipeline=pipelines_ensure(actor=alice),
        title="ERP rollout",
        organisation=book["huawei"],
        people=[book["wang"]],
        amount="120000",
        next_step="Send the draft agreement",
        next_step_on=TODAY + dt.timedelta(days=1),
    )


def draft(alice: Any, book: dict[str, Any], **extra: Any) -> Agreement:
    fields: dict[str, Any] = {
        "title": "ERP rollout agreement",
        "effective_on": TODAY,
        "client_organisation": book["huawei"],
        "client_person": book["wang"],
        "our_signatory": alice,
        "clauses": [
            {
                "heading": "Delivery",
                "text": "Party A installs the system; Party B provides access.",
                "obligations": [
                    {"side": "ours", "owner": alice.pk, "what": "Install the ERP", "due_on": LATER},
                    {
                        "side": "client",
                        "owner": book["wang"].pk,
                        "what": "Give server access",
                        "due_on": SOON,
                    },
                ],
            }
        ],
    }
    return services.agreement_create(actor=alice, **(fields | extra))


# Drafting


def test_a_draft_from_a_deal_starts_with_the_deal_s_parties(alice, book, deal):
    start = services.draft_from_deal(alice, deal)

    assert start["title"] == "ERP rollout"
    assert start["client_organisation"] == book["huawei"]
    assert start["client_person"] == book["wang"]
    assert start["our_signatory"] == alice


def test_the_deal_page_offers_to_draft_an_agreement_prefilled(alice, book, deal):
    web = client_for(alice)

    page = web.get(reverse("deal_detail", args=[deal.pk])).content.decode()
    form = web.get(reverse("agreement_create") + f"?deal={deal.pk}")
    created = web.post(
        reverse("agreement_create"),
        {
            "deal": deal.pk,
            "title": "ERP rollout",
            "language": "en",
            "effective_on": TODAY.isoformat(),
            "our_signatory": alice.pk,
            "client_organisation": book["huawei"].pk,
            "client_person": book["wang"].pk,
        },
    )

    assert "Draft an agreement" in page
    assert form.status_code == 200
    assert 'value="ERP rollout"' in form.content.decode()
    assert created.status_code == 302
    agreement = Agreement.objects.get()
    assert agreement.deal == deal and agreement.client_person == book["wang"]
    assert AuditEntry.objects.filter(action="agreement.create", object_id=agreement.pk).exists()


def test_clauses_are_added_edited_reordered_and_deleted_while_a_draft(alice, book):
    agreement = draft(alice, book, clauses=[])
    first = services.clause_add(actor=alice, agreement=agreement, heading="Scope")
    second = services.clause_add(actor=alice, agreement=agreement, heading="Payment")
    third = services.clause_add(actor=alice, agreement=agreement, heading="Term")

    services.clause_move(actor=alice, clause=third, direction="up")
    services.clause_update(actor=alice, clause=first, heading="Scope of work", text="All of it")
    services.clause_delete(actor=alice, clause=second)

    assert [c.heading for c in agreement.clauses.order_by("position")] == ["Scope of work", "Term"]


def test_an_obligation_can_be_edited_and_deleted_while_a_draft(alice, bob, book):
    draft(alice, book)
    ours = Obligation.objects.get(side="ours")

    services.obligation_update(actor=alice, obligation=ours, owner=bob.pk, what="Install it all")
    ours.refresh_from_db()
    assert (ours.owner_user, ours.what) == (bob, "Install it all")
    services.obligation_delete(actor=alice, obligation=ours)
    assert list(Obligation.objects.values_list("what", flat=True)) == ["Give server access"]


@pytest.mark.parametrize(
    ("obligation", "field"),
    [
        ({"side": "client", "owner": "charlies", "what": "x"}, "owner"),
        ({"side": "client", "owner": "bobs_secret", "what": "x"}, "owner"),
        ({"side": "ours", "owner": "charlie", "what": "x"}, "owner"),
        ({"side": "ours", "what": "x", "due_on": TODAY - dt.timedelta(days=1)}, "due_on"),
        ({"side": "ours", "what": ""}, "what"),
        ({"side": "theirs", "what": "x"}, "side"),
    ],
)
def test_a_bad_obligation_is_refused_naming_the_field_and_nothing_is_saved(
    alice, book, charlie, obligation, field
):
    item = dict(obligation)
    if item.get("owner") == "charlie":
        item["owner"] = charlie.pk
    elif "owner" in item:
        item["owner"] = book[item["owner"]].pk
    clauses = [{"heading": "Fine", "obligations": []}, {"heading": "Bad", "obligations": [item]}]

    with pytest.raises(ValidationError) as exc:
        draft(alice, book, clauses=clauses)

    assert field_of(exc) == f"clauses[1].obligations[0].{field}"
    assert not Agreement.objects.exists() and not Clause.objects.exists()


def test_another_team_s_or_a_colleague_s_private_party_is_refused(alice, book):
    for name, value in [
        ("client_person", book["bobs_secret"]),
        ("client_person", book["charlies"]),
        ("client_organisation", book["charlies_org"]),
    ]:
        with pytest.raises(ValidationError) as exc:
            draft(alice, book, **{name: value.pk})
        assert field_of(exc) == name
    assert not Agreement.objects.exists()


def test_moving_the_effective_date_past_a_due_date_is_refused(alice, book):
    agreement = draft(alice, book)

    with pytest.raises(ValidationError) as exc:
        services.agreement_update(actor=alice, agreement=agreement, effective_on=LATER)

    assert field_of(exc) == "effective_on"
    agreement.refresh_from_db()
    assert agreement.effective_on == TODAY


def test_an_agreement_with_one_s_own_private_contact_is_private(alice, bob, book):
    agreement = draft(alice, book, client_person=book["alices_secret"].pk)

    assert agreement.visibility == "private"
    assert client_for(bob).get(reverse("agreement_detail", args=[agreement.pk])).status_code == 404
    assert "ERP rollout agreement" not in client_for(bob).get("/agreements/").content.decode()


# Signing


def test_signing_records_both_sides_locks_and_makes_every_obligation_a_commitment(alice, book):
    agreement = draft(alice, book)

    services.agreement_sign(actor=alice, agreement=agreement)

    agreement.refresh_from_db()
    assert agreement.status == "signed"
    assert agreement.our_signed_at and agreement.client_signed_at
    assert agreement.signed_by == alice
    ours, theirs = Obligation.objects.order_by("position")
    assert ours.commitment.side == "ours"
    assert ours.commitment.promised_by == alice.member.person
    assert ours.commitment.person == book["wang"]
    assert ours.commitment.organisation == book["huawei"]
    assert (ours.commitment.title, ours.commitment.due_on) == ("Install the ERP", LATER)
    assert theirs.commitment.side == "client"
    assert theirs.commitment.promised_by == book["wang"]
    assert AuditEntry.objects.filter(action="commitment.create").count() == 2
    assert AuditEntry.objects.filter(action="agreement.sign").count() == 1
    with pytest.raises(ValidationError) as exc:
        services.clause_add(actor=alice, agreement=agreement, heading="Late addition")
    assert field_of(exc) == "status"


def test_signing_twice_is_refused_and_makes_no_more_commitments(alice, book):
    agreement = draft(alice, book)
    services.agreement_sign(actor=alice, agreement=agreement)

    with pytest.raises(ValidationError) as exc:
        services.agreement_sign(actor=alice, agreement=agreement)

    assert field_of(exc) == "status"
    assert Commitment.objects.count() == 2


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"due_on": None}, "clauses[0].obligations[1].due_on"),
        ({"owner": None}, "clauses[0].obligations[1].owner"),
    ],
)
def test_signing_needs_an_owner_and_a_due_date_for_every_obligation(alice, book, change, field):
    agreement = draft(alice, book)
    theirs = Obligation.objects.get(side="client")
    services.obligation_update(actor=alice, obligation=theirs, **change)

    with pytest.raises(ValidationError) as exc:
        services.agreement_sign(actor=alice, agreement=agreement)

    assert field_of(exc) == field
    assert not Commitment.objects.exists()


def test_a_failure_midway_through_signing_leaves_nothing_signed_and_no_commitments(alice, book):
    # The first obligation becomes a commitment; the second fell due before the
    # signature, which no promise can be made for: everything is rolled back.
    agreement = draft(alice, book, effective_on=TODAY - dt.timedelta(days=30))
    theirs = Obligation.objects.get(side="client")
    services.obligation_update(actor=alice, obligation=theirs, due_on=TODAY - dt.timedelta(days=2))

    with pytest.raises(ValidationError) as exc:
        services.agreement_sign(actor=alice, agreement=agreement)

    assert field_of(exc) == "clauses[0].obligations[1].due_on"
    agreement.refresh_from_db()
    assert agreement.status == "draft" and agreement.our_signed_at is None
    assert not Commitment.objects.exists()
    assert not Obligation.objects.filter(commitment__isnull=False).exists()
    assert not AuditEntry.objects.filter(
        action__in=["commitment.create", "agreement.sign"]
    ).exists()


def test_a_kept_or_broken_obligation_moves_reliability_like_any_promise(alice, book):
    kept = draft(alice, book)
    broken = draft(alice, book, client_person=book["anna"].pk, client_organisation=None)
    now = timezone.now()
    services.agreement_sign(actor=alice, agreement=kept, now=now - dt.timedelta(days=5))
    services.agreement_sign(actor=alice, agreement=broken, now=now - dt.timedelta(days=5))

    ours_kept = Obligation.objects.get(clause__agreement=kept, side="ours").commitment
    ours_broken = Obligation.objects.get(clause__agreement=broken, side="ours").commitment
    commitment_close(actor=alice, commitment=ours_kept, status="kept")
    commitment_close(actor=alice, commitment=ours_broken, status="broken")

    r_wang = scoring.person_views(book["wang"]).blended.r.value
    r_anna = scoring.person_views(book["anna"]).blended.r.value
    assert r_wang > W.PRIOR_MEAN[W.R] > r_anna


def test_an_amendment_is_a_new_linked_draft_copied_from_the_signed_agreement(alice, book):
    agreement = draft(alice, book)
    services.agreement_sign(actor=alice, agreement=agreement)

    copy = services.agreement_amend(actor=alice, agreement=agreement)

    assert copy.status == "draft" and copy.amends == agreement
    assert [o.what for o in Obligation.objects.filter(clause__agreement=copy)] == [
        "Install the ERP",
        "Give server access",
    ]
    assert not Obligation.objects.filter(clause__agreement=copy, commitment__isnull=False).exists()
    with pytest.raises(ValidationError):
        services.agreement_amend(actor=alice, agreement=copy)


# Pages and the PDF


def test_the_agreement_page_shows_clauses_obligations_per_side_and_their_promises(alice, book):
    agreement = draft(alice, book)
    services.agreement_sign(actor=alice, agreement=agreement)
    web = client_for(alice)

    page = web.get(reverse("agreement_detail", args=[agreement.pk])).content.decode()
    promise = Obligation.objects.get(side="client").commitment
    promise_page = web.get(reverse("commitment_detail", args=[promise.pk])).content.decode()
    listing = web.get(reverse("agreement_list")).content.decode()

    assert "Delivery" in page and "Install the ERP" in page and "Give server access" in page
    assert "What we owe" in page and "What the client owes" in page
    assert reverse("commitment_detail", args=[promise.pk]) in page
    assert reverse("agreement_detail", args=[agreement.pk]) in promise_page
    assert "ERP rollout agreement" in listing


def test_a_clause_and_obligation_added_on_the_page_and_a_refusal_naming_the_field(alice, book):
    agreement = draft(alice, book, clauses=[])
    web = client_for(alice)

    web.post(reverse("clause_add", args=[agreement.pk]), {"heading": "Support", "text": ""})
    clause = Clause.objects.get(agreement=agreement)
    added = web.post(
        reverse("obligation_add", args=[clause.pk]),
        {
            "side": "client",
            "owner": f"p:{book['wang'].pk}",
            "what": "Name a contact",
            "due_on": SOON.isoformat(),
        },
    )
    refused = web.post(
        reverse("obligation_add", args=[clause.pk]),
        {
            "side": "ours",
            "owner": f"u:{alice.pk}",
            "what": "Too early",
            "due_on": (TODAY - dt.timedelta(days=3)).isoformat(),
        },
    )

    assert added.status_code == 302
    assert Obligation.objects.get().owner_person == book["wang"]
    assert refused.status_code == 422
    assert "due_on" in refused.content.decode()
    assert Obligation.objects.count() == 1


def test_the_pdf_has_the_clauses_obligations_and_signatures(alice, book):
    agreement = draft(alice, book)
    services.agreement_sign(actor=alice, agreement=agreement)

    response = client_for(alice).get(reverse("agreement_pdf", args=[agreement.pk]))

    assert response["Content-Type"] == "application/pdf"
    text = _text(response.content)
    for words in [
        "ERP rollout agreement",
        "Delivery",
        "Install the ERP",
        "Give server access",
        "Signatures",
        "Alice Adams",
        "华为技术",
    ]:
        assert words in text, words


def test_a_chinese_agreement_prints_its_chinese_text(alice, book):
    agreement = draft(
        alice,
        book,
        title="企业资源计划实施协议",
        language="zh-hans",
        clauses=[
            {
                "heading": "交付",
                "text": "甲方负责安装系统，乙方提供服务器访问权限。",
                "obligations": [
                    {"side": "ours", "owner": alice.pk, "what": "完成系统安装", "due_on": LATER}
                ],
            }
        ],
    )

    response = client_for(alice).get(reverse("agreement_pdf", args=[agreement.pk]))

    text = _text(response.content)
    for words in ["企业资源计划实施协议", "交付", "完成系统安装", "王小明"]:
        assert words in text, words


@pytest.mark.parametrize("who", ["charlie", "alice"])
def test_another_team_or_a_colleague_cannot_reach_a_private_agreement_or_its_pdf(
    alice, bob, charlie, book, who
):
    secret = services.agreement_create(
        actor=bob,
        title="Bob's secret agreement",
        effective_on=TODAY,
        client_person=book["bobs_secret"],
        clauses=[{"heading": "Secret clause", "obligations": []}],
    )
    web = client_for({"charlie": charlie, "alice": alice}[who])

    for name in ("agreement_detail", "agreement_pdf", "agreement_edit"):
        assert web.get(reverse(name, args=[secret.pk])).status_code == 404
    assert "Bob's secret agreement" not in web.get(reverse("agreement_list")).content.decode()


def test_the_demo_signs_an_agreement_whose_obligations_are_promises_on_both_sides(
    alice, bob, book, deal
):
    from rapport.agreements.demo import seed

    assert seed(team=alice.member.team, users=[alice, bob], now=timezone.now()) == 1

    agreement = Agreement.objects.get()
    assert agreement.status == "signed" and agreement.deal == deal
    promises = Commitment.objects.filter(obligation__clause__agreement=agreement)
    assert set(promises.values_list("side", flat=True)) == {"ours", "client"}
    assert promises.count() == Obligation.objects.count() == 4
    assert promises.filter(status="kept").count() == 2
