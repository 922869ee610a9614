"""Every write to agreements: drafting, clauses and their obligations, signing and
amending. Each validates, changes atomically and leaves an audit entry; views, the API
and the CLI call only these.

A draft may be incomplete, but what it names must be reachable: an owner on our side
is a user of the team, an owner on the client's side a person the actor may see (a
colleague's private contact is refused exactly as someone who does not exist), and no
obligation falls due before the agreement takes effect. Signing needs every obligation
to have an owner and a due date; it locks the agreement and makes each obligation a
commitment through the commitments services, all or nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Model
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.accounts.services import audit_record
from rapport.agreements.models import Agreement, Clause, Obligation
from rapport.commitments import services as commitments
from rapport.commitments.models import Side
from rapport.core.validation import aware_instant, not_in_future
from rapport.deals.models import Deal
from rapport.people.models import Organisation, Person, Visibility
from rapport.people.queries import visible_people

Status = Agreement.Status
AGREEMENT_FIELDS = {
    "title",
    "language",
    "effective_on",
    "client_organisation",
    "client_person",
    "our_signatory",
    "clauses",
}
OBLIGATION_FIELDS = {"side", "owner", "what", "due_on"}
BIGGEST_ID = 2**63 - 1


def _pk(value: Any, field: str, noun: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, Model):
        return int(value.pk)
    try:
        if isinstance(value, bool):
            raise TypeError
        pk = int(value)
        if not 0 < pk <= BIGGEST_ID:
            raise ValueError
    except (TypeError, ValueError) as exc:
        raise ValidationError({field: _("no such %(noun)s") % {"noun": noun}}) from exc
    return pk


def _person(actor: Any, value: Any, field: str, owner_id: int) -> Person | None:
    """A person the actor may see and the agreement's owner may be shown: shared with
    the team, or a private contact of the agreement's own owner."""
    pk = _pk(value, field, _("person"))
    if pk is None:
        return None
    person = visible_people(actor).filter(pk=pk).first()
    if person is None or (person.visibility == Visibility.PRIVATE and person.owner_id != owner_id):
        raise ValidationError({field: _("no such person")})
    return person


def _organisation(actor: Any, value: Any, field: str) -> Organisation | None:
    pk = _pk(value, field, _("organisation"))
    if pk is None:
        return None
    found = Organisation.objects.filter(team_id=actor.member.team_id, pk=pk).first()
    if found is None:
        raise ValidationError({field: _("no such organisation")})
    return found


def _user(actor: Any, value: Any, field: str) -> Any:
    pk = _pk(value, field, _("user"))
    if pk is None:
        return None
    found = (
        get_user_model()
        .objects.filter(pk=pk, member__team_id=actor.member.team_id)
        .select_related("member__person")
        .first()
    )
    if found is None:
        raise ValidationError({field: _("no such user in your team")})
    return found


def _deal(actor: Any, value: Any, field: str = "deal") -> Deal | None:
    pk = _pk(value, field, _("deal"))
    if pk is None:
        return None
    found = Deal.objects.filter(team_id=actor.member.team_id, pk=pk).first()
    if found is None:
        raise ValidationError({field: _("no such deal")})
    return found


def _date(value: Any, field: str, *, required: bool) -> dt.date | None:
    if value is None or value == "":
        if required:
            raise ValidationError({field: _("a date is required")})
        return None
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError as exc:
            raise ValidationError({field: _("enter a valid date")}) from exc
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise ValidationError({field: _("enter a valid date")})
    return value


def _text(value: Any, field: str, limit: int, *, required: bool = True) -> str:
    text = (value or "").strip() if isinstance(value, str) or value is None else None
    if text is None:
        raise ValidationError({field: _("enter text")})
    if required and not text:
        raise ValidationError({field: _("this field is required")})
    if len(text) > limit:
        raise ValidationError({field: _("at most %(limit)d characters") % {"limit": limit}})
    return text


def _language(value: Any) -> str:
    codes = [code for code, _name in settings.LANGUAGES]
    if value not in codes:
        raise ValidationError(
            {"language": _("choose one of: %(codes)s") % {"codes": ", ".join(codes)}}
        )
    return str(value)


