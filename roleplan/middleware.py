"""A plain 503 instead of a 500 while PostgreSQL does not answer.

Connections are opened per request and health-checked before reuse (CONN_HEALTH_CHECKS), with a
short connect timeout (DB_CONNECT_TIMEOUT), so when the server comes back the next request simply
connects again: nothing needs restarting.
"""

from __future__ import annotations

import logging

from django.contrib.auth.models import AnonymousUser
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

# Errors of a connection that cannot be opened or was lost; not a bad query (ProgrammingError)
# or a broken rule (IntegrityError), which stay what they are.
DATABASE_DOWN = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 5

PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Database not reachable · roleplan</title></head>
<body>
<main>
<h1>The database is not reachable; roleplan retries by itself</h1>
<p>Nothing you did caused this. Reload the page in a few seconds; your last saved changes are safe.</p>
</main>
</body>
</html>
"""


def database_unavailable(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.warning("database not reachable on %s %s: %s", request.method, request.path, exc)
    response = HttpResponse(PAGE, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    """Answer 503 when the database is unreachable, in the views and before them.

    Exceptions raised by other middleware never reach process_exception, and
    LoginRequiredMiddleware's first look at request.user loads the session from the database.
    So this middleware, placed just before it, loads the user itself: on failure a page that
    needs a signed-in user gets the 503 page, and a public one (the sign-in page, /healthz)
    carries on as anonymous and reports the outage in its own way.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        try:
            request.user.is_authenticated  # noqa: B018 -- evaluates the lazy user
        except DATABASE_DOWN as exc:
            if getattr(view_func, "login_required", True):
                return database_unavailable(request, exc)
            request.user = AnonymousUser()
        return None

    def process_exception(self, request: HttpRequest, exception: Exception):
        if isinstance(exception, DATABASE_DOWN):
            return database_unavailable(request, exception)
        return None
