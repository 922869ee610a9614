"""Reads of agreements for the pages, the API, the PDF and the CLI.

An agreement is the team's, unless a person of Party B is someone's private contact:
then only its owner sees it, as with promises. Every fetch by id goes through
`agreement_for`, which raises Http404 for anything the reader may not see."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from rapport.agreements.models import Agreement, Clause, Obligation
from rapport.people.models import Person, Visibility
from rapport.people.queries import visible_people


def visible_agreements(actor: Any) -> QuerySet[Agreement]:
    return Agreement.objects.filter(team_id=actor.member.team_id).filter(
        Q(visibility=Visibility.TEAM) | Q(owner_id=actor.pk)
    )


def _full(qs: QuerySet[Agreement]) -> QuerySet[Agreement]:
    obligations = Obligation.objects.select_related(
        "owner_user__member__person", "owner_person", "commitment"
    ).order_by("position", "id")
    return qs.select_related(
        "deal",
        "client_organisation",
        "client_person",
        "our_signatory__member__person",
        "amends",
    ).prefetch_related(
        Prefetch(
            "clauses",
            queryset=Clause.objects.order_by("position", "id").prefetch_related(
                Prefetch("obligations", queryset=obligations)
            ),
        )
    )


def agreement_for(actor: Any, agreement_id: int | str, *, write: bool = False) -> Agreement:
    """The agreement with its parties, clauses and obligations, if the actor may see
    it; else Http404."""
    try:
        pk = int(agreement_id)
        if not 0 < pk < 2**63:
            raise Agreement.DoesNotExist
        return _full(visible_agreements(actor)).get(pk=pk)
    except (Agreement.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such agreement") from exc


def clause_for(actor: Any, clause_id: int | str) -> Clause:
    try:
        return Clause.objects.select_related("agreement").get(
            pk=int(clause_id), agreement__in=visible_agreements(actor)
        )
    except (Clause.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise Http404("No such clause") from exc


def obligation_for(actor: Any, obligation_id: int | str) -> Obligation:
    try:
        return Obligation.objects.select_related("clause__agreement").get(
            pk=int(obligation_id), clause__agreement__in=visible_agreements(actor)
        )
    except (Obligation.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise Http404("No such obligation") from exc


def agreement_list(actor: Any, *, status: str | None = None) -> QuerySet[Agreement]:
    qs = visible_agreements(actor).select_related(
        "deal", "client_organisation", "client_person", "our_signatory__member__person"
    )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-effective_on", "-id")


def for_deal(actor: Any, deal_id: int) -> QuerySet[Agreement]:
    return visible_agreements(actor).filter(deal_id=deal_id).order_by("-effective_on", "-id")


def teammates(actor: Any) -> list[Any]:
    """The users of the actor's team, by name, for Party A's owners and signatory."""
    return list(
        get_user_model()
        .objects.filter(member__team_id=actor.member.team_id, is_active=True)
        .select_related("member__person")
        .order_by("username")
    )


def client_people(actor: Any, agreement: Agreement) -> list[Person]:
    """People the actor may name on the client's side: the signatory, the deal's
    people and the people of the client organisation the actor may see."""
    wanted = Q(pk=agreement.client_person_id) if agreement.client_person_id else Q(pk__in=[])
    if agreement.deal_id:
        wanted |= Q(pk__in=agreement.deal.people.values("pk")) if agreement.deal else Q()
    if agreement.client_organisation_id:
        wanted |= Q(roles__organisation_id=agreement.client_organisation_id)
    return list(visible_people(actor).filter(wanted).distinct().order_by("display_name", "id"))


def obligations_by_side(agreement: Agreement) -> dict[str, list[Obligation]]:
    """Every obligation of the agreement (prefetched), ours then the client's."""
    found: dict[str, list[Obligation]] = {"ours": [], "client": []}
    for clause in agreement.clauses.all():
        for obligation in clause.obligations.all():
            found[obligation.side].append(obligation)
    return found
