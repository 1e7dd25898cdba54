"""The search page at /search/?q=: what the person may see, title matches first."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from roleplan.activity import search as searching
from roleplan.http import HttpRequest


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    try:
        number = int(request.GET.get("page", "1"))
    except ValueError:
        number = 1
    page = searching.search(request.user, request.GET.get("q", ""), page=number)
    context = {
        "page": page,
        "previous_query": urlencode({"q": page.query, "page": page.number - 1}),
        "next_query": urlencode({"q": page.query, "page": page.number + 1}),
    }
    if request.htmx:
        return render(request, "activity/search.html#search-results", context)
    return render(request, "activity/search.html", context)
