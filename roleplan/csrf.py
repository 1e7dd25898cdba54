"""The page a failed CSRF check answers (settings.CSRF_FAILURE_VIEW): the app's own 403 page,
with the layout, instead of Django's bare one. Most often the form was opened long ago (the
token rotated at a sign-in since) or in a browser that blocks the site's cookie."""

from __future__ import annotations

from django.http import HttpResponse
from django.middleware.csrf import REASON_NO_CSRF_COOKIE
from django.shortcuts import render

from roleplan.http import HttpRequest


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    context = {"cookie_missing": reason == REASON_NO_CSRF_COOKIE}
    return render(request, "403_csrf.html", context, status=403)
