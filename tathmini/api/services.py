"""Making and revoking API tokens (the management command and the administrators' page)."""

from __future__ import annotations

import hashlib
import secrets
import string
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from tathmini.api.models import ApiToken
from tathmini.registry.models import Institution

# Letters and digits only: a token (and its prefix) is never read as a command-line option and
# needs no quoting in a shell or a header. 40 characters carry about 238 bits.
_ALPHABET = string.ascii_letters + string.digits
TOKEN_LENGTH = 40
PREFIX_LENGTH = 8


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def token_create(
    name: str, *, institution: Institution | None = None, agency_function: str = "", created_by: Any = None
) -> tuple[ApiToken, str]:
    """A new token and its text; the text is not stored and cannot be shown again."""
    for _attempt in range(5):
        raw = "".join(secrets.choice(_ALPHABET) for _ in range(TOKEN_LENGTH))
        token = ApiToken(
            name=name,
            prefix=raw[:PREFIX_LENGTH],
            key_hash=hash_token(raw),
            institution=institution,
            agency_function=agency_function,
            created_by=created_by,
        )
        token.full_clean(exclude=["prefix", "key_hash"])  # those two: the database decides
        try:
            with transaction.atomic():
                token.save()
        except IntegrityError:
            continue  # a prefix already in use (one in 2^47): draw again
        return token, raw
    raise RuntimeError("could not draw an unused token prefix")


def token_revoke(token: ApiToken) -> bool:
    """Revoke the token from now on; False when it was already revoked."""
    updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    token.refresh_from_db(fields=["revoked_at"])
    return bool(updated)
