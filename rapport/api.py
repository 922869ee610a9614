"""The REST API under /api/v1/: bearer-token auth, JSON errors naming the field."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser
from ninja.security import HttpBearer

from rapport.accounts.services import token_authenticate


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = token_authenticate(token)
        if user is None:
            return None
        request.user = user
        return user


class NulCharacterError(ValueError):
    """A NUL character in a JSON string: PostgreSQL cannot store it, so no database does."""

    def __init__(self, field: str) -> None:
        super().__init__(f"{field}: text must not contain the NUL character (\\u0000)")
        self.field = field


def _nul_at(value: Any, name: str = "") -> str | None:
    """The name of the first field (like `channels[1].value`) holding a NUL, if any."""
    if isinstance(value, str):
        return (name or "body") if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            found = _nul_at(str(key), name or "body") or _nul_at(
                item, f"{name}.{key}" if name else str(key)
            )
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _nul_at(item, f"{name}[{index}]")
            if found:
                return found
    return None


class JsonParser(Parser):
    """JSON bodies, refusing NUL characters in any string so that a write fails the same
    clear way on SQLite and PostgreSQL instead of failing in the database."""

    def parse_body(self, request: HttpRequest) -> Any:
        data = super().parse_body(request)
        field = _nul_at(data)
        if field is not None:
            raise NulCharacterError(field)
        return data


api = NinjaAPI(
    title="Rapport API",
    version="1",
    description=(
        "People, organisations, roles, common-ground facts and interactions of your team; "
        "commitments (promises either side made, with milestones, risks and renegotiations), "
        "meetings and their decisions, your agenda for a day, clients' share links "
        "(tracking pages) and your calendar feeds; trust cards, the trust list, the evidence "
        "library, claims made to clients and client trust surveys; ties between people (who "
        "knows whom, how strongly) and referrals (who introduced whom, whom to thank); "
        "pipelines and deals (stages, moves closed with a reason, win-win and stale flags); "
        "the gift and hospitality register and the team's gift policy; "
        "likely duplicate people "
        "and merging them; import, export, a person's data export and erasure. "
        "Authenticate with `Authorization: Bearer <token>` (create one with `rapport token`). "
        'Errors are JSON: `{"detail": message, "field": name}`.'
    ),
    auth=BearerToken(),
    parser=JsonParser(),
    urls_namespace="api-v1",
    openapi_url="/openapi.json",
)


def _error(
    request: HttpRequest, status: int, detail: str, field: str | None = None, errors: Any = None
) -> HttpResponse:
    body: dict[str, Any] = {"detail": detail, "field": field}
    if errors is not None:
        body["errors"] = errors
    return api.create_response(request, body, status=status)


@api.exception_handler(DjangoValidationError)
def on_validation_error(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    if hasattr(exc, "error_dict"):
        errors = exc.message_dict
        field = next(iter(errors))
        return _error(request, 422, f"{field}: {errors[field][0]}", field, errors)
    return _error(request, 422, "; ".join(exc.messages))


def _field_name(loc: Any) -> str:
    """('body', 'payload', 'channels', 1, 'kind') -> 'channels[1].kind', the way the
    services name a field of a list item, so both kinds of error read alike."""
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header", "cookie", "form", "file"):
        parts.pop(0)
    if parts and parts[0] == "payload":
        parts.pop(0)
    name = ""
    for part in parts:
        if isinstance(part, int):
            name += f"[{part}]"
        else:
            name += f".{part}" if name else str(part)
    return name


@api.exception_handler(NinjaValidationError)
def on_schema_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors = {}
    for err in exc.errors:
        errors[_field_name(err.get("loc", [])) or "body"] = err.get("msg", "invalid")
    field = next(iter(errors), None)
    detail = f"{field}: {errors[field]}" if field else "invalid request"
    return _error(request, 422, detail, field, errors)


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, str(exc) or "Not found")


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """E.g. a body that is not JSON: the same error shape as every other error."""
    cause = exc.__cause__
    if isinstance(cause, NulCharacterError):
        return _error(request, 422, str(cause), cause.field, {cause.field: str(cause)})
    return _error(request, exc.status_code, str(exc))


@api.exception_handler(AuthenticationError)
def on_unauthorised(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = _error(request, 401, "a valid bearer token is required")
    response["WWW-Authenticate"] = "Bearer"
    return response


def _register() -> None:
    from rapport.agreements.api import router as agreements_router
    from rapport.commitments.api import router as commitments_router
    from rapport.deals.api import router as deals_router
    from rapport.gifts.api import router as gifts_router
    from rapport.interactions.api import router as interactions_router
    from rapport.network.api import router as network_router
    from rapport.network.path_api import router as path_router
    from rapport.people.api import router as people_router
    from rapport.transfer.api import router as transfer_router
    from rapport.transfer.duplicate_api import router as duplicates_router
    from rapport.trust.api import router as trust_router
    from rapport.value.api import router as value_router

    # Before people: "/people/duplicates" must not be taken for "/people/{person_id}".
    api.add_router("/", duplicates_router)
    api.add_router("/", people_router)
    api.add_router("/interactions", interactions_router)
    api.add_router("/", commitments_router)
    api.add_router("/", trust_router)
    api.add_router("/", transfer_router)
    api.add_router("/", network_router)
    api.add_router("/network", path_router)
    # Before deals: "/deals/report" must not be taken for "/deals/{deal_id}".
    from rapport.deals.bids_api import router as tenders_router

    api.add_router("/", tenders_router)
    api.add_router("/", deals_router)
    api.add_router("/", value_router)
    api.add_router("/", agreements_router)
    api.add_router("/", gifts_router)


_register()