def _require_draft(agreement: Agreement) -> None:
    if agreement.status != Status.DRAFT:
        raise ValidationError(
            {"status": _("a signed agreement cannot be changed: draft an amendment instead")}
        )


def _locked(agreement: Agreement) -> Agreement:
    """The agreement row, locked for the rest of the transaction, still a draft."""
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    _require_draft(agreement)
    return agreement


def _audit(actor: Any, agreement: Agreement, action: str, **extra: Any) -> None:
    audit_record(
        actor=actor,
        team=agreement.team,
        action=action,
        obj=extra.pop("obj", agreement),
        summary=extra.pop("summary", agreement.title),
        private=agreement.visibility == Visibility.PRIVATE,
        person=agreement.client_person,
        **extra,
    )


def _refresh_visibility(agreement: Agreement) -> None:
    """Private when Party B's signatory or any client-side owner is a private contact."""
    private = Person.objects.filter(visibility=Visibility.PRIVATE).filter(
        pk__in=[
            agreement.client_person_id,
            *Obligation.objects.filter(clause__agreement=agreement).values_list(
                "owner_person_id", flat=True
            ),
        ]
    )
    visibility = Visibility.PRIVATE if private.exists() else Visibility.TEAM
    if visibility != agreement.visibility:
        agreement.visibility = visibility
        agreement.save(update_fields=["visibility", "updated_at"])


def _obligation_values(
    actor: Any,
    agreement: Agreement,
    data: Mapping[str, Any],
    prefix: str = "",
) -> dict[str, Any]:
    """Checked fields of an obligation, errors naming `prefix` + the field."""
    side = data.get("side", Side.OURS)
    if side not in Side.values:
        raise ValidationError(
            {f"{prefix}side": _("say whose obligation it is: ours or the client's")}
        )
    owner = data.get("owner")
    owner_user = owner_person = None
    if side == Side.OURS:
        if isinstance(owner, Person):
            raise ValidationError({f"{prefix}owner": _("an obligation of ours is owned by a user")})
        owner_user = _user(actor, owner, f"{prefix}owner")
    else:
        if owner is not None and not isinstance(owner, Person | int | str):
            raise ValidationError(
                {f"{prefix}owner": _("the client's obligation is owned by one of their people")}
            )
        owner_person = _person(actor, owner, f"{prefix}owner", agreement.owner_id)
    due_on = _date(data.get("due_on"), f"{prefix}due_on", required=False)
    if due_on is not None and due_on < agreement.effective_on:
        raise ValidationError(
            {f"{prefix}due_on": _("the due date is before the agreement takes effect")}
        )
    return {
        "side": side,
        "owner_user": owner_user,
        "owner_person": owner_person,
        "what": _text(data.get("what"), f"{prefix}what", 300),
        "due_on": due_on,
    }


def _add_clauses(actor: Any, agreement: Agreement, clauses: Iterable[Mapping[str, Any]]) -> None:
    if isinstance(clauses, str | bytes) or not isinstance(clauses, Iterable):
        raise ValidationError({"clauses": _("give a list of clauses")})
    for i, data in enumerate(clauses):
        prefix = f"clauses[{i}]."
        if not isinstance(data, Mapping):
            raise ValidationError({f"clauses[{i}]": _("give a heading and a text")})
        clause = Clause.objects.create(
            agreement=agreement,
            position=i + 1,
            heading=_text(data.get("heading"), f"{prefix}heading", 200),
            text=_text(data.get("text"), f"{prefix}text", 20000, required=False),
        )
        obligations = data.get("obligations") or []
        if isinstance(obligations, str | bytes) or not isinstance(obligations, Iterable):
            raise ValidationError({f"{prefix}obligations": _("give a list of obligations")})
        for j, item in enumerate(obligations):
            if not isinstance(item, Mapping):
                raise ValidationError({f"{prefix}obligations[{j}]": _("give an obligation")})
            values = _obligation_values(actor, agreement, item, f"{prefix}obligations[{j}].")
            Obligation.objects.create(clause=clause, position=j + 1, **values)


