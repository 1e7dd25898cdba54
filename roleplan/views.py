"""Pages that belong to no single app: the dashboard (/healthz lives in roleplan/health.py)."""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_GET

from products.dashboard import dashboard_context as products_context
from projects.dashboard import dashboard_context as projects_context
from roleplan.alignment.dashboard import dashboard_context as alignment_context
from roleplan.http import HttpRequest
from roleplan.ownership.dashboard import dashboard_context as ownership_context

# Each app prepares its own card; the project joins them here (it may import every app).
DASHBOARD_CARDS = [products_context, projects_context, alignment_context, ownership_context]


@require_GET
def dashboard(request: HttpRequest):
    context: dict = {}
    for card in DASHBOARD_CARDS:
        context.update(card(request.user))
    return render(request, "roleplan/dashboard.html", context)
