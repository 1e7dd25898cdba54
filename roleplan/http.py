"""A request type that says what our middleware adds, for type checkers and readers."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest as DjangoHttpRequest
from django_htmx.middleware import HtmxDetails


class HttpRequest(DjangoHttpRequest):
    # LoginRequiredMiddleware guarantees a signed-in user on every view not marked public.
    user: User
    htmx: HtmxDetails
