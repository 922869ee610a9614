"""The gift and hospitality register: entries both ways, the team's policy, over-limit
entries that need a reason and are flagged, totals per currency, pages and the API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from rapport.accounts.models import AuditEntry
from rapport.gifts import queries, services
from rapport.gifts.models import Gift, GiftPolicy
from tests.conftest import api_for, client_for

API = "/api/v1"
THIS_YEAR = timezone.localdate().year


def on(month: int, day: int, year: int = THIS_YEAR) -> dt.date:
    return dt.date(year, month, day)


def policy(actor: Any, per_gift: str | None = "500", per_year: str | None = "1000") -> GiftPolicy:
    return services.policy_update(
        actor=actor, per_gift_limit=per_gift, per_person_year_limit=per_year
    )


def gift(actor: Any, who: Any, **extra: Any) -> Gift:
    fields = {
        "person": who,
        "direction": "given",
        "description": "A box of mooncakes",
        "occasion": "mid_autumn",
        "given_on": on(9, 20),
        "value": "300",
    }
    return services.gift_create(actor=actor, **(fields | extra))


def refused(field: str, call: Any) -> str:
    count = Gift.objects.count()
    with pytest.raises(ValidationError) as caught:
        call()
    assert field in caught.value.message_dict
    assert Gift.objects.count() == count
    return caught.value.message_dict[field][0]


# --- services -----------------------------------------------------------------------


def test_a_gift_is_recorded_in_the_team_s_currency_with_who_recorded_it_and_an_audit(alice, book):
    entry = gift(alice, book["wang"], organisation=book["huawei"])

    assert entry.value == Decimal("300.00")
    assert entry.currency == "USD"
    assert entry.recorded_by == alice
    assert entry.organisation == book["huawei"]
    assert not entry.over_limit
    assert AuditEntry.objects.filter(action="gift.create", object_id=entry.pk).exists()


def test_an_entry_over_the_limit_per_gift_is_refused_without_a_reason(alice, book):
    policy(alice)

    message = refused("reason", lambda: gift(alice, book["wang"], value="800"))
    assert "500" in message

    entry = gift(alice, book["wang"], value="800", reason="Their 60th birthday, agreed with Li")
    assert entry.over_limit
    assert entry.limits_crossed == "gift,year" or entry.limits_crossed == "gift"


def test_the_year_s_total_per_person_and_direction_counts_this_entry(alice, book):
    policy(alice, per_gift="500", per_year="1000")
    gift(alice, book["wang"], value="500")
    gift(alice, book["wang"], value="500", given_on=on(2, 1))
    # Received gifts, another person and another year are other totals.
    gift(alice, book["wang"], value="500", direction="received")
    gift(alice, book["anna"], value="500")
    gift(alice, book["wang"], value="500", given_on=on(3, 1, THIS_YEAR - 1))

    message = refused("reason", lambda: gift(alice, book["wang"], value="0.01"))
    assert "1000" in message
    entry = gift(alice, book["wang"], value="0.01", reason="A card")
    assert entry.over_limit
    assert entry.limits_crossed == "year"


def test_reaching_a_limit_exactly_is_within_it(alice, book):
    policy(alice, per_gift="500", per_year="500")
    assert not gift(alice, book["wang"], value="500.00").over_limit


def test_no_policy_means_no_limit(alice, book):
    assert not gift(alice, book["wang"], value="99999").over_limit


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"value": "-1"}, "value"),
        ({"value": "12.345"}, "value"),
        ({"value": "lots"}, "value"),
        ({"value": None}, "value"),
        ({"direction": "sideways"}, "direction"),
        ({"kind": "bribe"}, "kind"),
        ({"occasion": "whenever"}, "occasion"),
        ({"description": "  "}, "description"),
        ({"given_on": "yesterday"}, "given_on"),
        ({"currency": "dollars"}, "currency"),
        ({"person": None}, "person"),
        ({"person": 10**30}, "person"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_saved(alice, book, extra, field):
    refused(field, lambda: gift(alice, book["wang"], **extra))


def test_a_colleague_s_private_contact_or_another_team_s_records_cannot_be_used(alice, book):
    assert "no such person" in refused("person", lambda: gift(alice, book["bobs_secret"]))
    refused("person", lambda: gift(alice, book["charlies"]))
    refused("organisation", lambda: gift(alice, book["wang"], organisation=book["charlies_org"]))


def test_only_a_team_administrator_may_change_the_policy(alice, bob):
    with pytest.raises(PermissionDenied):
        policy(bob)
    saved = policy(alice, per_gift="200.50", per_year=None)
    assert saved.per_gift_limit == Decimal("200.50")
    assert saved.per_person_year_limit is None
    assert refused_policy(alice) == "per_person_year_limit"


def refused_policy(actor: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        services.policy_update(actor=actor, per_gift_limit="1", per_person_year_limit="-5")
    return next(iter(caught.value.message_dict))


def test_an_edit_is_checked_against_the_policy_again(alice, book):
    policy(alice)
    entry = gift(alice, book["wang"], value="100")
    with pytest.raises(ValidationError) as caught:
        services.gift_update(actor=alice, gift=entry, value="900")
    assert "reason" in caught.value.message_dict
    entry.refresh_from_db()
    assert entry.value == Decimal("100.00")
    services.gift_update(actor=alice, gift=entry, value="900", reason="Wedding gift")
    entry.refresh_from_db()
    assert entry.over_limit


def test_totals_are_per_direction_and_currency_never_mixed(alice, book):
    gift(alice, book["wang"], value="100.10")
    gift(alice, book["wang"], value="200.20")
    gift(alice, book["wang"], value="50", currency="CNY")
    gift(alice, book["anna"], value="70", direction="received", kind="hospitality")

    found = queries.register(alice)
    assert found.given == [("CNY", Decimal("50.00")), ("USD", Decimal("300.30"))]
    assert found.received == [("USD", Decimal("70.00"))]


def test_a_gift_in_another_currency_than_the_policy_s_is_not_compared_with_it(alice, book):
    policy(alice, per_gift="10", per_year="10")
    assert not gift(alice, book["wang"], value="5000", currency="CNY").over_limit


# --- pages --------------------------------------------------------------------------


def test_the_register_lists_flags_and_filters_entries(alice, book):
    policy(alice)
    gift(alice, book["wang"], description="Mooncakes")
    gift(
        alice,
        book["wang"],
        description="Dinner at Jade Garden",
        kind="hospitality",
        direction="received",
        value="900",
        occasion="other",
        reason="Could not refuse in front of the board",
    )
    gift(alice, book["anna"], description="Card and flowers", given_on=on(1, 5, THIS_YEAR - 1))
    client = client_for(alice)

    page = client.get("/gifts/").content.decode()
    assert "Mooncakes" in page and "Jade Garden" in page and "Card and flowers" in page
    assert page.count('data-testid="over-limit"') == 1
    assert "Could not refuse in front of the board" in page

    over = client.get("/gifts/?over=1").content.decode()
    assert "Jade Garden" in over and "Mooncakes" not in over
    received = client.get("/gifts/?direction=received").content.decode()
    assert "Jade Garden" in received and "Mooncakes" not in received
    last_year = client.get(f"/gifts/?year={THIS_YEAR - 1}").content.decode()
    assert "Card and flowers" in last_year and "Mooncakes" not in last_year
    anna = client.get(f"/gifts/?person={book['anna'].pk}").content.decode()
    assert "Card and flowers" in anna and "Mooncakes" not in anna


def test_the_person_page_loads_a_gifts_card_that_flags_over_limit_entries(alice, book):
    policy(alice)
    gift(alice, book["wang"], value="800", description="Tea set", reason="Retirement")
    client = client_for(alice)

    assert 'id="gifts"' in client.get(f"/people/{book['wang'].pk}/").content.decode()
    card = client.get(f"/gifts/people/{book['wang'].pk}/", headers={"HX-Request": "true"})
    text = card.content.decode()
    assert "Tea set" in text and 'data-testid="over-limit"' in text
    assert "<html" not in text
    page = client.get(f"/gifts/people/{book['wang'].pk}/").content.decode()
    assert "<html" in page and "Tea set" in page


def test_a_gift_is_added_edited_and_deleted_through_the_forms(alice, book):
    policy(alice)
    client = client_for(alice)
    form = {
        "direction": "given",
        "kind": "gift",
        "person_name": "王小明",
        "person_id": book["wang"].pk,
        "organisation_name": "",
        "deal": "",
        "description": "Red envelope",
        "occasion": "spring_festival",
        "given_on": on(2, 10).isoformat(),
        "value": "888",
        "currency": "USD",
        "reason": "",
    }
    refused_page = client.post("/gifts/new/", form)
    assert refused_page.status_code == 422
    assert "per gift" in refused_page.content.decode()
    assert not Gift.objects.exists()

    response = client.post("/gifts/new/", form | {"reason": "Family custom, told the manager"})
    assert response.status_code == 302
    entry = Gift.objects.get()
    assert entry.over_limit and entry.person == book["wang"]

    assert client.get(f"/gifts/{entry.pk}/edit/").status_code == 200
    client.post(f"/gifts/{entry.pk}/edit/", form | {"value": "88", "reason": ""})
    entry.refresh_from_db()
    assert entry.value == Decimal("88.00") and not entry.over_limit

    client.post(f"/gifts/{entry.pk}/delete/")
    assert not Gift.objects.exists()


def test_the_policy_page_is_read_by_all_and_changed_by_an_administrator(alice, bob):
    assert client_for(bob).post("/gifts/policy/", {"per_gift_limit": "1"}).status_code == 403
    response = client_for(alice).post(
        "/gifts/policy/", {"per_gift_limit": "300", "per_person_year_limit": "abc"}
    )
    assert response.status_code == 422
    client_for(alice).post("/gifts/policy/", {"per_gift_limit": "300", "per_person_year_limit": ""})
    page = client_for(bob).get("/gifts/policy/").content.decode()
    assert "300.00" in page and "Only a team administrator" in page


def test_the_register_reads_in_chinese(alice, book):
    alice.member.language = "zh-hans"
    alice.member.save()
    gift(alice, book["wang"], description="月饼礼盒")
    client = client_for(alice)
    page = client.get("/gifts/", headers={"Accept-Language": "zh-hans"}).content.decode()
    assert "月饼礼盒" in page and "王小明" in page


# --- API ----------------------------------------------------------------------------


def test_the_api_records_lists_changes_and_deletes_gifts(alice, book):
    api = api_for(alice)
    body = {
        "person": book["wang"].pk,
        "direction": "received",
        "kind": "hospitality",
        "description": "Banquet",
        "occasion": "closing",
        "given_on": on(6, 1).isoformat(),
        "value": "1200.50",
    }
    created = api.post(API + "/gifts", body, content_type="application/json")
    assert created.status_code == 201, created.json()
    data = created.json()
    assert data["value"] == "1200.50" and data["currency"] == "USD"

    listed = api.get(API + "/gifts?direction=received").json()
    assert listed["count"] == 1
    assert listed["totals"]["received"] == {"USD": "1200.50"}

    changed = api.patch(
        f"{API}/gifts/{data['id']}",
        {"description": "Banquet (team)"},
        content_type="application/json",
    )
    assert changed.json()["description"] == "Banquet (team)"
    assert api.delete(f"{API}/gifts/{data['id']}").status_code == 204
    assert api.get(f"{API}/gifts/{data['id']}").status_code == 404


def test_the_api_refuses_an_over_limit_gift_without_a_reason_naming_the_field(alice, bob, book):
    api = api_for(alice)
    assert (
        api_for(bob)
        .put(API + "/gifts/policy", {"per_gift_limit": "1"}, content_type="application/json")
        .status_code
        == 403
    )
    put = api.put(
        API + "/gifts/policy",
        {"per_gift_limit": "100", "per_person_year_limit": "150"},
        content_type="application/json",
    )
    assert put.json()["per_gift_limit"] == "100.00"
    body = {
        "person": book["wang"].pk,
        "direction": "given",
        "description": "Watch",
        "given_on": on(3, 3).isoformat(),
        "value": "101",
    }
    refused = api.post(API + "/gifts", body, content_type="application/json")
    assert refused.status_code == 422
    assert refused.json()["field"] == "reason"
    ok = api.post(API + "/gifts", body | {"reason": "Retirement"}, content_type="application/json")
    assert ok.json()["over_limit"] is True
    assert ok.json()["limits_crossed"] == ["gift"]
    assert api.get(API + "/gifts?over_limit=true").json()["count"] == 1


def test_the_api_hides_a_colleague_s_private_contact_s_gifts_and_another_team_s(
    alice, bob, charlie, book
):
    secret = gift(bob, book["bobs_secret"], description="Bob's secret gift")
    shared = gift(alice, book["wang"], description="Alice's gift")
    api = api_for(alice)
    assert api.get(f"{API}/gifts/{secret.pk}").status_code == 404
    assert "Bob's secret gift" not in api.get(API + "/gifts").content.decode()
    assert (
        api.patch(
            f"{API}/gifts/{secret.pk}", {"value": "1"}, content_type="application/json"
        ).status_code
        == 404
    )
    theirs = api_for(charlie)
    assert theirs.get(f"{API}/gifts/{shared.pk}").status_code == 404
    assert theirs.delete(f"{API}/gifts/{shared.pk}").status_code == 404
    assert theirs.get(API + "/gifts").json()["count"] == 0
    assert Gift.objects.count() == 2


def test_pages_hide_a_colleague_s_private_contact_s_gifts(alice, bob, book):
    secret = gift(bob, book["bobs_secret"], description="Bob's secret gift")
    client = client_for(alice)
    assert "Bob's secret gift" not in client.get("/gifts/").content.decode()
    assert client.get(f"/gifts/{secret.pk}/edit/").status_code == 404
    assert client.post(f"/gifts/{secret.pk}/delete/").status_code == 404
    assert client.get(f"/gifts/people/{book['bobs_secret'].pk}/").status_code == 404
    assert client.get(f"/gifts/?person={book['bobs_secret'].pk}").status_code == 404
    assert Gift.objects.filter(pk=secret.pk).exists()


# --- CLI ----------------------------------------------------------------------------


def test_rapport_gifts_lists_a_person_s_year_with_totals_and_flags(alice, bob, book):
    import json

    from typer.testing import CliRunner

    from rapport.cli import app

    policy(alice)
    gift(alice, book["wang"], description="Mooncakes", value="300")
    gift(alice, book["wang"], description="Watch", value="600", reason="Retirement")
    gift(alice, book["wang"], description="Old tea", given_on=on(1, 1, THIS_YEAR - 1))
    gift(alice, book["anna"], description="Flowers", currency="CNY", value="88")
    gift(bob, book["bobs_secret"], description="Bob's secret gift")
    runner = CliRunner()

    table = runner.invoke(app, ["gifts", "--user", "alice"])
    assert table.exit_code == 0, table.output
    assert "Mooncakes" in table.output and "Retirement" in table.output
    assert "88.00 CNY" in table.output and "Bob's secret gift" not in table.output

    result = runner.invoke(
        app, ["gifts", "--user", "alice", "--person", "王小明", "--year", str(THIS_YEAR), "--json"]
    )
    body = json.loads(result.stdout)
    assert [g["description"] for g in body["gifts"]] == ["Mooncakes", "Watch"] or [
        g["description"] for g in body["gifts"]
    ] == ["Watch", "Mooncakes"]
    assert body["totals"]["given"] == {"USD": "900.00"}
    assert body["over_limit"] == 1
    assert body["policy"]["per_gift_limit"] == "500.00"

    hidden = runner.invoke(app, ["gifts", "--user", "alice", "--person", "Bob's Private Contact"])
    assert hidden.exit_code == 1 and "nobody called" in hidden.output


def test_a_long_register_shows_the_newest_entries_and_totals_them_all(alice, book, monkeypatch):
    from rapport.gifts import views

    monkeypatch.setattr(views, "SHOWN", 2)
    for n in range(3):
        gift(alice, book["wang"], description=f"Gift {n}", given_on=on(1, 1 + n), value="10")

    page = client_for(alice).get("/gifts/").content.decode()

    assert "Gift 2" in page and "Gift 1" in page and "Gift 0" not in page
    assert 'data-testid="gift-more"' in page
    assert "30.00 USD" in page
