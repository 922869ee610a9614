"""The demo book's agreement: one signed from a won deal, whose obligations on both
sides are commitments, one of ours already kept."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rapport.accounts.models import Team


def seed(*, team: Team, users: list[Any], now: dt.datetime) -> int:
    """Draft and sign an agreement from the team's first won deal with a client person
    (else any deal with one). Returns how many agreements were added (0 or 1)."""
    from rapport.agreements import services
    from rapport.commitments.services import commitment_close
    from rapport.deals.models import Deal
    from rapport.people.models import Visibility

    user = users[0]
    deals = Deal.objects.filter(team=team, organisation__isnull=False).order_by("id")
    deal = None
    for candidate in [*deals.filter(stage__outcome="won"), *deals]:
        if candidate.people.filter(visibility=Visibility.TEAM).exists():
            deal = candidate
            break
    if deal is None:
        return 0
    client = deal.people.filter(visibility=Visibility.TEAM).order_by("id")[0]
    colleague = users[1] if len(users) > 1 else user
    signed = now - dt.timedelta(days=20)
    start = signed.date()
    agreement = services.agreement_create(
        actor=user,
        deal=deal,
        title=f"{deal.title}: service agreement",
        language=user.member.language,
        effective_on=start,
        client_organisation=deal.organisation,
        client_person=client,
        our_signatory=user,
        clauses=[
            {
                "heading": "Scope of the service",
                "text": "Party A advises Party B on its procurement process for twelve months.",
                "obligations": [
                    {
                        "side": "ours",
                        "owner": user.pk,
                        "what": "Deliver the procurement review",
                        "due_on": start + dt.timedelta(days=14),
                    },
                    {
                        "side": "ours",
                        "owner": colleague.pk,
                        "what": "Run the supplier workshop",
                        "due_on": start + dt.timedelta(days=45),
                    },
                ],
            },
            {
                "heading": "Cooperation of Party B",
                "text": "Party B gives Party A the data and access the work needs.",
                "obligations": [
                    {
                        "side": "client",
                        "owner": client.pk,
                        "what": "Share last year's supplier contracts",
                        "due_on": start + dt.timedelta(days=7),
                    },
                    {
                        "side": "client",
                        "owner": client.pk,
                        "what": "Sign off the workshop agenda",
                        "due_on": start + dt.timedelta(days=40),
                    },
                ],
            },
        ],
    )
    agreement = services.agreement_sign(
        actor=user,
        agreement=agreement,
        our_signed_at=signed,
        client_signed_at=signed,
        now=signed,
    )
    review = agreement.clauses.order_by("position")[0].obligations.order_by("position")[0]
    contracts = agreement.clauses.order_by("position")[1].obligations.order_by("position")[0]
    delivered = signed + dt.timedelta(days=12)
    commitment_close(
        actor=user,
        commitment=review.commitment,  # type: ignore[arg-type]
        status="kept",
        delivered_at=delivered,
        reported_back=True,
        now=delivered,
    )
    commitment_close(
        actor=user,
        commitment=contracts.commitment,  # type: ignore[arg-type]
        status="kept",
        delivered_at=signed + dt.timedelta(days=5),
        now=signed + dt.timedelta(days=5),
    )
    return 1
