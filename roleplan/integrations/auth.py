"""Who is calling the API: a personal token (`Authorization: Bearer rp_…`), or the browser's
session with its CSRF token on every write.

A token that is unknown, revoked or expired, or whose person was deactivated, answers 401. A
read-only token may read everything its person may read, and gets 403 on every write. The
person becomes `request.user`, so the access helpers decide exactly as on the pages.
"""

from __future__ import annotations

from datetime import timedelta

from django.http import HttpRequest
from django.utils import timezone
from ninja.errors import AuthenticationError, HttpError
from ninja.security import HttpBearer
from ninja.security.apikey import APIKeyCookie
from ninja.utils import check_csrf

from roleplan.integrations.models import ApiToken, token_digest

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# How stale "last used" may be: written at most once a minute per token, not on every call.
LAST_USED_EVERY = timedelta(minutes=1)


class TokenAuth(HttpBearer):
    """A personal API token, created on /integrations/tokens/ or with create_api_token."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken:
        row = (
            ApiToken.objects.select_related("user")
            .filter(digest=token_digest(token.strip()))
            .first()
        )
        now = timezone.now()
        if row is None:
            raise AuthenticationError(message="This token is not known.")
        if row.is_revoked:
            raise AuthenticationError(message="This token was revoked.")
        if row.is_expired(now):
            raise AuthenticationError(message="This token has expired.")
        if not row.user.is_active:
            raise AuthenticationError(message="This token's account is deactivated.")
        if request.method not in SAFE_METHODS and not row.can_write:
            raise HttpError(403, "This token is read-only: create a read-write token to write.")
        if row.last_used_at is None or row.last_used_at < now - LAST_USED_EVERY:
            ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
        request.user = row.user
        request.api_token = row
        return row


class SessionAuth(APIKeyCookie):
    """The signed-in browser (the docs page's "Try it out"): writes carry the CSRF token in
    X-CSRFToken, as htmx does. No session: not this method (the token is tried first)."""

    param_name = "sessionid"

    def __call__(self, request: HttpRequest):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if request.method not in SAFE_METHODS and check_csrf(request) is not None:
            raise HttpError(403, "CSRF check failed: send the X-CSRFToken header.")
        request.api_token = None
        return user

    def authenticate(self, request: HttpRequest, key: str | None):  # pragma: no cover
        return None