def _check_due_dates(agreement: Agreement) -> None:
    early = Obligation.objects.filter(
        clause__agreement=agreement, due_on__lt=agreement.effective_on
    ).first()
    if early is not None:
        raise ValidationError(
            {"effective_on": _("“%(what)s” falls due before this date") % {"what": early.what}}
        )


@transaction.atomic
def agreement_create(
    *,
    actor: Any,
    title: str,
    effective_on: Any,
    language: str | None = None,
    deal: Any = None,
    client_organisation: Any = None,
    client_person: Any = None,
    our_signatory: Any = None,
    clauses: Iterable[Mapping[str, Any]] | None = None,
) -> Agreement:
    """Draft an agreement, optionally from a deal, with its clauses and obligations."""
    agreement = Agreement(
        team_id=actor.member.team_id,
        owner=actor,
        deal=_deal(actor, deal),
        title=_text(title, "title", 200),
        language=_language(language or actor.member.language),
        effective_on=_date(effective_on, "effective_on", required=True),  # type: ignore[misc]
        client_organisation=_organisation(actor, client_organisation, "client_organisation"),
        client_person=_person(actor, client_person, "client_person", actor.pk),
        our_signatory=_user(actor, our_signatory, "our_signatory"),
    )
    agreement.save()
    _add_clauses(actor, agreement, clauses or [])
    _refresh_visibility(agreement)
    _audit(actor, agreement, "agreement.create")
    return agreement


def draft_from_deal(actor: Any, deal: Deal) -> dict[str, Any]:
    """What a new agreement from the deal starts with: its title, organisation, first
    person the actor may see, its owner as our signatory, today as effective date."""
    person = (
        visible_people(actor)
        .filter(pk__in=deal.people.values("pk"))
        .order_by("display_name", "id")
        .first()
    )
    return {
        "deal": deal,
        "title": deal.title,
        "language": actor.member.language,
        "effective_on": timezone.localdate(),
        "client_organisation": deal.organisation,
        "client_person": person,
        "our_signatory": deal.owner,
    }


@transaction.atomic
def agreement_update(*, actor: Any, agreement: Agreement, **fields: Any) -> Agreement:
    """Change a draft's title, language, effective date or parties; `clauses`, when
    given, replaces every clause and obligation."""
    unknown = sorted(set(fields) - AGREEMENT_FIELDS)
    if unknown:
        raise ValidationError({name: _("this cannot be changed here") for name in unknown})
    agreement = _locked(agreement)
    if "title" in fields:
        agreement.title = _text(fields["title"], "title", 200)
    if "language" in fields:
        agreement.language = _language(fields["language"])
    if "effective_on" in fields:
        agreement.effective_on = _date(fields["effective_on"], "effective_on", required=True)  # type: ignore[assignment]
    if "client_organisation" in fields:
        agreement.client_organisation = _organisation(
            actor, fields["client_organisation"], "client_organisation"
        )
    if "client_person" in fields:
        agreement.client_person = _person(
            actor, fields["client_person"], "client_person", agreement.owner_id
        )
    if "our_signatory" in fields:
        agreement.our_signatory = _user(actor, fields["our_signatory"], "our_signatory")
    agreement.save()
    if fields.get("clauses") is not None:
        agreement.clauses.all().delete()
        _add_clauses(actor, agreement, fields["clauses"])
    _check_due_dates(agreement)
    _refresh_visibility(agreement)
    _audit(actor, agreement, "agreement.update", changes={"fields": sorted(fields)})
    return agreement


@transaction.atomic
def clause_add(*, actor: Any, agreement: Agreement, heading: str, text: str = "") -> Clause:
    agreement = _locked(agreement)
    last = agreement.clauses.aggregate(last=Max("position"))["last"] or 0
    clause = Clause.objects.create(
        agreement=agreement,
        position=last + 1,
        heading=_text(heading, "heading", 200),
        text=_text(text, "text", 20000, required=False),
    )
    _audit(actor, agreement, "agreement.clause_add", summary=clause.heading)
    return clause


