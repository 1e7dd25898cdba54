"""Pages that belong to no single app: the dashboard and the health check."""

from __future__ import annotations

import redis
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
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


def check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "unreachable" to a load balancer
        return f"error: {type(exc).__name__}"
    return "ok"


def check_broker() -> str:
    if not settings.REDIS_URL:
        return "not configured"
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        return f"error: {type(exc).__name__}"
    finally:
        client.close()
    return "ok"


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when every configured part answers; 503 naming the part that does not."""
    status = {"database": check_database(), "broker": check_broker()}
    healthy = all(value in {"ok", "not configured"} for value in status.values())
    return JsonResponse(status, status=200 if healthy else 503)
