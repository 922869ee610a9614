"""Writes for the evidence library, the evidence shown to clients, and claims made to
them. Every write is atomic and audited, and refreshes the trust of the relationships it
touches once it is committed."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from rapport.accounts.services import audit_record
from rapport.core.validation import aware_instant, not_in_future
from rapport.interactions.models import Interaction
from rapport.interactions.queries import visible_interactions
from rapport.people.models import Organisation, Person, Visibility
from rapport.trust.library import today_for
from rapport.trust.models import Claim, Evidence, EvidenceShown

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_INDUSTRIES = 20
MAX_INDUSTRY_LENGTH = 60
EVIDENCE_FIELDS = {
    "kind",
    "title",
    "issuer",
    "summary",
    "verified_on",
    "expires_on",
    "industries",
    "url",
}
ASSESSED = {Claim.Status.ACCURATE, Claim.Status.EXAGGERATED, Claim.Status.FALSE}
# Commas in either script, the Chinese enumeration comma, semicolons and new lines.
INDUSTRY_SEPARATORS = re.compile(r"[,，、;；\n]")


# ---------------------------------------------------------------------------------------
# Small helpers


def _now(now: dt.datetime | None) -> dt.datetime:
    return now if now is not None else timezone.now()


_aware = aware_instant
_not_future = not_in_future


def _visibility(person: Person | None) -> str:
    """A showing or claim is as private as the person it was for."""
    if person is not None and person.visibility == Visibility.PRIVATE:
        return Visibility.PRIVATE
    return Visibility.TEAM


def _check_client(actor: Any, person: Person | None, organisation: Organisation | None) -> None:
    """The client must be the actor's team's; a colleague's private contact is no more
    reachable here than through the pages."""
    team_id = actor.member.team_id
    if person is None and organisation is None:
        raise ValidationError({"person": _("say who the client is: a person or organisation")})
    if person is not None and not (
        person.team_id == team_id
        and (person.visibility == Visibility.TEAM or person.owner_id == actor.pk)
    ):
        raise ValidationError({"person": _("no such person")})
    if organisation is not None and organisation.team_id != team_id:
        raise ValidationError({"organisation": _("no such organisation")})


def _check_interaction(
    actor: Any, interaction: Interaction | None, person: Person | None
) -> Interaction | None:
    """The conversation it happened in: one the actor may see, with the person in it."""
    if interaction is None:
        return None
    if not visible_interactions(actor).filter(pk=interaction.pk).exists():
        raise ValidationError({"interaction": _("no such interaction")})
    if person is not None and not interaction.participations.filter(person=person).exists():
        raise ValidationError({"interaction": _("this person was not in that conversation")})
    return interaction


def _client_name(person: Person | None, organisation: Organisation | None) -> str:
    names = [x.display_name for x in [person] if x is not None]
    names += [x.name for x in [organisation] if x is not None]
    return ", ".join(names)


def _refresh(
    person: Person | None = None,
    organisation: Organisation | None = None,
    *,
    person_ids: Iterable[int] = (),
    organisation_ids: Iterable[int] = (),
) -> None:
    """Queue a trust refresh of the relationships a write touched, once it is committed
    (model signals queue the same for ordinary saves; bulk updates need this)."""
    from rapport.trust.signals import touch

    touch(
        people=[*person_ids, *([person.pk] if person is not None else [])],
        organisations=[*organisation_ids, *([organisation.pk] if organisation is not None else [])],
    )


# ---------------------------------------------------------------------------------------
# The library


def split_industries(text: str | None) -> list[str]:
    """Industries typed as one line: separated by commas (either script), the Chinese
    enumeration comma, semicolons or new lines; trimmed, blanks dropped, repeats (ignoring
    case) kept once in their first spelling."""
    return industries_clean(INDUSTRY_SEPARATORS.split(text or ""))


def industries_clean(values: Iterable[Any]) -> list[str]:
    """Trimmed, inner spaces collapsed, blanks dropped, each kept once ignoring case."""
    seen: set[str] = set()
    out: list[str] = []
    for value in values:
        name = " ".join(str(value).split())
        key = name.casefold()
        if name and key not in seen:
            seen.add(key)
            out.append(name)
    return out


def _check_industries(values: Any) -> list[str]:
    if isinstance(values, str):
        values = split_industries(values)
    industries = industries_clean(values or [])
    too_long = [v for v in industries if len(v) > MAX_INDUSTRY_LENGTH]
    if too_long:
        raise ValidationError(
            {
                "industries": _("an industry name has at most %(n)d characters: %(name)s")
                % {"n": MAX_INDUSTRY_LENGTH, "name": too_long[0]}
            }
        )
    if len(industries) > MAX_INDUSTRIES:
        raise ValidationError(
            {"industries": _("name at most %(n)d industries") % {"n": MAX_INDUSTRIES}}
        )
    return industries


def _check_attachment(attachment: Any) -> None:
    size = getattr(attachment, "size", None)
    if size is not None and size > MAX_ATTACHMENT_BYTES:
        raise ValidationError(
            {
                "attachment": _(
                    "The file is %(size).1f MB; attachments may be at most %(limit)d MB. "
                    "Add a link to a larger file instead."
                )
                % {"size": size / (1024 * 1024), "limit": MAX_ATTACHMENT_BYTES // (1024 * 1024)}
            }
        )


def _check_dates(actor: Any, evidence: Evidence, now: dt.datetime) -> None:
    for name in ("verified_on", "expires_on"):
        value = getattr(evidence, name)
        if value is not None and (not isinstance(value, dt.date) or isinstance(value, dt.datetime)):
            raise ValidationError({name: _("enter a valid date")})
    if evidence.verified_on is not None and evidence.verified_on > today_for(actor, now):
        raise ValidationError({"verified_on": _("it cannot be verified in the future")})
    if (
        evidence.verified_on is not None
        and evidence.expires_on is not None
        and evidence.expires_on < evidence.verified_on
    ):
        raise ValidationError({"expires_on": _("it cannot expire before it was verified")})


def _audit_evidence(actor: Any, evidence: Evidence, action: str, **extra: Any) -> None:
    audit_record(
        actor=actor,
        team=evidence.team,
        action=action,
        obj=evidence,
        summary=evidence.title,
        **extra,
    )


def _save_with_file(evidence: Evidence, stored_before: str) -> None:
    """Save the row; if that fails after a new file reached the disk, remove the file so
    an error leaves nothing behind."""
    try:
        evidence.save()
    except Exception:
        if evidence.attachment and evidence.attachment.name != stored_before:
            evidence.attachment.storage.delete(evidence.attachment.name)
        raise


def _delete_file_on_commit(storage: Any, name: str) -> None:
    if name:
        transaction.on_commit(lambda: storage.delete(name), robust=True)


@transaction.atomic
def evidence_create(
    *,
    actor: Any,
    kind: str,
    title: str,
    issuer: str = "",
    summary: str = "",
    verified_on: dt.date | None = None,
    expires_on: dt.date | None = None,
    industries: Iterable[str] | str = (),
    url: str = "",
    attachment: UploadedFile | None = None,
    now: dt.datetime | None = None,
) -> Evidence:
    """Add a certificate, licence, award, reference, testimonial, case study or
    publication to the team's library. An attachment is at most 10 MB."""
    now = _now(now)
    evidence = Evidence(
        team_id=actor.member.team_id,
        kind=kind,
        title=(title or "").strip(),
        issuer=(issuer or "").strip(),
        summary=summary or "",
        verified_on=verified_on,
        expires_on=expires_on,
        industries=_check_industries(industries),
        url=(url or "").strip(),
        created_by=actor,
    )
    _check_dates(actor, evidence, now)
    if attachment:
        _check_attachment(attachment)
        evidence.attachment = attachment
    evidence.full_clean(exclude=["team", "created_by"])
    _save_with_file(evidence, "")
    _audit_evidence(actor, evidence, "evidence.create")
    return evidence