@transaction.atomic
def clause_update(*, actor: Any, clause: Clause, heading: str, text: str = "") -> Clause:
    agreement = _locked(clause.agreement)
    clause.heading = _text(heading, "heading", 200)
    clause.text = _text(text, "text", 20000, required=False)
    clause.save()
    _audit(actor, agreement, "agreement.clause_update", summary=clause.heading)
    return clause


@transaction.atomic
def clause_move(*, actor: Any, clause: Clause, direction: str) -> None:
    """Swap the clause with the one before ("up") or after ("down") it."""
    if direction not in ("up", "down"):
        raise ValidationError({"direction": _("move a clause up or down")})
    agreement = _locked(clause.agreement)
    order = list(agreement.clauses.order_by("position", "id"))
    index = next(i for i, c in enumerate(order) if c.pk == clause.pk)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(order):
        return
    order[index], order[other] = order[other], order[index]
    for position, item in enumerate(order, start=1):
        if item.position != position:
            item.position = position
            item.save(update_fields=["position"])
    _audit(actor, agreement, "agreement.clause_move", summary=clause.heading)


@transaction.atomic
def clause_delete(*, actor: Any, clause: Clause) -> None:
    agreement = _locked(clause.agreement)
    heading = clause.heading
    clause.delete()
    _refresh_visibility(agreement)
    _audit(actor, agreement, "agreement.clause_delete", summary=heading)


@transaction.atomic
def obligation_add(*, actor: Any, clause: Clause, **fields: Any) -> Obligation:
    unknown = sorted(set(fields) - OBLIGATION_FIELDS)
    if unknown:
        raise ValidationError({name: _("this cannot be set here") for name in unknown})
    agreement = _locked(clause.agreement)
    values = _obligation_values(actor, agreement, fields)
    last = clause.obligations.aggregate(last=Max("position"))["last"] or 0
    obligation = Obligation.objects.create(clause=clause, position=last + 1, **values)
    _refresh_visibility(agreement)
    _audit(actor, agreement, "agreement.obligation_add", summary=obligation.what)
    return obligation


@transaction.atomic
def obligation_update(*, actor: Any, obligation: Obligation, **fields: Any) -> Obligation:
    unknown = sorted(set(fields) - OBLIGATION_FIELDS)
    if unknown:
        raise ValidationError({name: _("this cannot be changed here") for name in unknown})
    agreement = _locked(obligation.clause.agreement)
    current = {
        "side": obligation.side,
        "owner": obligation.owner_user if obligation.side == Side.OURS else obligation.owner_person,
        "what": obligation.what,
        "due_on": obligation.due_on,
    }
    if "side" in fields and fields["side"] != obligation.side and "owner" not in fields:
        current["owner"] = None
    for name, value in _obligation_values(actor, agreement, current | fields).items():
        setattr(obligation, name, value)
    obligation.save()
    _refresh_visibility(agreement)
    _audit(actor, agreement, "agreement.obligation_update", summary=obligation.what)
    return obligation


@transaction.atomic
def obligation_delete(*, actor: Any, obligation: Obligation) -> None:
    agreement = _locked(obligation.clause.agreement)
    what = obligation.what
    obligation.delete()
    _refresh_visibility(agreement)
    _audit(actor, agreement, "agreement.obligation_delete", summary=what)


def _signing_errors(agreement: Agreement) -> None:
    """Everything a signature needs, named field by field, before anything is written."""
    if agreement.our_signatory_id is None:
        raise ValidationError({"our_signatory": _("say who signs for us")})
    if agreement.client_person_id is None:
        raise ValidationError({"client_person": _("say who signs for the client")})
    clauses = list(agreement.clauses.order_by("position", "id").prefetch_related("obligations"))
    if not clauses:
        raise ValidationError({"clauses": _("an agreement needs at least one clause")})
    for i, clause in enumerate(clauses):
        for j, obligation in enumerate(clause.obligations.all()):
            prefix = f"clauses[{i}].obligations[{j}]."
            if obligation.owner_user_id is None and obligation.owner_person_id is None:
                raise ValidationError(
                    {f"{prefix}owner": _("“%(what)s” has no owner") % {"what": obligation.what}}
                )
            if obligation.due_on is None:
                raise ValidationError(
                    {f"{prefix}due_on": _("“%(what)s” has no due date") % {"what": obligation.what}}
                )


