"""The JSON API's conventions, shared by the routers beside each app (`<app>/api.py`).

The API (`/api/v1/`, roleplan.integrations mounts the routers) is another door to the same
access helpers, forms and services as the pages. What every router does the same way lives here,
in the core, because the apps may not import the integrations app above them:

- **Versions are ETags.** A versioned object answers with `ETag: "<version>"`; a write names the
  version it is based on in `If-Match` (or as `version` in the body) and the service's
  compare-and-set (roleplan.versioning.lock_for_edit) answers 412 when someone saved first.
  A write that names no version answers 428.
- **Input is validated by the app's own form** (`validated`, `patched`): the same rules and the
  same messages as the page, reported as RFC 9457 problem details with one entry per field.
- **Lists are pages** (`page_of`): `?page=` and `?per_page=` (at most 100), a `Link` header
  with first, prev, next and last, and `X-Total-Count`; `?ordering=` among named keys;
  `?updated_since=` on versioned rows.

Errors are raised as `ApiError` (or the domain's own exceptions); the API root turns each into a
problem document (roleplan/integrations/problems.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.db import models
from django.http import HttpRequest, HttpResponse
from ninja import Schema

MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 25
ETAG = re.compile(r'^\s*(?:W/)?"?(\d{1,9})"?\s*$')


# Problems -----------------------------------------------------------------------------------------


class FieldProblem(Schema):
    """One invalid field of the input: its name (and JSON pointer) and what is wrong."""

    field: str
    pointer: str
    detail: str


class Problem(Schema):
    """An RFC 9457 problem document (`application/problem+json`)."""

    type: str
    title: str
    status: int
    detail: str = ""
    instance: str = ""
    errors: list[FieldProblem] = []
    current_version: int | None = None


class ApiError(Exception):
    """An answer other than success, as a problem document: `status`, a short `title` for the
    kind of problem, a `detail` for this occurrence, and field `errors` when input was refused."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str = "",
        *,
        errors: Mapping[str, Iterable[str]] | None = None,
        headers: Mapping[str, str] | None = None,
        current_version: int | None = None,
    ) -> None:
        self.status = status
        self.title = title
        self.detail = detail
        self.errors = {name: list(messages) for name, messages in (errors or {}).items()}
        self.headers = dict(headers or {})
        self.current_version = current_version
        super().__init__(f"{status} {title}: {detail}")


def invalid(errors: Mapping[str, Iterable[str]], detail: str = "") -> ApiError:
    return ApiError(
        422,
        "Invalid input",
        detail or "Some fields are not valid: see errors.",
        errors=errors,
    )


# What an operation may answer besides success, for its OpenAPI description.
READ_ERRORS: dict[int, type] = {401: Problem, 404: Problem, 422: Problem, 429: Problem}
WRITE_ERRORS: dict[int, type] = {
    **READ_ERRORS,
    400: Problem,
    403: Problem,
    409: Problem,
    412: Problem,
    428: Problem,
}
LIST_ERRORS: dict[int, type] = {401: Problem, 404: Problem, 422: Problem, 429: Problem}


# Versions -----------------------------------------------------------------------------------------


def etag(version: int) -> str:
    return f'"{version}"'


def with_etag(response: HttpResponse, obj: Any) -> Any:
    """Answer `obj` with its version as ETag; returns `obj` for the operation to serialise."""
    version = getattr(obj, "version", None)
    if version is not None:
        response["ETag"] = etag(version)
    return obj


def expected_version(request: HttpRequest, body_version: int | None = None) -> int:
    """The version a write is based on: `If-Match` first, else `version` from the body. None
    given: 428. An `If-Match` that names no version of ours can match nothing: 412."""
    header = request.headers.get("If-Match")
    if header:
        match = ETAG.match(header)
        if match is None:
            raise ApiError(
                412,
                "Precondition failed",
                'If-Match names no version: send the ETag you read, as "3".',
            )
        return int(match.group(1))
    if body_version is not None:
        return body_version
    raise ApiError(
        428,
        "Precondition required",
        'Name the version your change is based on: If-Match: "<version>" (the ETag you read) '
        "or version in the body.",
    )


# Validation through the app's forms -------------------------------------------------------------