KEEP = object()


@transaction.atomic
def evidence_update(
    *,
    actor: Any,
    evidence: Evidence,
    attachment: Any = KEEP,
    now: dt.datetime | None = None,
    **fields: Any,
) -> Evidence:
    """Change what the library says of a piece of evidence. `attachment`: a new file
    replaces the old one, None removes it, leaving it out keeps it. What was already
    shown keeps the state it was shown in."""
    now = _now(now)
    unknown = sorted(set(fields) - EVIDENCE_FIELDS)
    if unknown:
        raise ValidationError({name: _("this cannot be changed here") for name in unknown})
    evidence = Evidence.objects.select_for_update().get(pk=evidence.pk)
    for name, value in fields.items():
        if name == "industries":
            value = _check_industries(value)
        elif name in ("title", "issuer", "url"):
            value = (value or "").strip()
        elif name == "summary":
            value = value or ""
        setattr(evidence, name, value)
    _check_dates(actor, evidence, now)
    old_file = evidence.attachment.name or ""
    storage = evidence.attachment.storage
    changed_file = False
    if attachment is not KEEP:
        if attachment:
            _check_attachment(attachment)
            evidence.attachment = attachment
        else:
            evidence.attachment = None  # type: ignore[assignment]
        changed_file = True
    evidence.full_clean(exclude=["team", "created_by"])
    _save_with_file(evidence, old_file)
    if changed_file and old_file and old_file != (evidence.attachment.name or ""):
        _delete_file_on_commit(storage, old_file)
    changes: dict[str, Any] = {"fields": sorted(fields)}
    if changed_file:
        changes["attachment"] = "replaced" if evidence.attachment else "removed"
    _audit_evidence(actor, evidence, "evidence.update", changes=changes)
    return evidence


