"""Every write to the gift register and the team's gift policy: each validates,
changes atomically and leaves an audit entry. Views, the API and the CLI call only these.

A gift's person must be one the actor may see: a colleague's private contact is refused
exactly as someone who does not exist. An entry over the policy's limits needs a reason,
or it is refused, naming the field `reason`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.accounts.models import Member
from rapport.accounts.services import audit_record
from rapport.deals.queries import team_currency, visible_deals
from rapport.deals.services import (
    _currency,
    _date,
    _organisation,
    _ref,
    _reject_unknown,
    money,
)
from rapport.gifts import rules
from rapport.gifts.models import Direction, Gift, GiftPolicy, Kind, Occasion
from rapport.people.models import Person, Visibility
from rapport.people.queries import visible_people
from rapport.trust.signals import touch

GIFT_FIELDS = {
    "person",
    "organisation",
    "deal",
    "direction",
    "kind",
    "description",
    "occasion",
    "given_on",
    "value",
    "currency",
    "reason",
}


def is_admin(actor: Any) -> bool:
    member = getattr(actor, "member", None)
    return member is not None and member.role == Member.Role.ADMIN


def policy_of(actor: Any) -> GiftPolicy:
    """The team's policy; on first use, one without limits in the team's currency."""
    found, _created = GiftPolicy.objects.get_or_create(
        team_id=actor.member.team_id, defaults={"currency": team_currency(actor)}
    )
    return found


@transaction.atomic
def policy_update(
    *, actor: Any, per_gift_limit: Any = None, per_person_year_limit: Any = None
) -> GiftPolicy:
    """Set the team's limits (empty: no limit). Team administrators only."""
    if not is_admin(actor):
        raise PermissionDenied(_("only a team administrator may change the gift policy"))
    policy = policy_of(actor)
    before = {
        "per_gift_limit": str(policy.per_gift_limit) if policy.per_gift_limit is not None else None,
        "per_person_year_limit": str(policy.per_person_year_limit)
        if policy.per_person_year_limit is not None
        else None,
    }
    policy.per_gift_limit = money(per_gift_limit, "per_gift_limit")
    policy.per_person_year_limit = money(per_person_year_limit, "per_person_year_limit")
    policy.updated_by = actor
    policy.save()
    after = {
        "per_gift_limit": str(policy.per_gift_limit) if policy.per_gift_limit is not None else None,
        "per_person_year_limit": str(policy.per_person_year_limit)
        if policy.per_person_year_limit is not None
        else None,
    }
    audit_record(
        actor=actor,
        team=actor.member.team,
        action="gift_policy.update",
        obj=policy,
        summary=_("Gift policy"),
        changes={"before": before, "after": after},
    )
    return policy


def _person(actor: Any, value: Any) -> Person:
    pk = _ref(value, "person", _("person"))
    if pk is None:
        raise ValidationError({"person": _("a gift is given to or received from someone")})
    found = visible_people(actor).filter(pk=pk).first()
    if found is None:
        raise ValidationError({"person": _("no such person: %(id)s") % {"id": pk}})
    return found


def _deal(actor: Any, value: Any) -> Any:
    pk = _ref(value, "deal", _("deal"))
    if pk is None:
        return None
    found = visible_deals(actor).filter(pk=pk).first()
    if found is None:
        raise ValidationError({"deal": _("no such deal: %(id)s") % {"id": pk}})
    return found


def _choice(value: Any, name: str, choices: Any, message: str) -> str:
    text = str(value or "").strip()
    if text not in choices.values:
        raise ValidationError({name: message})
    return text


def year_total_before(gift: Gift) -> Decimal:
    """What the gift's person had given or received (in its direction and currency) in
    the gift's calendar year, this entry left out."""
    qs = Gift.objects.filter(
        team_id=gift.team_id,
        person_id=gift.person_id,
        direction=gift.direction,
        currency=gift.currency,
        given_on__year=gift.given_on.year,
    )
    if gift.pk is not None:
        qs = qs.exclude(pk=gift.pk)
    total = qs.aggregate(s=Sum("value"))["s"]
    return total if total is not None else Decimal("0.00")


