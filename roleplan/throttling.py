"""Sign-in throttling with django-axes: who the client is, and the page a locked-out client sees.

Axes counts failures per (username, client address). After AXES_FAILURE_LIMIT of them the pair
is refused until AXES_COOLOFF_TIME has passed since the last counted failure; tries during the
lockout are not counted (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT is off), so the time on
the page holds. Nothing is locked for good: an administrator may also clear a lock early with
`manage.py axes_reset_username USERNAME`.
"""

from __future__ import annotations

from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone


def client_ip(request: HttpRequest) -> str:
    """The client's address. Behind PROXY_COUNT trusted proxies, each of which appends the
    address it saw to X-Forwarded-For, that is the PROXY_COUNT-th entry from the right: entries
    further left were sent by the client and can be forged."""
    remote = request.META.get("REMOTE_ADDR", "")
    if not settings.PROXY_COUNT:
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    if len(hops) < settings.PROXY_COUNT:
        return remote
    return hops[-settings.PROXY_COUNT]


def username(request: HttpRequest, credentials: dict | None = None) -> str | None:
    """The username failures are counted for, as typed but cut to the longest a username can
    be: Django's sign-in form does not refuse a longer one, and axes would fail to store it
    (a 500 instead of "wrong password")."""
    typed = (credentials or request.POST).get("username")
    if typed is None:
        return None
    return str(typed).replace("\x00", "")[: User._meta.get_field("username").max_length]


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict | None = None,
) -> HttpResponse:
    """429 with the sign-in page's look, saying when this username may try again from here."""
    username = get_client_username(request, credentials) or ""
    cool_off = get_cool_off(request)
    last_failure = AccessAttempt.objects.filter(
        username=username, ip_address=getattr(request, "axes_ip_address", client_ip(request))
    ).aggregate(last=Max("attempt_time"))["last"]
    retry_at = (last_failure or timezone.now()) + cool_off
    wait_seconds = max(0, int((retry_at - timezone.now()).total_seconds()))
    response = render(
        request,
        "registration/locked_out.html",
        {
            "username": username,
            "retry_at": retry_at,
            "wait_minutes": max(1, -(-wait_seconds // 60)),
            "failure_limit": settings.AXES_FAILURE_LIMIT,
        },
        status=429,
    )
    response["Retry-After"] = str(wait_seconds)
    return response