@transaction.atomic
def evidence_delete(*, actor: Any, evidence: Evidence) -> None:
    """Remove a piece of evidence from the library, and with it every record of showing
    it; the trust of everyone it was shown to is recomputed."""
    shown = list(
        EvidenceShown.objects.filter(evidence=evidence).values_list("person_id", "organisation_id")
    )
    name = evidence.attachment.name or ""
    storage = evidence.attachment.storage
    _audit_evidence(actor, evidence, "evidence.delete", changes={"showings": len(shown)})
    evidence.delete()
    _delete_file_on_commit(storage, name)
    _refresh(
        person_ids=[p for p, _o in shown if p is not None],
        organisation_ids=[o for _p, o in shown if o is not None],
    )


# ---------------------------------------------------------------------------------------
# Showing evidence to a client


def stale_warning(evidence: Evidence, expired: bool, verified: bool) -> str:
    """What is wrong with showing `evidence`, and what showing it anyway costs."""
    date = formats.date_format(evidence.expires_on, "DATE_FORMAT") if evidence.expires_on else ""
    if expired and not verified:
        problem = _("This evidence expired on %(date)s and has never been verified.") % {
            "date": date
        }
    elif expired:
        problem = _("This evidence expired on %(date)s.") % {"date": date}
    else:
        problem = _("This evidence has never been verified.")
    cost = _(
        "Showing it anyway counts against our credibility with this client: renew or "
        "verify it first, or confirm that it was shown as it is."
    )
    return f"{problem} {cost}"


@transaction.atomic
def evidence_show(
    *,
    actor: Any,
    evidence: Evidence,
    person: Person | None = None,
    organisation: Organisation | None = None,
    shown_at: dt.datetime | None = None,
    note: str = "",
    interaction: Interaction | None = None,
    confirm_stale: bool = False,
    now: dt.datetime | None = None,
) -> EvidenceShown:
    """Record that evidence was shown to a person or organisation (now if `shown_at` is
    None). Whether it was verified and in date on that day is frozen with the record.

    Expired or unverified evidence is refused unless `confirm_stale`: showing it anyway
    is recorded as such and lowers credibility with that client."""
    now = _now(now)
    if evidence.team_id != actor.member.team_id:
        raise ValidationError({"evidence": _("no such evidence")})
    _check_client(actor, person, organisation)
    shown_at = _aware(shown_at, "shown_at") or now
    _not_future(shown_at, "shown_at", now)
    interaction = _check_interaction(actor, interaction, person)
    day = today_for(actor, shown_at)
    expired, verified = evidence.is_expired(day), evidence.is_verified
    if (expired or not verified) and not confirm_stale:
        raise ValidationError({"evidence": stale_warning(evidence, expired, verified)})
    showing = EvidenceShown(
        team_id=actor.member.team_id,
        evidence=evidence,
        person=person,
        organisation=organisation,
        visibility=_visibility(person),
        shown_at=shown_at,
        shown_by=actor,
        interaction=interaction,
        was_verified=verified,
        was_expired=expired,
        note=(note or "").strip(),
    )
    showing.full_clean(exclude=["team", "evidence", "shown_by", "interaction"])
    showing.save()
    audit_record(
        actor=actor,
        team=evidence.team,
        action="evidence.show",
        obj=showing,
        summary=f"{evidence.title} → {_client_name(person, organisation)}",
        changes={"was_verified": showing.was_verified, "was_expired": showing.was_expired},
        private=showing.visibility == Visibility.PRIVATE,
        person=person,
    )
    _refresh(person, organisation)
    return showing


