"""Every error of the API as an RFC 9457 problem document (`application/problem+json`).

The apps' routers raise what their access helpers and services raise (Http404,
PermissionDenied, StaleEdit, django's ValidationError, projects' Refused, …) or
roleplan.rest.ApiError; here each becomes a problem with its status, a title, a detail and, for
input, one entry per field. Nothing is answered as HTML.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db.models import ProtectedError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError

from projects.services import Refused
from roleplan.ownership.services import HandoverConflict
from roleplan.rest import ApiError, etag
from roleplan.versioning import StaleEdit

log = logging.getLogger(__name__)

MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://roleplan.example/problems/"


def problem_response(
    request: HttpRequest,
    status: int,
    title: str,
    detail: str = "",
    *,
    errors: Mapping[str, Iterable[str]] | None = None,
    headers: Mapping[str, str] | None = None,
    current_version: int | None = None,
) -> HttpResponse:
    body: dict[str, Any] = {
        "type": TYPE_BASE + title.lower().replace(" ", "-"),
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.path,
        "errors": [
            {"field": name, "pointer": f"/{name}" if name else "", "detail": str(message)}
            for name, messages in (errors or {}).items()
            for message in messages
        ],
    }
    if current_version is not None:
        body["current_version"] = current_version
    response = HttpResponse(json.dumps(body), status=status, content_type=MEDIA_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def message_dict(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {("" if k == "__all__" else k): v for k, v in exc.message_dict.items()}
    return {"": exc.messages}


def pydantic_errors(errors: list[dict]) -> dict[str, list[str]]:
    """Ninja's validation errors ({loc: ["body", "payload", "title"], msg}) by field."""
    by_field: dict[str, list[str]] = {}
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        # ("body", "payload", "field", …) or ("query", "field"): the field's own path.
        path = loc[2:] if loc[:1] == ["body"] else loc[1:]
        by_field.setdefault(".".join(path) or loc[0] if loc else "", []).append(
            str(error.get("msg", "Invalid."))
        )
    return by_field


def install(api: NinjaAPI) -> None:
    """Register the handlers that turn every error into a problem."""

    @api.exception_handler(ApiError)
    def api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        headers = dict(exc.headers)
        if exc.current_version is not None:
            headers.setdefault("ETag", etag(exc.current_version))
        return problem_response(
            request,
            exc.status,
            exc.title,
            exc.detail,
            errors=exc.errors,
            headers=headers,
            current_version=exc.current_version,
        )

    @api.exception_handler(NinjaValidationError)
    def request_invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        return problem_response(
            request,
            422,
            "Invalid input",
            "The request does not match the API's description: see errors.",
            errors=pydantic_errors(exc.errors),
        )

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        detail = (
            str(exc)
            if str(exc) != "Unauthorized"
            else ("Send a personal API token: Authorization: Bearer <token>.")
        )
        return problem_response(
            request,
            401,
            "Not authenticated",
            detail,
            headers={"WWW-Authenticate": 'Bearer realm="roleplan"'},
        )

    @api.exception_handler(Throttled)
    def throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
        return problem_response(
            request,
            429,
            "Too many requests",
            "This token made too many requests in the last minute: wait and try again.",
        )

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        titles = {403: "Forbidden", 404: "Not found", 405: "Method not allowed"}
        return problem_response(
            request, exc.status_code, titles.get(exc.status_code, "Error"), str(exc)
        )

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return problem_response(request, 404, "Not found", "No such object.")

    @api.exception_handler(PermissionDenied)
    def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return problem_response(request, 403, "Forbidden", str(exc) or "Not allowed.")

    @api.exception_handler(StaleEdit)
    def stale(request: HttpRequest, exc: StaleEdit) -> HttpResponse:
        version = getattr(exc.current, "version", None)
        who = getattr(exc.changed_by, "username", "")
        detail = "Someone saved it after the version you sent"
        detail += f" ({who})" if who else ""
        detail += ": read it again (its ETag is the version now) and send your change again."
        return problem_response(
            request,
            412,
            "Changed meanwhile",
            detail,
            headers={"ETag": etag(version)} if version is not None else None,
            current_version=version,
        )

    @api.exception_handler(HandoverConflict)
    def handover_conflict(request: HttpRequest, exc: HandoverConflict) -> HttpResponse:
        return problem_response(
            request,
            412,
            "Changed meanwhile",
            f"{exc.asset.name} changed hands meanwhile: read it again.",
        )

    @api.exception_handler(DjangoValidationError)
    def invalid(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        return problem_response(
            request,
            422,
            "Invalid input",
            "Some fields are not valid: see errors.",
            errors=message_dict(exc),
        )

    @api.exception_handler(Refused)
    def refused(request: HttpRequest, exc: Refused) -> HttpResponse:
        return problem_response(request, 409, "Refused", str(exc))

    @api.exception_handler(ProtectedError)
    def protected(request: HttpRequest, exc: ProtectedError) -> HttpResponse:
        return problem_response(
            request, 409, "Refused", "Other records refer to it: it cannot be deleted."
        )

    @api.exception_handler(IntegrityError)
    def integrity(request: HttpRequest, exc: IntegrityError) -> HttpResponse:
        # The database's last line of defence caught what the forms let through (a race).
        log.warning("API write refused by the database on %s: %s", request.path, exc)
        return problem_response(
            request, 409, "Refused", "The change conflicts with the data as saved: try again."
        )
