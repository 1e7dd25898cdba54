"""Fixtures of the API and webhook tests: tokens for a person, and a client that sends them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from roleplan.integrations.services import token_create


class ApiClient:
    """The test client speaking JSON with a bearer token."""

    def __init__(self, token: str | None = None) -> None:
        self.client = Client()
        self.token = token

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"HTTP_AUTHORIZATION": f"Bearer {self.token}"} if self.token else {}
        for name, value in (extra or {}).items():
            headers["HTTP_" + name.upper().replace("-", "_")] = value
        return headers

    def call(self, method: str, path: str, body: Any = None, **headers: str):
        kwargs: dict[str, Any] = self.headers(headers)
        if body is not None:
            kwargs.update(data=json.dumps(body), content_type="application/json")
        return getattr(self.client, method.lower())(path, **kwargs)

    def get(self, path: str, **headers: str):
        return self.call("GET", path, **headers)

    def post(self, path: str, body: Any = None, **headers: str):
        return self.call("POST", path, {} if body is None else body, **headers)

    def patch(self, path: str, body: Any = None, **headers: str):
        return self.call("PATCH", path, {} if body is None else body, **headers)

    def delete(self, path: str, **headers: str):
        return self.call("DELETE", path, **headers)


def api_client_for(user, *, write: bool = True, days: int | None = None) -> ApiClient:
    _token, text = token_create(user=user, name="tests", can_write=write, expires_in_days=days)
    return ApiClient(text)


@pytest.fixture
def api_for(db):
    return api_client_for