@transaction.atomic
def evidence_shown_delete(*, actor: Any, showing: EvidenceShown) -> None:
    """Remove the record of a showing (one recorded by mistake)."""
    audit_record(
        actor=actor,
        team=showing.evidence.team,
        action="evidence.unshow",
        obj=showing,
        summary=f"{showing.evidence.title} → {_client_name(showing.person, showing.organisation)}",
        private=showing.visibility == Visibility.PRIVATE,
        person=showing.person,
    )
    person, organisation = showing.person, showing.organisation
    showing.delete()
    _refresh(person, organisation)


# ---------------------------------------------------------------------------------------
# Claims


def _audit_claim(actor: Any, claim: Claim, action: str, **extra: Any) -> None:
    audit_record(
        actor=actor,
        team=claim.team,
        action=action,
        obj=claim,
        summary=claim.statement,
        private=claim.visibility == Visibility.PRIVATE,
        person=claim.person,
        **extra,
    )


@transaction.atomic
def claim_create(
    *,
    actor: Any,
    statement: str,
    person: Person | None = None,
    organisation: Organisation | None = None,
    kind: str = Claim.Kind.STATEMENT,
    made_at: dt.datetime | None = None,
    interaction: Interaction | None = None,
    now: dt.datetime | None = None,
) -> Claim:
    """Record something we told a client about ourselves (a fact or a promise of
    capability), to be checked later. `made_at` is now if None."""
    now = _now(now)
    _check_client(actor, person, organisation)
    made_at = _aware(made_at, "made_at") or now
    _not_future(made_at, "made_at", now)
    interaction = _check_interaction(actor, interaction, person)
    claim = Claim(
        team_id=actor.member.team_id,
        owner=actor,
        visibility=_visibility(person),
        person=person,
        organisation=organisation,
        kind=kind,
        statement=(statement or "").strip(),
        made_at=made_at,
        interaction=interaction,
    )
    claim.full_clean(exclude=["team", "owner", "interaction"])
    claim.save()
    _audit_claim(actor, claim, "claim.create")
    _refresh(person, organisation)
    return claim


@transaction.atomic
def claim_assess(
    *,
    actor: Any,
    claim: Claim,
    status: str,
    assessment: str = "",
    assessed_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> Claim:
    """Say how a claim held up: accurate, exaggerated or false, with what was found and
    when (now if None; not before the claim was made). A claim may be re-assessed; each
    assessment stays in the audit log."""
    now = _now(now)
    claim = Claim.objects.select_for_update().get(pk=claim.pk)
    if status not in ASSESSED:
        raise ValidationError({"status": _("say whether it was accurate, exaggerated or false")})
    assessed_at = _aware(assessed_at, "assessed_at") or now
    _not_future(assessed_at, "assessed_at", now)
    if assessed_at < claim.made_at:
        raise ValidationError({"assessed_at": _("a claim cannot be checked before it was made")})
    before = claim.status
    claim.status = status
    claim.assessment = (assessment or "").strip()
    claim.assessed_at = assessed_at
    claim.full_clean(exclude=["team", "owner", "interaction"])
    claim.save(update_fields=["status", "assessment", "assessed_at"])
    _audit_claim(
        actor,
        claim,
        "claim.assess",
        changes={
            "from": before,
            "to": status,
            "assessed_at": assessed_at.isoformat(),
            "assessment": claim.assessment,
        },
    )
    _refresh(claim.person, claim.organisation)
    return claim


@transaction.atomic
def claim_delete(*, actor: Any, claim: Claim) -> None:
    """Remove a claim recorded by mistake; trust is recomputed without it."""
    _audit_claim(actor, claim, "claim.delete")
    person, organisation = claim.person, claim.organisation
    claim.delete()
    _refresh(person, organisation)


def trust_records_refresh_visibility(*, person: Person) -> int:
    """After a person's visibility changes, the evidence shown and claims made to them
    follow it. Returns how many rows changed."""
    wanted = _visibility(person)
    changed = (
        EvidenceShown.objects.filter(person=person)
        .exclude(visibility=wanted)
        .update(visibility=wanted)
    )
    changed += (
        Claim.objects.filter(person=person).exclude(visibility=wanted).update(visibility=wanted)
    )
    if changed:
        _refresh(person)
    return changed
