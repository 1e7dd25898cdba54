"""The benchmark's URLconf: the bare view (the floor) in front of every real URL of roleplan."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from roleplan.http import HttpRequest
from roleplan.urls import urlpatterns as roleplan_urlpatterns

FLOOR_BODY = b"floor"


@require_GET
def floor(request: HttpRequest) -> HttpResponse:
    """The cheapest page the stack can serve: the whole middleware (session, sign-in required,
    CSRF, messages, htmx) and URL resolution, then a constant."""
    return HttpResponse(FLOOR_BODY, content_type="text/plain")


@require_GET
def base_page(request: HttpRequest) -> HttpResponse:
    """The floor of a page: base.html with no content and no data of its own (the top bar, the
    messages, the CSRF token), to see what any page pays before it shows anything."""
    return render(request, "base.html")


urlpatterns = [
    path("bench/floor/", floor, name="bench_floor"),
    path("bench/base/", base_page, name="bench_base"),
    *roleplan_urlpatterns,
]
