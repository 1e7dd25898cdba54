"""The API's root: /api/v1/ with the routers beside each app, /api/openapi.json and /api/docs.

Every operation authenticates (a token, or the session with CSRF), is rate-limited per caller,
and answers errors as problem documents. The routers live with their apps (products/api.py,
projects/api.py, roleplan/ownership/api.py, roleplan/alignment/api.py) and call their apps'
own access helpers and services; this module only mounts them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver
from ninja import NinjaAPI
from ninja.openapi.docs import Swagger

from products.api import router as products_router
from projects.api import router as projects_router
from roleplan.alignment.api import router as alignment_router
from roleplan.integrations import problems
from roleplan.integrations.auth import SessionAuth, TokenAuth
from roleplan.integrations.ratelimit import PerToken
from roleplan.ownership.api import router as ownership_router

DESCRIPTION = """roleplan's JSON API: the same objects, rules and permissions as the pages.

**Authentication.** A personal API token from *Your API tokens* (the menu under your name) or
`manage.py create_api_token`, sent as `Authorization: Bearer <token>`. Read-only tokens get 403 on
writes; revoked or expired ones 401. A signed-in browser works too (writes send `X-CSRFToken`).

**Concurrency.** Every editable object answers with `ETag: "<version>"`. A write names the version
it is based on in `If-Match` (or `version` in the body): 412 when someone saved since, 428 when
none is named.

**Lists.** `?page=` and `?per_page=` (up to 100), a `Link` header (first, prev, next, last) and
`X-Total-Count`; filters (`status`, `horizon`, `product`, `updated_since`) and `ordering`.

**Errors.** RFC 9457 problem details (`application/problem+json`), with one entry per invalid
field. **Rate limit:** per token and minute; 429 with `Retry-After` past it.
"""


class RoleplanAPI(NinjaAPI):
    def get_openapi_schema(self, **kwargs: Any) -> dict:
        """Errors are problem documents: say so in every error response's media type."""
        schema = super().get_openapi_schema(**kwargs)
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                for status, answer in operation.get("responses", {}).items():
                    content = answer.get("content", {})
                    if str(status)[0] in "45" and "application/json" in content:
                        content[problems.MEDIA_TYPE] = content.pop("application/json")
        return schema


api = RoleplanAPI(
    title="roleplan API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=[TokenAuth(), SessionAuth()],
    throttle=[PerToken()],
    docs=Swagger(settings={"persistAuthorization": False, "tryItOutEnabled": False}),
    docs_url="/docs",
    openapi_url="/openapi.json",
)
problems.install(api)
api.add_router("/v1/", products_router)
api.add_router("/v1/", projects_router)
api.add_router("/v1/", ownership_router)
api.add_router("/v1/", alignment_router)


def answering_problems(view: Callable) -> Callable:
    """A method the path does not take is a problem document too (django-ninja answers it
    with a bare 405), still naming the methods it takes in Allow."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and "Allow" in response:
            allow = response["Allow"]
            return problems.problem_response(
                request,
                405,
                "Method not allowed",
                f"This address takes {allow}.",
                headers={"Allow": allow},
            )
        return response

    return wrapped


def public(patterns: list[URLPattern | URLResolver]) -> list[URLPattern | URLResolver]:
    """The API authenticates by itself (a token or the session): LoginRequiredMiddleware must
    not send a client without a session to the sign-in page."""
    result = []
    for pattern in patterns:
        view = answering_problems(pattern.callback)
        view.login_required = False
        view.csrf_exempt = True  # the session's writes are checked by SessionAuth
        result.append(URLPattern(pattern.pattern, view, pattern.default_args, pattern.name))
    return result


def urls() -> tuple[list, str, str]:
    patterns, app_name, namespace = api.urls
    return public(patterns), app_name, namespace
