"""Answers given before the views: /healthz whatever the Host, 400 for a body that cannot be
read as a form, and a plain 503 instead of a 500 while PostgreSQL does not answer.

Connections are opened per request and health-checked before reuse (CONN_HEALTH_CHECKS), with a
short connect timeout (DB_CONNECT_TIMEOUT), so when the server comes back the next request simply
connects again: nothing needs restarting.
"""

from __future__ import annotations

import logging

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import BadRequest
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, UnreadablePostError
from django.http.multipartparser import MultiPartParserError

from roleplan.health import healthz

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


class HealthCheckMiddleware:
    """Serve GET /healthz before CommonMiddleware validates the Host header.

    A container healthcheck requests http://127.0.0.1:8000/healthz and a load balancer probes
    each instance by its address, while ALLOWED_HOSTS names the public host: through the normal
    chain both would get 400. Only this one read-only, public, never-cached answer skips the
    check; every other path and method goes through it as before.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "GET" and request.path_info == "/healthz":
            return healthz(request)
        return self.get_response(request)


# What reading a body as a form can raise besides Django's own 400s (SuspiciousOperation: too
# big, too many fields): BadRequest (a urlencoded body declared in another charset than UTF-8),
# MultiPartParserError, an unknown charset name (LookupError), a part that does not decode or a
# broken base64 part (ValueError, UnicodeError among them), a client gone mid-body.
UNREADABLE = (BadRequest, MultiPartParserError, LookupError, ValueError, UnreadablePostError)


class UnreadableBodyMiddleware:
    """A POST whose body cannot be read as a form answers 400, never 500.

    Django raises BadRequest from request.POST for a form body declared as, say, UTF-16, but
    unlike its other body errors it does not remember the failure: every later read raises
    again. CsrfViewMiddleware reads request.POST; the 400 handler, decorated with
    requires_csrf_token, runs the same check and raises inside the handler; the 500 handler,
    decorated the same way, raises too, and the exception escapes to gunicorn's bare 500. So
    the body is read here, once, before anything else; on failure the request is marked as
    having an empty body, as Django does for its own parse errors (RequestDataTooBig,
    MultiPartParserError), and a BadRequest goes to the 400 handler, whose CSRF check now
    finds an empty form and which renders templates/400.html. (Every POST is parsed at this
    point anyway: the CSRF check reads request.POST first. Unknown charset names Django
    already ignores.)

    A query string carrying a NUL byte (%00) answers 400 the same way: no field takes one, and
    PostgreSQL refuses it in a text parameter, so a filter or search passing it on would 500.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "%00" in request.META.get("QUERY_STRING", ""):
            raise BadRequest("The query string carries a NUL byte.")
        try:
            if request.method == "POST":
                request.POST  # noqa: B018 -- parses the body once, here
        except UNREADABLE as exc:
            # Django's own marker for "the body could not be parsed": request.POST and
            # request.FILES are empty from now on instead of raising again.
            request._mark_post_parse_error()
            raise BadRequest(f"The request body could not be read: {exc}") from exc
        return self.get_response(request)
