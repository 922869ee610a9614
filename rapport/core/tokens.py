"""The secret in a link given to a client or a calendar app: 43 random URL-safe
characters (256 bits), shown once. Only its first 8 characters (to tell links apart in a
list) and its SHA-256 digest are stored, so a database leak reveals no working link."""

from __future__ import annotations

import hashlib
import secrets
from typing import TypeVar

from django.db.models import Model, QuerySet

# A token is 43 characters; anything much longer is not one of ours and is not hashed.
LONGEST = 100

M = TypeVar("M", bound=Model)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue() -> tuple[str, dict[str, str]]:
    """A new token, and the fields a link stores for it (`prefix` and `digest`)."""
    token = secrets.token_urlsafe(32)
    return token, {"prefix": token[:8], "digest": digest(token)}


def find(links: QuerySet[M], token: str) -> M | None:
    """The link among `links` whose token this is; None for an empty or overlong token
    and for one never issued."""
    if not token or len(token) > LONGEST:
        return None
    return links.filter(digest=digest(token)).first()