def _check_policy(actor: Any, gift: Gift) -> None:
    policy = policy_of(actor)
    crossed: tuple[str, ...] = ()
    if gift.currency == policy.currency:
        crossed = rules.limits_crossed(
            gift.value,
            year_total_before(gift),
            policy.per_gift_limit,
            policy.per_person_year_limit,
        )
    gift.over_limit = bool(crossed)
    gift.limits_crossed = ",".join(crossed)
    gift.reason = (gift.reason or "").strip()
    if gift.over_limit and not gift.reason:
        if rules.GIFT in crossed:
            message = _(
                "this is over the team's limit of %(limit)s %(currency)s per gift: "
                "say why it was given or accepted"
            ) % {"limit": policy.per_gift_limit, "currency": policy.currency}
        else:
            message = _(
                "this takes the year's total with this person over the team's limit of "
                "%(limit)s %(currency)s: say why it was given or accepted"
            ) % {"limit": policy.per_person_year_limit, "currency": policy.currency}
        raise ValidationError({"reason": message})


def _apply(actor: Any, gift: Gift, fields: Mapping[str, Any]) -> None:
    _reject_unknown(fields, GIFT_FIELDS)
    if "person" in fields:
        gift.person = _person(actor, fields["person"])
    if "organisation" in fields:
        gift.organisation = _organisation(actor, fields["organisation"])
    if "deal" in fields:
        gift.deal = _deal(actor, fields["deal"])
    if "direction" in fields:
        gift.direction = _choice(
            fields["direction"], "direction", Direction, _("given or received")
        )
    if "kind" in fields:
        gift.kind = _choice(
            fields["kind"] or Kind.GIFT, "kind", Kind, _("a gift, hospitality or other")
        )
    if "occasion" in fields:
        gift.occasion = _choice(
            fields["occasion"] or Occasion.OTHER,
            "occasion",
            Occasion,
            _("birthday, a festival, thank-you, closing or other"),
        )
    if "description" in fields:
        gift.description = str(fields["description"] or "").strip()
    if "given_on" in fields:
        gift.given_on = _date(fields["given_on"], "given_on")
    if "value" in fields:
        value = money(fields["value"], "value")
        if value is None:
            raise ValidationError({"value": _("a value is required, such as 300.00")})
        gift.value = value
    if "currency" in fields:
        gift.currency = (
            _currency(fields["currency"]) if fields["currency"] else team_currency(actor)
        )
    if "reason" in fields:
        gift.reason = str(fields["reason"] or "")
    if not gift.description:
        raise ValidationError({"description": _("say what it was, such as “a box of mooncakes”")})
    if len(gift.description) > 300:
        raise ValidationError({"description": _("at most 300 characters")})
    if len(gift.reason) > 5000:
        raise ValidationError({"reason": _("at most 5000 characters")})
    if gift.given_on > timezone.localdate() + dt.timedelta(days=366):
        raise ValidationError({"given_on": _("a date within the next year at most")})
    _check_policy(actor, gift)


def _private(gift: Gift) -> bool:
    return bool(gift.person.visibility == Visibility.PRIVATE)


def _summary(gift: Gift) -> str:
    return f"{gift.description} ({gift.value} {gift.currency})"


@transaction.atomic
def gift_create(*, actor: Any, **fields: Any) -> Gift:
    """Record a gift or hospitality given to or received from a person."""
    for name in ("person", "direction", "description", "given_on", "value"):
        if name not in fields:
            fields[name] = None
    fields.setdefault("currency", None)
    gift = Gift(team_id=actor.member.team_id, recorded_by=actor)
    _apply(actor, gift, fields)
    gift.save()
    audit_record(
        actor=actor,
        team=actor.member.team,
        action="gift.create",
        obj=gift,
        summary=_summary(gift),
        changes={"direction": gift.direction, "over_limit": gift.over_limit},
        private=_private(gift),
        person=gift.person,
    )
    return gift


@transaction.atomic
def gift_update(*, actor: Any, gift: Gift, **fields: Any) -> Gift:
    """Change an entry; its limits are checked again as if recorded now."""
    gift = Gift.objects.select_for_update().get(pk=gift.pk)
    before = gift.person_id
    _apply(actor, gift, fields)
    if gift.person_id != before:
        touch(people=[before])  # the gift no longer bears on the first person's trust
    gift.save()
    audit_record(
        actor=actor,
        team=actor.member.team,
        action="gift.update",
        obj=gift,
        summary=_summary(gift),
        changes={k: str(v) for k, v in fields.items() if k != "reason"},
        private=_private(gift),
        person=gift.person,
    )
    return gift


@transaction.atomic
def gift_delete(*, actor: Any, gift: Gift) -> None:
    audit_record(
        actor=actor,
        team=actor.member.team,
        action="gift.delete",
        obj=gift,
        summary=_summary(gift),
        private=_private(gift),
        person=gift.person,
    )
    gift.delete()