def form_problem(form: forms.BaseForm) -> ApiError:
    errors = {name if name != "__all__" else "": list(msgs) for name, msgs in form.errors.items()}
    return invalid(errors)


def validated(form: forms.BaseForm) -> forms.BaseForm:
    """The form, valid; else the problem with its errors, field by field."""
    if not form.is_valid():
        raise form_problem(form)
    return form


def field_value(obj: models.Model, name: str) -> Any:
    """A row's value as a form takes it back: a related row's key, a list of keys for many."""
    value = getattr(obj, name, None)
    if isinstance(value, models.Manager):
        return [row.pk for row in value.all()]
    if isinstance(value, models.Model):
        return value.pk
    return value


def form_data(names: Iterable[str], obj: models.Model | None, body: Mapping[str, Any]) -> dict:
    """What a form is given for a write: each field as saved (nothing for a new row), with what
    the body sends over it. A null in JSON is an empty field."""
    data = {name: field_value(obj, name) for name in names} if obj is not None else {}
    for name, value in body.items():
        data[name] = value
    return {name: ("" if value is None else value) for name, value in data.items()}


def patched(
    form_class: Callable[..., forms.BaseForm],
    obj: models.Model,
    body: Mapping[str, Any],
    version: int,
    **form_kwargs: Any,
) -> forms.BaseForm:
    """The app's edit form for `obj` filled with the row as saved and the body's fields over it,
    validated (a PATCH sends only what changes)."""
    blank = form_class(**form_kwargs)
    unknown = set(body) - set(blank.fields) - {"version"}
    if unknown:
        raise invalid({name: ["Not a field of this object."] for name in sorted(unknown)})
    data = form_data([n for n in blank.fields if n != "version"], obj, body)
    data["version"] = version
    return validated(form_class(data, **form_kwargs))


# Lists --------------------------------------------------------------------------------------------


class PageQuery(Schema):
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE


def ordered(queryset: models.QuerySet, ordering: str | None, keys: Mapping[str, str]) -> Any:
    """Order by one of `keys` (names a client sends, mapped to fields); `-name` descends."""
    if not ordering:
        return queryset
    name = ordering.lstrip("-")
    if name not in keys:
        raise invalid({"ordering": [f"Order by one of: {', '.join(sorted(keys))}."]})
    field = keys[name]
    descending = ordering.startswith("-")
    return queryset.order_by(f"-{field}" if descending else field, "-pk" if descending else "pk")


def since(queryset: models.QuerySet, updated_since: datetime | None) -> models.QuerySet:
    """Rows saved at or after `updated_since` (a time without an offset is in UTC)."""
    if updated_since is None:
        return queryset
    if updated_since.tzinfo is None:
        updated_since = updated_since.replace(tzinfo=UTC)
    try:
        # In UTC: the database takes offsets up to ±15:59 only, ISO 8601 up to ±23:59.
        moment = updated_since.astimezone(UTC)
    except OverflowError:
        raise invalid({"updated_since": ["Give a time between the years 1 and 9999."]}) from None
    return queryset.filter(updated_at__gte=moment)


def page_of(
    request: HttpRequest,
    response: HttpResponse,
    queryset: models.QuerySet,
    *,
    page: int = 1,
    per_page: int = DEFAULT_PER_PAGE,
) -> list:
    """One page of `queryset`, with `Link` (first, prev, next, last) and `X-Total-Count`."""
    if page < 1:
        raise invalid({"page": ["Pages count from 1."]})
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise invalid({"per_page": [f"Between 1 and {MAX_PER_PAGE}."]})
    total = queryset.count()
    last = max(1, -(-total // per_page))
    start = (page - 1) * per_page
    rows = list(queryset[start : start + per_page]) if start < total else []
    query = {key: value for key, value in request.GET.items() if key not in {"page", "per_page"}}

    def link(number: int, rel: str) -> str:
        params = urlencode({**query, "page": number, "per_page": per_page})
        return f'<{request.build_absolute_uri(request.path)}?{params}>; rel="{rel}"'

    links = [link(1, "first")]
    if page > 1:
        links.append(link(min(page - 1, last), "prev"))
    if page < last:
        links.append(link(page + 1, "next"))
    links.append(link(last, "last"))
    response["Link"] = ", ".join(links)
    response["X-Total-Count"] = str(total)
    return rows