@transaction.atomic
def agreement_sign(
    *,
    actor: Any,
    agreement: Agreement,
    our_signed_at: dt.datetime | None = None,
    client_signed_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> Agreement:
    """Record both signatures, lock the agreement and make every obligation a
    commitment of its side. Nothing is signed unless every commitment could be made."""
    now = now or timezone.now()
    agreement = _locked(agreement)
    our_signed_at = aware_instant(our_signed_at, "our_signed_at") or now
    client_signed_at = aware_instant(client_signed_at, "client_signed_at") or now
    not_in_future(our_signed_at, "our_signed_at", now)
    not_in_future(client_signed_at, "client_signed_at", now)
    _signing_errors(agreement)
    made_at = max(our_signed_at, client_signed_at)
    clauses = agreement.clauses.order_by("position", "id").prefetch_related(
        "obligations__owner_user__member__person", "obligations__owner_person"
    )
    for i, clause in enumerate(clauses):
        for j, obligation in enumerate(clause.obligations.all()):
            prefix = f"clauses[{i}].obligations[{j}]."
            ours = obligation.side == Side.OURS
            try:
                commitment = commitments.commitment_create(
                    actor=actor,
                    title=obligation.what,
                    due_on=obligation.due_on,  # type: ignore[arg-type]
                    side=obligation.side,
                    promised_by=obligation.owner_user.member.person  # type: ignore[union-attr]
                    if ours
                    else obligation.owner_person,
                    person=agreement.client_person if ours else obligation.owner_person,
                    organisation=agreement.client_organisation,
                    made_at=made_at,
                    details=_("Under the agreement “%(title)s”, clause “%(clause)s”.")
                    % {"title": agreement.title, "clause": clause.heading},
                    now=now,
                )
            except ValidationError as exc:
                messages = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
                field, found = next(iter(messages.items()))
                name = {"due_on": "due_on", "person": "owner", "promised_by": "owner"}.get(
                    field, field or "owner"
                )
                raise ValidationError(
                    {f"{prefix}{name}": f"“{obligation.what}”: {found[0]}"}
                ) from exc
            obligation.commitment = commitment
            obligation.save(update_fields=["commitment"])
    agreement.status = Status.SIGNED
    agreement.our_signed_at = our_signed_at
    agreement.client_signed_at = client_signed_at
    agreement.signed_by = actor
    agreement.save()
    _audit(actor, agreement, "agreement.sign")
    return agreement


@transaction.atomic
def agreement_amend(*, actor: Any, agreement: Agreement) -> Agreement:
    """A new draft copied from a signed agreement (clauses and obligations, without
    their commitments), linked to it."""
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    if agreement.status != Status.SIGNED:
        raise ValidationError({"status": _("only a signed agreement is amended; edit the draft")})
    copy = Agreement.objects.create(
        team_id=agreement.team_id,
        owner=actor,
        visibility=agreement.visibility,
        deal=agreement.deal,
        title=agreement.title,
        language=agreement.language,
        effective_on=agreement.effective_on,
        our_signatory=agreement.our_signatory,
        client_organisation=agreement.client_organisation,
        client_person=agreement.client_person,
        amends=agreement,
    )
    for clause in agreement.clauses.order_by("position", "id"):
        new = Clause.objects.create(
            agreement=copy, position=clause.position, heading=clause.heading, text=clause.text
        )
        for obligation in clause.obligations.order_by("position", "id"):
            Obligation.objects.create(
                clause=new,
                position=obligation.position,
                side=obligation.side,
                owner_user=obligation.owner_user,
                owner_person=obligation.owner_person,
                what=obligation.what,
                due_on=obligation.due_on,
            )
    _audit(actor, copy, "agreement.amend", changes={"amends": agreement.pk})
    return copy


@transaction.atomic
def agreement_delete(*, actor: Any, agreement: Agreement) -> None:
    """Delete a draft. A signed agreement stays: its promises are on record."""
    agreement = _locked(agreement)
    _audit(actor, agreement, "agreement.delete")
    agreement.delete()
